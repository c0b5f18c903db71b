"""Suite-wide settings.

Hypothesis's per-example deadline is a timing assertion; the project keeps speed in benchmarks,
never in unit tests, so it is switched off for every property test (examples still run in full).
Browser tests (marker ``browser``) skip on a developer machine without chromium, but FAIL in CI
(environment ``CI=true``): there they must run.
"""

import importlib.util
import os
import shutil

import pytest
from hypothesis import settings

settings.register_profile("cartrial", deadline=None)
settings.load_profile("cartrial")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``long`` (the full scenario x seed grids) run only when asked for, so that
    ``make test`` stays within its time budget on 2 cores; ``make test-long`` runs them."""
    if os.environ.get("CARTRIAL_LONG_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="long test: opt in with CARTRIAL_LONG_TESTS=1 (make test-long)")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)


def browser_missing() -> str | None:
    """What keeps the browser tests from running here (None: nothing)."""
    if shutil.which("chromium") is None:
        return "Debian chromium is not on PATH"
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """In CI a browser test without its browser is a failure, not a skip."""
    if "browser" not in item.keywords or os.environ.get("CI", "").lower() != "true":
        return
    missing = browser_missing()
    if missing:
        pytest.fail(f"CI=true but {missing}: the browser tests must run in CI (make browser)",
                    pytrace=False)
