"""The ADaM datasets held encoded (cartrial.adam.held_datasets, issue #18: memory): every frame
read back is the frame stored (regression tests: the frame itself is the reference), column
for column, dtype for dtype, for each kind of column a dataset holds; the mapping's behaviour."""

from __future__ import annotations

import gc
import pickle

import numpy as np
import pandas as pd
import pytest

import cartrial.adam.held_datasets as held_datasets
from cartrial.adam.batched import BatchedDataset
from cartrial.adam.held_datasets import HeldDatasets, _HeldFrame

TEXT = pd.StringDtype("python")


@pytest.fixture(autouse=True)
def _every_frame_encoded(monkeypatch):
    """Small frames encoded too (a frame below MIN_RECORDS is held as given)."""
    monkeypatch.setattr(held_datasets, "MIN_RECORDS", 0)


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.dtypes) == list(want.dtypes) and got.attrs == want.attrs
    for c in range(want.shape[1]):  # the kind of each missing value kept (None / NaN / NA)
        a, b = got.iloc[:, c].tolist(), want.iloc[:, c].tolist()
        assert [type(v) for v in a] == [type(v) for v in b]


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pick = lambda values: np.asarray(values, dtype=object)[rng.integers(len(values), size=n)]  # noqa: E731
    df = pd.DataFrame({
        "USUBJID": pick([f"S{i}" for i in range(20)]),
        "FL": pick(["Y", ""]),
        "NUL": pick(["a\x00b", "a", "", "\u00e9"]),
        "NONE": pick(["x", "y", None]),
        "NAN": pick(["x", np.nan]),
        "MIXNA": pick(["x", None, np.nan]),           # two kinds of missing: kept as is
        "MIXED": pick([1, 1.0, True, "1"]),          # not text: kept as is
        "ALLNONE": pick([None]),
        "S": pd.array(pick(["a", "b", None]), dtype=TEXT),
        "F": pick([1.5, -0.0, 0.0, np.nan]).astype(float),
        "FMANY": rng.random(n),
        "I": rng.integers(5, size=n),
        "INT": pd.array(pick([1, None]), dtype="Int64"),
        "B": rng.integers(2, size=n).astype(bool),
        "D": pd.to_datetime(pd.Series(pick(["2024-01-01", None]))).to_numpy(),
        "C": pd.Categorical(pick(["lo", "hi"])),
        "DUP": pick(["p", "q"]),
    }, index=pd.Index(rng.permutation(n) * 2))
    df.columns = [*df.columns[:-1], "USUBJID"]  # a repeated label
    df.attrs = {"label": "test"}
    return df


@pytest.mark.parametrize(("n", "seed"), [(0, 1), (1, 2), (7, 3), (2_000, 4)])
def test_frame_read_back_is_the_frame_stored(n, seed):
    df = _frame(n, seed)
    ds = HeldDatasets({"ADXX": df})
    _same(ds["ADXX"], df)
    assert ds.records("ADXX") == n


def test_text_and_few_floats_held_in_less_memory():
    df = _frame(5_000, 5)
    held = _HeldFrame(df)
    kinds = [type(c).__name__ for c in held._columns]
    assert kinds[0] == "_Text" and kinds[df.columns.get_loc("F")] == "_Encoded"
    assert kinds[df.columns.get_loc("MIXED")] == "Series"  # not text: a copy
    assert kinds[df.columns.get_loc("MIXNA")] == "Series"  # two kinds of missing


def test_a_frame_is_shared_while_held_and_a_copy_of_its_own():
    df = pd.DataFrame({"T": ["a", "b"] * 10, "X": [1.0, 2.0] * 10})
    ds = HeldDatasets({"ADXX": df, "ADYY": df})
    first = ds["ADXX"]
    assert ds["ADXX"] is first  # while a reader holds it
    del first
    gc.collect()
    assert ds["ADXX"] is ds["ADXX"]  # the last one read, until another is
    changed = ds["ADXX"]
    changed.loc[0, "X"] = 9.0  # a reader changing its frame changes nothing held
    changed.loc[0, "T"] = "z"
    del changed
    ds["ADYY"]  # noqa: B018 - another read: the first is let go
    gc.collect()
    _same(ds["ADXX"], df)
    assert df.loc[0, "X"] == 1.0


def test_small_frames_held_as_given(monkeypatch):
    monkeypatch.setattr(held_datasets, "MIN_RECORDS", 10)
    small, large = pd.DataFrame({"T": ["a"] * 9}), pd.DataFrame({"T": ["a"] * 10})
    ds = HeldDatasets({"ADXX": small, "ADYY": large})
    assert ds["ADXX"] is small and ds["ADYY"] is not large
    _same(ds["ADYY"], large)


def test_adsl_held_as_given():
    adsl = pd.DataFrame({"USUBJID": ["S1", "S2"] * 10})
    ds = HeldDatasets({"ADSL": adsl})
    assert ds["ADSL"] is adsl and ds.records("ADSL") == 20


def test_mapping():
    adlb = BatchedDataset(1, lambda: iter([pd.DataFrame({"X": [1]})]))
    ds = HeldDatasets({"ADSL": pd.DataFrame({"U": ["S1"]}), "ADLB": adlb})
    assert ds["ADLB"] is adlb and ds.records("ADLB") == 1 and list(ds) == ["ADSL", "ADLB"]
    assert "ADLB" in ds and len(ds) == 2 and ds.get("ADXX") is None
    assert ds.pop("ADLB") is adlb and list(ds) == ["ADSL"]
    ds["ADSL"] = pd.DataFrame({"U": ["S2"]})  # replaced: the new frame read back
    assert ds["ADSL"]["U"].tolist() == ["S2"]
    back = pickle.loads(pickle.dumps(ds))
    _same(back["ADSL"], ds["ADSL"])
    assert "ADSL: 1 records" in repr(ds)


def test_build_adam_datasets_read_back_as_derived(tmp_path):
    """The example trial's datasets, each held again: the frame read back is the frame read."""
    from cartrial.adam.build import build_adam
    from cartrial.data import load_study
    from cartrial.example import simulate_trial, write_example
    from cartrial.protocol import load_protocol

    p = load_protocol("ct071")
    write_example(simulate_trial(p), tmp_path)
    res = build_adam(load_study(tmp_path), p)
    assert isinstance(res.datasets, HeldDatasets)
    for name in res.datasets:
        df = res.datasets[name]
        if isinstance(df, pd.DataFrame):
            _same(HeldDatasets({name: df})[name], df)
