package transform

import (
	"context"
	"fmt"
	"testing"

	"orgqa/ingest"
	orgsql "orgqa/sql"
)

// TestPicksAgreeWithTheWindows: the models pick one row per fact (the latest
// report year, then the latest load, then the first row of the sheet; a
// member's place: counted first, then the first reporting unit by code) with
// aggregates over row ids. On random rows full of ties across years, loads and
// units, with nulls where the schema allows them, each picked table must hold
// exactly what the row_number() windows they replaced hold, written out here.
func TestPicksAgreeWithTheWindows(t *testing.T) {
	ctx := context.Background()
	w := tempWarehouse(t)
	if err := ingest.EnsureSchema(ctx, w.DB); err != nil {
		t.Fatal(err)
	}
	// source_row is unique in each table, as it is within a load's sheet; a
	// few loads, three report years and small domains make every key repeat
	fill := []string{
		`SELECT setseed(0.18)`,
		`INSERT INTO letters BY NAME SELECT (random() * 6)::INT AS load_id, 'U' || (random() * 3)::INT AS reporting_unit,
			2024 + (random() * 2)::INT AS report_year, i::INT AS source_row, 'M' || (random() * 60)::INT AS member_code,
			DATE '2024-11-01' + ((random() * 6)::INT * 61) AS signed_on,
			CASE WHEN random() < 0.5 THEN DATE '2025-03-01' END AS commune_confirmed_on,
			CASE WHEN random() < 0.6 THEN DATE '2025-01-01' + (random() * 300)::INT END AS cell_received_on
		 FROM range(1, 2500) r(i)`,
		`INSERT INTO comments BY NAME SELECT (random() * 6)::INT AS load_id, 'U' || (random() * 3)::INT AS reporting_unit,
			2024 + (random() * 2)::INT AS report_year, i::INT AS source_row, 'M' || (random() * 60)::INT AS member_code,
			2024 + (random() * 2)::INT AS comment_year, (ARRAY['tot', 'chua_tot', NULL])[1 + (random() * 2)::INT] AS conclusion,
			'nhận xét ' || i AS content, CASE WHEN random() < 0.7 THEN DATE '2025-01-01' + (random() * 500)::INT END AS received_on
		 FROM range(1, 2500) r(i)`,
		`INSERT INTO meetings BY NAME SELECT (random() * 6)::INT AS load_id, 'U' || (random() * 3)::INT AS reporting_unit,
			2024 + (random() * 2)::INT AS report_year, i::INT AS source_row, 'C' || (random() * 8)::INT AS cell_code,
			DATE '2024-12-01' + ((random() * 5)::INT * 30) AS meeting_on, (ARRAY['thuong_ky', 'chuyen_de', 'ket_hop'])[1 + (random() * 2)::INT] AS meeting_kind,
			10 AS members, (random() * 2)::INT AS exempt, (random() * 10)::INT AS present,
			CASE WHEN random() < 0.8 THEN (random() * 120)::INT END AS duration_min, (ARRAY['tot', 'kha', NULL])[1 + (random() * 2)::INT] AS grade
		 FROM range(1, 2500) r(i)`,
		`INSERT INTO inspections BY NAME SELECT (random() * 6)::INT AS load_id, 'U' || (random() * 3)::INT AS reporting_unit,
			2024 + (random() * 2)::INT AS report_year, i::INT AS source_row, 'K' || (random() * 10)::INT AS case_code,
			(ARRAY['kiem_tra', 'giam_sat'])[1 + (random())::INT] AS activity, (ARRAY['thuong_xuyen', 'chuyen_de'])[1 + (random())::INT] AS inspection_kind,
			(ARRAY['dang_vien', 'to_chuc'])[1 + (random())::INT] AS target_type, 'T' || (random() * 5)::INT AS target_code,
			CASE WHEN random() < 0.7 THEN DATE '2024-12-01' + (random() * 60)::INT END AS started_on,
			DATE '2025-01-01' + (random() * 60)::INT AS concluded_on, CASE WHEN random() < 0.7 THEN random() < 0.5 END AS violation
		 FROM range(1, 1500) r(i)`,
		`INSERT INTO disciplines BY NAME SELECT (random() * 6)::INT AS load_id, 'U' || (random() * 3)::INT AS reporting_unit,
			2024 + (random() * 2)::INT AS report_year, i::INT AS source_row, (ARRAY['dang_vien', 'to_chuc'])[1 + (random())::INT] AS target_type,
			'T' || (random() * 8)::INT AS target_code, (ARRAY['khien_trach', 'canh_cao'])[1 + (random())::INT] AS form,
			DATE '2025-01-01' + ((random() * 3)::INT * 100) AS decided_on
		 FROM range(1, 1500) r(i)`,
		`INSERT INTO ratings BY NAME SELECT (random() * 6)::INT AS load_id, 'U' || (random() * 3)::INT AS reporting_unit,
			2024 + (random() * 2)::INT AS report_year, i::INT AS source_row, (ARRAY['dang_vien', 'to_chuc'])[1 + (random())::INT] AS target_type,
			'M' || (random() * 60)::INT AS target_code, 2024 + (random() * 2)::INT AS rating_year,
			(ARRAY['htxs', 'htt', 'ht', 'kht'])[1 + (random() * 3)::INT] AS rating
		 FROM range(1, 2500) r(i)`,
		// and facts listed once, which the picks take as they are: a key of
		// its own each ('S' codes, rows from 10.000)
		`INSERT INTO letters BY NAME SELECT i % 6 AS load_id, 'U1' AS reporting_unit, 2025 AS report_year, 10000 + i::INT AS source_row,
			'S' || i AS member_code, DATE '2025-02-01' + i::INT AS signed_on, DATE '2025-03-01' + i::INT AS cell_received_on FROM range(0, 40) r(i)`,
		`INSERT INTO comments BY NAME SELECT i % 6 AS load_id, 'U2' AS reporting_unit, 2025 AS report_year, 10000 + i::INT AS source_row,
			'S' || i AS member_code, 2025 AS comment_year, 'tot' AS conclusion, 'một lần ' || i AS content FROM range(0, 40) r(i)`,
		`INSERT INTO meetings BY NAME SELECT i % 6 AS load_id, 'U1' AS reporting_unit, 2025 AS report_year, 10000 + i::INT AS source_row,
			'S' || i AS cell_code, DATE '2025-04-01' + i::INT AS meeting_on, 'thuong_ky' AS meeting_kind, 10 AS members, 8 AS present FROM range(0, 40) r(i)`,
		`INSERT INTO inspections BY NAME SELECT i % 6 AS load_id, 'U3' AS reporting_unit, 2025 AS report_year, 10000 + i::INT AS source_row,
			'S' || i AS case_code, 'kiem_tra' AS activity, 'chuyen_de' AS inspection_kind, 'to_chuc' AS target_type, 'T1' AS target_code,
			DATE '2025-05-01' + i::INT AS started_on FROM range(0, 40) r(i)`,
		`INSERT INTO disciplines BY NAME SELECT i % 6 AS load_id, 'U2' AS reporting_unit, 2025 AS report_year, 10000 + i::INT AS source_row,
			'dang_vien' AS target_type, 'S' || i AS target_code, 'canh_cao' AS form, DATE '2025-06-01' AS decided_on FROM range(0, 40) r(i)`,
		`INSERT INTO ratings BY NAME SELECT i % 6 AS load_id, 'U1' AS reporting_unit, 2025 AS report_year, 10000 + i::INT AS source_row,
			'dang_vien' AS target_type, 'S' || i AS target_code, 2025 AS rating_year, 'htt' AS rating FROM range(0, 40) r(i)`,
		// 'U10' sorts before 'U2': the first unit by code, not by number; a
		// status without its date leaves counted unknown (null)
		`INSERT INTO members BY NAME SELECT (random() * 6)::INT AS load_id, (ARRAY['U1', 'U2', 'U10', 'U3'])[1 + (random() * 3)::INT] AS reporting_unit,
			2025 AS report_year, i::INT AS source_row, 'M' || (random() * 60)::INT AS member_code, 'Tên ' || i AS full_name,
			'C' || (random() * 8)::INT AS cell_code, random() < 0.8 AS working,
			(ARRAY[NULL, 'dang_sinh_hoat', 'chuyen_di'])[1 + (random() * 2)::INT] AS status,
			CASE WHEN random() < 0.5 THEN DATE '2025-06-01' + (random() * 400)::INT END AS status_date
		 FROM range(1, 600) r(i)`,
		// members listed once, taken as they are
		`INSERT INTO members BY NAME SELECT i % 6 AS load_id, (ARRAY['U1', 'U2', 'U10', 'U3'])[1 + (i % 4)] AS reporting_unit,
			2025 AS report_year, 10000 + i::INT AS source_row, 'S' || i AS member_code, 'Tên S' || i AS full_name,
			'C' || (i % 8) AS cell_code, true AS working, (ARRAY[NULL, 'chuyen_di'])[1 + (i % 2)] AS status FROM range(0, 40) r(i)`,
		// members known only with a status and no date, in two units each
		`INSERT INTO members BY NAME SELECT 7 AS load_id, (ARRAY['U1', 'U2', 'U10', 'U3'])[1 + (i % 4)] AS reporting_unit,
			2025 AS report_year, 1000 + i::INT AS source_row, 'N' || (i // 2) AS member_code, 'Tên ' || i AS full_name,
			'C1' AS cell_code, true AS working, 'chuyen_di' AS status
		 FROM range(0, 20) r(i)`,
	}
	for _, q := range fill {
		if _, err := w.DB.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q[:40], err)
		}
	}
	models, err := Load(orgsql.Models, Sources())
	if err != nil {
		t.Fatal(err)
	}
	runYear(t, w, models, 2025)
	const y0, y1 = "DATE '2025-01-01'", "DATE '2025-12-31'"
	latest := "ORDER BY report_year DESC, load_id DESC, source_row"
	windows := map[string]string{
		"int_letters": `SELECT member_code, signed_on, commune_confirmed_on IS NOT NULL AS confirmed FROM letters WHERE signed_on <= ` + y1 + `
			QUALIFY row_number() OVER (PARTITION BY member_code ORDER BY signed_on DESC, commune_confirmed_on IS NOT NULL DESC, report_year DESC, load_id DESC) = 1`,
		"int_letters_signed": `SELECT member_code, signed_on, cell_received_on, date_diff('day', signed_on, cell_received_on) FROM letters
			WHERE signed_on BETWEEN ` + y0 + ` AND ` + y1 + ` QUALIFY row_number() OVER (PARTITION BY member_code, signed_on ` + latest + `) = 1`,
		"int_comments": `SELECT reporting_unit, member_code, conclusion, received_on, content FROM comments WHERE comment_year = 2025
			QUALIFY row_number() OVER (PARTITION BY member_code ` + latest + `) = 1`,
		"int_meetings": `SELECT reporting_unit, cell_code, meeting_on, meeting_kind, present, members - coalesce(exempt, 0), duration_min, grade FROM meetings
			WHERE meeting_on BETWEEN ` + y0 + ` AND ` + y1 + ` QUALIFY row_number() OVER (PARTITION BY cell_code, meeting_on, meeting_kind ` + latest + `) = 1`,
		"int_inspections": `SELECT reporting_unit, case_code, activity, inspection_kind, target_type, target_code, concluded_on IS NOT NULL, coalesce(violation, false)
			FROM inspections WHERE coalesce(started_on, concluded_on) BETWEEN ` + y0 + ` AND ` + y1 + `
			QUALIFY row_number() OVER (PARTITION BY case_code, target_type, target_code ` + latest + `) = 1`,
		"int_disciplines": `SELECT reporting_unit, target_type, target_code, form, decided_on FROM disciplines WHERE decided_on BETWEEN ` + y0 + ` AND ` + y1 + `
			QUALIFY row_number() OVER (PARTITION BY target_type, target_code, form, decided_on ` + latest + `) = 1`,
		"int_ratings": `SELECT reporting_unit, target_type, target_code, rating FROM ratings WHERE rating_year = 2025
			QUALIFY row_number() OVER (PARTITION BY target_type, target_code ` + latest + `) = 1`,
		"int_member_at": `SELECT member_code, reporting_unit, org_code, cell_code, counted FROM int_members
			QUALIFY row_number() OVER (PARTITION BY member_code ORDER BY counted DESC NULLS LAST, reporting_unit) = 1`,
	}
	var unknown int
	w.DB.QueryRowContext(ctx, `SELECT count(*) FROM int_member_at WHERE counted IS NULL`).Scan(&unknown)
	if unknown == 0 {
		t.Error("no member with an unknown counted flag: the data does not test that case")
	}
	for table, q := range windows {
		var n, extra, missing int
		err := w.DB.QueryRowContext(ctx, fmt.Sprintf(`SELECT (SELECT count(*) FROM %[1]s),
			(SELECT count(*) FROM (SELECT * FROM %[1]s EXCEPT ALL (%[2]s))), (SELECT count(*) FROM ((%[2]s) EXCEPT ALL SELECT * FROM %[1]s))`, table, q)).Scan(&n, &extra, &missing)
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		// the 'S' keys are each listed once, and picked as they are
		column := map[string]string{"int_meetings": "cell_code", "int_inspections": "case_code",
			"int_disciplines": "target_code", "int_ratings": "target_code"}[table]
		if column == "" {
			column = "member_code"
		}
		var once int
		if err := w.DB.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE %s LIKE 'S%%'`, table, column)).Scan(&once); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if once != 40 {
			t.Errorf("%s: %d of the 40 facts listed once", table, once)
		}
		if n < 20 || extra != 0 || missing != 0 {
			t.Errorf("%s: %d rows; %d not picked by the window, %d the window picks missing", table, n, extra, missing)
		}
	}
}
