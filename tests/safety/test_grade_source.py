"""One grade per CRS / ICANS event (protocol ``safety.crs_icans_grade_source``) and the
reconciliation of reported and derived grades.

The derived grades are hand-worked from the ASTCT 2019 CRS grading table (Lee DW et al., Biol
Blood Marrow Transplant 2019;25:625-38, Table 4): fever alone is grade 1; fever with hypotension
needing one vasopressor is grade 3; fever with low-flow nasal cannula (<= 6 L/min) is grade 2.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.errors import InputError
from cartrial.safety import crs_table, grade_crs, grade_icans, teae_grade_table
from cartrial.safety.grade_source import (
    primary_ae,
    reconcile_syndrome_grades,
    source_label,
    syndrome_events,
    worst_crs_grade,
)

CRS = "Cytokine release syndrome"


def _flow() -> pd.DataFrame:
    rows = [
        # P1: fever alone on days 2-3 -> ASTCT grade 1 (investigator reported 2)
        ("P1", 1.3, 37.0, 0, None, None), ("P1", 2.3, 38.6, 0, None, None),
        ("P1", 3.3, 38.9, 0, None, None), ("P1", 4.3, 37.0, 0, None, None),
        # P2: fever + one vasopressor on day 3 -> grade 3 (investigator reported 3: agree)
        ("P2", 1.3, 37.0, 0, None, None), ("P2", 2.3, 38.5, 0, None, None),
        ("P2", 3.3, 38.7, 1, None, None), ("P2", 5.3, 37.0, 0, None, None),
        # P3: fever + nasal cannula 4 L/min on day 2 -> grade 2, but no CRS AE record
        ("P3", 1.3, 37.0, 0, None, None), ("P3", 2.3, 38.4, 0, "NASAL CANNULA", 4.0),
        ("P3", 3.3, 37.0, 0, None, None),
        # P4: afebrile throughout -> no CRS; the investigator reported grade 1
        ("P4", 1.3, 37.0, 0, None, None), ("P4", 2.3, 37.2, 0, None, None),
    ]
    return pd.DataFrame(rows, columns=["USUBJID", "DAY", "TEMP", "PRESSORS", "O2_DEVICE",
                                       "O2_FLOW"])


def _ae() -> pd.DataFrame:
    # P5 has a CRS AE but no observations at all: the derived source falls back to it
    return pd.DataFrame({
        "USUBJID": ["P1", "P2", "P4", "P5", "P1"], "SEQ": [1.0, 1.0, 1.0, 1.0, 2.0],
        "AEDECOD": [CRS, CRS, CRS, CRS, "Rash"],
        "AEBODSYS": ["Immune system disorders"] * 4 + ["Skin and subcutaneous tissue disorders"],
        "GRADE": [2.0, 3.0, 1.0, 2.0, 1.0], "START_DAY": [2.0, 2.1, 2.0, 3.0, 10.0],
        "END_DAY": [5.0, 6.0, 3.0, 6.0, 12.0], "TRTEMFL": "Y"})


@pytest.fixture(scope="module")
def graded():
    crs = grade_crs(_flow())
    icans = grade_icans(pd.DataFrame({"USUBJID": ["P1"], "DAY": [1.0], "ICE": [10]}))
    return crs, icans


def test_derived_source_uses_the_astct_grade_of_each_event(graded) -> None:
    ev = syndrome_events(_ae(), *graded, "derived").set_index("USUBJID")
    assert ev.loc["P1", ["REPORTED_GRADE", "DERIVED_GRADE", "GRADE"]].tolist() == [2, 1, 1]
    assert ev.loc["P1", "DRIVER"] == "day 2.3: grade 1 by fever"
    assert ev.loc["P2", ["REPORTED_GRADE", "DERIVED_GRADE", "GRADE"]].tolist() == [3, 3, 3]
    assert ev.loc["P2", "DRIVER"] == "day 3.3: grade 3 by hypotension"
    # an episode without an AE record is an event of its own
    assert pd.isna(ev.loc["P3", "SEQ"]) and ev.loc["P3", "GRADE"] == 2
    assert ev.loc["P3", "DRIVER"] == "day 2.3: grade 2 by hypoxia"
    # observations that never meet the criteria: derived grade 0, not counted
    assert ev.loc["P4", ["DERIVED_GRADE", "GRADE"]].tolist() == [0, 0]
    # no observations: the investigator's grade, and the source says so
    assert ev.loc["P5", "GRADE"] == 2 and ev.loc["P5", "GRADE_SOURCE"].startswith("reported")


def test_reported_source_keeps_the_investigator_grade(graded) -> None:
    ev = syndrome_events(_ae(), *graded, "reported").set_index("USUBJID")
    assert ev.loc[["P1", "P2", "P4", "P5"], "GRADE"].tolist() == [2, 3, 1, 2]
    assert ev.loc["P3", "GRADE"] == 0  # derived only: no AE record to count


def test_reconciliation_lists_every_event_that_differs(graded) -> None:
    ev = syndrome_events(_ae(), *graded, "derived")
    diff = reconcile_syndrome_grades(ev)
    assert sorted(diff["USUBJID"]) == ["P1", "P3", "P4"]  # P2 agrees, P5 has no derived grade


def test_tables_use_one_grade_per_event(graded) -> None:
    """The TEAE table and the CRS table give the same CRS distribution by grade."""
    crs, icans = graded
    ae = _ae()
    ev = syndrome_events(ae, crs, icans, "derived")
    subjects = pd.DataFrame({"USUBJID": ["P1", "P2", "P3", "P4", "P5"], "DOSE_LEVEL": "DL1"})
    teae = teae_grade_table(primary_ae(ae, ev), subjects)
    row = teae[(teae["ROW"].str.endswith(CRS)) & (teae["COLUMN"] == "Overall")]
    by_grade = dict(zip(row["STATISTIC"], row["N"], strict=True))
    tab = crs_table(crs.episodes, subjects, ev[ev["EVENT"] == "CRS"])
    tab = tab[tab["COLUMN"] == "Overall"].set_index("ROW")["N"]
    for g in range(1, 6):
        assert by_grade[f"grade {g}"] == tab[f"CRS: grade {g}"]
    # P1 grade 1, P3 grade 2, P2 grade 3, P5 grade 2 (reported, no observations); P4 not CRS
    assert [by_grade[f"grade {g}"] for g in (1, 2, 3)] == [1, 2, 1]
    assert worst_crs_grade(ev, subjects["USUBJID"])["CRSGR"].tolist() == [1, 3, 2, 0, 2]


def test_unknown_source_is_an_input_error(graded) -> None:
    with pytest.raises(InputError, match="crs_icans_grade_source"):
        syndrome_events(_ae(), *graded, "investigator")
    assert "Lee DW et al." in source_label("derived")
