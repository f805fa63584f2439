-- test: cells_without_meetings
-- severity: warn
-- title: Chi bộ không báo cáo buổi sinh hoạt nào trong năm
SELECT u.reporting_unit, u.unit_code, u.unit_name
FROM int_units u
WHERE u.is_cell AND NOT EXISTS (SELECT 1 FROM int_meetings m WHERE m.cell_code = u.unit_code);
