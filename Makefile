# Quickstart: `make run` (the suite with demo data) and `make test` (everything CI runs).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: install run test unit lint bench bench-memory bench-traffic clean

$(BIN)/smartcity: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,dev]'
	touch $@

install: $(BIN)/smartcity

run: install  ## start all services + gateway with the embedded defaults and demo data
	$(BIN)/smartcity up --demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

unit: install  ## tests that need no broker or database
	$(BIN)/pytest tests/unit

test: lint  ## unit + integration + e2e (needs RabbitMQ and PostgreSQL, or a Docker engine)
	$(BIN)/python tests/run_parallel.py

$(VENV)/.bench-extra: pyproject.toml $(BIN)/smartcity
	$(BIN)/pip install -q -e '.[test,dev,bench]'
	touch $@

bench: install $(VENV)/.bench-extra  ## load benchmark at fixed concurrency: var/bench/<time>.json and .png
	$(BIN)/python -m bench

bench-memory: install $(VENV)/.bench-extra  ## idle RSS of every process, and what its imports cost
	$(BIN)/python -m bench.memory --json var/bench/memory.json

bench-traffic: install  ## arrivals and import at 1x and 100x Cairns (minutes: it imports 3.8M stop times)
	$(BIN)/python -m bench.traffic_scale

clean:
	rm -rf $(VENV) var .pytest_cache
