"""Graded labs in long form and the worst grades (``safety.ctcae_long.lab_grades_long``,
``worst_lab_grades``; issue #18) against the code they replaced (kept verbatim below:
per-direction copies, concat, reindex, sort_values; sort_values, groupby head and any).

Regression tests on grade_labs output of seeded frames and on frames with the edges the
replaced code handled: no record graded high, no record, no SEQ or AVAL column (reindexed
as missing), a missing term (counted as graded: ``!= ""``), missing days (sorted last), ties
on every key, an extension-typed column; values, dtypes and order equal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.safety import grade_labs, lab_grades_long, worst_lab_grades
from cartrial.safety.ctcae import lab_grades_long as from_ctcae


def _replaced(graded: pd.DataFrame) -> pd.DataFrame:
    """``safety.ctcae.lab_grades_long`` as it was at bdc1956 (verbatim)."""
    keep = ["USUBJID", "PARAMCD", "TERM", "DIRECTION", "DAY", "AVAL", "GRADE", "BGRADE",
            "TRTEMFL", "CTCAE_VERSION"]
    if "SEQ" in graded.columns:
        keep.insert(1, "SEQ")
    own = [c for c in keep if c in graded.columns]  # only these copied (TERM... replaced)
    parts = []
    for d in ("L", "H"):
        rows = (graded[f"ATOXDSC{d}"] != "").to_numpy(dtype=bool, na_value=False)
        parts.append(graded.loc[rows, own].assign(  # arrays: positional, dtypes kept
            TERM=graded[f"ATOXDSC{d}"].array[rows], DIRECTION=d,
            GRADE=graded[f"ATOXGR{d}"].array[rows], BGRADE=graded[f"BTOXGR{d}"].array[rows]))
    out = pd.concat(parts, ignore_index=True)
    return out.reindex(columns=keep).sort_values(["USUBJID", "TERM", "DAY"],
                                                 kind="stable").reset_index(drop=True)


def _graded(seed: int, n: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labs = pd.DataFrame({"USUBJID": [f"S{k}" for k in rng.integers(0, 8, n)],
                         "SEQ": np.arange(1.0, n + 1),
                         "PARAMCD": rng.choice(["PLAT", "NEUT", "ALT", "K", "IL6", "SODIUM"], n),
                         "DAY": rng.integers(-10, 20, n).astype(float),
                         "AVAL": rng.gamma(2.0, 40.0, n).round(0), "LLN": 40.0, "ULN": 120.0})
    return grade_labs(labs)


def _same(graded: pd.DataFrame) -> None:
    want, got = _replaced(graded), lab_grades_long(graded)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.dtypes) == list(want.dtypes)


@pytest.mark.parametrize("seed", range(5))
def test_long_form_equals_the_replaced_code(seed):
    """Regression test: grade_labs output of seeded frames (both directions: K, SODIUM)."""
    g = _graded(seed)
    assert (g["ATOXDSCH"] != "").any() and (g["ATOXDSCL"] != "").any()
    _same(g)
    assert from_ctcae is lab_grades_long  # still importable from safety.ctcae


def test_edges_equal_the_replaced_code():
    """Regression test: the edges of the module docstring."""
    g = _graded(9)
    _same(g[g["ATOXDSCH"] == ""])  # nothing graded high
    _same(g.iloc[:0])
    _same(g.drop(columns=["SEQ", "AVAL"]))
    _same(g.assign(ATOXDSCL=g["ATOXDSCL"].where(g.index % 11 > 0, None)))
    _same(g.assign(DAY=g["DAY"].where(g.index % 7 > 0), USUBJID="S1"))
    _same(g.assign(AVAL=pd.array(g["AVAL"], dtype="Float64"), DAY=g["DAY"] // 10))
    _same(g.set_index(np.arange(len(g))[::-1] * 3))


def _replaced_worst(graded: pd.DataFrame, treatment_emergent_until_day: float = 365.0
                    ) -> pd.DataFrame:
    """``safety.ctcae.worst_lab_grades`` as it was at bdc1956 (verbatim, ``long`` made)."""
    long = _replaced(graded)
    post = long[(long["DAY"] > 0) & (long["DAY"] <= treatment_emergent_until_day)
                & long["GRADE"].notna()]
    if post.empty:
        return pd.DataFrame(columns=["USUBJID", "TERM", "DIRECTION", "BASE_GRADE",
                                     "WORST_GRADE", "WORST_DAY", "TRTEMFL", "CTCAE_VERSION"])
    idx = post.sort_values(["USUBJID", "TERM", "GRADE", "DAY"], ascending=[True, True, False, True],
                           kind="stable").groupby(["USUBJID", "TERM"]).head(1)
    te = post["TRTEMFL"].eq("Y").groupby([post["USUBJID"], post["TERM"]]).any()
    out = idx.rename(columns={"GRADE": "WORST_GRADE", "DAY": "WORST_DAY", "BGRADE": "BASE_GRADE"})
    out = out.set_index(["USUBJID", "TERM"])
    out["TRTEMFL"] = np.where(te.reindex(out.index).to_numpy(), "Y", "")
    out = out.reset_index()
    return out[["USUBJID", "TERM", "DIRECTION", "BASE_GRADE", "WORST_GRADE", "WORST_DAY",
                "TRTEMFL", "CTCAE_VERSION"]].reset_index(drop=True)


@pytest.mark.parametrize("seed", range(5))
def test_worst_grades_equal_the_replaced_code(seed):
    """Regression test: seeded grade_labs output (ties of grade and day: the first day the
    worst grade was reached), a window that leaves nothing, a missing term (pandas' way)."""
    g = _graded(seed)
    for frame, until in ((g, 365.0), (g, 5.0), (g, -1.0),
                         (g.assign(ATOXDSCL=g["ATOXDSCL"].where(g.index % 13 > 0, None)), 365.0)):
        want = _replaced_worst(frame, until)
        got = worst_lab_grades(frame, treatment_emergent_until_day=until)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        assert list(got.dtypes) == list(want.dtypes)
