# vsis: `make run` serves the demo, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: help venv install migrate demo run worker test test-fast lint typecheck check bench clean

help:
	@echo "make run    - install, migrate, load the demo data once, serve it with a worker"
	@echo "make test   - every test (SQLite by default; DATABASE_URL picks PostgreSQL)"
	@echo "make check  - ruff and mypy"
	@echo "make bench  - the national-scale benchmark (see README 效能)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/vsis migrate --noinput

demo: migrate
	$(BIN)/vsis seed --scale demo --if-empty

run: demo
	@$(BIN)/vsis demo_info --host $(HOST) --port $(PORT)
	@trap 'kill 0' EXIT INT TERM; \
	$(BIN)/vsis worker --queue-name '*' --no-reload --interval 0.5 & \
	$(BIN)/vsis runserver $(HOST):$(PORT) --noreload

worker: $(STAMP)
	$(BIN)/vsis worker --queue-name '*'

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck

bench: $(STAMP)
	$(BIN)/vsis bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
