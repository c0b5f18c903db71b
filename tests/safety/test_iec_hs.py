"""IEC-HS (ASTCT: Hines MR et al., Transplant Cell Ther 2023;29(7):438.e1-438.e16). The
manifestation cut-offs are the paper's (ferritin > 2 x ULN or baseline at infusion; transaminases
> 5 x ULN, or > 5 x baseline when abnormal; fibrinogen < 150 mg/dL; LDH > ULN; haemophagocytosis;
cytopenias); the screen combining them (ferritin + two other manifestation groups within 14
days) is cartrial's stated operational rule."""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.errors import RecordError
from cartrial.safety import identify_iec_hs, iec_hs_table


def lab(paramcd: str, day: float, aval: float, uln: float = float("nan"), subject: str = "P"):
    return {"USUBJID": subject, "PARAMCD": paramcd, "DAY": day, "AVAL": aval, "ULN": uln}


def screen(rows: list[dict], **kw) -> pd.DataFrame:
    return identify_iec_hs(pd.DataFrame(rows), **kw)


FERR_BASE = lab("FERRITIN", 0, 300, 400)
ALT_HIGH = lab("ALT", 13, 250, 40)       # > 5 x ULN 40: transaminitis


def test_ferritin_above_twice_uln_with_cytopenia_and_transaminitis() -> None:
    # ferritin 801 > 2 x ULN 400 on day 12, platelets 30 (< 50) on day 14, ALT 250 -> candidate
    r = screen([FERR_BASE, lab("FERRITIN", 12, 801, 400), lab("PLAT", 14, 30),
                ALT_HIGH]).iloc[0]
    assert r["SCREEN"] and r["ONSET_DAY"] == 12 and r["THROMBOCYTOPENIA_DAY"] == 14
    assert r["N_OTHER_CORE"] == 2 and r["CRS_TIMING"] == "no CRS before onset"
    # 800 = 2 x ULN is not above it: no candidate
    assert screen([FERR_BASE, lab("FERRITIN", 12, 800, 400), lab("PLAT", 14, 30),
                   ALT_HIGH]).empty
    # neutropenia and thrombocytopenia are one manifestation (cytopenias): not enough alone
    assert screen([FERR_BASE, lab("FERRITIN", 12, 5000, 400), lab("PLAT", 14, 30),
                   lab("NEUT", 14, 0.2)]).empty


def test_abnormal_baseline_ferritin_uses_twice_baseline() -> None:
    base = lab("FERRITIN", -1, 1500, 400)   # above ULN at infusion: 2 x baseline = 3000
    assert screen([base, lab("FERRITIN", 10, 2500, 400), lab("NEUT", 10, 0.4), ALT_HIGH]).empty
    r = screen([base, lab("FERRITIN", 10, 3100, 400), lab("NEUT", 10, 0.4), ALT_HIGH]).iloc[0]
    assert r["SCREEN"] and r["NEUTROPENIA_DAY"] == 10


@pytest.mark.parametrize(("row", "companion", "hit"), [
    (lab("ALT", 13, 200, 40), lab("PLAT", 12, 30), False),       # > 5 x ULN needed
    (lab("ALT", 13, 200.5, 40), lab("PLAT", 12, 30), True),
    (lab("FIBRINO", 13, 1.5), lab("PLAT", 12, 30), False),        # < 1.5 g/L needed
    (lab("FIBRINO", 13, 1.49), lab("PLAT", 12, 30), True),
    (lab("NEUT", 13, 1.0), ALT_HIGH, False), (lab("NEUT", 13, 0.99), ALT_HIGH, True),
    (lab("LDH", 13, 900, 250), ALT_HIGH, False),   # LDH > ULN: a manifestation, not core
])
def test_other_core_manifestations(row: dict, companion: dict, hit: bool) -> None:
    out = screen([FERR_BASE, lab("FERRITIN", 12, 5000, 400), row, companion])
    assert (not out.empty) is hit


def test_transaminases_against_abnormal_baseline() -> None:
    # ALT baseline 100 (ULN 40, abnormal): > 5 x baseline = 500 needed
    rows = [FERR_BASE, lab("FERRITIN", 12, 5000, 400), lab("ALT", 0, 100, 40),
            lab("PLAT", 12, 30)]
    assert screen(rows + [lab("ALT", 13, 450, 40)]).empty
    assert screen(rows + [lab("ALT", 13, 501, 40)]).iloc[0]["TRANSAMINASES_DAY"] == 13


def test_window_and_hemophagocytosis() -> None:
    rows = [FERR_BASE, lab("FERRITIN", 12, 5000, 400), lab("PLAT", 27, 30), ALT_HIGH]
    assert screen(rows).empty                        # platelets 15 days after the rise
    hlh = pd.DataFrame({"USUBJID": ["P"], "DAY": [15.0]})
    r = screen(rows, hemophagocytosis=hlh).iloc[0]
    assert r["HEMOPHAGOCYTOSIS_DAY"] == 15 and r["N_OTHER_CORE"] == 2


