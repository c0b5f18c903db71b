"""MTD selection by isotonic regression (BOIN select.mtd; Yan F et al., J Stat Softw
2020;94(13))."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta

from cartrial.design import pava, select_mtd
from cartrial.errors import InputError


def _raw(y, n):
    return (y + 0.05) / (n + 0.1)


def _w(y, n):
    return 1 / ((y + 0.05) * (n - y + 0.05) / ((n + 0.1) ** 2 * (n + 0.1 + 1)))


def test_monotone_data_picks_closest():
    # raw: 0.05/3.1 = 0.0161, 1.05/6.1 = 0.1721, 2.05/3.1 = 0.6613; |.-0.3| smallest at dose 2
    sel = select_mtd([3, 6, 3], [0, 1, 2], 0.3)
    assert sel.mtd == 1
    assert sel.table["isotonic_estimate"].tolist() == pytest.approx(
        [0.05 / 3.1, 1.05 / 6.1, 2.05 / 3.1]
    )


def test_pava_pools_violators_with_select_mtd_weights():
    # 2/3 then 0/3: decreasing, pooled by weights 1/var (BOIN select.mtd, Yan F et al., J Stat Softw
    # 2020)
    r1, r2 = _raw(2, 3), _raw(0, 3)
    w1, w2 = _w(2, 3), _w(0, 3)
    pooled = (r1 * w1 + r2 * w2) / (w1 + w2)
    sel = select_mtd([3, 3], [2, 0], 0.3)
    assert sel.table["isotonic_estimate"].tolist() == pytest.approx([pooled, pooled])
    # tied below the target -> highest tied dose (j x 1e-10 rule)
    assert pooled < 0.3 and sel.mtd == 1


def test_tie_below_target_takes_highest():
    assert select_mtd([3, 3, 0], [0, 0, 0], 0.3).mtd == 1


def test_tie_above_target_takes_lowest():
    # 2/3 and 2/3: both 0.661 > 0.3 (2/3 is not eliminated: P = 0.916 < 0.95)
    assert select_mtd([3, 3], [2, 2], 0.3).mtd == 0


def test_eliminated_and_untried_doses_excluded():
    # 3/3 at dose 3 is eliminated (P(p > 0.3 | Beta(4,1)) = 0.992); closest among doses 1-2:
    # 0.0161 vs 1.05/3.1 = 0.3387 -> dose 2
    sel = select_mtd([3, 3, 3, 0], [0, 1, 3, 0], 0.3)
    assert sel.mtd == 1
    assert sel.table["eliminated"].tolist() == [False, False, True, True]
    # dose 2 eliminated during conduct (passed in): only dose 1 left
    assert select_mtd([3, 3, 3, 0], [0, 1, 3, 0], 0.3, eliminated=[1]).mtd == 0
    # untried doses never selected even if the estimate would be closest
    assert select_mtd([3, 0, 0], [0, 0, 0], 0.3).mtd == 0


def test_no_mtd_when_dose_1_eliminated():
    sel = select_mtd([3, 3], [3, 0], 0.3)
    assert sel.mtd is None and "dose 1" in sel.reason


def test_bound_mtd():
    # 0/3 and 2/6: raw 0.016 and 2.05/6.1 = 0.336; closest to 0.3 is dose 2, but with
    # boundMTD only estimates <= lambda_d = 0.3585 qualify (0.336 does) -> still dose 2;
    # 2/4: 2.05/4.1 = 0.5 > lambda_d -> dose 1 under boundMTD, dose 2 without (0.2 vs 0.284)
    assert select_mtd([3, 6], [0, 2], 0.3, bound_mtd=True).mtd == 1
    assert select_mtd([3, 4], [0, 2], 0.3).mtd == 1
    assert select_mtd([3, 4], [0, 2], 0.3, bound_mtd=True).mtd == 0


def test_credible_interval_and_overdose_probability():
    sel = select_mtd([3, 6], [0, 2], 0.3)
    lo, hi = beta.interval(0.95, 2.05, 4.05)
    assert sel.table.loc[1, "ci_low"] == pytest.approx(lo)
    assert sel.table.loc[1, "ci_high"] == pytest.approx(hi)
    # P(p > target) under Beta(y + 0.05, n - y + 0.05), already increasing here (no pooling)
    assert sel.table.loc[1, "p_over_target"] == pytest.approx(1 - beta.cdf(0.3, 2.05, 4.05))


def test_bad_input():
    with pytest.raises(InputError):
        select_mtd([3, 2], [0, 3], 0.3)
    with pytest.raises(InputError):
        select_mtd([3], [0], 1.3)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=1, max_size=8), st.data())
def test_pava_is_isotonic_and_mean_preserving(x, data):
    w = np.array(data.draw(st.lists(st.floats(0.1, 10), min_size=len(x), max_size=len(x))))
    fit = pava(np.array(x), w)
    assert np.all(np.diff(fit) >= -1e-9)
    assert np.dot(fit, w) == pytest.approx(np.dot(x, w), rel=1e-9, abs=1e-9)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 6), st.data())
def test_property_mtd_never_eliminated_or_untried(k, data):
    n = data.draw(st.lists(st.integers(0, 12), min_size=k, max_size=k))
    y = [data.draw(st.integers(0, v)) for v in n]
    elim = data.draw(st.lists(st.integers(0, k - 1), max_size=2))
    sel = select_mtd(n, y, 0.3, eliminated=elim)
    if sel.mtd is not None:
        assert not sel.table.loc[sel.mtd, "eliminated"]
        assert n[sel.mtd] > 0
        assert all(sel.mtd < e for e in elim)


def test_pava_equals_scipy_isotonic_regression_bit_for_bit():
    """The outside reference: ``scipy.optimize.isotonic_regression`` (scipy 1.17, Busing 2022
    Algorithm 1), equal to the last bit on 20,000 seeded random vectors of 1-10 doses, with
    ties, repeated values and the 1/var weights select_mtd gives."""
    from scipy.optimize import isotonic_regression

    rng = np.random.default_rng(20261206)
    for _ in range(20_000):
        k = int(rng.integers(1, 11))
        n = rng.integers(1, 13, k)
        y = rng.binomial(n, rng.uniform(0, 1, k))
        x = _raw(y, n) if rng.uniform() < 0.5 else rng.choice([0.1, 0.2, 0.3], k)
        w = _w(y, n) if rng.uniform() < 0.5 else rng.uniform(0.1, 10, k)
        want = isotonic_regression(x, weights=w, increasing=True).x
        got = pava(x, w)
        assert got.tobytes() == np.asarray(want).tobytes(), (x, w)
        assert pava(x).tobytes() == np.asarray(isotonic_regression(x).x).tobytes()
