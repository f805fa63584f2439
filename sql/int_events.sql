-- model: int_events
-- builds: int_letters, int_letters_signed, int_comments, int_meetings, int_inspections, int_disciplines, int_ratings
-- depends: letters, comments, meetings, inspections, disciplines, ratings, params
-- The year's events, each taken once. Events come from every loaded report (a
-- comment for Y may arrive in next year's report, a December meeting may be listed
-- again), are selected by their own dates as domain.md §4 says, and a fact listed
-- by several reports is kept from the latest report.
CREATE OR REPLACE TABLE int_letters AS
-- the latest letter each member had signed by 31/12/Y (a letter stays valid in
-- later years); on a tie, a confirmed one
SELECT member_code, signed_on, commune_confirmed_on IS NOT NULL AS confirmed
FROM letters, params p
WHERE signed_on <= p.year_end
QUALIFY row_number() OVER (PARTITION BY member_code
                           ORDER BY signed_on DESC, commune_confirmed_on IS NOT NULL DESC, report_year DESC, load_id DESC) = 1;

-- M4: the letters signed in the year, each once, with the days until the
-- residence cell received them (null when it has not)
CREATE OR REPLACE TABLE int_letters_signed AS
SELECT member_code, signed_on, cell_received_on, date_diff('day', signed_on, cell_received_on) AS days
FROM letters, params p
WHERE signed_on BETWEEN p.year_start AND p.year_end
QUALIFY row_number() OVER (PARTITION BY member_code, signed_on ORDER BY report_year DESC, load_id DESC, source_row) = 1;

-- The window picks the rows by their row ids only, and the rows are fetched
-- after: a window holds every column it carries in memory at once, beyond
-- DuckDB's limit (national: 765 MB with the comments' text, 456 MB without it).
CREATE OR REPLACE TABLE int_comments AS
SELECT c.reporting_unit, c.member_code, c.conclusion, c.received_on, c.content
FROM comments c SEMI JOIN (
    SELECT c.rowid AS rid FROM comments c, params p
    WHERE c.comment_year = p.year
    QUALIFY row_number() OVER (PARTITION BY c.member_code ORDER BY c.report_year DESC, c.load_id DESC, c.source_row) = 1
) w ON c.rowid = w.rid;

-- as int_comments: the window picks row ids (national: 919 → 767 MB)
CREATE OR REPLACE TABLE int_meetings AS
SELECT m.reporting_unit, m.cell_code, m.meeting_on, m.meeting_kind,
       m.present, m.members - coalesce(m.exempt, 0) AS expected, m.duration_min, m.grade
FROM meetings m SEMI JOIN (
    SELECT m.rowid AS rid FROM meetings m, params p
    WHERE m.meeting_on BETWEEN p.year_start AND p.year_end
    QUALIFY row_number() OVER (PARTITION BY m.cell_code, m.meeting_on, m.meeting_kind
                               ORDER BY m.report_year DESC, m.load_id DESC, m.source_row) = 1
) w ON m.rowid = w.rid;

-- an inspection belongs to the year of its start, or of its conclusion when the start is blank
CREATE OR REPLACE TABLE int_inspections AS
SELECT i.reporting_unit, i.case_code, i.activity, i.inspection_kind, i.target_type, i.target_code,
       i.concluded_on IS NOT NULL AS concluded, coalesce(i.violation, false) AS violation
FROM inspections i, params p
WHERE coalesce(i.started_on, i.concluded_on) BETWEEN p.year_start AND p.year_end
QUALIFY row_number() OVER (PARTITION BY i.case_code, i.target_type, i.target_code
                           ORDER BY i.report_year DESC, i.load_id DESC, i.source_row) = 1;

CREATE OR REPLACE TABLE int_disciplines AS
SELECT d.reporting_unit, d.target_type, d.target_code, d.form, d.decided_on
FROM disciplines d, params p
WHERE d.decided_on BETWEEN p.year_start AND p.year_end
QUALIFY row_number() OVER (PARTITION BY d.target_type, d.target_code, d.form, d.decided_on
                           ORDER BY d.report_year DESC, d.load_id DESC, d.source_row) = 1;

CREATE OR REPLACE TABLE int_ratings AS
SELECT r.reporting_unit, r.target_type, r.target_code, r.rating
FROM ratings r, params p
WHERE r.rating_year = p.year
QUALIFY row_number() OVER (PARTITION BY r.target_type, r.target_code
                           ORDER BY r.report_year DESC, r.load_id DESC, r.source_row) = 1;
