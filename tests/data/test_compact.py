"""CompactFrame: a domain held dictionary-encoded gives back exactly ``df.iloc[rows]``.

Regression tests (issue #18): the encoded frame is compared with pandas' own ``iloc`` on the
same frame (values, dtypes, index labels, column labels, attrs), on a seeded frame with the
values that break naive encodings (NUL characters, values equal only up to a NUL, -0.0 and
0.0, NaN payloads, infinities, missing text) and on the example trial's loaded LB.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.data.compact import CompactFrame

TEXT = pd.StringDtype("python")


def _bits(s: pd.Series) -> np.ndarray:
    return s.to_numpy(dtype=np.float64).view(np.int64)


def assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=True, check_index_type=True,
                                  check_column_type=True, check_flags=True)
    assert got.attrs == want.attrs
    for c in want.columns:  # floats bit for bit (assert_frame_equal takes -0.0 == 0.0)
        if want[c].dtype == np.float64:
            assert (_bits(got[c]) == _bits(want[c])).all(), c


def damaged(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    words = np.array(["NEUT", "neut", " NEUT", "a\x00b", "a\x00c", "", "日本", "x" * 40,
                      "\x00"], dtype=object)
    text = words[rng.integers(0, len(words), n)]
    text[rng.random(n) < 0.2] = None
    nan_payload = np.array([0x7FF8000000000001], dtype=np.int64).view(np.float64)[0]
    nums = np.array([0.0, -0.0, np.nan, nan_payload, np.inf, -np.inf, 1e-300, 3.1, 2**53])
    many = rng.normal(size=n)  # every value distinct: kept as it is
    df = pd.DataFrame({
        "USUBJID": pd.array(np.array([f"S{i}" for i in rng.integers(0, 7, n)], dtype=object),
                            dtype=TEXT),
        "LBTESTCD": pd.array(text, dtype=TEXT),
        "LBSTRESN": nums[rng.integers(0, len(nums), n)],
        "RANDOM": many,
        "OBJ": np.array([None, "a", 1.5, np.nan], dtype=object)[rng.integers(0, 4, n)],
        "FLAG": rng.random(n) < 0.5,
        "DAY": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 9, n), "D"),
        "SEQ": rng.integers(0, 5, n).astype(np.int64),
    }, index=pd.Index(rng.permutation(np.arange(100, 100 + n)), name="row"))
    df.attrs["source"] = "lb.csv"
    return df


@pytest.mark.parametrize("seed", range(5))
def test_rows_of_a_damaged_frame_are_those_of_iloc(seed):
    df = damaged(300, seed)
    held = CompactFrame(df)
    rng = np.random.default_rng(100 + seed)
    for rows in (np.arange(len(df)), rng.permutation(len(df))[:37], np.array([], dtype=int),
                 rng.integers(0, len(df), 50), np.array([5, 5, 5])):
        assert_same(held.take(rows), df.iloc[rows])
        assert_same(held.take(rows.astype(np.int32)), df.iloc[rows])
    mask = rng.random(len(df)) < 0.3
    assert_same(held.take(mask), df.iloc[mask])
    for c in df.columns:
        pd.testing.assert_series_equal(held.column(c), df[c], check_exact=True)


def test_values_equal_only_up_to_a_nul_are_kept_apart():
    """pandas 2 hashes text only up to a NUL (pandas issue #34551): "a\\x00b" and "a\\x00c"
    must not become one value."""
    s = pd.array(["a\x00b", "a\x00c", "a", None], dtype=TEXT)
    got = CompactFrame(pd.DataFrame({"T": s})).take([0, 1, 2, 3])["T"].tolist()
    assert got == ["a\x00b", "a\x00c", "a", pd.NA]


def test_repeated_columns_are_held_smaller():
    n = 10_000
    df = pd.DataFrame({"T": pd.array(np.array(["ALB", "NEUT"] * (n // 2), dtype=object),
                                     dtype=TEXT),
                       "X": np.tile([0.5, 1.5, np.nan, 2.0], n // 4)})
    held = CompactFrame(df)
    assert held.nbytes < 2 * n + 64  # one byte a code per column, plus the distinct values
    assert_same(held.take(np.arange(n)), df.iloc[np.arange(n)])


def test_empty_frame():
    df = pd.DataFrame({"T": pd.array([], dtype=TEXT), "X": np.array([], dtype=float)})
    assert len(CompactFrame(df)) == 0
    assert_same(CompactFrame(df).take([]), df.iloc[[]])


def test_example_lb_batches_are_those_of_iloc(tmp_path):
    from cartrial.data import load_study, subject_batches
    from cartrial.example import simulate_trial, write_example
    from cartrial.protocol import load_protocol

    write_example(simulate_trial(load_protocol("ct071")), tmp_path)
    lb = load_study(tmp_path)["LB"]
    held = CompactFrame(lb)
    assert held.nbytes < lb.memory_usage(index=False).sum() / 3
    for rows in subject_batches(lb["USUBJID"], 3):
        assert_same(held.take(rows), lb.iloc[rows])


@pytest.mark.parametrize("seed", range(3))
def test_frame_and_where_are_those_of_pandas(seed):
    """frame(columns, rows) and where() against pandas on the same frame (regression)."""
    df = damaged(200, seed)
    held = CompactFrame(df)
    rng = np.random.default_rng(seed)
    cols = list(rng.permutation(df.columns)[:4])
    rows = rng.random(len(df)) < 0.4
    assert_same(held.frame(), df)
    assert_same(held.frame(cols), df[cols])
    assert_same(held.frame(cols, rows), df[cols].iloc[rows])
    for values in (["NEUT", "a\x00b", ""], ["neut", None], []):  # missing never matches
        want = (df["LBTESTCD"].isin(values) & df["LBTESTCD"].notna()).to_numpy(dtype=bool)
        assert (held.where({"LBTESTCD": values}) == want).all()
    nums = [0.0, np.nan, 3.1]
    want = ((df["LBSTRESN"].isin(nums) & df["LBSTRESN"].notna()).to_numpy(dtype=bool)
            & df["SEQ"].isin([1, 2]).to_numpy())
    assert (held.where({"LBSTRESN": nums, "SEQ": [1, 2]}) == want).all()
    assert not held.where({"NOSUCH": ["A"]}).any()


def test_assembled_from_codes_is_the_frame_with_the_columns_inserted():
    """CompactFrame.assemble (columns given as codes, one of them all-distinct so kept as
    text) against CompactFrame of the whole frame (regression)."""
    df = damaged(120, 4).reset_index(drop=True)
    whole = df.assign(U=pd.array([f"u{i}" for i in range(len(df))], dtype=TEXT))
    from cartrial.data.text import factorize_text

    coded = {c: factorize_text(whole[c].array._ndarray) for c in ("LBTESTCD", "U")}
    rest = whole.drop(columns=list(coded))
    got = CompactFrame.assemble(rest, coded, list(whole.columns))
    assert_same(got.frame(), whole)


def test_rows_of_a_range_index_labelled_without_materialising_it() -> None:
    """Regression (the code against pandas' own ``iloc``): the labels of a few rows of a frame
    with a RangeIndex are computed, not taken from the whole index's int64 array, which pandas
    would build and cache on the held index (28 MB for LB at 10,000 patients, kept all run)."""
    for index in (pd.RangeIndex(0, 9), pd.RangeIndex(3, 30, 3, name="rec")):
        df = pd.DataFrame({"X": np.arange(9.0), "T": list("abcabcabc")}, index=index)
        held = CompactFrame(df)
        for rows in ([4, 0, 8], [], [True, False] * 4 + [True], [-1, 2]):
            got = held.frame(None, rows)
            want = df.iloc[np.asarray(rows)] if rows else df.iloc[[]]
            pd.testing.assert_frame_equal(got, want)
            assert got.index.name == index.name
    fresh = CompactFrame(pd.DataFrame({"X": np.arange(9.0)}))  # an index nothing has read
    fresh.frame(["X"], [1, 2])
    assert "_data" not in fresh.index._cache
