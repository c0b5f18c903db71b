"""Conduct: patients' DLT status -> per-dose table, trial state and the design's decision.

Hand-worked with BOIN target 0.3 (Liu & Yuan, J R Stat Soc C 2015;64:507-23, decision table: at n =
3 escalate if y <= 0,
de-escalate if y >= 2, eliminate if y >= 3).
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from cartrial.conduct import dose_table, recommend, trial_state
from cartrial.errors import InputError
from cartrial.protocol import load_protocol, parse_protocol, protocol_text

CT071 = load_protocol("ct071")


def _tite() -> object:
    d = yaml.safe_load(protocol_text("ct071")[1])
    d["design"]["name"] = "tite-boin"
    return parse_protocol(yaml.safe_dump(d))


def _patients(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["USUBJID", "DOSE_INDEX", "INFUSION_DATE", "DLT",
                                       "FOLLOWUP_DAY"])


def _cohort(dose, dlts, pending=0, start="2024-01-01", fu=28, prefix="P"):
    rows = []
    for i in range(3):
        status = "yes" if i < dlts else ("pending" if i >= 3 - pending else "no")
        rows.append([f"{prefix}{dose}{i}", dose, start, status, 10 if status == "pending" else fu])
    return rows


def test_first_cohort_clean_escalates() -> None:
    r = recommend(_patients(_cohort(0, 0)), CT071)
    assert (r.decision.action, r.decision.next_dose) == ("escalate", 1)
    t = r.table.set_index("DOSE_ID")
    assert t.loc["DL1", ["TREATED", "EVALUABLE", "DLT", "PENDING"]].tolist() == [3, 3, 0, 0]


def test_pending_patient_suspends_a_non_tite_design() -> None:
    r = recommend(_patients(_cohort(0, 0, pending=1)), CT071)
    assert r.decision.action == "suspend" and r.decision.next_dose == 0
    assert "still inside the DLT window" in r.decision.reason
    assert r.pending_at_current == 1
    assert r.table.set_index("DOSE_ID").loc["DL1", "DAYS_LEFT_MIN"] == 18


def test_tite_design_uses_pending_follow_up() -> None:
    proto = _tite()
    state, _ = trial_state(_patients(_cohort(0, 0, pending=1)), proto)
    assert state.n == (3, 0) and state.pending[0].follow_up == 10
    # the same patients for BOIN: pending counted in n and passed on (BOIN then waits)
    state, pend = trial_state(_patients(_cohort(0, 0, pending=1)), CT071)
    assert state.n == (3, 0) and len(state.pending) == 1 and pend == 1
    r = recommend(_patients(_cohort(0, 0, pending=1)), proto)
    assert r.decision.action == "escalate"


def test_two_of_three_at_lowest_dose_stays() -> None:
    r = recommend(_patients(_cohort(0, 2)), CT071)
    assert r.decision.action == "stay" and r.decision.next_dose == 0


def test_three_of_three_at_lowest_dose_eliminates_and_stops() -> None:
    r = recommend(_patients(_cohort(0, 3)), CT071)
    assert r.decision.action == "stop" and r.decision.next_dose is None
    assert 0 in r.decision.eliminated and 1 in r.decision.eliminated
    assert r.table["ELIMINATED"].tolist() == [True, True]


def test_patient_who_left_early_is_not_counted() -> None:
    rows = _cohort(0, 0)
    rows[2][4] = 12  # died / withdrew at day 12 without DLT: not evaluable
    p = _patients(rows)
    p["DLT_EVALUABLE"] = [True, True, False]
    p["DLT"] = ["no", "no", "no"]
    state, _ = trial_state(p, CT071)
    assert state.n == (2, 0)
    assert dose_table(p, CT071).loc[0, "NOT_EVALUABLE"] == 1


def test_bad_status_names_the_patient() -> None:
    p = _patients(_cohort(0, 0))
    p.loc[1, "DLT"] = "maybe"
    with pytest.raises(InputError, match="USUBJID=P01 DLT='maybe'"):
        recommend(p, CT071)
