# freshet — see README.md. `make help` lists the targets.
GO        ?= go
BIN       := bin/freshet
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
export GOFLAGS ?= -mod=mod

.PHONY: help build run test check-fmt test/race test/short bench bench/peers generate lint check-generated fuzz clean

help: ## list the targets
	@grep -E '^[a-zA-Z/_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-18s %s\n", $$1, $$2}'

build: ## build bin/freshet
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/freshet

run: build ## build and serve the dashboard with the live demo on ./freshet.db (127.0.0.1:8080)
	./$(BIN) serve --addr $${FRESHET_ADDR:-127.0.0.1:8080} --db $${FRESHET_DB:-freshet.db}

test: check-generated check-fmt ## run every test (browser tests need chromium)
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

test/race: ## run the tests with the race detector
	$(GO) test -race -count=1 -timeout 30m ./...

test/short: ## quick tests only
	$(GO) test -short -count=1 ./...

bench: bench/go bench/peers ## run every benchmark and the Debian peers (XGBoost, scipy, sklearn) in one run

bench/go: ## Go benchmarks only (ingest, scan, parsers, trainer, drift, monitoring)
	$(GO) test -run='^$$' -bench=. -benchmem -count=1 -timeout 30m ./...

bench/peers: ## freshet vs XGBoost training and prediction, policy backtests, drift statistics vs scipy/numpy/sklearn
	bench/train_vs_xgb.sh
	bench/backtest/run.sh
	$(GO) test -run='^$$' -bench='BenchmarkKS1M|BenchmarkPSI50x1M' -count=1 ./ml/drift
	$(GO) test -run='^$$' -bench='BenchmarkAUC1M' -count=1 ./ml/metrics
	/usr/bin/python3 bench/drift/peers.py

generate: ## regenerate templ components
	$(GO) tool templ generate

check-fmt: ## fail if a Go file is not gofmt-formatted
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed: gofmt -w the files above" && exit 1)

check-generated: ## fail if generated templ files are stale
	@$(GO) tool templ generate >/dev/null 2>&1
	@git diff --exit-code --stat -- '*_templ.go' || (echo "generated templ files are stale: run make generate and commit" && exit 1)

lint: ## gofmt, go vet and the dependency rules
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)
	$(GO) vet ./...
	$(GO) test -run TestDependencyRules ./ml/

fuzz: ## fuzz the input parsers for 30 s each
	$(GO) test -run='^$$' -fuzz=FuzzParseCSV -fuzztime=30s ./ml/ingest
	$(GO) test -run='^$$' -fuzz=FuzzParseNDJSON -fuzztime=30s ./ml/ingest
	$(GO) test -run='^$$' -fuzz=FuzzParseJSON -fuzztime=30s ./ml/ingest
	$(GO) test -run='^$$' -fuzz=FuzzParsePolicies -fuzztime=30s ./ml/backtest

clean: ## remove build output
	rm -rf bin
