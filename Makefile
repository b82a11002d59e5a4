# Two entry points for a fresh machine with only Python 3.11 and the package registries.
#   make demo  -> .venv with the package, runs scenarios/baseline.yaml into reports/baseline/
#                 and writes its forecast report reports/baseline.html (+ .xlsx)
#   make test  -> .venv with dev extras, ruff, the layer contracts (lint-imports), the docs site
#                 (mkdocs --strict), the whole test suite
#   make facts -> the full stylized-facts run into docs/facts/ (table and figure of docs/facts.md)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint docs bench facts clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/lab run scenarios/baseline.yaml --out reports/baseline
	$(BIN)/lab report scenarios/baseline.yaml --seeds 5 --out reports/baseline.html

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check lab tests benchmarks notebooks
	$(BIN)/ruff format --check lab tests benchmarks notebooks
	$(BIN)/lint-imports --no-cache

# The documentation site, built into the venv (a folder this Makefile owns) with
# warnings as errors: a broken link or a page missing from the nav fails.
docs: $(VENV)/.installed-dev
	NO_MKDOCS_2_WARNING=1 \
	$(BIN)/mkdocs build --strict --quiet --site-dir $(VENV)/docs-site
	@echo "documentation site: $(VENV)/docs-site/index.html"

# --durations=25: every CI log lists the 25 slowest tests (setup, call and teardown
# apart), so a test or fixture that grows shows up without a local profiling run.
test: lint docs
	$(BIN)/python -m pytest -q -n 2 --durations=25

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_engine.py

facts: $(VENV)/.installed
	$(BIN)/lab facts --out docs/facts --workers 2

clean:
	rm -rf $(VENV) reports/baseline .pytest_cache
