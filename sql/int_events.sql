-- model: int_events
-- builds: int_letters, int_letters_signed, int_comments, int_meetings, int_inspections, int_disciplines, int_ratings
-- depends: letters, comments, meetings, inspections, disciplines, ratings, params
-- The year's events, each taken once. Events come from every loaded report (a
-- comment for Y may arrive in next year's report, a December meeting may be listed
-- again), are selected by their own dates as domain.md §4 says, and a fact listed
-- by several reports is kept from the latest report.
--
-- Each fact is picked by an aggregate over its key, not by a row_number()
-- window: DuckDB's window holds each partition in memory, beyond its limit,
-- while a grouping spills (national, each statement from a fresh process at
-- 192 MB: int_comments 389-416 -> 272-274 MiB, int_ratings 418-429 -> 308-311
-- MiB, int_letters 393-395 -> 248-260 MiB). The row kept is the one of the
-- latest report year, then the latest load, then the first row of the sheet:
-- latest_first orders them as one number (the three are never null; a load id
-- below 2^32 and a row below 2^32 keep their places), and arg_max picks that
-- row's rowid.
--
-- Most facts are listed once: only the keys listed more than once (d, a
-- grouping that keeps no row) are picked that way, and every other row is
-- taken as it is (an anti join on those few keys). Picking every key, then
-- fetching the picked rows by a join on their row ids, hashed every row twice
-- (province, the model: 0,36-0,38 s against 0,29-0,31 s now, 4 alternating pairs).
--
-- Each of these is kept in the warehouse as a view, computed when read, and
-- built once as a temporary table of the same name, which the later models
-- read (a temporary table comes first in DuckDB's search path): writing them
-- into the file cost more than building them (README: the warehouse's
-- tables). latest_first stays in the warehouse for the views.
CREATE OR REPLACE MACRO latest_first(report_year, load_id, source_row) AS
    report_year::HUGEINT * 18446744073709551616 + load_id::HUGEINT * 4294967296 + (4294967295 - source_row);

-- the latest letter each member had signed by 31/12/Y (a letter stays valid in
-- later years); on a tie, a confirmed one (a struct compares field by field)
CREATE OR REPLACE VIEW main.int_letters AS
SELECT member_code, l.s AS signed_on, l.c AS confirmed
FROM (SELECT member_code, max({'s': signed_on, 'c': commune_confirmed_on IS NOT NULL}) AS l
      FROM letters, params p WHERE signed_on <= p.year_end GROUP BY member_code);
CREATE OR REPLACE TEMP TABLE int_letters AS FROM main.int_letters;

-- M4: the letters signed in the year, each once, with the days until the
-- residence cell received them (null when it has not)
CREATE OR REPLACE VIEW main.int_letters_signed AS
WITH y AS (SELECT l.rowid AS rid, latest_first(l.report_year, l.load_id, l.source_row) AS k,
                  l.member_code, l.signed_on, l.cell_received_on
           FROM letters l, params p WHERE l.signed_on BETWEEN p.year_start AND p.year_end),
     d AS MATERIALIZED (SELECT member_code, signed_on FROM y GROUP BY ALL HAVING count(*) > 1),
     r AS (FROM y ANTI JOIN d USING (member_code, signed_on)
           UNION ALL
           FROM y SEMI JOIN (SELECT arg_max(rid, k) AS rid FROM y SEMI JOIN d USING (member_code, signed_on)
                             GROUP BY member_code, signed_on) w USING (rid))
SELECT member_code, signed_on, cell_received_on, date_diff('day', signed_on, cell_received_on) AS days FROM r;
CREATE OR REPLACE TEMP TABLE int_letters_signed AS FROM main.int_letters_signed;

CREATE OR REPLACE VIEW main.int_comments AS
WITH y AS (SELECT c.rowid AS rid, latest_first(c.report_year, c.load_id, c.source_row) AS k,
                  c.reporting_unit, c.member_code, c.conclusion, c.received_on, c.content
           FROM comments c, params p WHERE c.comment_year = p.year),
     d AS MATERIALIZED (SELECT member_code FROM y GROUP BY ALL HAVING count(*) > 1),
     r AS (FROM y ANTI JOIN d USING (member_code)
           UNION ALL
           FROM y SEMI JOIN (SELECT arg_max(rid, k) AS rid FROM y SEMI JOIN d USING (member_code)
                             GROUP BY member_code) w USING (rid))
SELECT reporting_unit, member_code, conclusion, received_on, content FROM r;
CREATE OR REPLACE TEMP TABLE int_comments AS FROM main.int_comments;

CREATE OR REPLACE VIEW main.int_meetings AS
WITH y AS (SELECT m.rowid AS rid, latest_first(m.report_year, m.load_id, m.source_row) AS k,
                  m.reporting_unit, m.cell_code, m.meeting_on, m.meeting_kind,
                  m.present, m.members - coalesce(m.exempt, 0) AS expected, m.duration_min, m.grade
           FROM meetings m, params p WHERE m.meeting_on BETWEEN p.year_start AND p.year_end),
     d AS MATERIALIZED (SELECT cell_code, meeting_on, meeting_kind FROM y GROUP BY ALL HAVING count(*) > 1),
     r AS (FROM y ANTI JOIN d USING (cell_code, meeting_on, meeting_kind)
           UNION ALL
           FROM y SEMI JOIN (SELECT arg_max(rid, k) AS rid FROM y SEMI JOIN d USING (cell_code, meeting_on, meeting_kind)
                             GROUP BY cell_code, meeting_on, meeting_kind) w USING (rid))
SELECT reporting_unit, cell_code, meeting_on, meeting_kind, present, expected, duration_min, grade FROM r;
CREATE OR REPLACE TEMP TABLE int_meetings AS FROM main.int_meetings;

-- an inspection belongs to the year of its start, or of its conclusion when the start is blank
CREATE OR REPLACE VIEW main.int_inspections AS
WITH y AS (SELECT i.rowid AS rid, latest_first(i.report_year, i.load_id, i.source_row) AS k,
                  i.reporting_unit, i.case_code, i.activity, i.inspection_kind, i.target_type, i.target_code,
                  i.concluded_on IS NOT NULL AS concluded, coalesce(i.violation, false) AS violation
           FROM inspections i, params p WHERE coalesce(i.started_on, i.concluded_on) BETWEEN p.year_start AND p.year_end),
     d AS MATERIALIZED (SELECT case_code, target_type, target_code FROM y GROUP BY ALL HAVING count(*) > 1),
     r AS (FROM y ANTI JOIN d USING (case_code, target_type, target_code)
           UNION ALL
           FROM y SEMI JOIN (SELECT arg_max(rid, k) AS rid FROM y SEMI JOIN d USING (case_code, target_type, target_code)
                             GROUP BY case_code, target_type, target_code) w USING (rid))
SELECT reporting_unit, case_code, activity, inspection_kind, target_type, target_code, concluded, violation FROM r;
CREATE OR REPLACE TEMP TABLE int_inspections AS FROM main.int_inspections;

CREATE OR REPLACE VIEW main.int_disciplines AS
WITH y AS (SELECT d.rowid AS rid, latest_first(d.report_year, d.load_id, d.source_row) AS k,
                  d.reporting_unit, d.target_type, d.target_code, d.form, d.decided_on
           FROM disciplines d, params p WHERE d.decided_on BETWEEN p.year_start AND p.year_end),
     d AS MATERIALIZED (SELECT target_type, target_code, form, decided_on FROM y GROUP BY ALL HAVING count(*) > 1),
     r AS (FROM y ANTI JOIN d USING (target_type, target_code, form, decided_on)
           UNION ALL
           FROM y SEMI JOIN (SELECT arg_max(rid, k) AS rid FROM y SEMI JOIN d USING (target_type, target_code, form, decided_on)
                             GROUP BY target_type, target_code, form, decided_on) w USING (rid))
SELECT reporting_unit, target_type, target_code, form, decided_on FROM r;
CREATE OR REPLACE TEMP TABLE int_disciplines AS FROM main.int_disciplines;

CREATE OR REPLACE VIEW main.int_ratings AS
WITH y AS (SELECT r.rowid AS rid, latest_first(r.report_year, r.load_id, r.source_row) AS k,
                  r.reporting_unit, r.target_type, r.target_code, r.rating
           FROM ratings r, params p WHERE r.rating_year = p.year),
     d AS MATERIALIZED (SELECT target_type, target_code FROM y GROUP BY ALL HAVING count(*) > 1),
     r AS (FROM y ANTI JOIN d USING (target_type, target_code)
           UNION ALL
           FROM y SEMI JOIN (SELECT arg_max(rid, k) AS rid FROM y SEMI JOIN d USING (target_type, target_code)
                             GROUP BY target_type, target_code) w USING (rid))
SELECT reporting_unit, target_type, target_code, rating FROM r;
CREATE OR REPLACE TEMP TABLE int_ratings AS FROM main.int_ratings;

