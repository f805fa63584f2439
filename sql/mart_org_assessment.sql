-- model: mart_org_assessment
-- builds: int_assess_names, int_org_grades, int_org_caps, mart_org_assessment
-- depends: int_metrics, int_facts, int_units, int_member_at, int_disciplines, int_ratings, metric_catalog, rule_thresholds, rule_caps, params
-- M18, per grassroots organization: each metric that has a threshold in the rule
-- set in force graded green (1), amber (2) or red (3) on the value the report
-- shows (a share of fewer cases than min_denominator is not graded), the caps
-- the rule set's texts put on its rating (rule_caps, each naming its rule),
-- the highest rating they allow, and what to review, in Vietnamese. A metric
-- at red is a flag, not a cap, unless the board sets max_rating_with_red. The
-- committee decides the rating; this is the evidence.

-- the words a leader reads for each graded metric (codes stay for analysts)
CREATE OR REPLACE TABLE int_assess_names AS
SELECT * FROM (VALUES
    ('M1', 'Tỷ lệ có giấy giới thiệu'),
    ('M3', 'Phiếu nhận xét về đúng hạn'),
    ('M5', 'Nhận xét "Chưa tốt"'),
    ('M7', 'Chi bộ sinh hoạt đủ 12 tháng'),
    ('M8', 'Sinh hoạt chuyên đề theo quý'),
    ('M9', 'Tỷ lệ đảng viên dự sinh hoạt'),
    ('M10', 'Buổi sinh hoạt đủ thời lượng'),
    ('M12', 'Được kiểm tra, giám sát trong năm')
) AS t(metric, name_vi);

CREATE OR REPLACE TABLE int_org_grades AS
SELECT o.reporting_unit, o.unit_code AS org_code, o.unit_name AS org_name, t.metric, m.value, m.denominator, t.better, t.green, t.amber,
       coalesce(n.name_vi, t.metric) AS name_vi,
       CASE
           WHEN m.value IS NULL THEN NULL
           -- too few cases to grade: 2 of 3 members is not a rate
           WHEN m.denominator < coalesce(t.min_denominator, p.min_denominator) THEN NULL
           WHEN (t.better = 'higher' AND m.value >= t.green) OR (t.better = 'lower' AND m.value <= t.green) THEN 1
           WHEN (t.better = 'higher' AND m.value >= t.amber) OR (t.better = 'lower' AND m.value <= t.amber) THEN 2
           ELSE 3
       END AS grade
