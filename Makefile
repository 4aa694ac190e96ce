# credstage — the two commands README.md promises are `make demo` and
# `make test`; everything else here supports them.

SHELL         := /usr/bin/env bash
GO            ?= go
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2
WORKFLOWCHECK := go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0
TEST_TIMEOUT  ?= 45m
FUZZ_TIME     ?= 10s
# Two modules: credstage itself, and client/, what applications import
# (kept apart so that they do not pull in Temporal).
MODULES       := . client

.PHONY: all build tools postgres mariadb dev-server localaws worker demo test lint fmt-check vet staticcheck workflowcheck fuzz unit bench soak conformance clean

all: build

build:
	$(GO) build ./...

## tools: build the pinned Temporal CLI into bin/temporal (once)
tools:
	@scripts/build-tools.sh

## postgres: install Debian's PostgreSQL when initdb/pg_ctl are missing
postgres:
	@echo "PostgreSQL binaries: $$(scripts/install-postgres.sh)"

## mariadb: install Debian's MariaDB (mariadb-server) when mariadbd is missing
mariadb:
	@echo "MariaDB binaries: $$(scripts/install-mariadb.sh)"

## dev-server: Temporal dev server + Web UI on 7233/8233 (foreground)
dev-server: tools
	scripts/dev-server.sh

## localaws: the AWS emulator on 127.0.0.1:4566 (foreground)
localaws: postgres mariadb
	$(GO) run ./cmd/localaws

## worker: the credstage worker against TEMPORAL_ADDRESS (foreground)
worker:
	$(GO) run ./worker

## demo: the main job end to end on the local stack
demo: postgres mariadb tools
	@scripts/demo.sh

## test: every check and every test; non-zero on any failure
test: postgres mariadb tools lint unit fuzz

unit:
	@for m in $(MODULES); do (cd $$m && $(GO) test -race -timeout $(TEST_TIMEOUT) ./...) || exit 1; done

lint: fmt-check vet staticcheck workflowcheck

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [[ -n "$$out" ]]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	@for m in $(MODULES); do (cd $$m && $(GO) vet ./...) || exit 1; done

staticcheck:
	@for m in $(MODULES); do (cd $$m && $(GO) run $(STATICCHECK) ./...) || exit 1; done

workflowcheck:
	$(GO) run $(WORKFLOWCHECK) ./workflows/...

## fuzz: a bounded run of the localaws request-decoder fuzzer
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzRequestDecoding$$' -fuzztime $(FUZZ_TIME) ./localaws/

## soak: the fault tests' long variants (50 rotations under SIGKILL, ...);
## CREDSTAGE_FAULT_SEED replays a seed, CREDSTAGE_FAULT_REPORT=<file> collects the figures
soak: postgres mariadb tools
	set -o pipefail; CREDSTAGE_SOAK=1 $(GO) test -race -count=1 -timeout 60m -run 'TestFaults|TestBadInput|TestCodec' -v ./tests/ | grep -E '^(---|ok|FAIL)|FAULT REPORT|fault seed'

## conformance: localaws against moto_server, the same calls through the SDK
## clients; lists each difference with its verdict, writes .data/conformance.txt;
## non-zero on a difference nobody has judged (CONFORMANCE_RUN=<regexp> picks cases)
conformance: postgres mariadb
	$(GO) test -tags conformance -count=1 ./tests/conformance
	$(GO) run -tags conformance ./tests/conformance -report .data/conformance.txt $(if $(CONFORMANCE_RUN),-run '$(CONFORMANCE_RUN)')

## bench: benchmarks on the local stack; prints a table, writes bench-results.json
bench: postgres mariadb tools
	@scripts/bench.sh

clean:
	rm -rf .data bench-results.json
