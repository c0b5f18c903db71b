"""Text normalisation on distinct values equals pandas' per-row string methods."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.data.text import factorize_text, upper_stripped


@settings(max_examples=100)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=list("aBc é\t\nß"), max_size=5)),
                max_size=30),
       st.sampled_from(["string", "object"]))
def test_equals_the_per_row_expression(values, dtype):
    s = pd.Series(values, dtype=dtype, index=np.arange(len(values)) * 3, name="X")
    expected = s.astype("string").str.strip().str.upper()
    pd.testing.assert_series_equal(upper_stripped(s), expected)


def test_numbers_and_missing():
    s = pd.Series([1.5, np.nan, 2.0])
    pd.testing.assert_series_equal(upper_stripped(s), s.astype("string").str.strip().str.upper())
    assert upper_stripped(pd.Series([" ped ", None], dtype="string")).tolist() == ["PED", pd.NA]


@settings(max_examples=60)
@given(st.lists(st.one_of(st.none(), st.just(np.nan), st.sampled_from(["Y", "", "HIGH"]),
                          st.text(max_size=3)), max_size=25))
def test_share_repeats_keeps_values_and_shares_objects(values):
    from cartrial.data.text import share_repeats

    built = [b"HIGH".decode() if v == "HIGH" else v for v in values]  # a new object per row
    df = pd.DataFrame({"T": pd.Series(built, dtype=object),
                       "N": np.arange(len(values), dtype=float)})
    before = df.copy()
    out = share_repeats(df)
    pd.testing.assert_frame_equal(out, before)
    assert [type(v) for v in out["T"]] == [type(v) for v in before["T"]]  # None stays None
    highs = [v for v in out["T"] if isinstance(v, str) and v == "HIGH"]
    assert all(v is highs[0] for v in highs)


@settings(max_examples=80)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["", "\x00", "\x00a", "a", "a\x00", "b"]),
                          st.text(max_size=4)), max_size=30))
def test_factorize_text_keeps_values_with_a_nul_apart(values) -> None:
    """pandas 2 merges "\\x00a" with "" (issue #34551); factorize_text must not."""
    arr = np.array(values, dtype=object)
    codes, uniq = factorize_text(arr)
    assert len(set(uniq)) == len(uniq)
    assert [None if c < 0 else uniq[c] for c in codes] == values


def test_share_repeats_keeps_values_with_a_nul_apart() -> None:
    """pandas 2 hashes text only up to a NUL (pandas issue #34551): share_repeats made
    "a\\x00 (g/L)" and "a\\x00 (U/L)" one value before it factorised with factorize_text."""
    from cartrial.data.text import share_repeats

    values = ["a\x00 (g/L)", "a\x00 (U/L)", None, "a\x00 (U/L)", np.nan, "a", "a\x00"]
    out = share_repeats(pd.DataFrame({"T": pd.Series(values, dtype=object)}))
    assert out["T"].tolist()[:4] == values[:4] and out["T"].tolist()[5:] == values[5:]
    assert out["T"].iloc[4] is np.nan
    assert out["T"].iloc[1] is out["T"].iloc[3]


@settings(max_examples=60)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "\x00", "\x00a", ""]),
                          st.sampled_from(["x", "y"])), max_size=30))
def test_distinct_rows_codes_equal_combinations(rows) -> None:
    """Codes in order of first appearance; equal codes for equal (Python ==) combinations."""
    from cartrial.data.text import distinct_rows

    cols = [np.array([r[i] for r in rows], dtype=object) for i in range(2)]
    codes, first = distinct_rows(cols) if rows else (np.zeros(0, int), np.zeros(0, int))
    seen: dict = {}
    assert codes.tolist() == [seen.setdefault(r, len(seen)) for r in rows]
    assert [rows[i] for i in first] == list(seen)


def test_share_repeats_leaves_columns_of_other_values_as_they_were() -> None:
    """Factorising compares by equality (1 == 1.0 == True): a column holding anything but text
    besides missing values is left as it was, so no value changes its type."""
    from cartrial.data.text import share_repeats

    mixed = pd.Series([1, 1.0, True, "1", None, 1], dtype=object)
    out = share_repeats(pd.DataFrame({"M": mixed.copy()}))
    assert [(type(v), v) for v in out["M"]] == [(type(v), v) for v in mixed]
