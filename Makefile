# toudai: the two commands a newcomer needs are `make run` and `make test`.
#
# Everything installs itself on first use: a virtualenv in .venv (re-installed only when
# pyproject.toml changes, tracked by a stamp file) and the pinned `buf` from npm in node_modules/.
# Needs: Python 3.11+, Node.js with npm, and for `make test` PostgreSQL (see README.md).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
BUF := node_modules/.bin/buf
LISTEN ?= 127.0.0.1:50051
PYTEST_ARGS ?=
# Parallel test workers (pytest-xdist); each worker makes its own databases. 3 on 2 cores: the tests
# wait on subprocesses, sockets and PostgreSQL often enough that a third worker still gains.
TEST_WORKERS ?= 3
# Debian's chromium, for the HTML audit report test (opened in a real headless browser), and a CJK font
# for its Chinese party names (Debian's fonts-noto-cjk: Noto Sans CJK SC, first CJK font the report names).
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
STAMP := $(VENV)/.installed-stamp
NPM_STAMP := node_modules/.installed-stamp
# buf breaking compares the proto with this git branch (no network needed: buf reads .git itself).
BREAKING_AGAINST ?= main

.PHONY: help install browser standby run test slow soak lint typecheck buf-lint buf-breaking proto check-stubs docs bench demo clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install: $(STAMP) $(NPM_STAMP) ## Create .venv and install toudai with dev extras, and buf from npm

$(STAMP): pyproject.toml
	@test -x $(PY) || { echo "creating $(VENV) with $$($(PYTHON) --version)"; $(PYTHON) -m venv $(VENV); }
	@echo "installing toudai and its dev tools into $(VENV) (quiet; errors still show)"
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@

$(NPM_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is required for buf (install Node.js 18+ with npm)" >&2; exit 1; }
	@echo "installing buf from npm (package-lock.json)"
	@npm ci --no-audit --no-fund --loglevel=error
	@test -x $(BUF)
	@touch $@

run: $(STAMP) $(NPM_STAMP) ## Serve on 127.0.0.1:50051 (SQLite in var/toudai.db; TOUDAI_DATABASE_URL overrides); buf too, for docs/api.md
	$(BIN)/toudai serve --listen $(LISTEN)

# The browser test needs Debian's chromium and fonts-noto-cjk (without a CJK font every Chinese name is
# drawn as empty boxes, and the test fails): installed here when missing (needs root and Debian's apt
# registry), otherwise the target stops and says what to install.
browser: ## Install Debian's chromium and fonts-noto-cjk for the HTML report test, if missing (apt-get; root)
	@missing=""; \
	[ -x $(CHROMIUM) ] || missing=" chromium"; \
	[ -f $(CJK_FONT) ] || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing for the HTML report test (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "make test needs$$missing for the HTML report test: run 'sudo apt-get install$$missing'" >&2; exit 1; \
	  fi; \
	fi

# A hot standby of the local PostgreSQL on 127.0.0.1:5433 (pg_basebackup, streaming replication) for the
# read-replica tests; root (edits pg_hba.conf, runs the server as postgres). .ci/run calls it.
standby: ## Make a streaming-replication hot standby of 127.0.0.1:5432 on port 5433 (idempotent; root)
	scripts/pg-standby.sh

test: install browser lint typecheck buf-lint buf-breaking check-stubs ## The fast lane: lint, types, import contract, buf, stubs, then every test but the slow ones, on parallel workers (SQLite and PostgreSQL)
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not slow" $(PYTEST_ARGS)

slow: install browser ## The slow-by-design tests (SIGKILL bank runs, fuzzer, outages, CLI walk-throughs); CI runs them after make test
	$(BIN)/pytest -n $(TEST_WORKERS) -m slow $(PYTEST_ARGS)

# The reliability tests (bank with SIGKILLs, fuzzing, outages, limits) for longer: the bank tests run
# SOAK_SECONDS each and the fuzzer tries 4 x SOAK_SECONDS requests per RPC. Figures go in docs/reliability.md.
SOAK_SECONDS ?= 300
soak: $(STAMP) ## The reliability tests for longer (SOAK_SECONDS=300: bank runs, 1,200 fuzz requests per RPC)
	TOUDAI_SOAK_SECONDS=$(SOAK_SECONDS) $(BIN)/pytest tests/reliability -s -o timeout=0 $(PYTEST_ARGS)

lint: $(STAMP) ## ruff check, ruff format --check, and the layering contract (lint-imports, .importlinter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP) ## mypy --strict over the packages listed in pyproject.toml
	$(BIN)/mypy

buf-lint: $(NPM_STAMP) ## buf lint (STANDARD) over proto/
	$(BUF) lint

# Runs against the local branch $(BREAKING_AGAINST), else origin/$(BREAKING_AGAINST); outside a git
# checkout (e.g. an unpacked tarball) there is nothing to compare with, so it says so and passes.
buf-breaking: $(NPM_STAMP) ## buf breaking against the main branch's proto
	@if git rev-parse --verify --quiet "refs/heads/$(BREAKING_AGAINST)" >/dev/null; then \
	  echo "$(BUF) breaking --against '.git#branch=$(BREAKING_AGAINST)'"; \
	  $(BUF) breaking --against ".git#branch=$(BREAKING_AGAINST)"; \
	elif git rev-parse --verify --quiet "refs/remotes/origin/$(BREAKING_AGAINST)" >/dev/null; then \
	  echo "$(BUF) breaking --against '.git#ref=origin/$(BREAKING_AGAINST)'"; \
	  $(BUF) breaking --against ".git#ref=origin/$(BREAKING_AGAINST)"; \
	else \
	  echo "buf breaking: no $(BREAKING_AGAINST) branch in this checkout; nothing to compare against"; \
	fi

proto: $(STAMP) ## Regenerate toudai/v1 from proto/ (commit the result)
	$(PY) scripts/gen_proto.py

check-stubs: $(STAMP) ## Fail if the committed toudai/v1 stubs differ from what proto/ generates
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PY) scripts/gen_proto.py "$$tmp"; \
	stale=0; \
	for f in "$$tmp"/toudai/v1/*_pb2*.py*; do \
	  rel=toudai/v1/$$(basename "$$f"); \
	  if [ ! -f "$$rel" ]; then echo "missing: $$rel" >&2; stale=1; \
	  elif ! cmp -s "$$f" "$$rel"; then echo "stale: $$rel" >&2; stale=1; fi; \
	done; \
	for f in toudai/v1/*_pb2*.py*; do \
	  [ -f "$$tmp/$$f" ] || { echo "no longer generated from proto/: $$f" >&2; stale=1; }; \
	done; \
	if [ $$stale -ne 0 ]; then \
	  echo "The generated code in toudai/v1 does not match proto/ (generator: grpcio-tools $$($(PY) -c 'import importlib.metadata as m; print(m.version("grpcio-tools"))')). Run \`make proto\` and commit the result." >&2; \
	  exit 1; \
	fi; \
	echo "toudai/v1 stubs are up to date"

docs: $(STAMP) ## Regenerate the map in docs/architecture.md from the code (a test fails when it is stale)
	$(PY) scripts/architecture_map.py --write

bench: $(STAMP) ## Every benchmark (ledger, concurrent, balances, export, valuation, month-end), then issue 20 items 1-5 MET/NOT MET; docs/performance.md
	$(PY) -m bench

demo: $(STAMP) ## A scripted CLI tour against a temporary server and database
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/demo.sh

# Never touches var/ (the local ledger database) or the installed .venv and node_modules.
clean: ## Remove caches and build output
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist
	find . -path ./.venv -prune -o -path ./node_modules -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf
