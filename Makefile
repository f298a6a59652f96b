# Shortcuts only: every target is one or two commands you could type yourself.
# `make help` lists them.

SWIFT        ?= swift
SWIFTC       ?= swiftc
# CI builds with warnings as errors (STYLE.md, Tooling).
ifeq ($(CI),true)
WERROR       := -Xswiftc -warnings-as-errors
endif
RELEASE_PATH := .build-release
SLUICE_DEBUG   = .build/debug/sluice
SLUICE_RELEASE = $(RELEASE_PATH)/release/sluice

.PHONY: help build release test bench bench-limiter bench-spool run clean fuzz-http

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

build: ## Debug build of everything (sluice, tests' helpers)
	$(SWIFT) build $(WERROR)

release: ## Optimised build of sluice, for benchmarks and deployment
	$(SWIFT) build -c release --scratch-path $(RELEASE_PATH) --product sluice $(WERROR)

test: ## Build and run every test (unit and multi-process)
	$(SWIFT) build --build-tests $(WERROR)
	# Serially: many tests time real processes and sockets, and run in parallel
	# on 2 cores they starve each other's cooperative threads.
	$(SWIFT) test --skip-build --no-parallel

bench: bench-limiter bench-spool ## Run every benchmark (release build)

bench-limiter: release ## Limiter ops/s and pacing across 1..16 processes
	scripts/bench-limiter.sh $(SLUICE_RELEASE)

bench-spool: release ## Spool durable enqueue and claim throughput
	$(SLUICE_RELEASE) bench spool

run: release ## Start the sandbox and the fleet, enqueue a demo batch, show it drain (Ctrl-C stops)
	scripts/run-demo.sh $(SLUICE_RELEASE)

clean: ## Remove build products
	rm -rf .build $(RELEASE_PATH)
