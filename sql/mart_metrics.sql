-- model: mart_metrics
-- builds: mart_metrics, mart_metrics_m18
-- depends: int_metrics, mart_metrics_other_years, int_org_grades, mart_org_assessment, params
-- Output contract v1's long metrics of every year transformed: a view of the
-- year's rows of int_metrics, its M18 rows (mart_metrics_m18: per organization
-- each graded metric, 1 green, 2 amber, 3 red, and the highest rating allowed,
-- 4 HTXS … 1 KHT; above organizations the organizations with a red metric and
-- those not allowed HTXS) and the rows of every other year transformed
-- (mart_metrics_other_years, see int_metrics.sql).
--
-- A view, not a table the year's rows are copied into: the copy was a
-- province's 251.297 rows written twice (0,3 s of a 3 s transform) and the
-- nation's 8,9 million (8 s), and replacing the year's rows of a table took a
-- DELETE, whose row versions DuckDB holds in memory until the commit.
CREATE TABLE IF NOT EXISTS mart_metrics_m18 AS FROM mart_metrics_other_years LIMIT 0;

-- the other year's M18 rows, when another year is built (see int_metrics.sql)
INSERT INTO mart_metrics_other_years SELECT * FROM mart_metrics_m18 WHERE year <> (SELECT year FROM params);

-- the year's rows kept when it was last built before another year: it is built
-- again now (nothing to delete on a night that rebuilds the same year)
DELETE FROM mart_metrics_other_years WHERE year = (SELECT year FROM params);

CREATE OR REPLACE TABLE mart_metrics_m18 AS
SELECT p.year, 'org' AS level, g.org_code AS unit_code, g.org_name AS unit_name, g.reporting_unit AS parent_code,
       'M18_' || g.metric AS metric, NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator, g.grade::DOUBLE AS value
FROM int_org_grades g CROSS JOIN params p;

INSERT INTO mart_metrics_m18
SELECT a.year, 'org', a.org_code, a.org_name, a.reporting_unit, 'M18_max_rating', NULL, NULL,
       CASE a.max_rating WHEN 'htxs' THEN 4 WHEN 'htt' THEN 3 WHEN 'ht' THEN 2 ELSE 1 END
FROM mart_org_assessment a, params p WHERE a.year = p.year;

INSERT INTO mart_metrics_m18
WITH counts AS (
    SELECT reporting_unit,
           count(*) FILTER (WHERE red_metrics IS NOT NULL) AS red,
           count(*) FILTER (WHERE max_rating <> 'htxs') AS capped
    FROM mart_org_assessment a, params p WHERE a.year = p.year GROUP BY reporting_unit
),
units AS (
    SELECT DISTINCT level, unit_code, unit_name, parent_code FROM int_metrics WHERE level IN ('reporting_unit', 'province')
)
SELECT p.year, u.level, u.unit_code, u.unit_name, u.parent_code, m.metric,
       coalesce(sum(CASE m.metric WHEN 'M18_red' THEN c.red ELSE c.capped END), 0), NULL,
       coalesce(sum(CASE m.metric WHEN 'M18_red' THEN c.red ELSE c.capped END), 0)
FROM units u CROSS JOIN params p CROSS JOIN (VALUES ('M18_red'), ('M18_capped')) AS m(metric)
LEFT JOIN counts c ON u.level = 'province' OR c.reporting_unit = u.unit_code
GROUP BY p.year, u.level, u.unit_code, u.unit_name, u.parent_code, m.metric;

CREATE OR REPLACE VIEW mart_metrics AS
SELECT * FROM mart_metrics_other_years
UNION ALL SELECT * FROM int_metrics
UNION ALL SELECT * FROM mart_metrics_m18;
