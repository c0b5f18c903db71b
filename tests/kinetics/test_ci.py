"""Clopper-Pearson interval: ecosystem.md section 1 check value and edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from cartrial.errors import InputError
from cartrial.kinetics import clopper_pearson


def test_reference_value_3_of_12() -> None:
    lo, hi = clopper_pearson(3, 12)  # ecosystem.md section 1: (0.05486, 0.57186)
    assert_allclose([lo, hi], [0.05486, 0.57186], atol=5e-6)


def test_edges_and_vectorised() -> None:
    lo, hi = clopper_pearson(np.array([0, 5, 0]), np.array([5, 5, 0]))
    assert lo[0] == 0 and hi[1] == 1
    # k = 0 of 5: upper = 1 - (a/2)^(1/5)
    assert_allclose(hi[0], 1 - 0.025 ** (1 / 5), rtol=1e-10)
    assert np.isnan(lo[2]) and np.isnan(hi[2])


def test_bad_input() -> None:
    with pytest.raises(InputError):
        clopper_pearson(6, 5)
    with pytest.raises(InputError):
        clopper_pearson(1, 5, confidence_level=1.0)


@given(st.integers(0, 200), st.integers(0, 200))
def test_interval_contains_estimate(k, extra) -> None:
    n = k + extra
    if n == 0:
        return
    lo, hi = clopper_pearson(k, n)
    assert lo <= k / n <= hi
