# Two commands matter: `make demo` and `make test`. Each installs what it needs.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Debian packages some tests drive: Chromium (dashboard in a real browser), Prometheus and
# promtool (alert rules, `agora stack`), HAProxy (`agora stack`), redis-server (the fault tests
# and bench-chaos start their own Redis to kill), wrk (bench-serving's load; bench.loadgen, in
# Python, where it is missing).
SYSTEM_TOOLS := /usr/bin/chromium /usr/bin/promtool /usr/bin/prometheus /usr/sbin/haproxy \
	/usr/bin/redis-server /usr/bin/wrk

.PHONY: system-deps install demo stack test lint typecheck check bench bench-simulator bench-stream bench-derived bench-serving bench-models bench-core bench-scale bench-chaos clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,stack]'
	touch $(STAMP)

install: $(STAMP)

# Installs the Debian packages when root and missing; elsewhere the tests that need them skip
# with the reason (and fail under CI=true).
system-deps:
	@missing=""; for t in $(SYSTEM_TOOLS); do test -x $$t || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium, prometheus, haproxy, redis-server and wrk (for$$missing)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends chromium prometheus haproxy redis-server wrk >/dev/null; \
	  pkill -x prometheus || true; \
	elif [ -n "$$missing" ]; then echo "missing$$missing: the tests that need them will skip"; fi

demo: $(STAMP)
	$(BIN)/agora demo

# The production topology as processes: needs haproxy and prometheus (system-deps).
stack: $(STAMP) system-deps
	$(BIN)/agora stack

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q tests/unit tests/integration tests/e2e

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy .

check: lint typecheck test

bench-simulator: $(STAMP)
	$(BIN)/python -m bench.simulator

bench-stream: $(STAMP)
	$(BIN)/python -m bench.stream

bench-derived: $(STAMP)
	$(BIN)/python -m bench.derived

bench-serving: $(STAMP) system-deps
	$(BIN)/python -m bench.serving

bench-models: $(STAMP)
	$(BIN)/python -m bench.models

bench-core: $(STAMP)
	$(BIN)/python -m bench.core

# Cost curves on generated traffic, the small grid (~16 min); `--points full` for the rest.
bench-scale: $(STAMP)
	$(BIN)/python -m bench.scale

# A real worker under poison, Redis and worker kill -9, a frozen and a replaced broker (~90 s).
bench-chaos: $(STAMP) system-deps
	$(BIN)/python -m bench.chaos

bench: bench-simulator bench-stream bench-derived bench-serving bench-models bench-core bench-chaos

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