FROM int_units o
CROSS JOIN rule_thresholds t
CROSS JOIN params p
LEFT JOIN int_assess_names n ON n.metric = t.metric
-- (the organizations' graded metrics only: see int_facts.sql)
LEFT JOIN (FROM int_metrics SEMI JOIN rule_thresholds USING (metric) WHERE level = 'org') m
    ON m.unit_code = o.unit_code AND m.metric = t.metric
WHERE o.unit_level = 'co_so';

-- what the caps look at, per grassroots organization
CREATE OR REPLACE TEMP TABLE assess_facts AS
WITH
orgs AS (
    SELECT reporting_unit, unit_code AS org_code, bool_or(is_cell) AS is_cell FROM int_units WHERE unit_level = 'co_so' GROUP BY ALL
),
below AS ( -- the units below an organization: its cells
    SELECT DISTINCT org_code, unit_code FROM int_units WHERE unit_level <> 'co_so' AND org_code IS NOT NULL
),
org_disc AS (
    SELECT target_code AS org_code, count(*) AS n FROM int_disciplines WHERE target_type = 'to_chuc' GROUP BY ALL
),
below_disc AS (
    SELECT b.org_code, count(DISTINCT b.unit_code) AS n
    FROM int_disciplines d JOIN below b ON d.target_type = 'to_chuc' AND d.target_code = b.unit_code GROUP BY ALL
),
below_n AS (SELECT org_code, count(*) AS n FROM below GROUP BY ALL),
member_disc AS (
    SELECT m.org_code, count(DISTINCT d.target_code) AS n
    FROM int_disciplines d
    -- (the disciplined members only: see int_facts.sql)
    JOIN (FROM int_member_at SEMI JOIN (FROM int_disciplines WHERE target_type = 'dang_vien') x ON x.target_code = member_code) m
        ON d.target_type = 'dang_vien' AND m.member_code = d.target_code
    WHERE m.org_code IS NOT NULL GROUP BY ALL
),
-- the members' ratings per organization, as M15 counted them (each member
-- rated once, placed in one organization by int_member_at): a join of the
-- ratings to the placed members hashed the nation's 5,9 million members, a
-- table of 128 MiB at once, and ran out of memory at 192 MB now and then
member_ratings AS (
    SELECT unit_code AS org_code,
           max(denominator)::BIGINT AS rated, -- each of the four rows counts the members rated
           sum(numerator) FILTER (WHERE metric = 'M15_dang_vien_kht')::BIGINT AS kht,
           sum(numerator) FILTER (WHERE metric IN ('M15_dang_vien_htt', 'M15_dang_vien_htxs'))::BIGINT AS htt_plus,
           sum(numerator) FILTER (WHERE metric = 'M15_dang_vien_htxs')::BIGINT AS htxs,
           sum(numerator) FILTER (WHERE metric = 'M15_dang_vien_htt')::BIGINT AS htt
    FROM int_metrics
    WHERE level = 'org' AND metric IN ('M15_dang_vien_htxs', 'M15_dang_vien_htt', 'M15_dang_vien_ht', 'M15_dang_vien_kht')
    GROUP BY ALL
)
SELECT o.reporting_unit, o.org_code, o.is_cell,
       coalesce(od.n, 0) AS org_disciplined,
       coalesce(bd.n, 0) AS below_disciplined, coalesce(bn.n, 0) AS below_units,
       coalesce(md.n, 0) AS members_disciplined,
       coalesce(mr.rated, 0) AS members_rated, coalesce(mr.kht, 0) AS members_kht, coalesce(mr.htt_plus, 0) AS members_htt_plus,
       coalesce(mr.htxs, 0) AS members_htxs, coalesce(mr.htt, 0) AS members_htt,
       (SELECT rating FROM int_ratings r WHERE r.target_type = 'to_chuc' AND r.target_code = o.org_code) AS org_rating
FROM orgs o
LEFT JOIN org_disc od USING (org_code)
LEFT JOIN below_disc bd USING (org_code)
LEFT JOIN below_n bn USING (org_code)
LEFT JOIN member_disc md USING (org_code)
LEFT JOIN member_ratings mr USING (org_code);

-- a share as the workbook shows it: 83,3% (a limit: 80%)
CREATE OR REPLACE TEMP MACRO assess_pct(x) AS replace(format('{:.1f}', 100 * x), '.', ',') || '%';
CREATE OR REPLACE TEMP MACRO assess_limit(x) AS
    CASE WHEN round(100 * x) = 100 * x THEN format('{:.0f}', 100 * x) ELSE replace(format('{:.1f}', 100 * x), '.', ',') END || '%';

-- each cap that holds, in the rule set's order, with its reason naming the rule
CREATE OR REPLACE TABLE int_org_caps AS
SELECT f.reporting_unit, f.org_code, c.n, c.condition, c.max_rating, c.rule,
       CASE c.condition
           WHEN 'org_disciplined' THEN 'Tổ chức bị kỷ luật trong năm'
           WHEN 'subordinate_disciplined' THEN format('{} chi bộ trực thuộc bị kỷ luật trong năm', f.below_disciplined)
           WHEN 'subordinates_disciplined_over' THEN format('{}/{} chi bộ trực thuộc bị kỷ luật trong năm (quá {})',
               f.below_disciplined, f.below_units, assess_limit(c.share))
           WHEN 'member_disciplined' THEN format('{} đảng viên bị kỷ luật trong năm', f.members_disciplined)
           WHEN 'any_disciplined' THEN 'Tổ chức, chi bộ trực thuộc hoặc đảng viên bị kỷ luật trong năm'
           WHEN 'member_kht' THEN format('{} đảng viên xếp loại Không hoàn thành nhiệm vụ', f.members_kht)
           WHEN 'members_htt_under' THEN format('Đảng viên HTT trở lên chiếm {} số được xếp loại, dưới {}',
               assess_pct(f.members_htt_plus / f.members_rated), assess_limit(c.share))
       END || ': tối đa ' || upper(c.max_rating) || ' (' || c.rule || ')' AS reason
