"""The safety engine's text reading (cartrial.safety._frames.text_values) and the validation's
object view of a column (cartrial.data.validate_codes.object_values).

Regression tests: the faster paths must give, value for value, what the pandas operations they
replace give (``upper_stripped(s).fillna(default)`` and ``s.to_numpy(dtype=object)``), on
generated columns of every kind the engines meet (python-backed ``string``, object with None /
NaN / pd.NA, numbers in an object column, pyarrow-backed ``string``, float, empty)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.data.text import upper_stripped
from cartrial.data.validate_codes import object_values
from cartrial.safety._frames import as_text, text_values
from cartrial.safety.sdtm_base import _text

# pandas 2 hashes text only up to a NUL (pandas issue #34551): upper_stripped, the reference,
# merges "\x00" with "" (whichever comes first wins); text_values keeps them apart
# (test_text_with_a_nul_is_kept_apart), so the references are taken on text without NUL
TEXT = st.one_of(st.none(), st.sampled_from(["a", " A", "A ", "b", "", "é", "ß", "x y ",
                                             "NOT DONE"]))


def _reference(s: pd.Series, default: str) -> list:
    return upper_stripped(s).fillna(default).to_numpy(dtype=object).tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT, max_size=25), st.sampled_from(["", "MISSING"]),
       st.sampled_from(["string", "object"]))
def test_text_values_equals_upper_stripped(values, default, dtype) -> None:
    """Regression against ``upper_stripped(s).fillna(default)`` on text columns."""
    s = pd.Series(values, dtype=dtype)
    got = text_values(s, default)
    assert got.dtype == object
    assert got.tolist() == _reference(s, default)


@pytest.mark.parametrize("s", [
    pd.Series(["a", np.nan, None, pd.NA, " b "], dtype=object),
    pd.Series(["a", 1, 2.5, None], dtype=object),          # numbers: the general way
    pd.Series([1.0, np.nan, 3.0]),                          # float column
    pd.Series([], dtype="string"),
    pd.Series([], dtype=object),
    pd.Series(["a", None, " b"], dtype="string[pyarrow]"),
], ids=["object-missing", "object-numbers", "float", "empty-string", "empty-object", "pyarrow"])
def test_text_values_every_kind_of_column(s) -> None:
    """Regression against ``upper_stripped(s).fillna("")`` on the other kinds of column."""
    assert text_values(s).tolist() == _reference(s, "")
    assert as_text(pd.DataFrame({"X": s}), "X").tolist() == _reference(s, "")


def test_text_with_a_nul_is_kept_apart() -> None:
    """A NUL is text like any other (Python's str.strip keeps it): "\\x00" is not read as ""
    nor "" as "\\x00", whichever comes first (pandas issue #34551)."""
    for values in (["", "\x00", " a\x00"], ["\x00", "", " a\x00"]):
        s = pd.Series(values, dtype="string")
        assert text_values(s).tolist() == [v.strip().upper() for v in values]


@pytest.mark.parametrize("s", [
    pd.Series([" icE", None, "fa"], dtype="string", index=[5, 3, 9], name="QSCAT"),
    pd.Series([], dtype=object), pd.Series([], dtype="string"), pd.Series([None, None]),
    pd.Series([1.0, None]),
], ids=["string", "empty-object", "empty-string", "all-missing", "float"])
def test_sdtm_text_keeps_dtype_index_and_name(s) -> None:
    """Regression: the SDTM readers' ``_text`` is ``upper_stripped(s).fillna("")`` exactly."""
    pd.testing.assert_series_equal(_text(s), upper_stripped(s).fillna(""))


@settings(max_examples=100, deadline=None)
@given(st.lists(TEXT, max_size=25), st.sampled_from(["string", "object"]))
def test_object_values_equals_to_numpy(values, dtype) -> None:
    """Regression against ``s.to_numpy(dtype=object)`` (missing kept as held)."""
    s = pd.Series(values, dtype=dtype)
    got, want = object_values(s), s.to_numpy(dtype=object)
    assert got.dtype == object and len(got) == len(want)
    assert all((g is w) or (g == w) for g, w in zip(got, want, strict=True))


def test_test_codes_held_small_select_the_same_rows() -> None:
    """Regression (code against the former int64 codes): codes held in the smallest type select
    the records ``pd.factorize``'s codes select."""
    from cartrial.safety._frames import TestCodes

    labs = pd.DataFrame({"PARAMCD": [" neut", "HGB", "NEUT", "plat ", "IL6"] * 60})
    tests = TestCodes(labs)
    assert tests._codes.dtype == np.int8
    codes, uniq = pd.factorize(labs["PARAMCD"])
    upper = pd.Series(uniq, dtype=object).str.strip().str.upper().to_numpy()
    for asked in (["NEUT"], ["PLAT", "HGB"], ["XYZ"]):
        np.testing.assert_array_equal(tests.rows(asked), np.isin(upper, asked)[codes])


@pytest.mark.parametrize("chunk", [1, 3, 1 << 16])
def test_test_codes_in_chunks_pick_the_rows_a_whole_factorize_picks(monkeypatch, chunk) -> None:
    """Regression: ``TestCodes`` factorises a chunk of records at a time (issue #18: memory);
    its rows are those of the stripped, upper-cased codes, across chunk boundaries."""
    import cartrial.safety._frames as frames

    monkeypatch.setattr(frames, "CODES_CHUNK", chunk)
    paramcd = pd.Series(["PLAT", " neut", "IL6", "PLAT", "NEUT ", "CRP", "il6", "a\x00b", "a"] * 3)
    labs = pd.DataFrame({"PARAMCD": paramcd})
    tests = frames.TestCodes(labs)
    upper = paramcd.str.strip().str.upper()
    for pick in (["NEUT"], ["plat", "IL6"], ["A"], ["A\x00B"], []):
        want = upper.isin([p.strip().upper() for p in pick]).to_numpy()
        np.testing.assert_array_equal(tests.rows(pick), want)
    assert tests._codes.dtype == np.int8
