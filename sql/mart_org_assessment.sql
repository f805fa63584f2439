-- model: mart_org_assessment
-- builds: int_org_grades, mart_org_assessment
-- depends: int_metrics, int_facts, int_units, rule_thresholds, params
-- M18, per grassroots organization: each metric that has a threshold in the rule
-- set in force graded green (1), amber (2) or red (3) on the value the report
-- shows, and the highest rating the rules allow, with the reasons in
-- Vietnamese. The committee decides the rating; this is the evidence.
CREATE OR REPLACE TABLE int_org_grades AS
SELECT o.reporting_unit, o.unit_code AS org_code, o.unit_name AS org_name, t.metric, m.value, t.better, t.green, t.amber,
       CASE
           WHEN m.value IS NULL THEN NULL
           WHEN (t.better = 'higher' AND m.value >= t.green) OR (t.better = 'lower' AND m.value <= t.green) THEN 1
           WHEN (t.better = 'higher' AND m.value >= t.amber) OR (t.better = 'lower' AND m.value <= t.amber) THEN 2
           ELSE 3
       END AS grade
FROM int_units o
CROSS JOIN rule_thresholds t
LEFT JOIN int_metrics m ON m.level = 'org' AND m.unit_code = o.unit_code AND m.metric = t.metric
WHERE o.unit_level = 'co_so';

CREATE TABLE IF NOT EXISTS mart_org_assessment (
    year INTEGER NOT NULL,
    reporting_unit VARCHAR NOT NULL,
    org_code VARCHAR NOT NULL,
    org_name VARCHAR,
    rule_set VARCHAR NOT NULL,
    red_metrics VARCHAR,          -- the metrics at red, e.g. 'M1, M9'
    amber_metrics VARCHAR,
    disciplined BOOLEAN NOT NULL, -- the organization, a unit below it or a member disciplined in the year
    quota_breach BOOLEAN NOT NULL, -- M16: members HTXS above the quota of HTT
    max_rating VARCHAR NOT NULL,  -- htxs, htt, ht or kht
    reasons VARCHAR               -- why the rating is capped, and what to look at, in Vietnamese
);

DELETE FROM mart_org_assessment WHERE year = (SELECT year FROM params);

INSERT INTO mart_org_assessment
WITH
disciplined AS (
    SELECT DISTINCT org_code FROM int_facts
    WHERE metric LIKE 'M14%' AND metric <> 'M14_per1000' AND numerator > 0 AND org_code IS NOT NULL
),
breach AS (
    SELECT DISTINCT org_code FROM int_facts WHERE metric = 'M16_breach' AND numerator > 0
),
pct AS (
    -- a value as the workbook shows it: 85,5% for shares, 4,2 otherwise
    SELECT *, CASE WHEN metric IN ('M4') THEN replace(format('{:.1f}', value), '.', ',')
                   ELSE replace(format('{:.1f}', 100 * value), '.', ',') || '%' END AS shown,
              replace(format('{:.1f}', 100 * amber), '.', ',') || '%' AS amber_shown
    FROM int_org_grades
),
per_org AS (
    SELECT reporting_unit, org_code, min(org_name) AS org_name,
           string_agg(metric, ', ' ORDER BY length(metric), metric) FILTER (WHERE grade = 3) AS red_metrics,
           string_agg(metric, ', ' ORDER BY length(metric), metric) FILTER (WHERE grade = 2) AS amber_metrics,
           string_agg(metric || ' ở mức đỏ: ' || shown || ' (ngưỡng ' ||
                      CASE WHEN better = 'lower' THEN 'tối đa ' ELSE 'tối thiểu ' END || amber_shown || ')', '; '
                      ORDER BY length(metric), metric) FILTER (WHERE grade = 3) AS red_reasons
    FROM pct GROUP BY reporting_unit, org_code
),
levels AS (SELECT * FROM (VALUES ('kht', 1), ('ht', 2), ('htt', 3), ('htxs', 4)) AS t(rating, n)),
capped AS (
    SELECT o.*, d.org_code IS NOT NULL AS disciplined, b.org_code IS NOT NULL AS quota_breach,
           least(4,
                 CASE WHEN d.org_code IS NOT NULL AND p.htxs_forbids_discipline
                      THEN (SELECT n FROM levels WHERE rating = p.max_rating_with_discipline) ELSE 4 END,
                 CASE WHEN o.red_metrics IS NOT NULL
                      THEN (SELECT n FROM levels WHERE rating = p.max_rating_with_red) ELSE 4 END) AS max_n
    FROM per_org o CROSS JOIN params p
    LEFT JOIN disciplined d ON d.org_code = o.org_code
    LEFT JOIN breach b ON b.org_code = o.org_code
)
SELECT p.year, c.reporting_unit, c.org_code, c.org_name, p.rule_set, c.red_metrics, c.amber_metrics,
       c.disciplined, c.quota_breach, l.rating,
       nullif(concat_ws('; ',
           CASE WHEN c.disciplined AND p.htxs_forbids_discipline THEN
               'Có tổ chức trực thuộc hoặc đảng viên bị kỷ luật trong năm: không được xếp HTXS (' || p.rule_set || ')' END,
           CASE WHEN c.red_metrics IS NOT NULL THEN
               c.red_reasons || ': tối đa ' || upper(p.max_rating_with_red) END,
           CASE WHEN c.quota_breach THEN
               'Số đảng viên HTXS vượt ' || replace(format('{:.0f}', 100 * p.excellence_quota), '.', ',') || '% số đảng viên HTT' END
       ), '') AS reasons
FROM capped c CROSS JOIN params p JOIN levels l ON l.n = c.max_n;
