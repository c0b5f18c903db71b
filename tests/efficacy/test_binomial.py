"""Clopper-Pearson: Clopper & Pearson, Biometrika 1934;26:404-13, values as R binom.test, and
published checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.stats import binomtest

from cartrial.efficacy import exact_ci
from cartrial.errors import InputError


@pytest.mark.parametrize(
    ("x", "n", "lo", "hi"),
    [
        (0, 10, 0.0, 0.308497),
        (5, 10, 0.187086, 0.812914),
        (7, 20, 0.153909, 0.592189),
        (1, 3, 0.008404, 0.905701),
        (3, 12, 0.054861, 0.571858),
        (12, 15, 0.519109, 0.956688),
    ],
)
def test_reference_table(x, n, lo, hi):
    lower, upper = exact_ci(x, n)
    assert_allclose([lower, upper], [lo, hi], atol=5e-7)


def test_bb2121_published_percentages():
    # Raje et al. NEJM 2019 table 3: 1/3 (1-91), 6/8 (35-97), 27/30 (74-98), 28/33 (68-95)
    lo, hi = exact_ci(np.array([1, 6, 27, 28]), np.array([3, 8, 30, 33]))
    # 27/30: exact lower is 73.47%, printed as 74 in the paper, so compare within half a point
    assert np.all(np.abs(lo * 100 - [1, 35, 74, 68]) < 0.55)
    assert np.all(np.abs(hi * 100 - [91, 97, 98, 95]) < 0.55)


def test_all_successes_and_empty():
    lo, hi = exact_ci(4, 4)
    assert hi == 1.0 and 0 < lo < 1
    lo, hi = exact_ci(0, 0)
    assert np.isnan(lo) and np.isnan(hi)
    with pytest.raises(InputError):
        exact_ci(5, 4)


@given(st.integers(1, 200).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_contains_estimate_and_matches_scipy(xn):
    x, n = xn
    lo, hi = exact_ci(x, n, confidence_level=0.9)
    assert lo <= x / n <= hi
    ref = binomtest(x, n).proportion_ci(confidence_level=0.9, method="exact")
    assert_allclose([lo, hi], [ref.low, ref.high], atol=1e-9)


def test_closed_form_quantile_equals_scipy_stats_beta_ppf_bit_for_bit():
    """exact_ci uses scipy.special.betaincinv (no scipy.stats import at start-up); it must equal
    the scipy.stats.beta.ppf Clopper-Pearson limits exactly (regression test of that swap)."""
    import numpy as np
    from scipy.stats import beta

    from cartrial.efficacy.binomial import exact_ci

    n = np.arange(1, 301)
    xx, nn = np.meshgrid(np.arange(0, 301), n)
    keep = xx <= nn
    x, n = xx[keep].astype(float), nn[keep].astype(float)
    for level in (0.8, 0.9, 0.95, 0.99):
        a = 1 - level
        lo, hi = exact_ci(x, n, level)
        with np.errstate(all="ignore"):
            want_lo = np.where(x == 0, 0.0, beta.ppf(a / 2, x, n - x + 1))
            want_hi = np.where(x == n, 1.0, beta.ppf(1 - a / 2, x + 1, n - x))
        assert np.array_equal(lo, want_lo) and np.array_equal(hi, want_hi)
