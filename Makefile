# The two commands of the README. Both create .venv when missing and reinstall only
# when pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.rivermap-installed

.PHONY: demo test lint typecheck pytest bench plugin clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,scale]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rivermap run data/zhejiang.toml --overwrite

lint: $(STAMP)
	$(BIN)/ruff check rivermap tests qgis_plugin $(wildcard benchmarks notebooks docs)
	$(BIN)/ruff format --check rivermap tests qgis_plugin $(wildcard benchmarks notebooks docs)

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy qgis_plugin/rivermap_qgis

pytest: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_assign.py

# The QGIS plugin as QGIS's "Install from ZIP" takes it: dist/rivermap-qgis-plugin-<version>.zip
plugin:
	$(PYTHON) qgis_plugin/package.py dist

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
