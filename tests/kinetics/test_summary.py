"""Group summaries: geometric mean and geometric CV% worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from cartrial.errors import InputError, RecordError
from cartrial.kinetics import attach_groups, summarise_parameters


def test_geometric_mean_and_cv_by_hand() -> None:
    # CMAX 10, 100, 1000 at DL1: logs ln10 * (1, 2, 3); mean ln100 -> geo mean 100;
    # SD of logs = ln10 (n-1) -> geo CV% = 100 sqrt(exp(ln10^2) - 1).
    t = pd.DataFrame(
        {
            "USUBJID": list("abcd"),
            "DOSE": ["DL1"] * 3 + ["DL2"],
            "CMAX": [10.0, 100.0, 1000.0, 50.0],
            "TMAX": [7.0, 14.0, 10.0, 28.0],
        }
    )
    s = summarise_parameters(t, ["CMAX", "TMAX"], by=["DOSE"])
    r = s.set_index(["DOSE", "PARAMCD"]).loc[("DL1", "CMAX")]
    assert r.n == 3 and r.n_geo == 3 and r.n_missing == 0
    assert_allclose(r.geo_mean, 100.0, rtol=1e-12)
    assert_allclose(r.geo_cv_pct, 100 * math.sqrt(math.exp(math.log(10) ** 2) - 1), rtol=1e-12)
    assert (r["median"], r["min"], r["max"]) == (100.0, 10.0, 1000.0)
    one = s.set_index(["DOSE", "PARAMCD"]).loc[("DL2", "CMAX")]
    assert one.n == 1 and math.isnan(one.geo_cv_pct)
    assert_allclose(one.geo_mean, 50.0, rtol=1e-12)
    assert list(s.PARAMCD) == ["CMAX", "TMAX", "CMAX", "TMAX"]


def test_missing_and_zero_values_are_counted_not_hidden() -> None:
    t = pd.DataFrame({"USUBJID": list("abc"), "AUC": [0.0, np.nan, 40.0]})
    r = summarise_parameters(t, ["AUC"]).iloc[0]
    assert (r.n, r.n_missing, r.n_geo) == (2, 1, 1)
    assert_allclose(r.geo_mean, 40.0, rtol=1e-12)
    assert r["min"] == 0.0


def test_missing_group_is_its_own_row() -> None:
    t = pd.DataFrame({"USUBJID": list("ab"), "CMAX": [1.0, 2.0]})
    g = pd.DataFrame({"USUBJID": ["a"], "CRSGR": [1]})
    s = summarise_parameters(attach_groups(t, g, columns=["CRSGR"]), ["CMAX"], by=["CRSGR"])
    assert len(s) == 2 and s.CRSGR.isna().sum() == 1


def test_attach_groups_rejects_two_rows_per_subject() -> None:
    t = pd.DataFrame({"USUBJID": ["a"], "CMAX": [1.0]})
    g = pd.DataFrame({"USUBJID": ["a", "a"], "BOR": ["CR", "PR"]})
    with pytest.raises(RecordError, match="one row per subject"):
        attach_groups(t, g, columns=["BOR"])


def test_missing_column_is_input_error() -> None:
    with pytest.raises(InputError, match="missing column"):
        summarise_parameters(pd.DataFrame({"USUBJID": ["a"]}), ["CMAX"])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(1e-3, 1e6), min_size=1, max_size=30))
def test_geometric_mean_between_min_and_max_and_below_mean(values) -> None:
    t = pd.DataFrame({"USUBJID": range(len(values)), "X": values})
    r = summarise_parameters(t, ["X"]).iloc[0]
    assert r["min"] * (1 - 1e-9) <= r.geo_mean <= r["max"] * (1 + 1e-9)
    assert r.geo_mean <= r["mean"] * (1 + 1e-9)  # AM-GM
