"""The records ``grade_labs`` needs to be given (``safety.ctcae_scope``, issue #18): those of
tests with a CTCAE term, unless a record of another test would make ``grade_labs`` refuse the
frame.

Regression tests: ``grade_labs`` of the records kept equals the rows of those records in
``grade_labs`` of all records, on seeded frames with tests with and without a term (mixed case,
padding), baseline records, missing limits; each refusal put among the left-out records keeps
every record (and ``grade_labs`` then refuses as before); the safety engine's laboratory
results (``analysis._lab_results``) equal those of grading every record.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.errors import RecordError
from cartrial.protocol import load_protocol
from cartrial.safety import analysis, ctcae_lab_criteria, grade_labs
from cartrial.safety.ctcae_scope import graded_input

CODES = ["PLAT", " plat", "Neut ", "ALT", "HGB", "IL6", "il6 ", "MPROTEIN", "CRP", "WEIGHT"]


def _labs(seed: int, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"USUBJID": [f"S{k:02d}" for k in rng.integers(0, 10, n)],
                       "SEQ": np.arange(1.0, n + 1), "PARAMCD": rng.choice(CODES, n),
                       "DAY": rng.integers(-20, 60, n).astype(float),
                       "AVAL": rng.gamma(2.0, 30.0, n).round(1),
                       "LLN": np.where(rng.random(n) < 0.9, 20.0, np.nan), "ULN": 60.0})
    df.loc[rng.random(n) < 0.1, "AVAL"] = np.nan
    key = df["USUBJID"] + "|" + df["PARAMCD"].str.strip().str.upper()
    last = df[df["DAY"] <= 0].sort_values("DAY", kind="stable").groupby(key).tail(1).index
    df["ABLFL"] = np.where(df.index.isin(last), "Y", "")
    return df


@pytest.mark.parametrize("version", ["5.0", "6.0"])
@pytest.mark.parametrize("seed", range(4))
def test_grading_the_kept_records_equals_grading_all(seed, version):
    """Regression test: the kept records' rows equal, the others' would be ungraded."""
    labs, c = _labs(seed), ctcae_lab_criteria(version)
    keep = graded_input(labs, c)
    assert 0 < keep.sum() < len(labs)
    upper = labs["PARAMCD"].str.strip().str.upper()
    np.testing.assert_array_equal(keep, upper.isin(list(c.graded_tests())).to_numpy())
    whole = grade_labs(labs, criteria=c)
    want = whole[whole["SEQ"].isin(labs.loc[keep, "SEQ"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(grade_labs(labs[keep], criteria=c), want, check_exact=True)
    left = whole[~whole["SEQ"].isin(labs.loc[keep, "SEQ"])]
    assert (left[["ATOXDSCL", "ATOXDSCH", "TRTEMFL"]] == "").all(None)
    assert left[["ATOXGRL", "ATOXGRH", "BTOXGRL", "BTOXGRH"]].isna().all(None)


def test_a_refusal_among_the_left_out_records_keeps_them_all():
    """Regression test: each refusal of grade_labs placed on a record of a test without a term
    (a missing day, a negative result, LLN above ULN, two baseline records of one subject and
    test in different case): every record kept, and grade_labs refuses them as before."""
    labs = _labs(1)
    il6 = labs.index[labs["PARAMCD"].str.strip().str.upper() == "IL6"]
    cases = [labs.assign(DAY=lambda d: d["DAY"].where(d.index != il6[0])),
             labs.assign(AVAL=lambda d: d["AVAL"].where(d.index != il6[0], -1.0)),
             labs.assign(LLN=lambda d: d["LLN"].where(d.index != il6[0], 99.0))]
    twin = labs[labs["ABLFL"].eq("Y") & labs.index.isin(il6)].iloc[[0]].assign(
        PARAMCD="IL6", SEQ=9999.0)
    cases.append(pd.concat([labs, twin], ignore_index=True))
    for frame in cases:
        assert graded_input(frame).all()
        with pytest.raises(RecordError):
            grade_labs(frame)


def test_frames_it_cannot_judge_keep_every_record():
    """BASE / BNRIND given, no SEQ, a text column where numbers are read: all kept."""
    labs = _labs(2)
    for frame in (labs.assign(BASE=30.0, BNRIND="NORMAL"), labs.drop(columns="SEQ"),
                  labs.assign(AVAL=labs["AVAL"].astype(object))):
        assert graded_input(frame).all()
    assert graded_input(labs.iloc[:0]).all()


def test_safety_lab_results_equal_grading_every_record(monkeypatch):
    """Regression test: worst grades, cytopenias, DLT lab events and their subjects of the
    safety engine (large-trial path, graded records not kept) equal those of grading all."""
    labs, protocol = _labs(3, n=1500), load_protocol("ct071")
    got = analysis._lab_results(labs, protocol, batch_subjects=3, keep_labs=False)
    monkeypatch.setattr(analysis, "graded_input", lambda df, c=None: np.ones(len(df), bool))
    want = analysis._lab_results(labs, protocol, batch_subjects=3, keep_labs=False)
    for name in ("graded", "worst", "cytopenias", "events"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True)
    assert got.hematologic_subjects == want.hematologic_subjects
    assert got.ctcae_version == want.ctcae_version


@pytest.mark.parametrize("odd", [None, np.nan, 7, "  "])
def test_test_codes_read_without_a_copy_as_astype_str_reads_them(odd):
    """Regression (code against its former reading): PARAMCD is factorised as it is held when it
    is text alone, else as ``astype(str)`` (missing -> "nan"/"None", numbers -> their text), so
    the records kept are those the former ``astype(str)`` reading kept."""
    labs = _labs(3).astype({"PARAMCD": object})
    labs.loc[labs.index[::17], "PARAMCD"] = odd
    former = labs.assign(PARAMCD=labs["PARAMCD"].astype(str))  # what was read before
    np.testing.assert_array_equal(graded_input(labs), graded_input(former))
    assert not graded_input(_labs(3)).all()  # text alone: records left out


def test_lab_results_batches_by_subject_text_as_before():
    """Regression: ``_as_str`` gives ``astype(str)``'s values, the column itself when it holds
    ``str`` only (no copy of a large frame's column)."""
    s = pd.Series(["S2", "S1", "S2"], dtype=object)
    assert analysis._as_str(s) is s
    for odd in (pd.Series(["S1", None, 3], dtype=object), pd.Series([1.0, 2.0]),
                pd.Series(["S1", "S2"], dtype="string")):
        pd.testing.assert_series_equal(analysis._as_str(odd), odd.astype(str))
