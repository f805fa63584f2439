-- model: int_metrics
-- builds: int_metrics, mart_metrics_other_years
-- depends: int_facts, int_units, int_member_at, int_letters_signed, metric_catalog, file_info, params
-- The year's long metrics (output contract v1, domain.md §6) but M18: one row
-- per level, unit and metric, for every unit of the level and every metric of
-- the level, zero counts included. value is the ratio (rounded once, here, to
-- the 0,1% the report shows), the count, the rate per 1.000 or the median.
-- Built a level at a time, each level its own statement, from one table macro:
-- as one statement DuckDB held the four levels' sums and joins at once, out of
-- memory in the national transform at a limit of 384 MB and 32 s at 512 MB; a
-- level at a time builds at 384 MB, in 20 s. The rows are the same.

-- int_metrics holds the last transformed year's rows, and mart_metrics is the
-- view of them, M18 (mart_metrics_m18) and every other year transformed
-- (mart_metrics_other_years): a year's rows are written once. When another
-- year is built, the rows int_metrics holds go to the other years first (a
-- night rebuilds the same year, and moves nothing).
CREATE TABLE IF NOT EXISTS mart_metrics_other_years (
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

CREATE TABLE IF NOT EXISTS int_metrics AS FROM mart_metrics_other_years LIMIT 0;

INSERT INTO mart_metrics_other_years SELECT * FROM int_metrics WHERE year <> (SELECT year FROM params);

-- M4: the median days from signing to receipt, over the year's letters
-- received: the letters placed once (in the macro, each level joined them
-- again), then a level at a time (a median holds its group's values: the four
-- levels in one statement ran out of memory in the national transform at 192 MB)
-- (the members with a letter only: see int_facts.sql)
CREATE OR REPLACE TEMP TABLE metrics_letters AS
SELECT l.days, m.reporting_unit, m.org_code, m.cell_code
FROM int_letters_signed l JOIN (FROM int_member_at SEMI JOIN int_letters_signed USING (member_code)) m USING (member_code)
WHERE l.days IS NOT NULL;

CREATE OR REPLACE TEMP TABLE metrics_medians AS
SELECT 'cell' AS level, cell_code AS unit_code, 'M4' AS metric, median(days) AS med, count(*) AS n
FROM metrics_letters WHERE cell_code IS NOT NULL GROUP BY ALL;

INSERT INTO metrics_medians
SELECT 'org', org_code, 'M4', median(days), count(*) FROM metrics_letters WHERE org_code IS NOT NULL GROUP BY ALL;

INSERT INTO metrics_medians
SELECT 'reporting_unit', reporting_unit, 'M4', median(days), count(*) FROM metrics_letters GROUP BY ALL;

INSERT INTO metrics_medians
SELECT 'province', (SELECT province_code FROM params), 'M4', median(days), count(*) FROM metrics_letters;

CREATE OR REPLACE TEMP MACRO int_metrics_of(lvl) AS TABLE
WITH
facts AS (
    -- M7 has one fact for cells and one above them
    SELECT reporting_unit, org_code, cell_code, split_part(metric, '@', 1) AS metric,
           CASE WHEN metric LIKE '%@cell' THEN 'cell' WHEN metric LIKE '%@rollup' THEN 'rollup' ELSE 'all' END AS scope,
           numerator, denominator
    FROM int_facts
),
ru_names AS (
    SELECT reporting_unit, coalesce(any_value(declared_unit_name), any_value(reporting_unit)) AS unit_name
    FROM file_info, params p WHERE report_year = p.year GROUP BY reporting_unit
),
-- the metrics each kind of level carries: cells, or the levels above them
-- (M18's are added by mart_metrics from the assessment)
catalog AS (
    SELECT metric, kind, 'cell' AS level_class FROM metric_catalog WHERE scope IN ('all', 'cell')
    UNION ALL
    SELECT metric, kind, 'rollup' FROM metric_catalog WHERE scope IN ('all', 'rollup')
),
units AS (
    SELECT 'cell' AS level, unit_code, unit_name,
           CASE WHEN org_code = unit_code OR org_code IS NULL THEN reporting_unit ELSE org_code END AS parent_code
    FROM int_units WHERE is_cell
    UNION ALL
    SELECT 'org', unit_code, unit_name, reporting_unit FROM int_units WHERE unit_level = 'co_so'
    UNION ALL
    SELECT 'reporting_unit', r.reporting_unit, coalesce(n.unit_name, r.reporting_unit), p.province_code
    FROM (SELECT DISTINCT reporting_unit FROM int_units) r LEFT JOIN ru_names n USING (reporting_unit), params p
    UNION ALL
    SELECT 'province', province_code, province_name, NULL FROM params
),
-- the unit and metric pairs of the level: every unit carries every metric of its kind
frame AS (
    SELECT u.unit_code, c.metric
    FROM units u JOIN catalog c ON c.level_class = CASE WHEN u.level = 'cell' THEN 'cell' ELSE 'rollup' END
    WHERE u.level = lvl
),
-- each unit's facts, its median row and its frame rows, added up in one
-- grouping over their union (units and metrics outside the frame are left
-- out). A join of the frame to the facts' sums, the nation's 4,7 million cell
-- rows, allocated its hash table of 64 MiB at once, and ran out of memory in
-- the national transform at 150 MB; a grouping spills to disk.
sums AS (
    SELECT unit_code, metric, sum(num) AS num, sum(den) AS den, any_value(med) AS med, any_value(n) AS n
    FROM (
        SELECT unit_code, metric, NULL::BIGINT AS num, NULL::BIGINT AS den, NULL::DOUBLE AS med, NULL::BIGINT AS n, true AS framed
        FROM frame
        UNION ALL
        -- each level takes the facts of its scope, so a metric name is unique per level
        SELECT CASE lvl WHEN 'cell' THEN cell_code WHEN 'org' THEN org_code WHEN 'reporting_unit' THEN reporting_unit
                   ELSE (SELECT province_code FROM params) END, metric, numerator, denominator, NULL, NULL, false
        FROM facts
        WHERE CASE lvl WHEN 'cell' THEN cell_code IS NOT NULL AND scope IN ('all', 'cell')
                       WHEN 'org' THEN org_code IS NOT NULL AND scope IN ('all', 'rollup')
                       ELSE scope IN ('all', 'rollup') END
        UNION ALL
        SELECT unit_code, metric, NULL, NULL, med, n, false FROM metrics_medians WHERE level = lvl
    )
    GROUP BY ALL
    HAVING bool_or(framed)
)
SELECT p.year::INTEGER AS year, u.level, u.unit_code, u.unit_name, u.parent_code, c.metric,
       CASE c.kind WHEN 'median' THEN coalesce(s.n, 0) ELSE coalesce(s.num, 0) END::DOUBLE AS numerator,
       CASE WHEN c.kind IN ('count', 'median') THEN NULL ELSE coalesce(s.den, 0)::DOUBLE END AS denominator,
       CASE c.kind
           WHEN 'count' THEN coalesce(s.num, 0)::DOUBLE
           WHEN 'median' THEN s.med::DOUBLE
           WHEN 'per1000' THEN CASE WHEN s.den > 0 THEN round(1000.0 * s.num / s.den, 2) END
           ELSE CASE WHEN s.den > 0 THEN round(s.num / s.den, 3) END
       END AS value
FROM sums s
JOIN units u ON u.unit_code = s.unit_code AND u.level = lvl
JOIN catalog c ON c.metric = s.metric AND c.level_class = CASE WHEN lvl = 'cell' THEN 'cell' ELSE 'rollup' END
CROSS JOIN params p;

CREATE OR REPLACE TABLE int_metrics AS SELECT * FROM int_metrics_of('cell');
INSERT INTO int_metrics SELECT * FROM int_metrics_of('org');
INSERT INTO int_metrics SELECT * FROM int_metrics_of('reporting_unit');
INSERT INTO int_metrics SELECT * FROM int_metrics_of('province');
DROP MACRO TABLE int_metrics_of;
DROP TABLE metrics_medians;
DROP TABLE metrics_letters;
