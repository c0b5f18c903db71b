"""per_distinct: a row-wise text derivation computed once per distinct combination equals the
derivation computed on every row (regression test: the per-row path it replaces in ADPC, ADPP
and ADCYT is the reference), on text with missing values of each kind, NUL characters, a
non-text column and an index of its own; and it makes one object per distinct result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.adam.per_distinct import per_distinct

VALUES = ["IL6", "il6 ", "", "a\x00b", "\x00", "BONE MARROW", "PERIPHERAL BLOOD", "\u00b5L"]


def _column(rng: np.random.Generator, n: int, missing: list, dtype=object) -> pd.Series:
    pool = np.array(VALUES + missing, dtype=object)
    return pd.Series(pool[rng.integers(len(pool), size=n)], dtype=dtype)


def _param(t: pd.Series, s: pd.Series) -> pd.Series:
    return t + " in " + s.str.lower()


def _as_text(t: pd.Series, s: pd.Series) -> pd.Series:
    return t.astype(str) + "/" + s.astype(str).str.slice(0, 3).str.upper()


@pytest.mark.parametrize("derive", [_param, _as_text])
@pytest.mark.parametrize("missing", [[], [None], [np.nan, None], [pd.NA]])
def test_equals_the_row_wise_derivation(derive, missing):
    rng = np.random.default_rng(7)
    n = 2_000
    index = pd.Index(rng.permutation(n) + 100)
    t = _column(rng, n, missing).set_axis(index)
    s = _column(rng, n, missing).set_axis(index)
    want = derive(t, s)
    got = per_distinct(derive, t, s)
    pd.testing.assert_series_equal(got, want, check_exact=True)
    # each missing kind derived as given (None + " " is NaN; astype(str) tells None from nan)
    assert [type(v) for v in got] == [type(v) for v in want]


def test_python_string_dtype_is_kept():
    text = pd.StringDtype("python")
    t = pd.Series(["IL6", None, "IL6", "TNF"], dtype=text)
    s = pd.Series(["SERUM", "SERUM", "SERUM", None], dtype=text)
    pd.testing.assert_series_equal(per_distinct(_param, t, s), _param(t, s), check_exact=True)


def test_a_non_text_column_is_derived_row_by_row():
    # 1, 1.0 and True are equal, yet astype(str) tells them apart
    t = pd.Series([1, 1.0, True, "1"], dtype=object)
    s = pd.Series(["a"] * 4, dtype=object)
    got = per_distinct(_as_text, t, s)
    assert got.tolist() == ["1/A", "1.0/A", "True/A", "1/A"]


def test_empty_columns():
    e = pd.Series([], dtype=object)
    assert per_distinct(_param, e, e).empty


def test_one_object_per_distinct_result():
    t = pd.Series(["IL6"] * 1_000 + ["TNF"] * 1_000)
    s = pd.Series(["SERUM"] * 2_000)
    got = per_distinct(_param, t, s)
    assert len({id(v) for v in got}) == 2
