# Convenience tasks around the go tool; `go test ./...` works without them.
GO      ?= go
BIN     := bin/orgqa
DEMO    := demo
YEAR    ?= 2025

.PHONY: build demo test bench bench-go bench-province clean

build:
	$(GO) build -o $(BIN) ./cmd/orgqa

# demo: generate a demo data set and run the nightly job on it, end to end.
demo: build
	rm -rf $(DEMO)
	./$(BIN) gen --scale demo --year $(YEAR) --output $(DEMO)/input
	./$(BIN) run --input $(DEMO)/input --output $(DEMO)/out --warehouse $(DEMO)/orgqa.duckdb
	@echo
	@echo "Demo outputs:"
	@echo "  leadership workbook: $(CURDIR)/$(DEMO)/out/excel/latest/tong-hop-tccs-$(YEAR).xlsx"
	@echo "  Parquet (analysts):  $(CURDIR)/$(DEMO)/out/parquet/"
	@echo "  warehouse (DuckDB):  $(CURDIR)/$(DEMO)/orgqa.duckdb"
	@echo "  run summary (JSON):  $(CURDIR)/$(DEMO)/out/runs/latest.json"
	@echo "  try: ./$(BIN) history --warehouse $(DEMO)/orgqa.duckdb"
	@echo "  try: ./$(BIN) query --warehouse $(DEMO)/orgqa.duckdb \"SELECT metric, value FROM mart_metrics WHERE level = 'province'\""

# the parsers that read untrusted spreadsheet text, fuzzed briefly on every test run.
# A count of executions, not a duration: with a duration, go1.26's fuzz coordinator
# can fail a clean run with "context deadline exceeded" on a busy machine
# (golang/go#75804, fixed in Go 1.27).
FUZZ_TARGETS := FuzzParseDate FuzzParseInt FuzzFold FuzzDecodeLegacy FuzzHeaderFinder FuzzSheetXML FuzzSharedStrings FuzzODSContent FuzzXLSRecords
FUZZTIME     ?= 10000x

test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	@for f in $(FUZZ_TARGETS); do \
		echo "fuzz $$f ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) ./ingest > /tmp/orgqa-fuzz.log 2>&1 \
			|| { cat /tmp/orgqa-fuzz.log; exit 1; }; \
	done

# bench: one table, every step in its own process on a cached province-scale data
# set (SCALE=national on request), then the Go benchmarks of the hot paths
# (benchstat-comparable: go test -bench ... -count 10 > old.txt; benchstat old.txt new.txt).
# REPEAT=3 runs every step three rounds, one after the other, and adds a table
# of each step's median (on a noisy machine one round's ratios move by a third).
SCALE ?= province
STEPS ?=
REPEAT ?= 1
bench: build
	$(GO) run ./internal/benchtable -orgqa $(BIN) -scale $(SCALE) -steps "$(STEPS)" -repeat $(REPEAT) -markdown bench-$(SCALE).md
	$(GO) test -run '^$$' -bench 'Parse|Header|Fold|Append|Transform|ExcelizeFloor|FastReader|StepCommit' -benchmem ./ingest ./cmd/orgqa ./internal/warehouse

# every Go benchmark, on the demo data set
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# ingest at province scale (120 workbooks, about 600.000 rows) against excelize
# alone; each benchmark in its own process so peak memory is its own
bench-province:
	for b in 'ExcelizeFloor' 'Load/xlsx' 'Load/csv' 'Load/xlsx-streamed'; do \
		ORGQA_BENCH_SCALE=province $(GO) test -run '^$$' -bench "^Benchmark$$b$$" -benchtime 1x -benchmem ./ingest | grep Benchmark; \
	done

clean:
	rm -rf bin $(DEMO)
