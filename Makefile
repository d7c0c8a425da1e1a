# The habits: `make run`, `make test`, `make lint`, `make i18n`, `make bench`.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: setup run test lint format i18n migrate bench

setup: $(VENV)/.installed

# Installs exactly the versions the tests passed with (requirements.lock).
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c requirements.lock -e '.[dev]'
	touch $@

run: setup
	$(PY) -m bot run

test: setup
	$(PY) -m pytest -n auto --maxprocesses 4 --dist loadgroup

lint: setup
	$(PY) -m ruff check bot emulator tests bench migrations/env.py
	$(VENV)/bin/lint-imports

format: setup
	$(PY) -m ruff format bot emulator tests bench

i18n: setup
	$(PY) -m bot i18n

migrate: setup
	$(PY) -m bot db upgrade

# Benchmarks against baselines measured side by side (bench/; not part of the tests).
bench: setup
	$(PY) -m pip install -q -c requirements.lock -e '.[bench]'
	$(PY) -m bench
