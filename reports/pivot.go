package reports

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"orgqa/internal/warehouse"
)

// pivotPart is the most metric columns one grouping of a pivot builds.
//
// DuckDB's grouping keeps every aggregate's state of every group until it
// ends, and each thread builds its own table, so its memory grows with the
// columns times the groups, outside the memory limit: the nation's
// organizations, 60 columns for 67.031 groups in one grouping, took 337 MiB
// from a fresh process at the 192 MB limit. See pivotTable.
const pivotPart = 16

// pivotTable builds the temporary table name from pivotSQL(base, whole,
// cols), with base's parameters args, on one DuckDB thread, and gives back
// the threads DuckDB had. drop drops the table, for the caller to defer.
//
// The whole organizations' file at national scale, from a fresh process
// (its pivot, its join to the assessment and its sort):
//   - one grouping of 60 columns, in one statement: 437–514 MiB, 3,6 s;
//   - pivotSQL's parts, in one statement: 371–390 MiB, 3,1 s, and out of
//     DuckDB's memory at 160 MB (the single grouping was not);
//   - pivotSQL's parts as a table built on one thread, then the join and the
//     sort on two: 323–331 MiB, 3,7–4,6 s, and it builds at 160 MB.
//
// (Since then the file is written at 128 MB on one thread, and its sort was
// its peak: orgsFile sorts a few reporting units at a time.)
func pivotTable(ctx context.Context, db *sql.DB, name, base string, whole []string, cols []pivotCol, args ...any) (drop func(), err error) {
	drop = func() { db.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+sqlIdent(name)) }
	var threads int
	if err := db.QueryRowContext(ctx, "SELECT current_setting('threads')::INTEGER").Scan(&threads); err != nil {
		return drop, err
	}
	if _, err := db.ExecContext(ctx, "SET threads = 1"); err != nil {
		return drop, err
	}
	defer func() {
		if _, e := db.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("SET threads = %d", threads)); e != nil && err == nil {
			err = e
		}
	}()
	_, err = db.ExecContext(ctx, fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s AS %s", sqlIdent(name), pivotSQL(base, whole, cols)), args...)
	return drop, err
}

// pivotCol is one column of a pivot: agg over the rows of one metric.
type pivotCol struct {
	agg    string // an aggregate of mart_metrics' columns, such as first(value)
	metric string // the metric whose rows it aggregates
	as     string // the column's name in the result
	cast   string // a type for the aggregate's result, if not its own
}

// pivotSQL turns the long rows of base (a query with mart_metrics' columns)
// into one row per unit_code: the code, each of whole (an aggregate over all the
// unit's rows, with its name: "min(unit_name) AS unit_name"), then each of
// cols under its name.
//
// The columns are built at most pivotPart at a time: each part groups only
// the rows of its metrics by unit_code, and is joined to the units of all
// rows. A unit with no row of a part's metrics gets NULL there, as a filtered
// aggregate over all its rows would give. One key, the code, rather than the
// code with its name and parent: a long name held in every part's groups took
// the nation's organizations past DuckDB's limit. A unit has one name and one
// parent in a year's marts (they come from int_units, where a code is one unit,
// and the data test "unique mart_metrics(year, level, unit_code, metric)"
// stops a transform that gives a unit twice).
//
// base is inlined in each part (DuckDB 1.1 does not materialize a CTE), so
// its parameters are bound once. Names come from orgqa's own column tables or
// from the transform's metric names, never from input cells, and are quoted.
func pivotSQL(base string, whole []string, cols []pivotCol) string {
	var q strings.Builder
	fmt.Fprintf(&q, "WITH base AS (%s),\ng AS (SELECT unit_code", base)
	for _, w := range whole {
		q.WriteString(", " + w)
	}
	q.WriteString(" FROM base GROUP BY unit_code)")
	var parts [][]pivotCol
	for start := 0; start < len(cols); start += pivotPart {
		parts = append(parts, cols[start:min(len(cols), start+pivotPart)])
	}
	for p, part := range parts {
		fmt.Fprintf(&q, ",\np%d AS (SELECT unit_code", p)
		metrics := make([]string, 0, len(part))
		seen := map[string]bool{}
		for i, c := range part {
			agg := fmt.Sprintf("%s FILTER (WHERE metric = %s)", c.agg, warehouse.Literal(c.metric))
			if c.cast != "" {
				agg = fmt.Sprintf("(%s)::%s", agg, c.cast)
			}
			fmt.Fprintf(&q, ", %s AS c%d", agg, p*pivotPart+i)
			if !seen[c.metric] {
				seen[c.metric] = true
				metrics = append(metrics, warehouse.Literal(c.metric))
			}
		}
		fmt.Fprintf(&q, " FROM base WHERE metric IN (%s) GROUP BY unit_code)", strings.Join(metrics, ", "))
	}
	q.WriteString("\nSELECT g.*")
	for i, c := range cols {
		fmt.Fprintf(&q, ", p%d.c%d AS %s", i/pivotPart, i, sqlIdent(c.as))
	}
	q.WriteString("\nFROM g")
	for p := range parts {
		fmt.Fprintf(&q, "\nLEFT JOIN p%d ON p%d.unit_code = g.unit_code", p, p)
	}
	return q.String()
}
