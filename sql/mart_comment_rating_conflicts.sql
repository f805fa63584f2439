-- model: mart_comment_rating_conflicts
-- depends: int_comment_rating_conflicts, members, int_units, params
-- M6's members, listed for review: a Chưa tốt comment from the place of
-- residence for the year, and a rating HTT or HTXS for it. A flag to look at,
-- not a breach of a rule. Other years' rows are kept; the year's are replaced.
CREATE TABLE IF NOT EXISTS mart_comment_rating_conflicts (
    year INTEGER NOT NULL,
    reporting_unit VARCHAR,
    org_code VARCHAR,
    org_name VARCHAR,
    cell_code VARCHAR,
    member_code VARCHAR NOT NULL,
    full_name VARCHAR,
    rating VARCHAR NOT NULL,
    comment VARCHAR
);

DELETE FROM mart_comment_rating_conflicts WHERE year = (SELECT year FROM params);

-- the names are looked up for the listed members only: a subquery on every
-- member of the year grouped all 5,9 M of them (national), and the process
-- grew by 150 MiB beyond DuckDB's limit to do it
INSERT INTO mart_comment_rating_conflicts
WITH names AS (
    SELECT m.member_code, min(m.full_name) AS full_name
    FROM members m JOIN params p ON m.report_year = p.year
    WHERE m.member_code IN (SELECT member_code FROM int_comment_rating_conflicts)
    GROUP BY m.member_code
)
SELECT p.year, c.reporting_unit, c.org_code, o.unit_name, c.cell_code, c.member_code, n.full_name, c.rating, c.content
FROM int_comment_rating_conflicts c
CROSS JOIN params p
LEFT JOIN names n ON n.member_code = c.member_code
LEFT JOIN int_units o ON o.unit_code = c.org_code AND o.reporting_unit = c.reporting_unit;
