-- test: cells_without_members
-- severity: warn
-- title: Chi bộ có hiệu lực trong năm nhưng không có đảng viên nào
SELECT u.reporting_unit, u.unit_code, u.unit_name
FROM int_units u
WHERE u.is_cell AND NOT EXISTS (SELECT 1 FROM int_members m WHERE m.cell_code = u.unit_code);
