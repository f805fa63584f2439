-- model: mart_trend
-- depends: mart_metrics, int_units, metric_catalog, params
-- The year beside the year before, with the change, following the 2025 reform:
-- a reporting unit whose DonVi row carries an old code (Mã cũ) is counted under
-- it, so a district's figures of the year before line up with the sum of its
-- communes' figures of the year. Summable metrics only (ratios, counts, rates):
-- the communes' numerators and denominators are added, then divided. The
-- province lines up directly. Needs the year before transformed; until then its
-- values are null. Other years' rows are kept; the year's are replaced.
CREATE TABLE IF NOT EXISTS mart_trend (
    year INTEGER NOT NULL,
    level VARCHAR NOT NULL,          -- province or reporting_unit
    unit_code VARCHAR NOT NULL,      -- the year before's code (a district before the reform)
    unit_name VARCHAR,               -- its name the year before, or the year's when it is new
    current_units VARCHAR,           -- the year's units counted under it
    metric VARCHAR NOT NULL,
    previous_value DOUBLE,
    current_value DOUBLE,
    change DOUBLE                    -- current - previous
);

DELETE FROM mart_trend WHERE year = (SELECT year FROM params);

INSERT INTO mart_trend
WITH
summable AS (SELECT metric, kind FROM metric_catalog WHERE kind IN ('ratio', 'count', 'per1000') AND scope IN ('all', 'rollup')),
lineage AS (
    -- each of the year's reporting units, under its old code when it has one
    SELECT DISTINCT r.reporting_unit AS unit_code, coalesce(root.old_code, r.reporting_unit) AS lineage
    FROM (SELECT DISTINCT reporting_unit FROM int_units) r
    LEFT JOIN int_units root ON root.reporting_unit = r.reporting_unit AND root.unit_code = r.reporting_unit
),
current AS (
    SELECT 'reporting_unit' AS level, l.lineage AS unit_code, string_agg(DISTINCT m.unit_code, ', ' ORDER BY m.unit_code) AS current_units,
           -- a new lineage is named after its unit of the same code, else its first unit (never any_value: outputs must repeat)
           coalesce(min(m.unit_name) FILTER (WHERE m.unit_code = l.lineage), arg_min(m.unit_name, m.unit_code)) AS current_name, m.metric, sum(m.numerator) AS num, sum(m.denominator) AS den
    FROM mart_metrics m JOIN lineage l ON l.unit_code = m.unit_code
    WHERE m.year = (SELECT year FROM params) AND m.level = 'reporting_unit' AND m.metric IN (SELECT metric FROM summable)
    GROUP BY l.lineage, m.metric
    UNION ALL
    SELECT 'province', unit_code, unit_code, unit_name, metric, numerator, denominator
    FROM mart_metrics
    WHERE year = (SELECT year FROM params) AND level = 'province' AND metric IN (SELECT metric FROM summable)
),
previous AS (
    SELECT level, unit_code, unit_name, metric, value
    FROM mart_metrics
    WHERE year = (SELECT year FROM params) - 1 AND level IN ('reporting_unit', 'province')
),
valued AS (
    SELECT c.*, s.kind,
           CASE s.kind
               WHEN 'count' THEN c.num
               WHEN 'per1000' THEN CASE WHEN c.den > 0 THEN round(1000.0 * c.num / c.den, 2) END
               ELSE CASE WHEN c.den > 0 THEN round(c.num / c.den, 3) END
           END AS value
    FROM current c JOIN summable s USING (metric)
)
SELECT (SELECT year FROM params), v.level, v.unit_code, coalesce(p.unit_name, v.current_name), v.current_units, v.metric,
       p.value, v.value, round(v.value - p.value, 3)
FROM valued v
LEFT JOIN previous p ON p.level = v.level AND p.unit_code = v.unit_code AND p.metric = v.metric;
