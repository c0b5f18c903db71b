"""example/truth.py: the truth tables, on a hand-worked pair of patients and on a trial.

The hand-worked case states each expected value from the inputs by hand (dates counted from
the infusion, the best confirmed IMWG category the lowest rank, a CRS DLT's onset the first
CRS episode); the trial case checks the truth against the SDTM the example writes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.example.assessments import Assessments
from cartrial.example.journey import Fate, Journey
from cartrial.example.truth import TruthInputs, truth_tables
from tests.example.conftest import trial


def _inputs() -> TruthInputs:
    j = Journey(np.array(["P1", "P2"], dtype=object),
                np.array(["2024-01-01", "2024-02-01"], dtype="datetime64[D]"),
                np.array(["001", "001"]), np.array([False, False]), np.array([200, 100]))
    ep_c = pd.DataFrame({"pat": [0], "what": ["CRS"], "episode": [1], "start_day": [2],
                         "end_day": [6], "start_minute": [600], "end_minute": [30],
                         "max_grade": [3], "hours_g3": [80.0]})
    ep_i = ep_c.iloc[:0]
    ae = pd.DataFrame({"pat": [0], "USUBJID": ["P1"], "term": ["Cytokine release syndrome"],
                       "episode": [1], "inv": [3], "grade": [3], "start": [2], "AESEQ": [4],
                       "src": ["episode"]})
    # ranks: 0 sCR, 1 CR, 2 VGPR, 3 PR, 4 MR, 5 SD, 6 PD; -1 = baseline row
    table = pd.DataFrame({"pat": [0, 0, 0, 0, 1, 1, 1], "nom": [-1, 28, 56, 90, -1, 28, 56],
                          "day": [-20, 28, 57, 91, -10, 29, 55],
                          "mdtype": ["SERUM"] * 4 + ["FLC"] * 3, "ppcl": False,
                          "cat": [np.nan, 3, 1, 1, np.nan, 6, 6],
                          "conf": [np.nan, 3, 1, 1, np.nan, 6, 6]})
    asm = Assessments(table, pd_day=np.array([np.inf, 29.0]),
                      new_therapy_day=np.array([np.inf, 70.0]),
                      mrd_test=np.zeros(7, bool), mrd_negative=np.zeros(7, bool))
    fate = Fate(end_day=np.array([200, 100]), why=np.array([3, 0]), died=np.array([False, True]),
                death_day=np.array([np.inf, 100.0]), nrm_death=np.array([False, False]))
    dplan = pd.DataFrame({"ppcl": [False, False], "mdtype": ["SERUM", "FLC"], "depth": [0, 5],
                          "t_pd": [np.inf, 0.0]})
    kp = pd.DataFrame({"cmax": [1e5, 2e4], "tmax": [10.0, 12.0], "half_fast": [5.0, 6.0],
                       "half_slow": [90.0, 80.0], "frac_fast": [0.9, 0.8],
                       "lost": [False, True], "flow_ratio": [0.01, 0.02]})
    return TruthInputs(j, np.array(["DL1", "DL2"], dtype=object),
                       np.array(["ESCALATION", "ESCALATION"]), np.array([1, 2]),
                       np.array(["2023-12-01", "2024-01-05"], dtype="datetime64[D]"), ep_c,
                       ep_i, asm, fate, dplan, kp, np.array(["CRS3_72H", ""]),
                       np.array([5, 0]), np.array([5, 0]), ae)


def test_hand_worked_truth_of_two_patients():
    out = truth_tables(_inputs())
    s = out["subjects"].set_index("USUBJID")
    assert s["best_confirmed_response"].tolist() == ["CR", "PD"]
    assert s.loc["P1", "first_response_dtc"] == "2024-01-29"   # day 28 after 1 Jan
    assert s.loc["P1", "first_cr_dtc"] == "2024-02-27"          # day 57
    assert s.loc["P1", "last_assessment_dtc"] == "2024-04-01"   # day 91 (29 Feb 2024)
    assert s.loc["P2", "pd_dtc"] == "2024-03-01"                # day 29 after 1 Feb
    assert s.loc["P2", "new_therapy_dtc"] == "2024-04-11"       # day 70
    assert s.loc["P2", "death_dtc"] == "2024-05-11"             # day 100
    assert s["death_cause"].tolist() == ["", "DISEASE PROGRESSION"]
    assert s["crs_max_grade"].tolist() == [3, 0] and s["icans_max_grade"].tolist() == [0, 0]
    d = out["dlt"].set_index("USUBJID")
    # a CRS DLT's event starts with the first CRS episode (day 2); met on the detect day (5)
    assert d.loc["P1", "event_onset_dtc"] == "2024-01-03"
    assert d.loc["P1", "dlt_met_dtc"] == "2024-01-06" and d.loc["P1", "dlt_met_day"] == 5
    assert d.loc["P2", "dlt"] == "N" and np.isnan(d.loc["P2", "dlt_met_day"])
    e = out["episodes"].iloc[0]
    assert (e["start_dtc"], e["end_dtc"], e["duration_days"]) == (
        "2024-01-03T10:00", "2024-01-07T00:30", 5)
    assert (e["investigator_grade"], e["AESEQ"]) == (3, 4)
    r = out["responses"]
    assert len(r) == 5 and r["confirmed"].tolist() == ["PR", "CR", "CR", "PD", "PD"]
    k = out["kinetics"].set_index("USUBJID")
    assert k["lost_persistence"].tolist() == ["N", "Y"]


def test_the_truth_agrees_with_the_sdtm_written():
    t = trial("default", 20240228, 300)
    dm = t.domains["DM"].set_index("USUBJID")
    dlt = t.truth["dlt"].set_index("USUBJID")
    assert (dm.loc[dlt.index, "ARMCD"] == dlt["dose"]).all()
    resp = t.truth["responses"]
    rank = {r: i for i, r in enumerate(["sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE"])}
    best = resp.assign(r=resp["confirmed"].map(rank)).groupby("USUBJID")["r"].min()
    subj = t.truth["subjects"].set_index("USUBJID")
    assert (subj.loc[best.index, "best_confirmed_response"].map(rank) == best).all()
    supp = t.domains["SUPPDM"]
    part = supp[supp["QNAM"] == "PART"].set_index("USUBJID")["QVAL"]
    assert (part.loc[dlt.index] == dlt["phase"]).all()
