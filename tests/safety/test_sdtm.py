"""SDTM adapters and the whole analysis on a small hand-written study (docs/data-model.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cartrial.data import load_study
from cartrial.errors import RecordError
from cartrial.protocol import load_protocol
from cartrial.safety.analysis import analyse_safety
from cartrial.safety.sdtm import safety_inputs

from .sdtm_fixture import _d, study_frames, write_study

CT071 = load_protocol("ct071")


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory):
    root = write_study(tmp_path_factory.mktemp("study"))
    study = load_study(root)
    assert not [f for f in study.load_findings if f.severity == "error"]
    inputs = safety_inputs(study, CT071)
    return inputs, analyse_safety(inputs, CT071)


def test_crs_inputs_from_vs_fa_cm(analysis) -> None:
    inputs, _ = analysis
    s1 = inputs.crs[inputs.crs["USUBJID"] == "S1"]
    # DAY = days since midnight of the infusion date; assessments at 08:00
    assert np.allclose(s1["DAY"].to_numpy(), np.arange(1, 6) + 8 / 24)
    assert s1["TEMP"].tolist() == [38.4, 39.1, 37.2, 37.0, 36.8]
    # tocilizumab started day 2 07:30: flagged on the first time point at or after it
    assert s1["TOCILIZUMAB"].tolist() == [False, True, False, False, False]
    assert s1["O2_DEVICE"].tolist()[2] == "NASAL CANNULA"


def test_crs_graded_with_masking_from_sdtm(analysis) -> None:
    _, a = analysis
    tp = a.crs.timepoints
    s1 = tp[tp["USUBJID"] == "S1"]
    # fever G1; fever + 1 pressor G3; afebrile after tocilizumab on 1 pressor: masked G3;
    # afebrile hypotension on fluids: masked G2; then resolved
    assert s1["GRADE"].tolist() == [1, 3, 3, 2, 0]
    assert s1["MASKED"].tolist() == [False, False, True, True, False]
    # the death of S2 (progression, day 40) is a time point with DEATH, not CRS
    s2 = tp[tp["USUBJID"] == "S2"]
    assert s2["DEATH"].tolist() == [False, True] and s2["GRADE"].max() == 0


def test_icans_from_qs_fa(analysis) -> None:
    _, a = analysis
    tp = a.icans.timepoints
    assert tp["ICE"].tolist() == [8.0, 10.0]
    assert tp["GRADE"].tolist() == [1, 0]


def test_labs_baseline_and_grades(analysis) -> None:
    _, a = analysis
    s1 = a.labs[(a.labs["USUBJID"] == "S1") & (a.labs["PARAMCD"] == "NEUT")]
    assert s1["ATOXGRL"].tolist() == [0, 4, 3, 0]
    assert s1["ABLFL"].tolist() == ["Y", "", "", ""]
    assert (a.labs["CTCAE_VERSION"] == "5.0").all()


def test_dlt_and_evaluability(analysis) -> None:
    _, a = analysis
    p = a.dlt.patients.set_index("USUBJID")
    # S1: grade 3 CRS improved to 2 after 48 h, grade 4 ANC recovered by day 14: no DLT
    assert (p.loc["S1", "DLT"], bool(p.loc["S1", "DLT_EVALUABLE"])) == ("no", True)
    # S2 died on day 40, after the 28-day window: evaluable, no DLT
    assert (p.loc["S2", "DLT"], bool(p.loc["S2", "DLT_EVALUABLE"])) == ("no", True)
    # S3 followed to day 20 only: pending, not yet evaluable
    assert (p.loc["S3", "DLT"], bool(p.loc["S3", "DLT_EVALUABLE"])) == ("pending", False)
    assert p.loc["S1", "DOSE_LEVEL"] == "DL1" and p.loc["S3", "DOSE_LEVEL"] == "DL2"


def test_reported_grades_kept_and_disagreements_listed(analysis) -> None:
    inputs, a = analysis
    d = a.grade_disagreements.set_index(["USUBJID", "TERM"])
    # S1 reported neutropenia grade 3; labs show 0.3 x10^9/L = grade 4
    row = d.loc[("S1", "Neutrophil count decreased")]
    assert (row["REPORTED_GRADE"], row["DERIVED_GRADE"], row["STATUS"]) == (3, 4, "DISAGREE")
    # CRS grade 3 reported and derived: agreement, not listed
    assert ("S1", "Cytokine release syndrome") not in d.index
    assert inputs.ae.loc[inputs.ae["AEDECOD"] == "Neutrophil count decreased", "GRADE"].tolist(
        ) == [3]


def test_tables_and_method(analysis) -> None:
    _, a = analysis
    crs = a.tables["crs"]
    ov = crs[(crs["COLUMN"] == "Overall")].set_index("ROW")["VALUE"]
    assert ov["CRS: any grade"] == "2 (66.7%)"
    assert ov["CRS: grade 3"] == "1 (33.3%)"
    deaths = a.tables["deaths"]
    assert deaths[(deaths["ROW"] == "All deaths") & (deaths["COLUMN"] == "DL1")]["N"].item() == 1
    assert a.method["ctcae_version"] == "5.0"
    assert a.method["masked_fever_keeps_grade1"] is False


def test_partial_date_on_a_lab_names_the_record(tmp_path: Path) -> None:
    frames = study_frames()
    frames["LB"].loc[1, "LBDTC"] = "2024-03"
    study = load_study(write_study(tmp_path / "s", frames))
    with pytest.raises(RecordError) as exc:
        safety_inputs(study, CT071)
    f = exc.value.finding
    assert (f.domain, f.usubjid, f.variable, f.value) == ("LB", "S1", "LBDTC", "2024-03")


def test_observation_after_death_is_an_error(tmp_path: Path) -> None:
    frames = study_frames()
    vs = frames["VS"]
    extra = vs[vs["USUBJID"] == "S2"].copy()
    extra["VSDTC"] = _d("S2", 45, "08:00")
    extra["VSSEQ"] = 99
    frames["VS"] = pd.concat([vs, extra], ignore_index=True)
    study = load_study(write_study(tmp_path / "s", frames))
    with pytest.raises(RecordError, match="after the subject's death"):
        analyse_safety(safety_inputs(study, CT071), CT071)


def test_weight_loss_and_hypogammaglobulinemia(analysis) -> None:
    _, a = analysis
    w = a.worst_labs.set_index(["USUBJID", "TERM"])
    assert w.loc[("S1", "Weight loss"), "WORST_GRADE"] == 2       # 80 -> 70 kg, -12.5%
    h = a.tables["hypogammaglobulinemia"]
    assert h[h["COLUMN"] == "DL2"]["N"].item() == 1
    assert h[h["COLUMN"] == "DL1"]["N"].item() == 0


def test_therapy_flag_columns_in_a_fixed_order(analysis) -> None:
    """The CRS frame's therapy flags come in the order of CM_CLASSES (they were added in a
    set's order, which changes from one Python process to the next with string hashing)."""
    from cartrial.safety.sdtm_base import CM_CLASSES

    inputs, _ = analysis
    cols = [c for c in inputs.crs.columns if c in set(CM_CLASSES.values())]
    assert cols == list(dict.fromkeys(CM_CLASSES.values()))


