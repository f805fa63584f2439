package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// setChecks finds, in SQL, the rows that break rules no single row can check:
// a key seen earlier in the same sheet (the first row is kept), and a code that
// names no row of the sheet it refers to. Sheets are checked in contract order,
// so a member rejected as a duplicate is gone before letters look for it.
func setChecks(ctx context.Context, conn *sql.Conn, res *FileResult, loaded map[*SheetSpec]*sheetLoad) error {
	for _, spec := range Contract {
		sl := loaded[spec]
		if sl == nil {
			continue
		}
		if len(spec.Key) > 0 {
			if err := rejectDuplicates(ctx, conn, res, spec, sl); err != nil {
				return fmt.Errorf("check %s duplicates: %w", spec.Name, err)
			}
		}
		for _, ref := range spec.Refs {
			if err := rejectDangling(ctx, conn, res, spec, sl, ref); err != nil {
				return fmt.Errorf("check %s.%s: %w", spec.Name, ref.Column, err)
			}
		}
	}
	return nil
}

// letter is where a contract column sits in the sheet as loaded, as Excel names it.
func (sl *sheetLoad) letter(spec *SheetSpec, col string) any {
	if p := sl.header.Index[spec.column(col)]; p >= 0 {
		return ColumnLetter(p)
	}
	return nil
}

func rejectDuplicates(ctx context.Context, conn *sql.Conn, res *FileResult, spec *SheetSpec, sl *sheetLoad) error {
	keyHeaders := make([]string, len(spec.Key))
	keyText := make([]string, len(spec.Key))
	for i, k := range spec.Key {
		keyHeaders[i] = spec.Columns[spec.column(k)].Header
		if spec.Columns[spec.column(k)].Kind == KindDate {
			keyText[i] = "strftime(" + k + ", '%d/%m/%Y')"
		} else {
			keyText[i] = "CAST(" + k + " AS VARCHAR)"
		}
	}
	what := keyHeaders[0]
	if len(keyHeaders) > 1 {
		what = "(" + strings.Join(keyHeaders, ", ") + ")"
	}
	q := fmt.Sprintf(`INSERT INTO rejects
		SELECT load_id, reporting_unit, report_year, source_file, source_sha256, ?, source_sheet, source_row, ?, ?,
		       concat_ws(' / ', %[1]s), ? || ' trùng với dòng ' || first_row, %[4]s
		FROM (SELECT *, min(source_row) OVER (PARTITION BY %[2]s) AS first_row FROM %[3]s WHERE load_id = ?)
		WHERE source_row <> first_row`,
		strings.Join(keyText, ", "), strings.Join(spec.Key, ", "), spec.Table, rowKeyExpr(spec))
	r, err := conn.ExecContext(ctx, q, spec.Name, sl.letter(spec, spec.Key[0]), keyHeaders[0], what, res.LoadID)
	if err != nil {
		return err
	}
	return deleteRejected(ctx, conn, res, spec, r)
}

func rejectDangling(ctx context.Context, conn *sql.Conn, res *FileResult, spec *SheetSpec, sl *sheetLoad, ref Ref) error {
	target := tableSheet(ref.Table)
	if target == nil {
		return fmt.Errorf("contract: no sheet loads table %s", ref.Table)
	}
	when := "TRUE"
	if ref.When != "" {
		when = ref.When
	}
	header := spec.Columns[spec.column(ref.Column)].Header
	// the code may name a row of the target sheet that was itself rejected: say so
	q := fmt.Sprintf(`INSERT INTO rejects
		SELECT load_id, reporting_unit, report_year, source_file, source_sha256, ?, source_sheet, source_row, ?, ?,
		       %[1]s,
		       ? || ' "' || %[1]s || '" ' || coalesce(
		           'thuộc dòng ' || (SELECT min(x.source_row) FROM rejects x
		                             WHERE x.load_id = r.load_id AND x.sheet = ? AND x.row_key = r.%[1]s)
		           || ' của sheet ' || ? || ', dòng đó đã bị từ chối',
		           'không có trong sheet ' || ?),
		       %[6]s
		FROM %[2]s r
		WHERE load_id = ? AND %[1]s IS NOT NULL AND (%[3]s)
		  AND NOT EXISTS (SELECT 1 FROM %[4]s t WHERE t.load_id = r.load_id AND t.%[5]s = r.%[1]s)`,
		ref.Column, spec.Table, when, ref.Table, ref.TargetColumn, rowKeyExpr(spec))
	r, err := conn.ExecContext(ctx, q, spec.Name, sl.letter(spec, ref.Column), header, header,
		target.Name, target.Name, target.Name, res.LoadID)
	if err != nil {
		return err
	}
	return deleteRejected(ctx, conn, res, spec, r)
}

// rowKeyExpr is the SQL for a row's own code in its sheet (see rowKey).
func rowKeyExpr(spec *SheetSpec) string {
	if len(spec.Key) != 1 {
		return "NULL"
	}
	return "CAST(" + spec.Key[0] + " AS VARCHAR)"
}

// deleteRejected removes from the sheet's table the rows a check just rejected;
// when the check rejected nothing (almost always) there is nothing to do.
func deleteRejected(ctx context.Context, conn *sql.Conn, res *FileResult, spec *SheetSpec, inserted sql.Result) error {
	if n, err := inserted.RowsAffected(); err == nil && n == 0 {
		return nil
	}
	_, err := conn.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %s WHERE load_id = ? AND source_row IN
		(SELECT source_row FROM rejects WHERE load_id = ? AND sheet = ?)`, spec.Table), res.LoadID, res.LoadID, spec.Name)
	return err
}

func tableSheet(table string) *SheetSpec {
	for _, s := range Contract {
		if s.Table == table {
			return s
		}
	}
	return nil
}
