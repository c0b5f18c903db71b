"""per_distinct: a row-wise text derivation computed once per distinct combination equals the
derivation computed on every row (regression test: the per-row path it replaces in ADPC, ADPP
and ADCYT is the reference), on text with missing values of each kind, NUL characters, a
non-text column and an index of its own; and it makes one object per distinct result.
by_value / per_object (ADLB's text variables and tests, issue #18): regression tests against
the row-wise call they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.adam.per_distinct import by_value, per_distinct, per_object, value_rows

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


TEXT = pd.StringDtype("python")
ELEMENT_WISE = [lambda s: s, lambda s: s.astype(str), lambda s: s.fillna(""),
                lambda s: s.fillna("").astype(str), lambda s: s.str.lower()]


@pytest.mark.parametrize("derive", ELEMENT_WISE)
@pytest.mark.parametrize("missing", [[], [pd.NA]])
def test_by_value_equals_the_row_wise_call(derive, missing):
    """Regression test: ``by_value`` on a Python-backed text column (one row of each value
    derived) against ``derive`` on every row, as ADLB's variables were read before."""
    rng = np.random.default_rng(3)
    col = _column(rng, 3_000, missing, dtype=TEXT).set_axis(rng.permutation(3_000) + 7)
    codes, values = by_value(derive, col)
    want = derive(col).to_numpy()
    got = values[codes]
    assert got.dtype == want.dtype and len(values) <= len(VALUES) + 1
    assert [type(v) for v in got] == [type(v) for v in want]
    assert all(x is y if pd.isna(x) or pd.isna(y) else x == y
               for x, y in zip(got, want, strict=True))


def test_by_value_of_other_columns_is_row_wise():
    # an object column: derived on every row, then coded only when the result is all str
    obj = pd.Series([1, 1.0, True, None], dtype=object)
    codes, values = by_value(lambda s: s, obj)
    assert values[codes].tolist() == [1, 1.0, True, None]
    assert [type(v) for v in values[codes]] == [int, float, bool, type(None)]
    codes, values = by_value(lambda s: s.astype(str), pd.Series(["b", "a", "b"], dtype=object))
    assert values[codes].tolist() == ["b", "a", "b"] and len(values) == 2
    codes, values = by_value(lambda s: s * 2, pd.Series([1.5, 2.0]))
    assert values[codes].tolist() == [3.0, 4.0]


def test_value_rows_of_empty_and_all_missing_columns():
    assert [a.tolist() for a in value_rows(pd.Series([], dtype=TEXT))] == [[], []]
    codes, first = value_rows(pd.Series([None, None], dtype=TEXT))
    assert codes.tolist() == [0, 0] and first.tolist() == [0]


@pytest.mark.parametrize("missing", [[], [None], [np.nan, pd.NA]])
def test_per_object_equals_the_row_wise_test(missing):
    """Regression test: ``per_object`` against the comparisons it replaces in ADLB's
    baseline (``s == "Y"``, ``s != ""``, ``s.isna()``)."""
    rng = np.random.default_rng(5)
    col = _column(rng, 2_000, missing)
    for test, miss, want in ((lambda v: v == "IL6", False, col == "IL6"),
                             (lambda v: v != "", True, col != ""),
                             (pd.isna, True, col.isna())):
        assert per_object(col, test, miss).tolist() == want.tolist()
