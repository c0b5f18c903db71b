"""Vectorised isotonic MTD selection equals the single-trial ``select_mtd`` (BOIN select.mtd,
BOIN select.mtd, Yan F et al., J Stat Softw 2020;94(13)) on random trial states."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.design.selection import elimination_flags, pava, select_mtd
from cartrial.design.simulate_select import NO_MTD, isotonic_rows, select_rows


@st.composite
def trial_counts(draw):
    k = draw(st.integers(1, 6))
    n = draw(st.lists(st.integers(0, 15), min_size=k, max_size=k))
    y = [draw(st.integers(0, v)) for v in n]
    return np.array(n), np.array(y)


@settings(max_examples=300, deadline=None)
@given(trial_counts(), st.sampled_from([0.2, 0.25, 0.3, 0.33]))
def test_vectorised_selection_equals_select_mtd(counts, target):
    n, y = counts
    elim = elimination_flags(n, y, target)
    adm = (n > 0) & ~elim
    got = select_rows(n[None, :], y[None, :], adm[None, :], target)[0]
    ref = select_mtd(n, y, target).mtd
    assert (None if got == NO_MTD else int(got)) == (None if elim[0] else ref)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=6), st.data())
def test_max_min_isotonic_equals_pava(x, data):
    w = data.draw(st.lists(st.floats(0.1, 50), min_size=len(x), max_size=len(x)))
    got = isotonic_rows(np.array([x]), np.array([w]))[0]
    np.testing.assert_allclose(got, pava(np.array(x), np.array(w)), atol=1e-12)


def test_tie_below_target_takes_highest_dose():
    # BOIN select.mtd (isotonic regression, pooled): 0/3 at every dose pools to one estimate below
    # target
    n = np.array([[3, 3, 3]])
    y = np.array([[0, 0, 0]])
    assert select_rows(n, y, n > 0, 0.3)[0] == 2


def test_no_admissible_dose_gives_no_mtd():
    n = np.array([[0, 0]])
    assert select_rows(n, n, np.zeros((1, 2), bool), 0.3)[0] == NO_MTD
