package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/marcboeker/go-duckdb"
	"github.com/spf13/cobra"

	"orgqa/internal/warehouse"
)

func newQueryCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "query SQL",
		Short:   "Run one read-only SQL query on the warehouse and print tab-separated rows",
		Example: `  orgqa query "SELECT level, metric, value FROM mart_metrics WHERE level = 'province'"`,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withReadOnly(cmd.Context(), func(w *warehouse.Warehouse) error { return queryRun(cmd.Context(), e, w, args[0]) })
		},
	}
}

func queryRun(ctx context.Context, e *env, w *warehouse.Warehouse, q string) error {
	rows, err := w.DB.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, strings.Join(cols, "\t"))
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	out := make([]string, len(cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			out[i] = queryText(v)
		}
		fmt.Fprintln(e.stdout, strings.Join(out, "\t"))
	}
	return rows.Err()
}

func queryText(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		if v.Hour() == 0 && v.Minute() == 0 && v.Second() == 0 {
			return v.Format("2006-01-02")
		}
		return v.Format(time.RFC3339)
	case duckdb.Decimal:
		return decimalText(v)
	case []byte:
		return string(v)
	case sql.RawBytes:
		return string(v)
	}
	return fmt.Sprint(v)
}

// decimalText writes a DECIMAL exactly: its scaled integer with the point put back.
func decimalText(d duckdb.Decimal) string {
	if d.Value == nil {
		return "NULL"
	}
	digits := new(big.Int).Abs(d.Value).String()
	sign := ""
	if d.Value.Sign() < 0 {
		sign = "-"
	}
	if d.Scale == 0 {
		return sign + digits
	}
	if pad := int(d.Scale) + 1 - len(digits); pad > 0 {
		digits = strings.Repeat("0", pad) + digits
	}
	cut := len(digits) - int(d.Scale)
	return sign + digits[:cut] + "." + digits[cut:]
}
