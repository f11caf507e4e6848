# The README's two commands are `make demo` and `make test`; `make help` lists everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider
# Built lakeFS binaries are cached here (ignored by git) and reused while the pin is unchanged.
export LAKEFS_CACHE_DIR := $(CURDIR)/.cache

.DEFAULT_GOAL := help
.PHONY: help setup server server-module test test-live record lint demo examples generate check-generated bench clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

setup: $(STAMP) ## Create .venv with the SDK and every tool (idempotent; fast when nothing changed)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python >= 3.10 is needed; set PYTHON=/path/to/python3.x")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

server: setup ## Run a local lakeFS in the foreground (S3=1 for the moto-backed configuration)
	$(BIN)/python -m lakefs.testing $(if $(S3),s3,local)

server-module: setup ## Rewrite the wrapper Go module (lakefs/testing/gomod) from the lakefs-sdk pin
	$(BIN)/python -m lakefs.testing module

test: setup ## Run the tests offline, from cassettes (no server, no Go, network blocked)
	$(PYTEST) --lakefs-mode=replay $(ARGS)

test-live: setup ## Run the same tests against freshly started real servers (builds lakeFS if needed)
	$(PYTEST) --lakefs-mode=live $(ARGS)

record: setup ## Re-record cassettes from real servers (ARGS='-k name' to record some)
	$(PYTEST) --lakefs-mode=record $(ARGS)

lint: setup ## ruff (lint and format) and mypy --strict
	$(BIN)/ruff check src tests examples codegen $(wildcard bench/*.py)
	$(BIN)/ruff format --check src tests examples codegen $(wildcard bench/*.py)
	$(BIN)/mypy

demo: setup ## Run the quickstart (against LAKECTL_* if set, else a local lakeFS started for it)
ifdef LAKECTL_SERVER_ENDPOINT_URL
	$(BIN)/python examples/quickstart.py
else
	$(BIN)/python -m lakefs.testing exec -- $(BIN)/python examples/quickstart.py
endif

examples: setup ## Run every example (quickstart, imports, transactions) against a fresh local lakeFS
	$(BIN)/python -m lakefs.testing exec -- sh -c '$(BIN)/python examples/quickstart.py && $(BIN)/python examples/imports.py && $(BIN)/python examples/transactions.py'

generate: setup ## Regenerate src/lakefs/_generated from the OpenAPI spec and codegen/mapping.yaml
	$(BIN)/python -m codegen $(ARGS)

check-generated: setup ## Fail if src/lakefs/_generated differs from a fresh generation
	$(BIN)/python -m codegen --check

OFFICIAL := .cache/bench-official
$(OFFICIAL)/.installed:
	$(PYTHON) -m venv $(OFFICIAL)
	$(OFFICIAL)/bin/python -m pip install -q 'lakefs==0.16.0' 'lakefs-sdk==1.86.0'
	touch $@

bench: setup $(OFFICIAL)/.installed ## Benchmark against the official lakefs package and raw HTTP (ARGS=--help)
	$(BIN)/python bench/run.py $(ARGS)

clean: ## Remove the virtual environment and the server cache
	rm -rf $(VENV) .cache
