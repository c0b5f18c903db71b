"""Regression tests (the code against a plain per-group Python loop, not against an outside
reference): :func:`cartrial.safety.grade_labs` groups records by (USUBJID, PARAMCD) on integer
codes and upper-cases test codes once per distinct text. The grades themselves are checked against
admiral and the CTCAE tables in test_ctcae.py / test_ctcae_admiral.py; here the grouping: baseline
value and indicator taken from the group's ABLFL record, baseline grade the group's maximum, for
seeded data with test codes in mixed case and padding, and the damaged cases (two baselines,
look-alike subjects) reported, not merged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.errors import RecordError
from cartrial.safety import grade_labs

CODES = ["PLAT", " plat", "Neut ", "ALT", "alt", "HGB", "CREAT", "XYZ"]


def _labs(seed: int, n_subj: int = 12, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    subj = rng.integers(0, n_subj, n)
    code = rng.choice(CODES, n)
    day = rng.integers(-20, 60, n).astype(float)
    df = pd.DataFrame({"USUBJID": [f"S{k:02d}" for k in subj], "PARAMCD": code, "DAY": day,
                       "AVAL": rng.gamma(2.0, 30.0, n).round(1), "LLN": 20.0, "ULN": 60.0,
                       "SEQ": np.arange(1, n + 1, dtype=float)})
    # one baseline per (subject, upper-cased test): the last record on or before day 0
    df["_KEY"] = df["USUBJID"] + "|" + df["PARAMCD"].str.strip().str.upper()
    pre = df[df["DAY"] <= 0].sort_values(["_KEY", "DAY", "SEQ"])
    last = pre.groupby("_KEY").tail(1).index
    df["ABLFL"] = np.where(df.index.isin(last), "Y", "")
    return df


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_grouping_equals_a_per_group_loop(seed: int) -> None:
    labs = _labs(seed)
    g = grade_labs(labs.drop(columns="_KEY"))
    assert sorted(g["SEQ"]) == sorted(labs["SEQ"])  # nothing dropped
    src = labs.set_index("SEQ")
    for (subj, code), grp in g.groupby(["USUBJID", "PARAMCD"]):
        assert code == code.strip().upper()
        keys = {src.at[s, "_KEY"] for s in grp["SEQ"]}
        assert keys == {f"{subj}|{code}"}
        bl = grp[grp["ABLFL"] == "Y"]
        assert len(bl) <= 1
        want_base = bl["AVAL"].iloc[0] if len(bl) else np.nan
        np.testing.assert_array_equal(grp["BASE"].to_numpy(), np.full(len(grp), want_base))
        if len(bl):
            a, lo, hi = bl[["AVAL", "LLN", "ULN"]].iloc[0]
            want_ind = "HIGH" if a > hi else "LOW" if a < lo else "NORMAL"
        else:
            want_ind = ""
        assert set(grp["BNRIND"]) == {want_ind}
        for d in ("L", "H"):
            want = bl[f"ATOXGR{d}"].max() if len(bl) else np.nan
            got = grp[f"BTOXGR{d}"].to_numpy()
            np.testing.assert_array_equal(got, np.full(len(grp), want))
    # rows sorted by subject, test, day
    order = g[["USUBJID", "PARAMCD", "DAY"]].apply(tuple, axis=1).tolist()
    assert order == sorted(order)


def test_two_baselines_of_one_test_in_different_case_are_reported() -> None:
    labs = pd.DataFrame({"USUBJID": "S1", "PARAMCD": ["PLAT", " plat ", "PLAT"],
                         "DAY": [-3.0, -1.0, 5.0], "AVAL": [200.0, 180.0, 20.0], "LLN": 150.0,
                         "ULN": 400.0, "ABLFL": ["Y", "Y", ""], "SEQ": [11.0, 12.0, 13.0]})
    with pytest.raises(RecordError) as e:
        grade_labs(labs)
    msg = str(e.value)
    assert "ABLFL" in msg and "S1" in msg and "11" in msg and "more than one baseline" in msg


def test_subjects_differing_after_a_nul_are_not_merged() -> None:
    # pandas 2 hashes text only up to a NUL (pandas issue #34551): "S1\x00a" and "S1\x00b" must
    # stay two subjects with their own baselines
    labs = pd.DataFrame({"USUBJID": ["S1\x00a", "S1\x00a", "S1\x00b", "S1\x00b"],
                         "PARAMCD": "PLAT", "DAY": [0.0, 7.0, 0.0, 7.0],
                         "AVAL": [200.0, 20.0, 60.0, 20.0], "LLN": 150.0, "ULN": 400.0,
                         "ABLFL": ["Y", "", "Y", ""]})
    g = grade_labs(labs)  # (pandas' own sort of such text aside: rows looked up by value)
    subj, day = g["USUBJID"].to_numpy(dtype=object), g["DAY"].to_numpy()

    def at(s: str, col: str) -> object:
        (i,) = np.flatnonzero((subj == s) & (day == 7.0))
        return g[col].iloc[i]

    assert at("S1\x00a", "BASE") == 200.0 and at("S1\x00b", "BASE") == 60.0
    assert at("S1\x00a", "BTOXGRL") == 0.0 and at("S1\x00b", "BTOXGRL") == 2.0
    assert at("S1\x00a", "TRTEMFL") == "Y" and at("S1\x00b", "TRTEMFL") == "Y"


def test_term_key_per_distinct_text_equals_per_record() -> None:
    """Regression test: :func:`cartrial.safety.reported_grades.term_key` normalises each
    distinct term once; equal to the per-record formulation it replaced (seeded terms with
    British spellings, padding, MedDRA aliases, missing values, look-alikes after a NUL)."""
    from cartrial.safety.reported_grades import _TERM_ALIASES, term_key

    pool = ["Anaemia", " anemia ", "Blood creatinine increased", "Neutropenia", None, np.nan,
            "Hypokalaemia", "x\x00a", "x\x00b", "", "Platelet count decreased"]
    rng = np.random.default_rng(3)
    s = pd.Series(rng.choice(np.array(pool, dtype=object), 500), name="TERM",
                  index=rng.permutation(500))
    want = (s.astype(str).str.strip().str.upper().str.replace("AEMIA", "EMIA", regex=False)
            .replace(_TERM_ALIASES))
    got = term_key(s)
    pd.testing.assert_series_equal(got, want)
    assert list(got[s.eq("x\x00b")].unique()) == ["X\x00B"]


@pytest.mark.parametrize("seed", [5, 6])
def test_rows_in_the_order_of_a_stable_sort(seed: int) -> None:
    """Regression (the code against pandas): the graded rows come in the order of
    ``sort_values(["USUBJID", "PARAMCD", "DAY"], kind="stable")`` of the input with PARAMCD
    upper-cased, records of one subject, test and day in input order; other columns kept."""
    labs = _labs(seed, n=400).drop(columns="_KEY")
    labs["DAY"] = labs["DAY"] // 10  # many ties
    labs["NOTE"] = pd.array([f"n{k}" if k % 3 else None for k in range(len(labs))],
                            dtype="string")
    want = labs.assign(PARAMCD=labs["PARAMCD"].str.strip().str.upper()).sort_values(
        ["USUBJID", "PARAMCD", "DAY"], kind="stable").reset_index(drop=True)
    got = grade_labs(labs)
    pd.testing.assert_frame_equal(got[list(labs.columns)], want)


@pytest.mark.parametrize("seed", [7, 8])
def test_baseline_grade_of_several_flagged_records_is_their_largest(seed: int) -> None:
    """Regression (the code against the pandas ``groupby().transform("max")`` it replaced):
    with BASE and BNRIND given, ABLFL is not checked for one record per group, so a group may
    have several baseline records: BTOXGR is the largest of their grades, a missing grade
    (no result, a test without a term) skipped, NaN when none has one."""
    labs = _labs(seed).drop(columns="_KEY")
    rng = np.random.default_rng(seed)
    labs["ABLFL"] = np.where(rng.random(len(labs)) < 0.3, "Y", "")
    labs.loc[rng.random(len(labs)) < 0.1, "AVAL"] = np.nan
    labs["BASE"], labs["BNRIND"] = 40.0, "NORMAL"
    g = grade_labs(labs)
    key = g["USUBJID"] + "|" + g["PARAMCD"]
    assert (g[g["ABLFL"] == "Y"].groupby(key).size() > 1).any()
    for d in ("L", "H"):
        want = pd.Series(np.where(g["ABLFL"] == "Y", g[f"ATOXGR{d}"], np.nan)).groupby(
            key).transform("max").to_numpy()
        np.testing.assert_array_equal(g[f"BTOXGR{d}"].to_numpy(), want)
    assert g["BTOXGRL"].isna().any() and g["BTOXGRL"].notna().any()