FROM assess_facts f CROSS JOIN rule_caps c
WHERE CASE c.condition
          WHEN 'org_disciplined' THEN f.org_disciplined > 0
          WHEN 'subordinate_disciplined' THEN f.below_disciplined > 0
          WHEN 'subordinates_disciplined_over' THEN f.below_units > 0 AND f.below_disciplined > c.share * f.below_units
          WHEN 'any_disciplined' THEN f.org_disciplined + f.below_disciplined + f.members_disciplined > 0
          -- the member conditions are a cell's (HD 21: "chi bộ phải có 100% đảng viên …"): they cap a
          -- chi bộ cơ sở; a đảng bộ cơ sở is judged by its cells, whose ratings the report gives
          WHEN 'member_disciplined' THEN f.is_cell AND f.members_disciplined > 0
          WHEN 'member_kht' THEN f.is_cell AND f.members_kht > 0
          WHEN 'members_htt_under' THEN f.is_cell AND f.members_rated > 0 AND f.members_htt_plus < c.share * f.members_rated
      END;

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
    reasons VARCHAR               -- caps, then flags, in Vietnamese
);
-- added since: a warehouse built before gets them here
ALTER TABLE mart_org_assessment ADD COLUMN IF NOT EXISTS red_names VARCHAR;  -- the red metrics in words
ALTER TABLE mart_org_assessment ADD COLUMN IF NOT EXISTS caps VARCHAR;       -- each cap that holds, naming its rule
ALTER TABLE mart_org_assessment ADD COLUMN IF NOT EXISTS flags VARCHAR;      -- what to review: red metrics, the quota, a rating above the cap
ALTER TABLE mart_org_assessment ADD COLUMN IF NOT EXISTS severity INTEGER;   -- 1 capped at KHT, 2 at HT, 3 at HTT, 4 a red flag, 5 amber or a note; NULL nothing

-- each organization's metrics at red and amber, in the rule set's words: its
-- own statement, the red and the amber rows each grouped alone (in the
-- statement below, one grouping of every graded row with four ordered
-- string_aggs, and the joins after it, ran out of memory in the national
-- transform at 120 MB)
CREATE OR REPLACE TEMP TABLE assess_per_org AS
SELECT reporting_unit, org_code, o.org_name, r.red_metrics, a.amber_metrics, r.red_names, r.red_reasons
FROM (SELECT reporting_unit, org_code, min(org_name) AS org_name FROM int_org_grades GROUP BY ALL) o
LEFT JOIN (
    SELECT reporting_unit, org_code,
           string_agg(metric, ', ' ORDER BY length(metric), metric) AS red_metrics,
           string_agg(name_vi, ', ' ORDER BY length(metric), metric) AS red_names,
           -- "Tỷ lệ có giấy giới thiệu 83,3%, dưới mức 90%"
           string_agg(name_vi || ' ' || assess_pct(value) || ', ' ||
                      CASE WHEN better = 'lower' THEN 'trên mức ' ELSE 'dưới mức ' END || assess_limit(amber), '; '
                      ORDER BY length(metric), metric) AS red_reasons
    FROM int_org_grades WHERE grade = 3 GROUP BY ALL
) r USING (reporting_unit, org_code)
LEFT JOIN (
    SELECT reporting_unit, org_code, string_agg(metric, ', ' ORDER BY length(metric), metric) AS amber_metrics
    FROM int_org_grades WHERE grade = 2 GROUP BY ALL
) a USING (reporting_unit, org_code);

DELETE FROM mart_org_assessment WHERE year = (SELECT year FROM params);

