-- model: int_members
-- depends: members, int_units, params
-- The members of the year's reports with their cell (when Mã chi bộ names a cell
-- valid in the year) and grassroots organization,
-- and the flags of domain.md §4: counted in the year (Trạng thái Đang sinh hoạt or
-- blank, or a status date after 31/12/Y); scheme_213 blank means Giới thiệu.
-- A view in the warehouse, and a temporary table for the models (as in int_events).
CREATE OR REPLACE VIEW main.int_members AS
SELECT m.reporting_unit,
       m.member_code,
       CASE WHEN u.is_cell THEN m.cell_code END AS cell_code,
       u.org_code,
       m.working,
       coalesce(m.scheme_213, 'gioi_thieu') AS scheme_213,
       (m.status IS NULL OR m.status = 'dang_sinh_hoat' OR m.status_date > p.year_end) AS counted
FROM members m
JOIN params p ON m.report_year = p.year
LEFT JOIN int_units u ON u.reporting_unit = m.reporting_unit AND u.unit_code = m.cell_code;
CREATE OR REPLACE TEMP TABLE int_members AS FROM main.int_members;
