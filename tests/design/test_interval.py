"""i3+3 and mTPI-2 (Liu M, Wang SJ, Ji Y, J Biopharm Stat 2020;30:294-304; Guo W et al., Contemp
Clin Trials 2017;58:23-33): hand-worked decisions and UPM cases."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.special import comb

from cartrial.design import TrialState
from cartrial.design.interval import I3plus3, Mtpi2, mtpi2_intervals


# ---------------------------------------------------------------- i3+3
@pytest.mark.parametrize(
    "n, y, expected",
    [
        (3, 0, "E"),  # 0 < 0.25
        (3, 1, "S"),  # 0.333 in [0.25, 0.35]
        (3, 2, "D"),  # 0.667 > 0.35 and (2-1)/3 = 0.333 is not below 0.25
        (5, 2, "S"),  # 0.4 > 0.35 but (2-1)/5 = 0.2 < 0.25: the i3+3 "stay" above the EI
        (4, 2, "D"),  # (2-1)/4 = 0.25 is the EI's closed lower end, not below it
        (4, 1, "S"),  # 0.25 is inside the closed EI
        (6, 1, "E"),  # 0.167
        (6, 2, "S"),
        (6, 3, "D"),  # 0.5, (3-1)/6 = 0.333
        (9, 4, "D"),  # 0.444, 3/9 = 0.333
    ],
)
def test_i3plus3_hand_worked(n, y, expected):
    # target 0.3, EI = [0.25, 0.35] (epsilon 0.05 each side), Liu, Wang & Ji 2020 rule
    assert I3plus3(n_doses=3, target=0.3).letter(n, y) == expected


def test_i3plus3_ten_four():
    # 4/10 = 0.4 > 0.35; (4 - 1)/10 = 0.3 is inside the EI, not below it -> de-escalate
    assert I3plus3(n_doses=3, target=0.3).letter(10, 4) == "D"


def test_i3plus3_elimination_and_stop():
    d = I3plus3(n_doses=3, target=0.3)
    dec = d.decide(TrialState(n=(3, 3, 0), y=(0, 3, 0), current=1))
    assert dec.eliminated == (1, 2) and dec.next_dose == 0
    assert d.decide(TrialState(n=(3, 0, 0), y=(3, 0, 0))).action == "stop"


# ---------------------------------------------------------------- mTPI-2
def test_mtpi2_intervals_target_030():
    edges, ei = mtpi2_intervals(0.3, 0.05, 0.05)
    expected = [0, 0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95, 1]
    assert edges.tolist() == pytest.approx(expected)
    assert (edges[ei], edges[ei + 1]) == pytest.approx((0.25, 0.35))


def _upm_by_quadrature(n, y, edges):
    """UPM with the Beta(y+1, n-y+1) density written out and integrated numerically."""
    const = (n + 1) * comb(n, y)
    dens = lambda x: const * x**y * (1 - x) ** (n - y)  # noqa: E731
    return [quad(dens, a, b)[0] / (b - a) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def test_mtpi2_upm_one_of_three_by_hand():
    # Beta(2, 3): F(x) = 6x^2 - 8x^3 + 3x^4. EI mass F(.35) - F(.25) = 0.4370188 - 0.2617188
    # = 0.1753 -> UPM 1.753; (0.35, 0.45]: (0.6090188 - 0.4370188)/0.1 = 1.720;
    # (0.15, 0.25]: (0.2617188 - 0.1095188)/0.1 = 1.522 -> the EI wins -> stay
    d = Mtpi2(n_doses=3, target=0.3)
    upm = d.upm(3, 1)
    assert upm[3] == pytest.approx(1.753, abs=1e-3)
    assert upm[4] == pytest.approx(1.720, abs=1e-3)
    assert upm[2] == pytest.approx(1.522, abs=1e-3)
    assert d.letter(3, 1) == "S"


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 9, 12])
def test_mtpi2_letters_match_independent_upm(n):
    d = Mtpi2(n_doses=3, target=0.3)
    edges, ei = mtpi2_intervals(0.3, 0.05, 0.05)
    for y in range(n + 1):
        upm = _upm_by_quadrature(n, y, edges)
        best = max(range(len(upm)), key=lambda i: upm[i])
        expected = "E" if best < ei else "S" if best == ei else "D"
        assert d.letter(n, y) == expected, (n, y)


def test_mtpi2_known_cohort_of_three_column():
    # n = 3, target 0.3: 0 -> E, 1 -> S, 2 -> D, 3 -> D and eliminated (P(p > .3) = .9919)
    d = Mtpi2(n_doses=3, target=0.3)
    assert [d.letter(3, y) for y in range(4)] == ["E", "S", "D", "D"]
    dec = d.decide(TrialState(n=(3, 3, 0), y=(0, 3, 0), current=1))
    assert dec.eliminated == (1, 2)


@st.composite
def states(draw):
    k = draw(st.integers(1, 5))
    n = draw(st.lists(st.integers(0, 15), min_size=k, max_size=k))
    y = [draw(st.integers(0, v)) for v in n]
    return TrialState(
        n=tuple(n),
        y=tuple(y),
        current=draw(st.integers(0, k - 1)),
        eliminated=tuple(draw(st.lists(st.integers(0, k - 1), max_size=1))),
    )


@settings(max_examples=200, deadline=None)
@given(states(), st.sampled_from([I3plus3, Mtpi2]), st.sampled_from([0.2, 0.25, 0.3]))
def test_property_never_recommends_eliminated(s, cls, target):
    d = cls(n_doses=s.n_doses, target=target, cap_per_dose=12)
    dec = d.decide(s)
    if dec.next_dose is not None:
        assert dec.next_dose not in dec.eliminated
        assert dec.next_dose <= s.current + 1
    sel = d.select(s)
    assert sel.mtd is None or sel.mtd not in dec.eliminated
