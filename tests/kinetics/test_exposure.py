"""Exposure-response tables and rank tests on hand-checkable data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from cartrial.errors import InputError
from cartrial.kinetics import IMWG_ORDER, exposure_response, rank_tests


def test_monotone_exposure_by_crs_grade() -> None:
    # CMAX strictly increases with CRS grade. Spearman = Pearson on ranks: x ranks 1..6
    # (deviations -2.5..2.5), grade mid-ranks 1.5, 3.5, 5.5 (deviations -2, 0, 2):
    # Sxy = 16, Sxx = 17.5, Syy = 16 -> rho = 16 / sqrt(17.5 * 16) = 4 / sqrt(17.5). Kruskal on 3
    # groups of 2 with separated ranks: H = 12/(6*7) * sum(R^2/n) - 3*7, R = 3, 7, 11
    # -> 12/42 * (9 + 49 + 121)/2 - 21 = 4.571428...
    t = pd.DataFrame(
        {
            "USUBJID": list("abcdef"),
            "CMAX": [1.0, 2, 3, 4, 5, 6],
            "AUC0_28": [10.0, 20, 30, 40, 50, 60],
        }
    )
    g = pd.DataFrame({"USUBJID": list("abcdef"), "CRSGR": [0, 0, 1, 1, 2, 2]})
    er = exposure_response(t, g, group_col="CRSGR")
    tests = er.tests.set_index("PARAMCD")
    assert_allclose(tests.loc["CMAX", "spearman_rho"], 4 / np.sqrt(17.5))
    assert_allclose(tests.loc["CMAX", "kruskal_h"], 12 / 42 * (9 + 49 + 121) / 2 - 21)
    s = er.summary.set_index(["CRSGR", "PARAMCD"])
    assert_allclose(s.loc[(1, "CMAX"), "geo_mean"], np.sqrt(12))
    assert s.loc[(2, "AUC0_28"), "n"] == 2


def test_response_order_sign() -> None:
    t = pd.DataFrame({"USUBJID": list("abcd"), "CMAX": [9.0, 7, 3, 1]})
    g = pd.DataFrame({"USUBJID": list("abcd"), "BOR": ["sCR", "CR", "PR", "PD"]})
    r = rank_tests(t.merge(g), ["CMAX"], group_col="BOR", order=IMWG_ORDER).iloc[0]
    assert_allclose(r.spearman_rho, -1.0)  # best response first in the order -> rank 0
    no_order = rank_tests(t.merge(g), ["CMAX"], group_col="BOR").iloc[0]
    assert np.isnan(no_order.spearman_rho) and np.isfinite(no_order.kruskal_h)


def test_unknown_category_is_an_error() -> None:
    t = pd.DataFrame({"USUBJID": ["a"], "CMAX": [1.0], "BOR": ["XX"]})
    with pytest.raises(InputError, match="XX"):
        rank_tests(t, ["CMAX"], group_col="BOR", order=IMWG_ORDER)


def test_not_evaluable_joins_kruskal_not_spearman() -> None:
    t = pd.DataFrame(
        {
            "USUBJID": list("abcde"),
            "CMAX": [9.0, 7, 3, 1, 5],
            "BOR": ["sCR", "CR", "PR", "PD", "NE"],
        }
    )
    r = rank_tests(t, ["CMAX"], group_col="BOR", order=IMWG_ORDER, unranked=("NE",)).iloc[0]
    assert r.n == 5 and r.n_groups == 5
    assert_allclose(r.spearman_rho, -1.0)  # on the four ranked patients
