# The README's two commands are `make demo` and `make test`; `make help` lists everything.
PYTHON ?= python3
# The versions `make test-pythons` runs the offline tests on, each that is found.
PYTHONS ?= 3.10 3.11 3.12 3.13
# find_python NAME prints what runs NAME: the command itself when it runs, else for a
# pythonX.Y the newest pyenv install of X.Y (pyenv's shims run only the selected versions).
FIND_PYTHON = find_python() { \
	if "$$1" -c '' 2>/dev/null; then command -v "$$1"; return; fi; \
	case "$$1" in python3.*) v=$$(echo "$$1" | cut -c7-); \
	  ls -d "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/"$$v".*/bin/"$$1" 2>/dev/null \
	  | grep -E "/versions/$$v\.[0-9]+/bin/" | sort -V | tail -n 1;; esac; }; find_python
python_version = $(shell $(1) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
# The virtual environment is .venv. A PYTHON given (`PYTHON=python3.10 make test`) of another
# version than an existing .venv gets its own, .venv-X.Y; VENV=dir names one explicitly.
ifeq ($(origin PYTHON),file)
VENV ?= .venv
else
override PYTHON := $(or $(shell $(FIND_PYTHON) '$(PYTHON)'),$(PYTHON))
PY_VERSION   := $(call python_version,$(PYTHON))
HOME_VERSION := $(call python_version,.venv/bin/python)
VENV ?= $(if $(and $(PY_VERSION),$(wildcard .venv)),$(if $(filter $(PY_VERSION),$(HOME_VERSION)),.venv,.venv-$(PY_VERSION)),.venv)
VENV_VERSION := $(call python_version,$(VENV)/bin/python)
endif
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# What an install of the package reads: its metadata's version is src/lakefs/_version.py's.
INSTALLED_FROM := pyproject.toml src/lakefs/_version.py
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider
# Built lakeFS binaries are cached here (ignored by git) and reused while the pin is unchanged.
export LAKEFS_CACHE_DIR := $(CURDIR)/.cache

.DEFAULT_GOAL := help
.PHONY: help setup check-python server server-module test test-pythons test-sdk-range field-tools test-live test-tls record lint demo examples generate check-generated bench bench-instructions clean wheel-check docs docs-serve docs-check

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

setup: $(STAMP) ## Create .venv with the SDK and every tool (idempotent; fast when nothing changed)

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null \
	  || { echo 'Python >= 3.10 is needed, PYTHON=$(PYTHON) is not one; set PYTHON=/path/to/python3.x' >&2; exit 1; }
ifneq ($(origin PYTHON),file)
	@test ! -e '$(VENV)' || test '$(VENV_VERSION)' = '$(PY_VERSION)' \
	  || { echo '$(VENV) is not a venv of Python $(PY_VERSION) like PYTHON=$(PYTHON): name another VENV= or remove $(VENV)' >&2; exit 1; }
endif

$(STAMP): $(INSTALLED_FROM) | check-python
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --no-compile -e . --group dev
	touch $@

# The documentation site's tools (mkdocs, mkdocs-material, mkdocstrings, mkdocs-jupyter; nbclient
# and ipykernel, which run the tutorial notebook), the docs group, installed over the dev group's
# venv as `make setup` installs that one; reinstalled when pyproject.toml changes.
DOCS_STAMP := $(VENV)/.installed-docs
$(DOCS_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install -q --no-compile --group docs
	touch $@

docs: $(DOCS_STAMP) ## Build the documentation site into site/ (mkdocs --strict: no warning, no broken link)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# Not mkdocs' default 8000: that is where `make server` runs lakeFS.
DOCS_ADDR ?= 127.0.0.1:8001
docs-serve: $(DOCS_STAMP) ## Serve the documentation site at http://127.0.0.1:8001, rebuilt on each change (DOCS_ADDR=host:port)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --strict --dev-addr $(DOCS_ADDR)

# After `make docs`: the tutorial notebook executed on a kernel against a real lakeFS (the docs
# group's nbclient; LAKEFS_DOCS_CHECK=1 makes a missing module a failure, not a skip), then the
# built site in headless Chromium (Debian's package, installed with apt-get when missing):
# pages render, search works, no link is broken; screenshots in .cache/site-screenshots/.
docs-check: docs ## Run the tutorial notebook against a real lakeFS and check the built site in headless Chromium (links, search, screenshots)
	LAKEFS_DOCS_CHECK=1 $(PYTEST) -q --lakefs-mode=live tests/test_docs.py -k notebook
	$(BIN)/python tests/site_check.py

server: setup ## Run a local lakeFS in the foreground (S3=1: S3 store on gofakes3; TLS=1: https, prints the ssl_ca_cert; PORT=N)
	$(BIN)/python -m lakefs.testing $(if $(S3),s3,local) $(if $(TLS),--tls) $(if $(PORT),--port $(PORT))

server-module: setup ## Rewrite the wrapper Go module (lakefs/testing/gomod) for the pinned lakeFS version
	$(BIN)/python -m lakefs.testing module

test: setup ## Run the tests offline, from cassettes (no server, no Go, network blocked)
	$(PYTEST) --lakefs-mode=replay $(ARGS)

test-pythons: ## Run the offline tests on each Python 3.10-3.13 found (PYTHONS=...), a venv each
	@failed=; passed=; missing=; for v in $(PYTHONS); do \
	  py=$$($(FIND_PYTHON) python$$v); \
	  if [ -z "$$py" ]; then echo "test-pythons: no python$$v found, skipped"; missing="$$missing $$v"; continue; fi; \
	  venv=.venv-$$v; [ "$$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$$v" ] && venv=.venv; \
	  echo "test-pythons: Python $$v ($$py) in $$venv"; start=$$(date +%s); \
	  if $(MAKE) --no-print-directory test PYTHON="$$py" VENV="$$venv"; then passed="$$passed $$v"; else failed="$$failed $$v"; fi; \
	  echo "test-pythons: Python $$v: setup and tests took $$(( $$(date +%s) - start )) s"; \
	done; \
	echo "test-pythons: passed on:$${passed:- none}; failed on:$${failed:- none}; not found:$${missing:- none}"; \
	test -z "$$failed" && test -n "$$passed"

# The two ends of the lakefs-sdk range pyproject.toml accepts: the oldest, the version the SDK is
# generated from and the cassettes were recorded with (.venv's, pinned by the dev group), and the
# newest the registry serves, resolved on every run in a venv of its own (reused while its stamp is
# newer than pyproject.toml). SDK_ENDS=newest skips the oldest (CI: test-pythons has just run it).
SDK_ENDS  ?= oldest newest
SDK_VENV  := .cache/venv-sdk-newest-$(or $(call python_version,$(PYTHON)),python)
SDK_RANGE  = $(1) -c 'from importlib.metadata import requires; print(next(r for r in requires("lakefs") if r.startswith("lakefs-sdk")).replace(" ", ""))'
SDK_OLDEST = $(1) -c 'import sys; from packaging.requirements import Requirement as R; print(next(s.version for s in R(sys.argv[1]).specifier if s.operator == ">="))'
SDK_SEEN   = $(1) -c 'import lakefs_sdk; print(lakefs_sdk.__version__)'

$(SDK_VENV)/.installed: $(INSTALLED_FROM) | check-python
	test -x $(SDK_VENV)/bin/python || $(PYTHON) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/python -m pip install -q --upgrade pip
	$(SDK_VENV)/bin/python -m pip install -q --no-compile -e . --group dev
	touch $@

test-sdk-range: setup $(if $(filter newest,$(SDK_ENDS)),$(SDK_VENV)/.installed) ## Run the offline tests with the oldest and the newest lakefs-sdk allowed (SDK_ENDS=...)
	@range=$$($(call SDK_RANGE,$(BIN)/python)); oldest=$$($(call SDK_OLDEST,$(BIN)/python) "$$range"); \
	if [ -n "$(filter oldest,$(SDK_ENDS))" ]; then \
	  seen=$$($(call SDK_SEEN,$(BIN)/python)); \
	  echo "test-sdk-range: oldest end, lakefs-sdk $$seen in $(VENV) (range $$range)"; \
	  test "$$seen" = "$$oldest" || { echo "test-sdk-range: $(VENV) has lakefs-sdk $$seen, not the range's oldest $$oldest: make setup" >&2; exit 1; }; \
	  $(PYTEST) --lakefs-mode=replay -q $(ARGS) || exit 1; \
	fi; \
	if [ -n "$(filter newest,$(SDK_ENDS))" ]; then \
	  $(SDK_VENV)/bin/python -m pip install -q --no-compile --upgrade "$$range" || exit 1; \
	  seen=$$($(call SDK_SEEN,$(SDK_VENV)/bin/python)); \
	  echo "test-sdk-range: newest end, lakefs-sdk $$seen in $(SDK_VENV) (range $$range)"; \
	  $(SDK_VENV)/bin/python -m pytest -p no:cacheprovider --lakefs-mode=replay -q $(ARGS) || exit 1; \
	fi

# The field's programs the live tests start and stop: nginx (a reverse proxy at a path prefix, the
# S3 store's TLS terminator), tinyproxy and squid (forward proxies). Debian's packages, installed
# with apt-get when missing (as root, or through sudo).
FIELD_PROGRAMS := nginx:nginx-light tinyproxy:tinyproxy squid:squid
field-tools: ## Install the field's programs (nginx, tinyproxy, squid) from Debian's packages if missing
	@missing=; for entry in $(FIELD_PROGRAMS); do \
	  prog=$${entry%%:*}; pkg=$${entry#*:}; \
	  command -v $$prog >/dev/null 2>&1 || [ -x /usr/sbin/$$prog ] || missing="$$missing $$pkg"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=; elif command -v sudo >/dev/null; then sudo=sudo; \
	else echo "field-tools: install$$missing (apt-get install$$missing): not root and no sudo" >&2; exit 1; fi; \
	echo "field-tools: installing$$missing"; \
	$$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $$missing

test-live: setup field-tools ## Run the same tests against freshly started real servers (builds lakeFS if needed)
	$(PYTEST) --lakefs-mode=live $(ARGS)

test-tls: setup field-tools ## Run the live tests with lakeFS and its S3 store over https (CAs made for the run)
	$(PYTEST) --lakefs-mode=live --lakefs-tls $(ARGS)

record: setup field-tools ## Re-record cassettes from real servers (ARGS='-k name' to record some)
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

WHEEL_VENV := .cache/wheel-venv
wheel-check: setup ## Build the wheel, install it alone in a venv, and use lakefs:// there (no import)
	rm -rf .cache/dist $(WHEEL_VENV)
	$(BIN)/python -m pip wheel -q --no-deps -w .cache/dist .
	$(BIN)/python -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/python -m pip install -q .cache/dist/lakefs-*.whl
	$(BIN)/python -m lakefs.testing exec -- $(WHEEL_VENV)/bin/python examples/lakefs_urls.py

generate: setup ## Regenerate src/lakefs/_generated from the OpenAPI spec and codegen/mapping.yaml
	$(BIN)/python -m codegen $(ARGS)

check-generated: setup ## Fail if src/lakefs/_generated differs from a fresh generation
	$(BIN)/python -m codegen --check

OFFICIAL := .cache/bench-official
$(OFFICIAL)/.installed:
	$(PYTHON) -m venv $(OFFICIAL)
	$(OFFICIAL)/bin/python -m pip install -q 'lakefs==0.16.0' 'lakefs-sdk==1.86.0'
	touch $@

# lakefs-spec pulls the official lakefs package (our import name): a venv of its own, pinned to
# what works with the lakeFS server we run, and pandas/pyarrow as in .venv for read_parquet.
LAKEFS_SPEC := .cache/bench-lakefs-spec
$(LAKEFS_SPEC)/.installed:
	$(PYTHON) -m venv $(LAKEFS_SPEC)
	$(LAKEFS_SPEC)/bin/python -m pip install -q 'lakefs-spec==0.15.1' 'lakefs==0.16.0' \
	  'lakefs-sdk==1.86.0' 'fsspec==2026.9.0' \
	  'pandas==3.1.1; python_version >= "3.11"' 'pandas==2.3.3; python_version < "3.11"' \
	  'pyarrow==26.0.1; python_version >= "3.11"' 'pyarrow==25.0.1; python_version < "3.11"'
	touch $@

bench: setup $(OFFICIAL)/.installed $(LAKEFS_SPEC)/.installed ## Benchmark against the official lakefs package, lakefs-spec and raw HTTP (ARGS=--help)
	$(BIN)/python bench/run.py $(ARGS)

bench-instructions: setup ## Instructions one small call costs, this SDK and raw urllib3 (valgrind)
	$(BIN)/python bench/instructions.py

clean: ## Remove the virtual environments (.venv, .venv-3.*) and the server cache
	rm -rf $(sort $(VENV) .venv) .venv-3.* .cache
