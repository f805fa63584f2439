-- model: int_facts
-- builds: int_member_at, int_member_213, int_facts, int_comment_rating_conflicts
-- depends: int_units, int_members, int_letters, int_letters_signed, int_comments, int_meetings, int_inspections, int_disciplines, int_ratings, params
-- Every metric's numerator and denominator at the finest grain it has (a member,
-- a cell, an organization, an event), tagged with the reporting unit, grassroots
-- organization and cell it belongs to. The mart adds these up for each level, so
-- roll-ups add numerators and denominators and never average ratios. A fact row
-- may carry only a numerator or only a denominator (M14_per1000).
--
-- A join of a few rows to a large table takes only the large table's rows
-- that it will match (a SEMI JOIN on the few first). The tables the transform
-- builds have no row count for DuckDB 1.1's planner until the transaction
-- commits (it estimates 0), so it hashes whichever side it puts on the right,
-- often the large one: 176.428 members hashed to place 617 comments took
-- 48 ms, and the SEMI JOIN hashes the 617.

-- where a member's facts belong: their cell, organization and reporting unit
-- (a member listed by two reports of the year is placed once)
-- (counted first, then not counted, then unknown (a status without its
-- date), then the first reporting unit by code: picked by an aggregate over
-- that order as one number, as int_events picks its facts, among the rows of
-- the members listed more than once only; the others are taken as they are).
-- A view in the warehouse, and a temporary table for the models (as in
-- int_events): written into the file, its 176.428 rows of a province were a
-- tenth of the transform's time.
CREATE OR REPLACE VIEW main.int_member_at AS
WITH d AS MATERIALIZED (SELECT member_code FROM int_members GROUP BY ALL HAVING count(*) > 1),
ru AS (SELECT reporting_unit, row_number() OVER (ORDER BY reporting_unit) AS k
       FROM (SELECT DISTINCT reporting_unit FROM int_members SEMI JOIN d USING (member_code)))
SELECT member_code, reporting_unit, org_code, cell_code, counted FROM int_members ANTI JOIN d USING (member_code)
UNION ALL
SELECT member_code, unnest(p) FROM (
    SELECT m.member_code,
           arg_max({'reporting_unit': m.reporting_unit, 'org_code': m.org_code, 'cell_code': m.cell_code, 'counted': m.counted},
                   CASE WHEN m.counted THEN 2 WHEN NOT m.counted THEN 1 ELSE 0 END * 4294967296 + (4294967295 - ru.k)) AS p
    FROM int_members m SEMI JOIN d USING (member_code)
    JOIN ru ON ru.reporting_unit IS NOT DISTINCT FROM m.reporting_unit
    GROUP BY m.member_code);
CREATE OR REPLACE TEMP TABLE int_member_at AS FROM main.int_member_at;

-- M1-M3: working members counted in the year, with Diện Giới thiệu or Miễn.
-- A view in the warehouse, and a temporary table for the models (as in int_events).
CREATE OR REPLACE VIEW main.int_member_213 AS
SELECT m.reporting_unit, m.org_code, m.cell_code, m.member_code, m.scheme_213,
       l.member_code IS NOT NULL AS has_letter,
       coalesce(l.confirmed, false) AS confirmed,
       coalesce(c.received_on <= p.comment_cutoff, false) AS returned
FROM int_members m
CROSS JOIN params p
LEFT JOIN int_letters l ON l.member_code = m.member_code
LEFT JOIN int_comments c ON c.member_code = m.member_code
WHERE m.counted AND m.working AND m.scheme_213 IN ('gioi_thieu', 'mien');
CREATE OR REPLACE TEMP TABLE int_member_213 AS FROM main.int_member_213;

-- M6: members with a Chưa tốt comment for the year and a rating HTT or HTXS
-- for it: a flag to review, not a breach of a rule
CREATE OR REPLACE TABLE int_comment_rating_conflicts AS
SELECT m.reporting_unit, m.org_code, m.cell_code, c.member_code, r.rating, c.content
FROM int_comments c
JOIN int_ratings r ON r.target_type = 'dang_vien' AND r.target_code = c.member_code AND r.rating IN ('htt', 'htxs')
LEFT JOIN (FROM int_member_at SEMI JOIN (FROM int_comments WHERE conclusion = 'chua_tot') USING (member_code)) m
    ON m.member_code = c.member_code
WHERE c.conclusion = 'chua_tot';