INSERT INTO mart_org_assessment BY NAME
WITH
levels AS (SELECT * FROM (VALUES ('kht', 1), ('ht', 2), ('htt', 3), ('htxs', 4)) AS t(rating, n)),
caps AS (
    SELECT org_code, min(l.n) AS cap_n, string_agg(reason, '; ' ORDER BY c.n) AS caps
    FROM int_org_caps c JOIN levels l ON l.rating = c.max_rating GROUP BY org_code
),
quota AS (
    SELECT org_code, sum(numerator) AS htxs, sum(denominator) AS htt FROM int_facts WHERE metric = 'M16' GROUP BY org_code
),
breach AS (SELECT DISTINCT org_code FROM int_facts WHERE metric = 'M16_breach' AND numerator > 0),
joined AS (
    SELECT o.*, f.*, c.caps,
           b.org_code IS NOT NULL AS quota_breach, q.htxs AS q_htxs, q.htt AS q_htt,
           f.org_disciplined + f.below_disciplined + f.members_disciplined > 0 AS disciplined,
           least(coalesce(c.cap_n, 4),
                 CASE WHEN o.red_metrics IS NOT NULL AND p.max_rating_with_red IS NOT NULL
                      THEN (SELECT n FROM levels WHERE rating = p.max_rating_with_red) ELSE 4 END) AS max_n,
           (SELECT n FROM levels WHERE rating = f.org_rating) AS rated_n,
           EXISTS (SELECT 1 FROM rule_caps WHERE condition IN ('member_disciplined', 'any_disciplined')) AS member_discipline_caps
    FROM assess_per_org o CROSS JOIN params p
    JOIN assess_facts f USING (reporting_unit, org_code)
    LEFT JOIN caps c ON c.org_code = o.org_code
    LEFT JOIN breach b ON b.org_code = o.org_code
    LEFT JOIN quota q ON q.org_code = o.org_code
),
flagged AS (
    SELECT j.*, l.rating AS max_rating,
           nullif(concat_ws('; ',
               CASE WHEN j.red_metrics IS NOT NULL AND p.max_rating_with_red IS NOT NULL THEN
                   'Có chỉ tiêu ở mức đỏ: tối đa ' || upper(p.max_rating_with_red) || ' (quyết định của Ban, cấu hình)' END,
               CASE WHEN j.rated_n > j.max_n THEN
                   'Đã xếp loại ' || upper(j.org_rating) || ', cao hơn mức quy định cho phép (' || upper(l.rating) || ')' END,
               j.red_reasons,
               CASE WHEN j.quota_breach THEN
                   format('Đảng viên HTXS bằng {} số đảng viên HTT, vượt mức {} ({})',
                          assess_pct(j.q_htxs / j.q_htt), assess_limit(p.excellence_quota), split_part(p.quota_source, ':', 1)) END,
               CASE WHEN j.members_disciplined > 0 AND NOT j.member_discipline_caps THEN
                   format('{} đảng viên bị kỷ luật trong năm: xem xét khi đánh giá (không phải điều kiện hạn chế mức xếp loại của tổ chức theo {})',
                          j.members_disciplined, p.rule_set) END
           ), '') AS flags,
           CASE
               WHEN j.max_n <= 3 THEN j.max_n
               WHEN j.red_metrics IS NOT NULL OR j.quota_breach THEN 4
               -- M12 at amber (not inspected this year) is the committee's work, not the organization's: no flag
               WHEN nullif(j.amber_metrics, 'M12') IS NOT NULL OR j.members_disciplined > 0 THEN 5
           END AS severity
    FROM joined j CROSS JOIN params p JOIN levels l ON l.n = j.max_n
)
SELECT p.year, f.reporting_unit, f.org_code, f.org_name, p.rule_set, f.red_metrics, f.amber_metrics,
       f.disciplined, f.quota_breach, f.max_rating, f.red_names, f.caps, f.flags, f.severity,
       nullif(concat_ws('; ', f.caps, f.flags), '') AS reasons
FROM flagged f CROSS JOIN params p;

DROP TABLE assess_per_org;
DROP TABLE assess_facts;
