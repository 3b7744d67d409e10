# tierbot's one task runner; CI calls it too (.ci/run).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-future lint format typecheck bench clean help upgrade-pins

help:
	@echo "make run    install into .venv, load the demo workspace if the store is empty, start the chat"
	@echo "            (or the Slack bot once Slack tokens are set)"
	@echo "make test   install into .venv and run the whole test suite"
	@echo "make test-future  the whole suite again with the system clock a year ahead (libfaketime)"
	@echo "make lint   ruff lint and format check, mypy on engine/workflows/store"
	@echo "make bench  run the benchmarks in bench/ against their peers"

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tierbot needs Python 3.11 or newer: run make with PYTHON=python3.11")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tierbot demo --if-empty
	$(BIN)/tierbot start

test: $(STAMP)
	$(BIN)/python -m pytest

# The whole suite with the system clock a year ahead: nothing may depend on today's date. The
# libfaketime wheel's library (Debian's 0.9.10 breaks Python 3.11's sleep); the monotonic clock
# stays real, or timed waits in threads would wait a year.
FAKETIME_LIB = $(BIN)/python -c 'import libfaketime, pathlib; print(pathlib.Path(libfaketime.__file__).parent / "vendor/libfaketime/src/libfaketime.so.1")'
test-future: $(STAMP)
	@lib=$$($(FAKETIME_LIB)); \
	ahead=$$(LD_PRELOAD=$$lib FAKETIME=+365d FAKETIME_DONT_FAKE_MONOTONIC=1 $(BIN)/python -c 'import datetime; print(datetime.date.today().year)'); \
	test "$$ahead" -gt "$$(date +%Y)" || { echo "libfaketime did not move the clock ($$lib)"; exit 1; }; \
	echo "pytest with the clock a year ahead (today is $$(LD_PRELOAD=$$lib FAKETIME=+365d date +%F) for the tests)"; \
	LD_PRELOAD=$$lib FAKETIME=+365d FAKETIME_DONT_FAKE_MONOTONIC=1 $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The benchmarks' peers (polars, DuckDB) are the bench extra, installed once beside the rest.
BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	touch $(BENCH_STAMP)

# Prints every target met or MISSED; fails only when a benchmark crashes or a peer disagrees.
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench

# Take the newest releases on purpose, then run make lint and make test before committing.
upgrade-pins:
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade -e '.[dev,bench]'
	{ sed -n '1,2p' constraints.txt; $(BIN)/python -m pip freeze --exclude-editable; } > constraints.new && mv constraints.new constraints.txt
	touch $(STAMP) $(BENCH_STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
