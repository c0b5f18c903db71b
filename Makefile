# Two commands on a fresh machine with only Python 3.11 and pip:
#   make demo   - the main job on the bundled CT071 example
#   make test   - the test suite
# uv is installed from PyPI into .tools/ when it is not on PATH; dependencies come from uv.lock.

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_PYTHON_DOWNLOADS := never
RUN := $(UV) run --frozen --all-extras
DEMO_DIR ?= build/demo

.PHONY: demo test env lock bench lint clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

env: $(UV)
	$(UV) sync --frozen --all-extras

demo: env
	$(RUN) cartrial demo --out $(DEMO_DIR)

test: env
	$(RUN) pytest -q -n 2

bench: env
	$(RUN) python benchmarks/run_all.py

lint: env
	$(RUN) ruff check src tests

lock: $(UV)
	$(UV) lock

clean:
	rm -rf build .venv .tools .pytest_cache
