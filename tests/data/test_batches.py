"""Subject batches: a partition of the rows by subject, and results put back in row order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.data.batches import (
    coded_subject_batches,
    concat_consuming,
    held_subject_batches,
    in_row_order,
    records_at,
    row_runs,
    subject_batches,
    take_rows,
)
from cartrial.data.compact import CompactFrame
from cartrial.data.validate_codes import column_codes

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


def _assert_same_batches(got: list[np.ndarray], want: list[np.ndarray]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("subjects", [1, 3, 7, 1_000])
def test_batches_from_held_codes_are_subject_batches(subjects):
    """held_subject_batches (batches from a domain's held codes, issue #18) against
    subject_batches of the decoded identifiers (regression test: the reference), with records
    without USUBJID, identifiers held but on no record, and identifiers with a NUL character;
    of all records and of some (positions among them); the held domain and its frame alike."""
    rng = np.random.default_rng(subjects)
    values = np.array(["S10", "S2", "S1", "unused", "\u00e9", "S3", "", "S20"], dtype=object)
    used = np.array([0, 1, 2, 4, 5, 6, 7])
    codes = np.where(rng.random(3_000) < 0.05, -1, used[rng.integers(len(used), size=3_000)])
    held = CompactFrame.assemble(pd.DataFrame({"X": np.zeros(3_000)}),
                                 {"USUBJID": (codes, values)}, ["USUBJID", "X"])
    frame = held.frame()
    some = np.flatnonzero(rng.random(3_000) < 0.3)
    for rows in (None, some):
        ids = frame["USUBJID"] if rows is None else frame["USUBJID"].iloc[rows]
        want = subject_batches(ids, subjects)
        _assert_same_batches(held_subject_batches(held, subjects, rows), want)
        _assert_same_batches(held_subject_batches(frame, subjects, rows), want)
    nul = CompactFrame(pd.DataFrame({"USUBJID": pd.array(["a\x00b", "a", "b", "a"] * 5,
                                                         dtype=pd.StringDtype("python"))}))
    _assert_same_batches(held_subject_batches(nul, 1),
                         subject_batches(nul.frame()["USUBJID"], 1))


@settings(max_examples=60)
@given(usubjid=st.lists(st.sampled_from(["S-10", "S-2", "S-1", "A", "a\x00b", "a\x00c", 7, 10,
                                         None]), max_size=30), size=st.integers(1, 4))
def test_coded_batches_are_subject_batches_of_the_identifiers(usubjid, size) -> None:
    """Regression test (the reference: subject_batches of the identifiers themselves): text,
    numbers, mixed, NUL characters, missing."""
    s = pd.Series(usubjid, dtype=object)
    codes, values = column_codes(s)
    _assert_same_batches(coded_subject_batches(codes, values, size), subject_batches(s, size))


def test_coded_batches_refuse_a_size_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        coded_subject_batches(np.array([0]), np.array(["A"], dtype=object), 0)


def _domain() -> pd.DataFrame:
    n = 11
    return pd.DataFrame({"T": pd.array([None if i % 3 == 0 else f"t{i % 4}" for i in range(n)],
                                       dtype=pd.StringDtype("python")),
                         "X": np.where(np.arange(n) % 5 == 0, np.nan, np.arange(n) / 4),
                         "N": np.arange(n)}, index=np.arange(n) * 7 + 3)


@pytest.mark.parametrize("size", [1, 4, 11, 50])
@pytest.mark.parametrize("columns", [None, ["X", "T"]])
def test_records_at_held_and_frame_give_iloc(size, columns) -> None:
    """A domain held encoded and its frame give the same records as ``.iloc`` (their index
    labels, or numbered afresh), in one batch and in several."""
    df = _domain()
    held = CompactFrame(df)
    rows = np.array([9, 1, 2, 3, 5, 8, 10])
    for at in row_runs(rows, size):
        want = df.iloc[at] if columns is None else df.iloc[at][columns]
        for domain in (held, df):
            pd.testing.assert_frame_equal(records_at(domain, at, columns), want,
                                          check_exact=True)
            pd.testing.assert_frame_equal(records_at(domain, at, columns, labels=False),
                                          want.reset_index(drop=True), check_exact=True)
    mask = np.arange(len(df)) % 2 == 0
    for domain in (held, df):
        pd.testing.assert_frame_equal(records_at(domain, mask, ["N"]), df.iloc[mask][["N"]])


def test_row_runs_cut_in_order() -> None:
    assert [r.tolist() for r in row_runs(np.array([5, 2, 9, 4, 1]), 2)] == [[5, 2], [9, 4], [1]]
    assert row_runs(np.arange(0), 3) == []


def test_concat_consuming_keeps_first_appearance_order() -> None:
    """Parts with other columns (a pivot a batch at a time): every column, in order of first
    appearance, missing where a part lacks it; parts with the same columns are emptied."""
    a = pd.DataFrame({"U": ["1"], "B": [1.0]})
    b = pd.DataFrame({"U": ["2"], "A": [2.0], "B": [3.0]})
    got = concat_consuming([a, b])
    assert list(got.columns) == ["U", "B", "A"]
    assert got["A"].isna().tolist() == [True, False]
    parts = [a.copy(), a.copy()]
    assert concat_consuming(parts)["B"].tolist() == [1.0, 1.0]
    assert all(p.columns.empty for p in parts)
