"""Report sections built from hand-made engine results."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.protocol import load_protocol
from cartrial.report.sections import escalation_history, nominal_day, tidy_to_table

P = load_protocol("ct071")  # BOIN, target 0.30, cohorts of 3, 28-day DLT window


def _patients(rows):
    df = pd.DataFrame(rows, columns=["USUBJID", "DOSE_LEVEL", "INF", "DLT", "DLT_ONSET_DAY"])
    adsl = pd.DataFrame({"USUBJID": df["USUBJID"], "TRTSDT": pd.to_datetime(df["INF"])})
    p = df.drop(columns="INF").assign(FOLLOWUP_DAY=400.0, DEATH_DAY=np.nan, WITHDRAWN=False)
    return adsl, p


def test_escalation_history_replays_boin_on_the_data_known_at_each_review():
    adsl, p = _patients([
        ("A1", "DL1", "2024-01-01", "no", np.nan), ("A2", "DL1", "2024-01-08", "no", np.nan),
        ("A3", "DL1", "2024-01-15", "no", np.nan),
        ("B1", "DL2", "2024-03-01", "yes", 10.0), ("B2", "DL2", "2024-03-08", "yes", 5.0),
        ("B3", "DL2", "2024-03-15", "no", np.nan),
    ])
    h = escalation_history(adsl, p, P)
    assert h["Cohort"].tolist() == ["1", "2"]
    # cohort 1 reviewed after the last patient's 28-day window: 2024-01-15 + 29 days
    assert h.loc[0, "Review date"] == "2024-02-13"
    # BOIN (dose-finding.md 2.2, target 0.30): 0/3 <= lambda_e 0.2365 -> escalate
    assert h.loc[0, "Decision"] == "escalate -> DL2"
    assert h.loc[0, "At dose: DLT/evaluable"] == "0/3"
    # 2/3 > lambda_d 0.3585 -> de-escalate; reviewed when B3 completed its window
    assert h.loc[1, "Decision"] == "de-escalate -> DL1"
    assert h.loc[1, "DLTs in cohort"] == "2" and h.loc[1, "At dose: DLT/evaluable"] == "2/3"
    assert h.loc[1, "Review date"] == "2024-04-13"


def test_a_dlt_not_yet_known_at_review_is_not_counted():
    # cohort 1 at DL1 reviewed on 2024-02-13; A3's DLT has onset day 40 (after the review)
    adsl, p = _patients([
        ("A1", "DL1", "2024-01-01", "no", np.nan), ("A2", "DL1", "2024-01-08", "no", np.nan),
        ("A3", "DL1", "2024-01-15", "yes", 40.0),
    ])
    h = escalation_history(adsl, p, P)
    assert h.loc[0, "At dose: DLT/evaluable"] == "0/3"
    assert h.loc[0, "Decision"] == "escalate -> DL2"


def test_nominal_day_is_the_closest_scheduled_day():
    assert nominal_day(np.array([0.0, 6.0, 8.5, 9.0, 400.0]), [1, 7, 10, 365]).tolist() == [
        1.0, 7.0, 7.0, 10.0, 365.0]


def test_tidy_safety_table_keeps_rows_and_puts_overall_last():
    df = pd.DataFrame({"ROW": ["Any", "Any", "Any", "G3", "G3", "G3"],
                       "ROW_LEVEL": [0, 0, 0, 1, 1, 1],
                       "ROW_ORDER": [0, 0, 0, 1, 1, 1],
                       "COLUMN": ["Overall", "DL1", "DL2"] * 2, "STATISTIC": "n (%)",
                       "VALUE": ["3 (100.0%)", "1 (100.0%)", "2 (100.0%)", "1 (33.3%)", "0",
                                 "1 (50.0%)"]})
    t = tidy_to_table(df, "14.3.9", "T", "Safety", col_n={"DL1": 1, "DL2": 2, "Overall": 3})
    assert t.columns == ["DL1 (N=1)", "DL2 (N=2)", "Overall (N=3)"]
    assert t.wide().loc["G3"].tolist() == ["0", "1 (50.0%)", "1 (33.3%)"]
    assert t.indents["G3"] == 1