def test_timing_relative_to_crs_and_reported_grades() -> None:
    rows = [FERR_BASE, lab("FERRITIN", 12, 5000, 400), lab("PLAT", 12, 20), ALT_HIGH,
            lab("FERRITIN", 20, 900, 400, "Q"), lab("NEUT", 21, 0.2, subject="Q"),
            lab("FIBRINO", 22, 1.0, subject="Q")]
    crs = pd.DataFrame({"USUBJID": ["P", "Q"], "ONSET_DAY": [2.0, 15.0],
                        "RESOLUTION_DAY": [8.0, float("nan")]})
    ae = pd.DataFrame({"USUBJID": ["P", "R"], "AEDECOD": ["Immune effector cell-associated "
                                                          "HLH-like syndrome",
                                                          "Haemophagocytic lymphohistiocytosis"],
                       "GRADE": [3, 2], "START_DAY": [13.0, 30.0]})
    r = screen(rows, crs_episodes=crs, ae=ae).set_index("USUBJID")
    assert r.loc["P", "CRS_TIMING"] == "after CRS resolution"
    assert r.loc["Q", "CRS_TIMING"] == "during a CRS episode (review)"
    assert r.loc["P", "STATUS"] == "reported and screen-positive" and r.loc["P",
                                                                           "REPORTED_GRADE"] == 3
    assert r.loc["Q", "STATUS"] == "screen-positive, not reported: review"
    assert r.loc["R", "STATUS"] == "reported only" and not r.loc["R", "SCREEN"]
    subjects = pd.DataFrame({"USUBJID": ["P", "Q", "R", "S"], "DOSE_LEVEL": ["1", "1", "2", "2"]})
    t = iec_hs_table(r.reset_index(), subjects).set_index(["ROW", "COLUMN"])["VALUE"]
    assert t[("IEC-HS reported: grade >= 3", "1")] == "1 (50.0%)"
    assert t[("IEC-HS reported: any grade", "Overall")] == "2 (50.0%)"
    assert t[("Screen positive, no IEC-HS reported (medical review)", "1")] == "1 (50.0%)"


def test_bad_value_names_the_record() -> None:
    df = pd.DataFrame([FERR_BASE, lab("FERRITIN", 12, -5, 400)]).assign(SEQ=[1, 2])
    with pytest.raises(RecordError) as e:
        identify_iec_hs(df)
    assert e.value.finding.seq == 2


def test_onset_is_the_ferritin_rise_that_starts_the_cluster() -> None:
    """IEC-HS follows resolving CRS (ASTCT: onset with resolving CRS or after it): a ferritin
    rise with CRS on day 3 (ANC < 1.0 only: one manifestation group) is not the onset of the
    HLH-like picture 16 days later (ferritin, ALT > 5 x ULN, fibrinogen < 1.5 g/L)."""
    crs = pd.DataFrame({"USUBJID": ["P"], "ONSET_DAY": [2.0], "RESOLUTION_DAY": [9.0]})
    rows = [FERR_BASE, lab("FERRITIN", 3, 1200, 400), lab("NEUT", 3, 0.5),
            lab("FERRITIN", 19, 30000, 400), lab("ALT", 21, 300, 40), lab("FIBRINO", 19, 1.0)]
    r = screen(rows, crs_episodes=crs).iloc[0]
    assert r["SCREEN"] and r["ONSET_DAY"] == 19 and r["CRS_TIMING"] == "after CRS resolution"
    assert r["SCREEN_DAY"] == 21   # ALT, the second manifestation group, on day 21
    assert r["N_OTHER_CORE"] == 2 and r["FERRITIN_PEAK"] == 30000
    # without the later cluster the day-3 rise stays a single manifestation: no candidate
    assert screen(rows[:3], crs_episodes=crs).empty


def test_screen_day_is_when_the_picture_is_complete() -> None:
    """A ferritin rise during CRS (day 3) whose cluster completes after CRS resolution (ALT > 5
    x ULN on day 13): the screen is met on day 13, after CRS resolved on day 9."""
    crs = pd.DataFrame({"USUBJID": ["P"], "ONSET_DAY": [2.0], "RESOLUTION_DAY": [9.0]})
    rows = [FERR_BASE, lab("FERRITIN", 3, 1200, 400), lab("NEUT", 5, 0.5), ALT_HIGH]
    r = screen(rows, crs_episodes=crs).iloc[0]
    assert (r["ONSET_DAY"], r["SCREEN_DAY"]) == (3, 13)
    assert r["CRS_TIMING"] == "after CRS resolution"