-- int_facts is built a branch at a time, each branch its own INSERT, from the
-- parts they share built once as temporary tables. As one UNION ALL of 25
-- aggregates, DuckDB held every aggregate's hash table at once: 1,7 GB at
-- national scale whatever its memory limit, and out of memory at 512 MB.
CREATE OR REPLACE TEMP TABLE facts_unit_at AS
SELECT unit_code, reporting_unit, org_code, CASE WHEN is_cell THEN unit_code END AS cell_code FROM int_units
QUALIFY row_number() OVER (PARTITION BY unit_code ORDER BY reporting_unit) = 1;

-- a cell's meetings added up on their own, then joined to the cells; the
-- months and quarters with a meeting are bits set in a mask and counted, not
-- count(DISTINCT): grouped on the cells joined to their meetings, the two
-- distinct counts held more than DuckDB's 192 MB at national scale.
CREATE OR REPLACE TEMP TABLE facts_cells AS
WITH m AS (
    SELECT reporting_unit, cell_code,
           bit_count(bit_or(1 << month(meeting_on)) FILTER (WHERE meeting_kind IN ('thuong_ky', 'ket_hop')))::BIGINT AS months,
           bit_count(bit_or(1 << quarter(meeting_on)) FILTER (WHERE meeting_kind IN ('chuyen_de', 'ket_hop')))::BIGINT AS quarters,
           -- BIGINT, not the HUGEINT sum gives: a HUGEINT column made every
           -- fact a union of, and every scan of int_facts 30 times slower
           sum(present)::BIGINT AS present,
           sum(expected)::BIGINT AS expected,
           count(meeting_on) FILTER (WHERE expected > 0 AND present * 100 > (SELECT attendance_good_pct FROM params) * expected) AS above,
           count(meeting_on) FILTER (WHERE expected > 0) AS meetings,
           -- M10: meetings from the duration rule's first day; a blank duration does not show the minimum
           count(meeting_on) FILTER (WHERE meeting_on >= (SELECT duration_rule_from FROM params)) AS long_due,
           count(meeting_on) FILTER (WHERE meeting_on >= (SELECT duration_rule_from FROM params)
               AND duration_min >= CASE WHEN meeting_kind = 'ket_hop' THEN (SELECT min_minutes_combined FROM params)
                                        ELSE (SELECT min_minutes FROM params) END) AS long_ok,
           count(meeting_on) FILTER (WHERE grade IS NOT NULL) AS graded,
           count(meeting_on) FILTER (WHERE grade = 'tot') AS g_tot,
           count(meeting_on) FILTER (WHERE grade = 'kha') AS g_kha,
           count(meeting_on) FILTER (WHERE grade = 'trung_binh') AS g_trung_binh,
           count(meeting_on) FILTER (WHERE grade = 'kem') AS g_kem
    FROM int_meetings GROUP BY reporting_unit, cell_code
)
-- int_units is unique on (reporting_unit, unit_code) (an error-severity data test)
-- and a cell without a meeting counts 0 of each
SELECT u.reporting_unit, u.org_code, u.unit_code AS cell_code,
       coalesce(COLUMNS(m.* EXCLUDE (reporting_unit, cell_code)), 0)
FROM int_units u
LEFT JOIN m ON m.reporting_unit = u.reporting_unit AND m.cell_code = u.unit_code
WHERE u.is_cell;

-- where an event aimed at a unit or a member belongs: where its target sits
CREATE OR REPLACE TEMP TABLE facts_target_at AS
SELECT 'to_chuc' AS target_type, unit_code AS target_code, reporting_unit AS at_unit, org_code AS at_org, cell_code AS at_cell
FROM facts_unit_at
UNION ALL
SELECT 'dang_vien', member_code, reporting_unit, org_code, cell_code FROM int_member_at;

CREATE OR REPLACE TEMP TABLE facts_inspection_at AS
SELECT i.*, coalesce(t.at_unit, i.reporting_unit) AS at_unit, t.at_org, t.at_cell
FROM int_inspections i
LEFT JOIN (FROM facts_target_at SEMI JOIN int_inspections USING (target_type, target_code)) t USING (target_type, target_code);

CREATE OR REPLACE TEMP TABLE facts_discipline_at AS
SELECT d.*, coalesce(t.at_unit, d.reporting_unit) AS at_unit, t.at_org, t.at_cell
FROM int_disciplines d
LEFT JOIN (FROM facts_target_at SEMI JOIN int_disciplines USING (target_type, target_code)) t USING (target_type, target_code);

CREATE OR REPLACE TEMP TABLE facts_covered AS
SELECT DISTINCT at_org FROM facts_inspection_at WHERE target_type = 'to_chuc' AND at_org IS NOT NULL;

