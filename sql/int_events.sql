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
SELECT l.member_code, l.signed_on, l.cell_received_on, date_diff('day', l.signed_on, l.cell_received_on) AS days
FROM letters l SEMI JOIN (
    SELECT arg_max(l.rowid, latest_first(l.report_year, l.load_id, l.source_row)) AS rid FROM letters l, params p
    WHERE l.signed_on BETWEEN p.year_start AND p.year_end GROUP BY l.member_code, l.signed_on
) w ON l.rowid = w.rid;
CREATE OR REPLACE TEMP TABLE int_letters_signed AS FROM main.int_letters_signed;

-- The rows are picked by their row ids only, and fetched after: what picks
-- them holds only the key and the row id (a window that carried every column
-- held them all at once, beyond DuckDB's limit: national 765 MB with the
-- comments' text, 456 MB without it).
CREATE OR REPLACE VIEW main.int_comments AS
SELECT c.reporting_unit, c.member_code, c.conclusion, c.received_on, c.content
FROM comments c SEMI JOIN (
    SELECT arg_max(c.rowid, latest_first(c.report_year, c.load_id, c.source_row)) AS rid FROM comments c, params p
    WHERE c.comment_year = p.year GROUP BY c.member_code
) w ON c.rowid = w.rid;
CREATE OR REPLACE TEMP TABLE int_comments AS FROM main.int_comments;

CREATE OR REPLACE VIEW main.int_meetings AS
SELECT m.reporting_unit, m.cell_code, m.meeting_on, m.meeting_kind,
       m.present, m.members - coalesce(m.exempt, 0) AS expected, m.duration_min, m.grade
FROM meetings m SEMI JOIN (
    SELECT arg_max(m.rowid, latest_first(m.report_year, m.load_id, m.source_row)) AS rid FROM meetings m, params p
    WHERE m.meeting_on BETWEEN p.year_start AND p.year_end GROUP BY m.cell_code, m.meeting_on, m.meeting_kind
) w ON m.rowid = w.rid;
CREATE OR REPLACE TEMP TABLE int_meetings AS FROM main.int_meetings;

-- an inspection belongs to the year of its start, or of its conclusion when the start is blank
CREATE OR REPLACE VIEW main.int_inspections AS
SELECT i.reporting_unit, i.case_code, i.activity, i.inspection_kind, i.target_type, i.target_code,
       i.concluded_on IS NOT NULL AS concluded, coalesce(i.violation, false) AS violation
FROM inspections i SEMI JOIN (
    SELECT arg_max(i.rowid, latest_first(i.report_year, i.load_id, i.source_row)) AS rid FROM inspections i, params p
    WHERE coalesce(i.started_on, i.concluded_on) BETWEEN p.year_start AND p.year_end
    GROUP BY i.case_code, i.target_type, i.target_code
) w ON i.rowid = w.rid;
CREATE OR REPLACE TEMP TABLE int_inspections AS FROM main.int_inspections;

CREATE OR REPLACE VIEW main.int_disciplines AS
SELECT d.reporting_unit, d.target_type, d.target_code, d.form, d.decided_on
FROM disciplines d SEMI JOIN (
    SELECT arg_max(d.rowid, latest_first(d.report_year, d.load_id, d.source_row)) AS rid FROM disciplines d, params p
    WHERE d.decided_on BETWEEN p.year_start AND p.year_end GROUP BY d.target_type, d.target_code, d.form, d.decided_on
) w ON d.rowid = w.rid;
CREATE OR REPLACE TEMP TABLE int_disciplines AS FROM main.int_disciplines;

CREATE OR REPLACE VIEW main.int_ratings AS
SELECT r.reporting_unit, r.target_type, r.target_code, r.rating
FROM ratings r SEMI JOIN (
    SELECT arg_max(r.rowid, latest_first(r.report_year, r.load_id, r.source_row)) AS rid FROM ratings r, params p
    WHERE r.rating_year = p.year GROUP BY r.target_type, r.target_code
) w ON r.rowid = w.rid;
CREATE OR REPLACE TEMP TABLE int_ratings AS FROM main.int_ratings;

