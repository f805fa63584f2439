-- model: int_units
-- depends: units, params
-- The unit tree of the year: the units of the year's reports that are valid on
-- some day of the year, each with its grassroots organization (the nearest unit
-- at or above it with level co_so) and whether it is a cell (a chi bộ, or a
-- grassroots organization with no chi bộ below it: a chi bộ cơ sở).
CREATE OR REPLACE TABLE int_units AS
WITH RECURSIVE
valid AS (
    SELECT u.reporting_unit, u.unit_code, u.unit_name, u.unit_level, u.unit_type, u.parent_code, u.old_code
    FROM units u, params p
    WHERE u.report_year = p.year
      AND (u.valid_from IS NULL OR u.valid_from <= p.year_end)
      AND (u.valid_to IS NULL OR u.valid_to >= p.year_start)
),
walk (reporting_unit, unit_code, cur_code, cur_level, cur_parent, depth) AS (
    SELECT reporting_unit, unit_code, unit_code, unit_level, parent_code, 0 FROM valid
    UNION ALL
    SELECT w.reporting_unit, w.unit_code, v.unit_code, v.unit_level, v.parent_code, w.depth + 1
    FROM walk w
    JOIN valid v ON v.reporting_unit = w.reporting_unit AND v.unit_code = w.cur_parent
    WHERE w.cur_level <> 'co_so' AND w.depth < 32   -- a parent cycle stops here
),
org AS (
    SELECT reporting_unit, unit_code, arg_min(cur_code, depth) AS org_code
    FROM walk WHERE cur_level = 'co_so'
    GROUP BY reporting_unit, unit_code
),
tree AS (
    SELECT v.*, o.org_code FROM valid v LEFT JOIN org o USING (reporting_unit, unit_code)
)
SELECT t.*,
       t.unit_level = 'chi_bo'
       OR (t.unit_level = 'co_so' AND NOT EXISTS (
            SELECT 1 FROM tree c
            WHERE c.reporting_unit = t.reporting_unit AND c.org_code = t.unit_code AND c.unit_level = 'chi_bo')) AS is_cell
FROM tree t;
