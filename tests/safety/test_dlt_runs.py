"""The DLT rule runs (``cartrial.safety.dlt._runs``) reduced with numpy equal the pandas groupby
they replace (issue #18, ``decide`` per decision date).

A regression test: the reference below is the previous implementation (pandas named
aggregation), kept here verbatim; the rules themselves are checked against the protocol's DLT
definition and the ASTCT / CTCAE worked cases in test_dlt.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.safety.dlt import _prepare_events, _runs


def _runs_groupby(ev: pd.DataFrame, level: np.ndarray, qual: np.ndarray) -> pd.DataFrame:
    key = ev["_KEY"].to_numpy()
    prev_same = np.r_[False, key[1:] == key[:-1]]
    prev_level = np.r_[False, level[:-1]] & prev_same
    rid = np.cumsum(level & ~prev_level)
    sub = ev[level].assign(_RUN=rid[level],
                           _Q=np.where(qual[level], ev["DAY"].to_numpy()[level], np.nan))
    cols = ["_RUN", "USUBJID", "EVENT_ID", "TERM", "CATEGORY", "START", "END", "MAX_GRADE",
            "ONSET_DAY", "LAST_OBS", "POINT"]
    if sub.empty:
        return pd.DataFrame(columns=cols)
    end = sub.groupby("_RUN").tail(1).set_index("_RUN")["_SEG_END"]
    runs = sub.groupby("_RUN").agg(
        USUBJID=("USUBJID", "first"), EVENT_ID=("EVENT_ID", "first"), TERM=("TERM", "first"),
        CATEGORY=("CATEGORY", "first"), START=("DAY", "min"),
        MAX_GRADE=("GRADE", "max"), ONSET_DAY=("_Q", "min"), LAST_OBS=("DAY", "max"),
        POINT=("POINT", "first"))
    runs["END"] = end.reindex(runs.index)
    runs = runs.reset_index()
    return runs[runs["ONSET_DAY"].notna()][cols]


def _events(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for s in range(int(rng.integers(1, 6))):
        for e in range(int(rng.integers(1, 4))):
            days = np.sort(rng.choice(np.arange(0, 40, 0.5), int(rng.integers(1, 7)),
                                      replace=False))
            term = None if rng.uniform() < 0.1 else f"T{e}"
            for i, d in enumerate(days):
                rows.append({"USUBJID": f"S{s}", "EVENT_ID": f"E{e}", "CATEGORY": "NON_HEMATOLOGIC",
                             "TERM": term if i == 0 or rng.uniform() < 0.5 else f"T{e}",
                             "DAY": d, "GRADE": int(rng.integers(0, 6)),
                             "POINT": bool(rng.uniform() < 0.5),
                             "END_DAY": (d + rng.integers(0, 9) if i == len(days) - 1
                                         and rng.uniform() < 0.6 else np.nan)})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", range(40))
def test_runs_equal_the_groupby_reference(seed):
    rng = np.random.default_rng(seed)
    ev = _prepare_events(_events(rng))
    grade = ev["GRADE"].to_numpy()
    for min_grade in (1, 3, 4):
        qual = grade >= min_grade
        for level in (qual, grade > max(min_grade - 2, 0), rng.uniform(size=len(ev)) < 0.5):
            got = _runs(ev, level & (grade >= 0), qual)
            want = _runs_groupby(ev, level & (grade >= 0), qual)
            pd.testing.assert_frame_equal(got.reset_index(drop=True),
                                          want.reset_index(drop=True), check_dtype=False)
            assert list(got.columns) == list(want.columns)
