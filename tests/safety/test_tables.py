"""Safety tables as tidy data frames: counts and denominators worked by hand."""

from __future__ import annotations

import pandas as pd

from cartrial.safety.tables import (
    COLUMNS,
    crs_table,
    cytopenia_table,
    deaths_table,
    dlt_table,
    icans_table,
    teae_table,
)

SUBJECTS = pd.DataFrame({"USUBJID": ["a", "b", "c", "d", "e"],
                         "DOSE_LEVEL": ["DL1", "DL1", "DL1", "DL2", "DL2"]})


def cell(t: pd.DataFrame, row: str, column: str, statistic: str | None = None) -> pd.Series:
    m = (t["ROW"] == row) & (t["COLUMN"] == column)
    if statistic is not None:
        m &= t["STATISTIC"] == statistic
    sel = t[m]
    assert len(sel) == 1, (row, column, statistic, len(sel))
    return sel.iloc[0]


def test_teae_by_soc_pt_worst_grade_per_subject() -> None:
    ae = pd.DataFrame({
        "USUBJID": ["a", "a", "b", "d", "c"],
        "AEBODSYS": ["Skin", "Skin", "Skin", "Nervous", "Skin"],
        "AEDECOD": ["Nail disorder", "Nail disorder", "Dry skin", "Ataxia", "Dry skin"],
        "GRADE": [1, 3, 2, 4, 1],
        "TRTEMFL": ["Y", "Y", "Y", "Y", ""],        # c's event is not treatment-emergent
    })
    t = teae_table(ae, SUBJECTS)
    assert list(t.columns) == COLUMNS
    # any TEAE: a, b in DL1 (2/3), d in DL2 (1/2), overall 3/5
    assert cell(t, "Any TEAE", "DL1", "any grade")["VALUE"] == "2 (66.7%)"
    assert cell(t, "Any TEAE", "Overall", "any grade")["VALUE"] == "3 (60.0%)"
    # a's nail disorder counted once, at its worst grade 3
    assert cell(t, "Skin / Nail disorder", "DL1", "any grade")["N"] == 1
    assert cell(t, "Skin / Nail disorder", "DL1", "grade >= 3")["N"] == 1
    assert cell(t, "Skin / Dry skin", "DL1", "grade >= 3")["N"] == 0
    assert cell(t, "Nervous / Ataxia", "DL2", "grade >= 3")["VALUE"] == "1 (50.0%)"
    assert cell(t, "Skin", "DL1", "any grade")["ROW_LEVEL"] == 0
    assert cell(t, "Skin / Dry skin", "DL1", "any grade")["ROW_LEVEL"] == 1


def test_crs_and_icans_tables() -> None:
    ep = pd.DataFrame({"USUBJID": ["a", "a", "b", "d"], "MAX_GRADE": [1, 3, 2, 1],
                       "ONSET_DAY": [2.0, 9.0, 4.0, 1.0], "DURATION_DAYS": [3.0, 5.0, float("nan"),
                                                                           2.0],
                       "TOCILIZUMAB": [False, True, True, False],
                       "STEROID": [False, True, False, False]})
    t = crs_table(ep, SUBJECTS)
    assert cell(t, "CRS: any grade", "DL1")["VALUE"] == "2 (66.7%)"
    assert cell(t, "CRS: grade 3", "DL1")["N"] == 1      # a, worst of 1 and 3
    assert cell(t, "CRS: grade 1", "DL1")["N"] == 0
    assert cell(t, "CRS: grade 1", "DL2")["N"] == 1
    assert cell(t, "CRS: grade >= 3", "Overall")["VALUE"] == "1 (20.0%)"
    # first-episode onset: a 2, b 4 -> median 3.0 (2.0-4.0)
    assert cell(t, "Onset, days from infusion (first episode)", "DL1")["VALUE"] == "3.0 (2.0-4.0)"
    # durations of resolved episodes: 3, 5, 2 -> median 3
    assert cell(t, "Duration, days (resolved episodes)", "Overall")["VALUE"] == "3.0 (2.0-5.0)"
    assert cell(t, "Tocilizumab", "DL1")["N"] == 2
    assert cell(t, "Corticosteroids", "Overall")["N"] == 1
    assert cell(t, "Duration, days (resolved episodes)", "DL2")["VALUE"] == "2.0 (2.0-2.0)"
    ti = icans_table(ep.iloc[:0], SUBJECTS)
    assert cell(ti, "ICANS: any grade", "Overall")["VALUE"] == "0 (0.0%)"
    assert cell(ti, "Onset, days from infusion (first episode)", "Overall")["VALUE"] == "-"


