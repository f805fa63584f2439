package warehouse

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkStepCommit is a step's last commit in a working copy and the
// checkpoint that ends the step (Commit): 300.000 rows of a code, a name and
// two numbers, committed through the log (a plain COMMIT, then the
// checkpoint writes them again) or into the file at once (CommitToFile).
func BenchmarkStepCommit(b *testing.B) {
	ctx := context.Background()
	for _, name := range []string{"log-then-checkpoint", "into-the-file"} {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				w, err := Begin(ctx, filepath.Join(b.TempDir(), "w.duckdb"), Options{MemoryLimit: "192MB"}) // orgqa's default
				if err != nil {
					b.Fatal(err)
				}
				conn, err := w.DB.Conn(ctx)
				if err != nil {
					b.Fatal(err)
				}
				for _, q := range []string{"BEGIN TRANSACTION",
					`CREATE TABLE t AS SELECT 'DV' || lpad(range::VARCHAR, 10, '0') AS code, 'Nguyễn Văn ' || (range % 977) AS name,
						range % 12 AS month, range * 0.5 AS share FROM range(300000)`} {
					if _, err := conn.ExecContext(ctx, q); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				if name == "into-the-file" {
					err = CommitToFile(ctx, conn)
				} else {
					_, err = conn.ExecContext(ctx, "COMMIT")
				}
				if err != nil {
					b.Fatal(err)
				}
				conn.Close()
				if err := w.Commit(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
