-- test: members_outside_the_tree
-- severity: warn
-- title: Đảng viên sinh hoạt ở chi bộ không có hiệu lực trong năm (không thuộc tổ chức cơ sở đảng nào)
SELECT m.reporting_unit, m.member_code, mm.cell_code
FROM int_members m JOIN members mm ON mm.member_code = m.member_code AND mm.report_year = (SELECT year FROM params)
WHERE m.org_code IS NULL;
