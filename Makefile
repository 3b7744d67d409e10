# tierbot's one task runner; CI calls it too (.ci/run).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format typecheck bench clean help

help:
	@echo "make run    install into .venv, load the demo workspace if the store is empty, start the chat"
	@echo "            (or the Slack bot once Slack tokens are set)"
	@echo "make test   install into .venv and run the whole test suite"
	@echo "make lint   ruff lint and format check, mypy on engine/workflows/store"
	@echo "make bench  run the benchmarks in bench/ against their peers"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tierbot needs Python 3.11 or newer: run make with PYTHON=python3.11")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tierbot demo --if-empty
	$(BIN)/tierbot start

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
