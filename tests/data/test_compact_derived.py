"""compact_derived: a column that is a function of another is held as a lookup of that column's
codes, and decodes to exactly what it held (issue #18: the floor of a large trial's run).

Regression tests compare the CompactFrame with pandas' own ``iloc`` on the same frame; the
derivation rule itself is checked on dependences that fail only after the sampled records."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd

from cartrial.data.compact import CompactFrame
from cartrial.data.compact_column import _Encoded
from cartrial.data.compact_derived import _SAMPLE, _Derived, derive_columns
from tests.data.test_compact import TEXT, assert_same


def _findings(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = np.array(["ALB", "NEUT", "IL6", "HGB"], dtype=object)
    names = {"ALB": "Albumin", "NEUT": "Neutrophils", "IL6": "Interleukin 6", "HGB": None}
    test = codes[rng.integers(0, 4, n)].copy()
    test[rng.random(n) < 0.05] = None  # a missing code: its name is missing too
    visit = rng.integers(1, 9, n).astype(float)
    return pd.DataFrame({
        "STUDYID": pd.array(["CT071"] * n, dtype=TEXT),
        "LBTESTCD": pd.array(test, dtype=TEXT),
        "LBTEST": pd.array([names.get(t) if t is not None else None for t in test], dtype=TEXT),
        "LBLLOQ": np.where(test == "IL6", 2.0, np.nan),
        "VISITNUM": visit,
        "VISIT": pd.array([f"Day {int(v) * 7}" for v in visit], dtype=TEXT),
        "LBSTRESN": np.round(rng.normal(size=n), 1),  # depends on nothing
    }, index=pd.RangeIndex(n) + 10)


def _kinds(held: CompactFrame) -> dict:
    return {held.columns[i]: type(e).__name__ for i, e in held._encoded.items()}


def test_dependent_columns_are_derived_and_decode_as_held():
    df = _findings(20_000)
    held = CompactFrame(df)
    kinds = _kinds(held)
    for c in ("STUDYID", "LBTEST", "LBLLOQ", "VISIT"):
        assert kinds[c] == "_Derived", c
    assert kinds["LBSTRESN"] == "_Encoded"
    rng = np.random.default_rng(1)
    assert_same(held.frame(), df)
    rows = rng.integers(0, len(df), 500)
    assert_same(held.take(rows), df.iloc[rows])
    assert_same(held.frame(["VISIT", "LBTEST"], rows), df[["VISIT", "LBTEST"]].iloc[rows])
    want = df["LBTEST"].isin(["Albumin"]).to_numpy(dtype=bool)
    assert (held.where({"LBTEST": ["Albumin"]}) == want).all()
    assert sorted(held.distinct("LBTEST")) == ["Albumin", "Interleukin 6", "Neutrophils"]
    assert held.nbytes < CompactFrame(df[["LBTESTCD", "VISITNUM", "LBSTRESN"]]).nbytes + 2_000
    again = pickle.loads(pickle.dumps(held))  # the study is sent through a pipe (read_ahead)
    assert_same(again.frame(), df)


def test_a_dependence_broken_after_the_sample_keeps_the_column_whole():
    df = _findings(20 * _SAMPLE)
    late = len(df) - 3  # not a sampled record (the sample takes every 20th)
    assert late % 20
    df.loc[df.index[late], "LBTEST"] = "Albumin (other lab)"
    held = CompactFrame(df)
    assert _kinds(held)["LBTEST"] == "_Encoded"
    assert_same(held.frame(), df)


def test_one_to_one_columns_keep_one_own():
    a = _Encoded(np.array([0, 1, 2, 1], dtype=np.int8), np.array(["x", "y", "z"], object), True)
    b = _Encoded(np.array([2, 0, 1, 0], dtype=np.int8), np.array(["X", "Y", "Z"], object), True)
    held = derive_columns({0: a, 1: b}, 4)
    assert sorted(type(c).__name__ for c in held.values()) == ["_Derived", "_Encoded"]
    assert [held[i].codes.tolist() for i in (0, 1)] == [[0, 1, 2, 1], [2, 0, 1, 0]]


def test_missing_parent_values_map_to_one_child_value():
    parent = _Encoded(np.array([-1, 0, -1, 1], dtype=np.int8), np.array(["a", "b"], object),
                      True)
    child = _Encoded(np.array([-1, 0, -1, 1], dtype=np.int8), np.array(["A", "B"], object),
                     True)
    other = _Encoded(np.array([0, 0, 1, 1], dtype=np.int8), np.array(["p", "q"], object), True)
    held = derive_columns({0: parent, 1: child, 2: other}, 4)
    derived = [c for c in held.values() if isinstance(c, _Derived)]
    assert len(derived) == 1 and derived[0].codes.tolist() == [-1, 0, -1, 1]
    assert isinstance(held[2], _Encoded)  # missing is a value: "other" differs where a is -1
    assert derived[0].codes_at(np.array([3, 0])).tolist() == [1, -1]
