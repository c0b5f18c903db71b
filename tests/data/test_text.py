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
