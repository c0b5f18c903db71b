"""Subject batches: a partition of the rows by subject, and results put back in row order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.data.batches import in_row_order, subject_batches, take_rows

ids = st.lists(st.sampled_from(["S-10", "S-2", "S-1", "A", "Z", None]), max_size=40)


@settings(max_examples=60)
@given(usubjid=ids, size=st.integers(1, 4))
def test_batches_partition_rows_by_subject_in_usubjid_order(usubjid, size) -> None:
    s = pd.Series(usubjid, dtype=object)
    batches = subject_batches(s, size)
    rows = np.concatenate(batches)
    assert sorted(rows.tolist()) == list(range(len(s)))          # every row exactly once
    assert all((np.diff(b) > 0).all() for b in batches)          # row order kept in a batch
    seen: list[str] = []
    for i, b in enumerate(batches):
        subj = s.iloc[b]
        named = [u for u in dict.fromkeys(subj.dropna())]
        assert len(named) <= size
        if subj.isna().any():                                     # missing ids: last batch
            assert i == len(batches) - 1
        seen += sorted(named)
    assert seen == sorted(s.dropna().unique())                    # USUBJID order, no split


def test_batches_of_no_rows_and_bad_size() -> None:
    assert [len(b) for b in subject_batches(pd.Series([], dtype=object), 3)] == [0]
    with pytest.raises(ValueError, match="at least 1"):
        subject_batches(pd.Series(["A"]), 0)


@settings(max_examples=40)
@given(usubjid=ids.filter(len), size=st.integers(1, 3))
def test_in_row_order_undoes_the_batching(usubjid, size) -> None:
    df = pd.DataFrame({"USUBJID": pd.array(usubjid, dtype="string"),
                       "X": np.arange(len(usubjid), dtype=float)})
    batches = subject_batches(df["USUBJID"], size)
    parts = [df.iloc[b].reset_index(drop=True) for b in batches]
    pd.testing.assert_frame_equal(in_row_order(parts, batches), df)


@settings(max_examples=40)
@given(mask=st.lists(st.booleans(), min_size=0, max_size=12), cols=st.sets(
    st.sampled_from(["T", "X", "D", "O"]), min_size=1))
def test_take_rows_equals_iloc(mask, cols) -> None:
    n = len(mask)
    df = pd.DataFrame({"T": pd.array([None if i % 3 == 0 else f"t{i}" for i in range(n)],
                                     dtype="string"),
                       "X": np.arange(n, dtype=float),
                       "D": pd.to_datetime(["2024-01-02"] * n),
                       "O": np.array([f"o{i % 2}" for i in range(n)], dtype=object)},
                      index=np.arange(n) * 7)
    cols = sorted(cols)
    expected = df.iloc[np.flatnonzero(mask)][cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(take_rows(df, np.array(mask, dtype=bool), cols), expected)
    pd.testing.assert_frame_equal(take_rows(df, np.flatnonzero(mask), cols), expected)
