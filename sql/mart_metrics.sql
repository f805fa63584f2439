-- model: mart_metrics
-- depends: int_metrics, int_org_grades, mart_org_assessment, params
-- Output contract v1's long metrics of every year transformed: the year's rows
-- of int_metrics and M18 (per organization each graded metric, 1 green, 2 amber,
-- 3 red, and the highest rating allowed, 4 HTXS … 1 KHT; above organizations the
-- organizations with a red metric and those not allowed HTXS). Other years' rows
-- are kept; the year's are replaced.
CREATE TABLE IF NOT EXISTS mart_metrics (
    year INTEGER NOT NULL,
    level VARCHAR NOT NULL,
    unit_code VARCHAR NOT NULL,
    unit_name VARCHAR,
    parent_code VARCHAR,
    metric VARCHAR NOT NULL,
    numerator DOUBLE,
    denominator DOUBLE,
    value DOUBLE
);

DELETE FROM mart_metrics WHERE year = (SELECT year FROM params);

INSERT INTO mart_metrics SELECT * FROM int_metrics;

INSERT INTO mart_metrics
SELECT p.year, 'org', g.org_code, g.org_name, g.reporting_unit, 'M18_' || g.metric, NULL, NULL, g.grade::DOUBLE
FROM int_org_grades g CROSS JOIN params p;

INSERT INTO mart_metrics
SELECT a.year, 'org', a.org_code, a.org_name, a.reporting_unit, 'M18_max_rating', NULL, NULL,
       CASE a.max_rating WHEN 'htxs' THEN 4 WHEN 'htt' THEN 3 WHEN 'ht' THEN 2 ELSE 1 END
FROM mart_org_assessment a, params p WHERE a.year = p.year;

INSERT INTO mart_metrics
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
