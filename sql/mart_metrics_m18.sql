-- model: mart_metrics_m18
-- adds: mart_metrics
-- depends: int_metrics, int_org_grades, mart_org_assessment, params
-- M18 in mart_metrics (output contract v1's long metrics of every year
-- transformed; int_metrics has put the year's other rows there): per
-- organization each graded metric, 1 green, 2 amber, 3 red, and the highest
-- rating allowed, 4 HTXS … 1 KHT; above organizations the organizations with a
-- red metric and those not allowed HTXS.
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
