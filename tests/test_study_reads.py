"""``read_frame``: only the variables and records an engine reads, matched as the engines match
text (stripped, upper case), from a Study or a dict of frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from cartrial.data import Study
from cartrial.data.compact import CompactFrame
from cartrial.data.text import upper_stripped
from cartrial.study_reads import read_frame, subject_frame

FA = pd.DataFrame({"USUBJID": ["S1", "S1", "S2", "S2", "S3"],
                   "FAOBJ": ["CYTOKINE RELEASE SYNDROME", " cytokine release syndrome ", None,
                             "ICANS", "Cytokine Release Syndrome"],
                   "FAORRES": ["Y", "N", "Y", "N", "Y"]}, index=[10, 11, 12, 13, 14])


def test_every_spelling_of_a_value_is_kept_in_order_with_its_labels():
    got = read_frame(Study({"FA": FA}), "FA", ["FAORRES", "USUBJID", "FANOPE"],
                     where={"FAOBJ": {"CYTOKINE RELEASE SYNDROME"}})
    assert list(got.columns) == ["FAORRES", "USUBJID"]
    assert got.index.tolist() == [10, 11, 14]


def test_a_dict_of_frames_reads_as_a_study():
    got = read_frame({"FA": FA}, "FA", ["USUBJID"], where={"FAOBJ": {"ICANS"}})
    assert got["USUBJID"].tolist() == ["S2"]
    assert read_frame({"FA": FA}, "QS", ["USUBJID"]) is None


def test_an_absent_variable_matches_no_record_and_missing_never_matches():
    assert read_frame({"FA": FA}, "FA", ["USUBJID"], where={"FATESTCD": {"HYPOTN"}}).empty
    assert read_frame({"FA": FA}, "FA", ["USUBJID"], where={"FAOBJ": {""}}).empty


def test_the_frame_is_its_own():
    got = read_frame({"FA": FA}, "FA", ["FAORRES"])
    got.loc[10, "FAORRES"] = "changed"
    assert FA.loc[10, "FAORRES"] == "Y"


@given(st.lists(st.sampled_from(["TEMP", " temp", "Temp ", "HR", "", None, np.nan]),
                max_size=12),
       st.sets(st.sampled_from(["TEMP", "HR", "WEIGHT"])))
def test_the_records_are_those_the_engines_comparison_keeps(codes, wanted):
    """Regression: the engines' own filter (``upper_stripped(x).isin(wanted)``) on the whole
    frame gives the same records."""
    vs = pd.DataFrame({"VSTESTCD": pd.Series(codes, dtype=object),
                       "VSSEQ": np.arange(len(codes), dtype=float)})
    own = vs[upper_stripped(vs["VSTESTCD"]).isin(wanted).fillna(False).to_numpy(dtype=bool)]
    got = read_frame({"VS": vs}, "VS", ["VSSEQ", "VSTESTCD"], where={"VSTESTCD": wanted})
    pd.testing.assert_frame_equal(got, own[["VSSEQ", "VSTESTCD"]])


def test_the_examples_run():
    """The module's docstring examples (it sits outside the packages test_doctests walks)."""
    import doctest

    import cartrial.study_reads as mod

    assert doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0


def test_every_record_read_variable_by_variable_is_the_frame_of_the_study():
    """Regression: without ``where`` the frame is put together one variable at a time (memory);
    it equals ``Study.frame``'s, dtypes, order and index labels included."""
    df = pd.DataFrame({"A": ["x", None, "z"], "B": [1.0, np.nan, 3.0],
                       "C": pd.array(["p", None, "r"], dtype="string"), "D": [1, 2, 3],
                       "E": pd.to_datetime(["2020-01-01", None, "2020-01-03"])}, index=[5, 5, 7])
    st = Study({"X": df})
    for cols in (["E", "A", "B", "C", "D", "Q"], None, ["B"], ["Q"]):
        pd.testing.assert_frame_equal(read_frame(st, "X", cols), st.frame("X", cols))


def test_the_variables_filtered_on_are_not_decoded_whole(monkeypatch):
    """A domain held encoded: the spellings of a filtered variable and the subjects are taken
    from its held distinct values; only the records kept are decoded (issue #18)."""
    lb = pd.DataFrame({"USUBJID": [f"S{i % 7}" for i in range(70)],
                       "LBTESTCD": ["IL6", " il6", "HGB", None, "CRP"] * 14,
                       "LBSTRESN": np.arange(70, dtype=float)}, index=np.arange(100, 170))
    st = Study({})
    st.domains.hold("LB", lb)
    whole = []
    frame = CompactFrame.frame

    def spy(self, columns=None, rows=None, **kw):
        whole.append(rows is None)
        return frame(self, columns, rows, **kw)

    monkeypatch.setattr(CompactFrame, "frame", spy)
    got = read_frame(st, "LB", ["LBSTRESN"], where={"LBTESTCD": {"IL6"}})
    keep = upper_stripped(lb["LBTESTCD"]).isin({"IL6"}).fillna(False).to_numpy(dtype=bool)
    pd.testing.assert_frame_equal(got, lb.loc[keep, ["LBSTRESN"]])
    got = subject_frame(st, "LB", {"S3", "S9"}, ["USUBJID", "LBSTRESN"])
    pd.testing.assert_frame_equal(got, lb.loc[lb["USUBJID"] == "S3", ["USUBJID", "LBSTRESN"]])
    assert whole and not any(whole)
    assert subject_frame(st, "VS", {"S3"}) is None