-- the ratings counted per place they belong to (their rows are not kept:
-- M15 and M16 need only these counts)
CREATE OR REPLACE TEMP TABLE facts_ratings AS
SELECT coalesce(t.at_unit, r.reporting_unit) AS at_unit, t.at_org, t.at_cell, r.target_type,
       count(*) FILTER (WHERE r.rating = 'htxs') AS htxs, count(*) FILTER (WHERE r.rating = 'htt') AS htt,
       count(*) FILTER (WHERE r.rating = 'ht') AS ht, count(*) FILTER (WHERE r.rating = 'kht') AS kht, count(*) AS n
FROM int_ratings r LEFT JOIN facts_target_at t USING (target_type, target_code) GROUP BY ALL;

-- M16: members HTXS and HTT per grassroots organization
CREATE OR REPLACE TEMP TABLE facts_quota AS
SELECT at_unit, at_org, sum(htxs)::BIGINT AS htxs, sum(htt)::BIGINT AS htt
FROM facts_ratings WHERE target_type = 'dang_vien' AND at_org IS NOT NULL GROUP BY ALL;

-- M17: grassroots organizations with a discipline decided in the year on
-- themselves, a unit below them, or one of their members
CREATE OR REPLACE TEMP TABLE facts_disciplined_orgs AS
SELECT DISTINCT at_org FROM facts_discipline_at WHERE at_org IS NOT NULL;

CREATE OR REPLACE TEMP TABLE facts_htxs_orgs AS
SELECT o.reporting_unit, o.unit_code FROM int_units o
JOIN int_ratings r ON r.target_type = 'to_chuc' AND r.target_code = o.unit_code AND r.rating = 'htxs'
WHERE o.unit_level = 'co_so';

CREATE OR REPLACE TABLE int_facts (reporting_unit VARCHAR, org_code VARCHAR, cell_code VARCHAR, metric VARCHAR, numerator BIGINT, denominator BIGINT);


-- M1-M3: one grouping of the members, one row per metric (three groupings
-- of int_member_213 were three scans and hash tables of the same groups)
INSERT INTO int_facts
SELECT s.reporting_unit, s.org_code, s.cell_code, k.metric,
       CASE k.metric WHEN 'M1' THEN s.letters WHEN 'M2' THEN s.confirmed ELSE s.returned END,
       CASE k.metric WHEN 'M1' THEN s.members WHEN 'M2' THEN s.letters ELSE s.introduced END
FROM (SELECT reporting_unit, org_code, cell_code,
             count(*) AS members,
             count(*) FILTER (WHERE has_letter) AS letters,
             count(*) FILTER (WHERE has_letter AND confirmed) AS confirmed,
             -- M3: introduced members only; the excused (Miễn) are left out
             count(*) FILTER (WHERE has_letter AND scheme_213 = 'gioi_thieu') AS introduced,
             count(*) FILTER (WHERE has_letter AND scheme_213 = 'gioi_thieu' AND returned) AS returned
      FROM int_member_213 GROUP BY ALL) s
CROSS JOIN (VALUES ('M1'), ('M2'), ('M3')) AS k(metric);
-- M5: comments for the year with a conclusion, whenever received

INSERT INTO int_facts
SELECT coalesce(m.reporting_unit, c.reporting_unit), m.org_code, m.cell_code, 'M5',
       count(*) FILTER (WHERE c.conclusion = 'chua_tot'), count(*) FILTER (WHERE c.conclusion IS NOT NULL)
FROM int_comments c LEFT JOIN (FROM int_member_at SEMI JOIN int_comments USING (member_code)) m USING (member_code)
GROUP BY ALL;

-- M7-M11: the cells' meetings, one row per cell and metric, in one statement
INSERT INTO int_facts
SELECT c.reporting_unit, c.org_code, c.cell_code, k.metric,
       CASE k.metric
           WHEN 'M7@cell' THEN months
           WHEN 'M7@rollup' THEN CASE WHEN months = 12 THEN 1 ELSE 0 END
           WHEN 'M8' THEN quarters
           WHEN 'M9' THEN present
           WHEN 'M9_above85' THEN above
           WHEN 'M10' THEN long_ok
           WHEN 'M11_tot' THEN g_tot
           WHEN 'M11_kha' THEN g_kha
           WHEN 'M11_trung_binh' THEN g_trung_binh
           WHEN 'M11_kem' THEN g_kem
       END,
       CASE k.metric
           WHEN 'M7@cell' THEN 12
           WHEN 'M7@rollup' THEN 1
           WHEN 'M8' THEN 4
           WHEN 'M9' THEN expected
           WHEN 'M9_above85' THEN meetings
           WHEN 'M10' THEN long_due
           ELSE graded
       END
