# One-command entry points. Each target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test lint demo run backfill status bench bench-quick clean

# Re-installs only when pyproject.toml changed (the stamp is newer otherwise).
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check sources pipelines sandbox bench deploy tests

demo: $(STAMP)
	$(PY) -m pipelines demo $(ARGS)

run: $(STAMP)
	$(PY) -m pipelines run $(ARGS)

backfill: $(STAMP)
	$(PY) -m pipelines backfill $(ARGS)

status: $(STAMP)
	$(PY) -m pipelines status $(ARGS)

bench: $(STAMP)
	$(PY) -m bench $(ARGS)

bench-quick: $(STAMP)
	$(PY) -m bench --quick $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info demo.duckdb
