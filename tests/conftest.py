"""Suite-wide settings.

Hypothesis's per-example deadline is a timing assertion; the project keeps speed in benchmarks,
never in unit tests, so it is switched off for every property test (examples still run in full).
"""

import os

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
