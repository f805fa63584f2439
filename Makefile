# Convenience tasks around the go tool; `go test ./...` works without them.
GO      ?= go
BIN     := bin/orgqa
DEMO    := demo
YEAR    ?= 2025

.PHONY: build demo test bench fuzz clean

build:
	$(GO) build -o $(BIN) ./cmd/orgqa

# demo: generate a demo data set and run the nightly job on it, end to end.
demo: build
	rm -rf $(DEMO)
	./$(BIN) gen --scale demo --year $(YEAR) --output $(DEMO)/input
	./$(BIN) run --input $(DEMO)/input --output $(DEMO)/out --warehouse $(DEMO)/orgqa.duckdb
	@echo
	@echo "Demo outputs:"
	@echo "  leadership workbook: $(CURDIR)/$(DEMO)/out/excel/tong-hop-tccs-$(YEAR).xlsx"
	@echo "  Parquet (analysts):  $(CURDIR)/$(DEMO)/out/parquet/"
	@echo "  warehouse (DuckDB):  $(CURDIR)/$(DEMO)/orgqa.duckdb"
	@echo "  try: ./$(BIN) query --warehouse $(DEMO)/orgqa.duckdb \"SELECT metric, value FROM mart_metrics WHERE level = 'province'\""

test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin $(DEMO)