FROM facts_cells c
CROSS JOIN (VALUES ('M7@cell'), ('M7@rollup'), ('M8'), ('M9'), ('M9_above85'), ('M10'),
                   ('M11_tot'), ('M11_kha'), ('M11_trung_binh'), ('M11_kem')) AS k(metric);
-- M12: an organization is covered when an inspection targets it or a unit below it

INSERT INTO int_facts
SELECT o.reporting_unit, o.unit_code, NULL, 'M12', CASE WHEN c.at_org IS NULL THEN 0 ELSE 1 END, 1
FROM int_units o LEFT JOIN facts_covered c ON c.at_org = o.unit_code
WHERE o.unit_level = 'co_so';

INSERT INTO int_facts
SELECT at_unit, at_org, at_cell, 'M13_' || activity, count(*), NULL FROM facts_inspection_at GROUP BY ALL;

INSERT INTO int_facts
SELECT at_unit, at_org, at_cell, 'M13_' || activity || '_' || inspection_kind || '_' || target_type, count(*), NULL
FROM facts_inspection_at GROUP BY ALL;

INSERT INTO int_facts
SELECT at_unit, at_org, at_cell, 'M13_vi_pham', count(*) FILTER (WHERE concluded AND violation), count(*) FILTER (WHERE concluded)
FROM facts_inspection_at GROUP BY ALL;

INSERT INTO int_facts
SELECT at_unit, at_org, at_cell, 'M14_' || target_type || '_' || form, count(*), NULL FROM facts_discipline_at GROUP BY ALL;
-- M14_per1000: disciplined members (each once) over members counted in the year

INSERT INTO int_facts
SELECT at_unit, at_org, at_cell, 'M14_per1000', count(DISTINCT target_code), 0
FROM facts_discipline_at WHERE target_type = 'dang_vien' GROUP BY ALL;

INSERT INTO int_facts
SELECT reporting_unit, org_code, cell_code, 'M14_per1000', 0, count(*) FILTER (WHERE counted)
FROM int_members GROUP BY ALL;

-- M15: one row per place and level
INSERT INTO int_facts
SELECT r.at_unit, r.at_org, r.at_cell, 'M15_' || r.target_type || '_' || l.level,
       CASE l.level WHEN 'htxs' THEN r.htxs WHEN 'htt' THEN r.htt WHEN 'ht' THEN r.ht ELSE r.kht END, r.n
FROM facts_ratings r
CROSS JOIN (VALUES ('htxs'), ('htt'), ('ht'), ('kht')) AS l(level);
-- M4: the share of the year's letters received within the lead time

INSERT INTO int_facts
SELECT m.reporting_unit, m.org_code, m.cell_code, 'M4_on_time',
       count(*) FILTER (WHERE l.days <= (SELECT lead_time_days FROM params)), count(*)
FROM int_letters_signed l JOIN (FROM int_member_at SEMI JOIN int_letters_signed USING (member_code)) m USING (member_code)
WHERE l.days IS NOT NULL GROUP BY ALL;

INSERT INTO int_facts
SELECT reporting_unit, org_code, cell_code, 'M6', count(*), NULL FROM int_comment_rating_conflicts GROUP BY ALL;

INSERT INTO int_facts
SELECT at_unit, at_org, NULL, 'M16', htxs, htt FROM facts_quota;
-- a breach: HTXS above the quota of HTT (any HTXS with no HTT at all is one),
-- compared in whole numbers so that 0,20 x 15 is exactly 3

INSERT INTO int_facts
SELECT at_unit, at_org, NULL, 'M16_breach',
       CASE WHEN htxs * 10000 > round((SELECT excellence_quota FROM params) * 10000) * htt THEN 1 ELSE 0 END, NULL
FROM facts_quota;

INSERT INTO int_facts
SELECT h.reporting_unit, h.unit_code, NULL, 'M17', CASE WHEN d.at_org IS NULL THEN 0 ELSE 1 END, NULL
FROM facts_htxs_orgs h LEFT JOIN facts_disciplined_orgs d ON d.at_org = h.unit_code;

DROP TABLE facts_unit_at;
DROP TABLE facts_cells;
DROP TABLE facts_target_at;
DROP TABLE facts_inspection_at;
DROP TABLE facts_discipline_at;
DROP TABLE facts_covered;
DROP TABLE facts_ratings;
DROP TABLE facts_quota;
DROP TABLE facts_disciplined_orgs;
DROP TABLE facts_htxs_orgs;
