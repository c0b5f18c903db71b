"""Report tables of the CAR-T safety standards (cartrial.report.safety_standards): numbering,
titles, footnotes citing the guidelines themselves, and the IEC-HS listing. Regression tests
of the layout; the counts themselves are checked in tests/safety."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from cartrial.report.safety_standards import iec_hs_listing, safety_standard_items
from cartrial.safety import basket_tables, car_hematotox, grade_icaht, hematotox_table, icaht_table

SUBJECTS = pd.DataFrame({"USUBJID": ["A", "B"], "DOSE_LEVEL": ["DL1", "DL2"]})


def _safety() -> SimpleNamespace:
    labs = pd.DataFrame({"USUBJID": ["A", "A", "B", "B"], "PARAMCD": "NEUT",
                         "DAY": [0, 20, 0, 5], "AVAL": [0.4, 1.0, 2.0, 2.0]})
    base = pd.DataFrame({"USUBJID": "A", "DAY": -5.0,
                         "PARAMCD": ["NEUT", "HGB", "PLAT", "CRP", "FERRITIN"],
                         "AVAL": [1.0, 120.0, 60.0, 5.0, 300.0]})
    ae = pd.DataFrame({"USUBJID": ["A", "B"], "AEDECOD": ["Parkinsonism", "T-cell lymphoma"],
                       "GRADE": [3, 4], "START_DAY": [40.0, 200.0], "END_DAY": [np.nan, np.nan]})
    baskets = [SimpleNamespace(category="Neurotoxicity other than ICANS", name="Parkinsonism",
                               terms=["Parkinsonism"]),
               SimpleNamespace(category="Second primary malignancies", name="T-cell malignancies",
                               terms=["T-cell lymphoma"])]
    iec = pd.DataFrame({"USUBJID": ["B"], "STATUS": ["reported and screen-positive"],
                        "ONSET_DAY": [12.0], "FERRITIN_PEAK": [25000.0], "N_OTHER_CORE": [3],
                        "CRS_TIMING": ["after CRS resolution"], "REPORTED_TERM": ["IEC-HS"],
                        "REPORTED_GRADE": [3.0], "REPORTED_DAY": [13.0], "SCREEN": [True]})
    tables = {"icaht": icaht_table(grade_icaht(labs), SUBJECTS),
              "hematotox": hematotox_table(car_hematotox(base), SUBJECTS),
              **basket_tables(ae, SUBJECTS, baskets)}
    return SimpleNamespace(tables=tables, iec_hs=iec, method={"icaht_censoring": "death"})


def test_tables_numbered_titled_and_cited() -> None:
    items = safety_standard_items(_safety().tables, _safety().method,
                                  {"DL1": 1, "DL2": 1, "Overall": 2})
    assert [t.number for t in items] == ["14.3.8", "14.3.9", "14.3.11", "14.3.12"]
    assert "ICAHT" in items[0].title and "T-cell" in items[3].title
    notes = " ".join(n for t in items for n in t.footnotes)
    assert "Blood 2023;142:865-77" in notes and "Blood 2021;138:2499-513" in notes
    assert ".md" not in notes and ".py" not in notes and "cartrial." not in notes
    wide = items[0].wide()
    assert wide.loc["Early ICAHT (day 0-30): grade 3", "DL1 (N=1)"] == "1 (100.0%)"
    assert items[3].wide().loc["T-cell malignancies: grade 4", "DL2 (N=1)"] == "1 (100.0%)"


def test_iec_hs_listing_one_row_per_patient() -> None:
    t = iec_hs_listing(_safety(), "16.2.7")
    assert t.kind == "listing" and t.caption.startswith("Listing 16.2.7")
    w = t.wide()
    assert w["Subject"].tolist() == ["B"] and w["Ferritin peak (ug/L)"].item() == "25000"
    assert w["Grade"].item() == "3"
    assert "Transplant Cell Ther 2023;29:438.e1-16" in " ".join(t.footnotes)
    assert iec_hs_listing(SimpleNamespace(iec_hs=pd.DataFrame())) is None


def test_icaht_by_risk_columns_carry_their_n() -> None:
    from cartrial.safety import icaht_by_risk_table

    s = _safety()
    labs = pd.DataFrame({"USUBJID": ["A", "A", "B", "B"], "PARAMCD": "NEUT",
                         "DAY": [0, 20, 0, 5], "AVAL": [0.4, 1.0, 2.0, 2.0]})
    scores = pd.DataFrame({"USUBJID": ["A", "B"], "SCORE": [3.0, 0.0], "RISK": ["high", "low"]})
    s.tables["icaht_by_risk"] = icaht_by_risk_table(grade_icaht(labs), scores)
    t = next(t for t in safety_standard_items(s.tables, s.method,
                                              {"DL1": 1, "DL2": 1, "Overall": 2})
             if t.number == "14.3.9.1")
    assert t.columns == ["Low risk (0-1) (N=1)", "High risk (>= 2) (N=1)", "Overall (N=2)"]
    assert t.wide().loc["Early ICAHT (day 0-30): grade 3", "High risk (>= 2) (N=1)"] == (
        "1 (100.0%)")
