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

.PHONY: demo test test-long env browser lock bench lint clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

env: $(UV)
	$(UV) sync --frozen --all-extras --compile-bytecode
	.venv/bin/python -m compileall -q src

demo: env
	$(RUN) cartrial demo --out $(DEMO_DIR)

# Browser tests drive Debian's chromium (Playwright never downloads a browser here), the PDF
# tests read the PDF back with poppler-utils' pdftotext; install both when missing and we may
# (root with apt), otherwise those tests are skipped and say so.
browser:
	@{ command -v chromium >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null) \
	      || echo "chromium / poppler-utils could not be installed: browser and PDF tests will be skipped"; \
	  else echo "chromium or pdftotext not found: browser and PDF tests will be skipped"; fi; }

test: env browser
	$(RUN) pytest -q -n 2

# the full scenario x seed grids (tests marked `long`), outside the 20-minute `make test`
test-long: env browser
	CARTRIAL_LONG_TESTS=1 $(RUN) pytest -q -n 2

bench: env
	$(RUN) python benchmarks/run_all.py

lint: env
	$(RUN) ruff check src tests

lock: $(UV)
	$(UV) lock

clean:
	rm -rf build .venv .tools .pytest_cache
