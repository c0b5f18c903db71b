"""Random dose-toxicity scenarios (Paoletti et al. 2004; Liu & Yuan 2015, section 3.2)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from cartrial.errors import InputError
from cartrial.sweep.scenarios import paoletti_scenarios


def test_degenerate_spread_gives_the_formula_curve():
    # With sigma0, sigma1 -> 0 the algorithm is deterministic given the MTD position M:
    # z_M = Phi^-1(target) and z_j = z_M + (j - M) * mu^2 (steps 2-3 of the method).
    mu, target = 0.5, 0.3
    for s in paoletti_scenarios(5, target, 12, seed=3, sigma0=1e-12, mu=mu, sigma1=1e-12):
        j = np.arange(5)
        expected = norm.cdf(norm.ppf(target) + (j - s.mtd) * mu**2)
        np.testing.assert_allclose(s.true_tox, expected, rtol=0, atol=1e-9)
    # hand values for M = 2 (0-based): Phi(-0.5244 + 0.25) = 0.3919, Phi(-0.5244 - 0.25) = 0.2193
    s = next(s for s in paoletti_scenarios(5, target, 40, 3, sigma0=1e-12, mu=mu, sigma1=1e-12)
             if s.mtd == 2)  # fmt: skip
    assert s.true_tox[3] == pytest.approx(0.3919, abs=1e-4)
    assert s.true_tox[1] == pytest.approx(0.2193, abs=1e-4)
    assert s.true_tox[2] == pytest.approx(0.3, abs=1e-9)


def test_seeded_and_prefix_stable():
    a = paoletti_scenarios(6, 0.25, 10, seed=11)
    b = paoletti_scenarios(6, 0.25, 10, seed=11)
    c = paoletti_scenarios(6, 0.25, 3, seed=11)
    d = paoletti_scenarios(6, 0.25, 3, seed=12)
    assert a == b
    assert a[:3] == c  # scenario i does not depend on count
    assert [s.true_tox for s in c] != [s.true_tox for s in d]


def test_mtd_position_is_uniform():
    # step 1: M uniform over the doses; 2000 curves, 5 doses: each share 0.2 +/- 4 SE (0.036)
    s = paoletti_scenarios(5, 0.3, 2000, seed=1)
    share = np.bincount([x.mtd for x in s], minlength=5) / 2000
    assert np.all(np.abs(share - 0.2) < 0.036)


@settings(max_examples=40, deadline=None)
@given(
    k=st.integers(2, 8),
    target=st.sampled_from([0.2, 0.25, 0.3, 0.33]),
    seed=st.integers(0, 2**32),
)
def test_curves_increase_and_mtd_is_closest_to_target(k, target, seed):
    for s in paoletti_scenarios(k, target, 5, seed):
        p = np.asarray(s.true_tox)
        assert p.shape == (k,)
        assert np.all((p > 0) & (p < 1))
        assert np.all(np.diff(p) >= 0)
        d = np.abs(p - target)
        assert np.all(np.delete(d, s.mtd) > d[s.mtd])  # step 4: strictly closest
        assert s.gap >= 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_doses": 1, "target": 0.3, "count": 2, "seed": 0},
        {"n_doses": 5, "target": 1.2, "count": 2, "seed": 0},
        {"n_doses": 5, "target": 0.3, "count": 0, "seed": 0},
        {"n_doses": 5, "target": 0.3, "count": 2, "seed": -1},
        {"n_doses": 5, "target": 0.3, "count": 2, "seed": 0, "sigma1": 0.0},
    ],
)
def test_bad_input(kwargs):
    with pytest.raises(InputError):
        paoletti_scenarios(**kwargs)
