"""Regression tests (the code compared with its own earlier expressions, not with an outside
reference): ``date_of`` and ``parse_dtc_memo`` give what the per-row expressions they replace
gave. The parsing rules themselves are checked against ISO 8601 / SDTMIG v3.4 section 4.4 in
test_dates.py."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.data.dates import date_of, parse_dtc, parse_dtc_memo
from cartrial.data.standardize import TEXT

TEXTS = ["2024-03-05", "2024-03-05T14:45", "2024-03-05T25:00", "2024-03", "2024", "",
         "  ", "2024-02-30", "2024-02-30T10:00", "05/03/2024", "2024-03-05X", "\x00a",
         "2024-03-05\x00", "1600-01-01", "9999-12-31T00:00", None]


def _old(values: pd.Series) -> pd.Series:
    """The expression ``date_of`` replaced (validation's date rules)."""
    return parse_dtc(values.str.slice(0, 10))["dt"]


def test_date_of_equals_the_sliced_parse():
    s = pd.Series(TEXTS * 3, dtype=TEXT, index=range(10, 10 + 3 * len(TEXTS)))
    pd.testing.assert_series_equal(date_of(s), _old(s))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(TEXTS),
                          st.text(alphabet="0123456789-T:X\x00 ", max_size=20)), max_size=30))
def test_date_of_equals_the_sliced_parse_on_any_text(texts):
    s = pd.Series(texts, dtype=TEXT)
    pd.testing.assert_series_equal(date_of(s), _old(s))


def test_memo_gives_the_same_frames_and_forgets_after_the_block():
    df = pd.DataFrame({"A": pd.array(TEXTS, dtype=TEXT), "B": pd.array(TEXTS[::-1], dtype=TEXT)})
    want = {c: parse_dtc(df[c]) for c in df}
    with parse_dtc_memo():
        for _ in range(2):
            for c in df:
                pd.testing.assert_frame_equal(parse_dtc(df[c]), want[c])
        # another array with the same values, and the same array under another index: parsed
        other = df["A"].iloc[::-1]
        pd.testing.assert_frame_equal(parse_dtc(other), want["A"].iloc[::-1])
        moved = pd.Series(df["A"].array, index=range(5, 5 + len(df)))
        pd.testing.assert_frame_equal(parse_dtc(moved), want["A"].set_axis(moved.index))
    df.loc[0, "A"] = "2030-01-01"  # changed after the block: parsed anew
    assert parse_dtc(df["A"])["year"].iloc[0] == 2030
