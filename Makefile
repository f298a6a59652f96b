# Shortcuts only: every target is one or two commands you could type yourself.
# `make help` lists them.

SWIFT        ?= swift
SWIFTC       ?= swiftc
SWIFTC       ?= swiftc
# CI builds with warnings as errors (STYLE.md, Tooling).
ifeq ($(CI),true)
WERROR       := -Xswiftc -warnings-as-errors
endif
RELEASE_PATH := .build-release
SLUICE_DEBUG   = .build/debug/sluice
SLUICE_RELEASE = $(RELEASE_PATH)/release/sluice

.PHONY: help build release test bench bench-deps bench-limiter bench-spool bench-e2e run clean fuzz fuzz-http

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

build: ## Debug build of everything (sluice, tests' helpers)
	$(SWIFT) build $(WERROR)

release: ## Optimised build of sluice, for benchmarks and deployment
	$(SWIFT) build -c release --scratch-path $(RELEASE_PATH) --product sluice $(WERROR)

test: ## Build and run every test (unit, multi-process, end to end) and a short fuzz run
	$(SWIFT) build --build-tests $(WERROR)
	# A short fuzz run of every parser exposed to the network (before the tests,
	# so the test runner's summary is the last thing printed).
	$(MAKE) fuzz FUZZ_SECONDS=30
	# Serially: many tests time real processes and sockets, and run in parallel
	# on 2 cores they starve each other's cooperative threads.
	$(SWIFT) test --skip-build --no-parallel

# The side-by-side's contenders live in a venv of their own, pinned, outside the product.
BENCH_VENV := .build-bench/venv

bench: release bench-deps ## Every benchmark in release + Celery/Dramatiq side by side → bench/REPORT.md and SVG charts
	scripts/bench-report.sh $(SLUICE_RELEASE) $(BENCH_VENV)/bin/python

bench-deps: ## Install what the side-by-side needs, when missing: redis-server (apt), Celery and Dramatiq (a venv)
	command -v redis-server >/dev/null || (apt-get update && apt-get install -y --no-install-recommends redis-server)
	test -x $(BENCH_VENV)/bin/celery -a -x $(BENCH_VENV)/bin/dramatiq || (python3 -m venv $(BENCH_VENV) \
		&& $(BENCH_VENV)/bin/pip install --quiet "celery[redis]==5.7.0" "dramatiq[redis]==2.2.1")

bench-limiter: release ## Limiter ops/s and pacing across 1..16 processes
	scripts/bench-limiter.sh $(SLUICE_RELEASE)

bench-spool: release ## Spool durable enqueue and claim throughput
	$(SLUICE_RELEASE) bench spool

bench-e2e: release ## Fleet drain vs theoretical against the sandbox; HTTP executor req/s
	$(SLUICE_RELEASE) bench e2e --runs 3

run: release ## Start the sandbox and the fleet, enqueue a demo batch, show it drain (Ctrl-C stops)
	scripts/run-demo.sh $(SLUICE_RELEASE)

# The parser's pure sources: the fuzz target is built from them alone, outside SwiftPM.
FUZZ_PATH          := .build/fuzz
FUZZ_SECONDS       ?= 60
HTTP_PARSER_SOURCES := $(addprefix Sources/SluiceHTTP/,HTTPRequestParser.swift HTTPHeadParser.swift HTTPRequest.swift \
	HTTPHeaders.swift HTTPStatus.swift HTTPLimits.swift FormURLEncoded.swift)

fuzz: fuzz-http ## Run every fuzzer for FUZZ_SECONDS each (default 60)

fuzz-http: ## Fuzz the HTTP request parser with libFuzzer for FUZZ_SECONDS (default 60)
	mkdir -p $(FUZZ_PATH)/corpus-http
	$(SWIFTC) -sanitize=fuzzer -parse-as-library -O -module-name SluiceHTTPFuzz \
		Fuzz/HTTPRequestParserFuzz.swift $(HTTP_PARSER_SOURCES) -o $(FUZZ_PATH)/http-request-parser
	SWIFT_BACKTRACE=enable=no $(FUZZ_PATH)/http-request-parser -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		-artifact_prefix=$(FUZZ_PATH)/ $(FUZZ_PATH)/corpus-http Fuzz/corpus/http

clean: ## Remove build products
	rm -rf .build $(RELEASE_PATH)