def test_cytopenia_table() -> None:
    rec = pd.DataFrame({"USUBJID": ["a", "b", "d"], "TERM": "Neutrophil count decreased",
                        "FIRST_DAY": [5.0, 7.0, 3.0], "RECOVERED": [True, False, True],
                        "RECOVERY_DAY": [14.0, float("nan"), 40.0],
                        "PROLONGED": pd.array([False, True, True], dtype="boolean")})
    t = cytopenia_table(rec, SUBJECTS)
    term = "Neutrophil count decreased"
    assert cell(t, f"{term}: grade >= 3", "Overall")["N"] == 3
    assert cell(t, f"{term}: recovered to grade <= 2", "DL1")["N"] == 1
    assert cell(t, f"{term}: grade >= 3 beyond day 28", "Overall")["N"] == 2
    assert cell(t, f"{term}: days to recovery", "Overall")["VALUE"] == "23.0 (9.0-37.0)"


def test_dlt_table() -> None:
    p = pd.DataFrame({"USUBJID": list("abcde"), "DOSE_LEVEL": ["DL1"] * 3 + ["DL2"] * 2,
                      "DLT": ["yes", "no", "pending", "no", "yes"],
                      "DLT_EVALUABLE": [True, True, False, True, True],
                      "DLT_RULE": ["CRS4", None, None, None, "ICANS4"]})
    t = dlt_table(p)
    assert cell(t, "Patients with DLT", "DL1")["VALUE"] == "1/2 (50.0%)"
    assert cell(t, "Patients with DLT", "Overall")["VALUE"] == "2/4 (50.0%)"
    assert cell(t, "DLT pending", "DL1")["N"] == 1
    assert cell(t, "DLT rule CRS4", "DL2")["N"] == 0
    assert cell(t, "Treated", "Overall")["N"] == 5
    # the protocol's words for a rule replace its id (issue #16 point 6)
    worded = dlt_table(p, {"CRS4": "Grade 4 CRS"})
    assert cell(worded, "Grade 4 CRS", "DL1")["N"] == 1
    assert "DLT rule CRS4" not in set(worded["ROW"])


def test_deaths_table() -> None:
    d = pd.DataFrame({"USUBJID": ["a", "d"], "DEATH_DAY": [20.0, 150.0],
                      "CAUSE": ["CRS", "DISEASE PROGRESSION"]})
    t = deaths_table(d, SUBJECTS)
    assert cell(t, "All deaths", "Overall")["VALUE"] == "2 (40.0%)"
    assert cell(t, "Within 30 days of infusion", "DL1")["N"] == 1
    assert cell(t, "Within 90 days of infusion", "DL2")["N"] == 0
    assert cell(t, "Cause: DISEASE PROGRESSION", "DL2")["N"] == 1


def test_teae_by_worst_grade_counts_each_patient_once_at_the_worst_grade() -> None:
    from cartrial.safety import teae_grade_table

    ae = pd.DataFrame({
        "USUBJID": ["a", "a", "b", "d"],
        "AEBODSYS": ["Skin", "Skin", "Skin", "Nervous"],
        "AEDECOD": ["Nail disorder", "Nail disorder", "Nail disorder", "Ataxia"],
        "GRADE": [1, 3, 2, 1],
    })
    t = teae_grade_table(ae, SUBJECTS)
    overall = t[t["COLUMN"] == "Overall"].set_index(["ROW", "STATISTIC"])["N"]
    assert overall[("Skin / Nail disorder", "grade 3")] == 1    # a at its worst, not grade 1
    assert overall[("Skin / Nail disorder", "grade 1")] == 0
    assert overall[("Skin / Nail disorder", "grade 2")] == 1
    assert overall[("Any TEAE", "grade 1")] == 1                 # d
    assert sum(overall[("Any TEAE", f"grade {g}")] for g in range(1, 6)) == 3