def _pivot_cases() -> dict[str, pd.DataFrame]:
    s = "string"
    obj = pd.DataFrame({
        "USUBJID": pd.array(["B", "A", "A", "B", "A"], dtype=s),
        "FADTC": pd.array(["2024-01-02", "2024-01-01", "2024-01-01", "2024-01-01", "2024-01-03"],
                          dtype=s),
        "FATESTCD": pd.array(["hypotn", "HYPOTN", "O2FLOW", "LOC", "XX"], dtype=s),
        "FASEQ": [1.0, 2.0, 3.0, 4.0, 5.0], "V": pd.Series(["Y", 2.0, None, "N", "Z"])})
    return {
        "text": obj, "empty": obj.iloc[:0], "none asked": obj[obj["FATESTCD"] == "XX"],
        "missing date": obj.assign(FADTC=pd.array(["d", None, "d", "d", "d"], dtype=s)),
        "float": obj.assign(V=[1.5, np.nan, 2.0, 3.0, 4.0]),
        "int": obj.assign(V=[1, 2, 3, 4, 5]),
        "object keys": obj.astype({"USUBJID": object, "FADTC": object, "FATESTCD": object}),
    }


@pytest.mark.parametrize("case", list(_pivot_cases()))
def test_pivot_equals_pandas_pivot(case: str) -> None:
    """Regression (the code against pandas' ``duplicated`` + ``pivot``, which it replaces for
    text or float values with complete keys): the same frame, dtypes and order; a test given
    twice at one date-time refused, naming the record."""
    from cartrial.safety._frames import text_values
    from cartrial.safety.sdtm_base import _pivot, _pivot_frame

    df = _pivot_cases()[case]
    names = {"HYPOTN": "HYPOTENSION", "O2FLOW": "O2_FLOW", "LOC": "CONSCIOUSNESS"}
    t = text_values(df["FATESTCD"])
    rows = np.flatnonzero(np.isin(t, list(names)))
    sub = df[["USUBJID", "FADTC", "FATESTCD", "FASEQ"]].iloc[rows].assign(
        _V=df["V"].iloc[rows], _T=pd.arrays.StringArray(t[rows]))
    pd.testing.assert_frame_equal(_pivot(df, "FATESTCD", "FADTC", df["V"], names),
                                  _pivot_frame(sub, "FA", "FATESTCD", "FADTC", names))
    twice = pd.concat([df, df.iloc[1:2].assign(FASEQ=9.0)], ignore_index=True)
    if len(rows) > 1 and case != "missing date":
        with pytest.raises(RecordError, match="FASEQ=2|SEQ=2") as err:
            _pivot(twice, "FATESTCD", "FADTC", twice["V"], names)
        assert "the same test twice" in str(err.value)


def test_ice_values_equal_the_where_they_replace() -> None:
    """Regression (against QSSTRESN where present, else QSORRES read as a number, for every
    record): a float QSSTRESN without a missing value is returned as it is; the other cases
    take the same way as before."""
    from cartrial.safety.sdtm import _ice_values

    orres = pd.Series(["7", "x", "10", None], dtype="string", index=[3, 5, 8, 9])
    cases = [pd.DataFrame({"QSSTRESN": [7.0, 1.0, 10.0, 2.0], "QSORRES": orres}, index=orres.index),
             pd.DataFrame({"QSSTRESN": [7.0, np.nan, np.nan, 2.0], "QSORRES": orres},
                          index=orres.index),
             pd.DataFrame({"QSORRES": orres}, index=orres.index),
             pd.DataFrame({"QSSTRESN": pd.Series(["7", None, "1", "2"], dtype=object,
                                                 index=orres.index), "QSORRES": orres})]
    for q in cases:
        qv = q["QSSTRESN"] if "QSSTRESN" in q else pd.to_numeric(q["QSORRES"], errors="coerce")
        want = qv.where(qv.notna(), pd.to_numeric(q["QSORRES"], errors="coerce"))
        pd.testing.assert_series_equal(_ice_values(q), want, check_exact=True)
