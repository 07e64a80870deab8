# Two commands matter: `make demo` and `make test`. Each installs what it needs.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck check bench bench-simulator bench-stream bench-serving bench-models bench-core clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/agora demo

test: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit tests/integration tests/e2e

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy .

check: lint typecheck test

bench-simulator: $(STAMP)
	$(BIN)/python -m bench.simulator

bench-stream: $(STAMP)
	$(BIN)/python -m bench.stream

bench-serving: $(STAMP)
	$(BIN)/python -m bench.serving

bench-models: $(STAMP)
	$(BIN)/python -m bench.models

bench-core: $(STAMP)
	$(BIN)/python -m bench.core

bench: bench-simulator bench-stream bench-serving bench-models bench-core

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
