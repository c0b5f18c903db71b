"""Suite-wide settings.

Hypothesis's per-example deadline is a timing assertion; the project keeps speed in benchmarks,
never in unit tests, so it is switched off for every property test (examples still run in full).
"""

from hypothesis import settings

settings.register_profile("cartrial", deadline=None)
settings.load_profile("cartrial")
