"""Report sections built from hand-made engine results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.protocol import load_protocol
from cartrial.report.sections import escalation_history, nominal_day, tidy_to_table

P = load_protocol("ct071")  # BOIN, target 0.30, cohorts of 3, 28-day DLT window


def test_escalation_history_lays_out_the_conduct_history_and_flags_departures():
    """Regression test of the layout (the history itself is checked against the example's
    truth in tests/conduct/test_history.py)."""
    h = pd.DataFrame({
        "date": ["2024-01-01", "2024-02-13", "2024-04-13"], "cohort": [1.0, 2.0, np.nan],
        "current_dose": ["DL1", "DL1", "DL2"], "action": ["stay", "escalate", "stop"],
        "next_dose": ["DL1", "DL2", ""], "rule": ["start", "escalate", "stop"],
        "reason": ["start", "0/3", "cap"], "eliminated": ["", "", ""],
        "n_DL1": [0, 3, 3], "dlt_DL1": [0, 0, 0], "pending_DL1": [0, 0, 0],
        "n_DL2": [0, 0, 3], "dlt_DL2": [0, 0, 2], "pending_DL2": [0, 0, 1],
        "cohort_id": ["C01", "C02", None], "recorded_dose": ["DL1", "DL1", None],
        "basis": "re-derived from the data"})
    t = escalation_history(h, P)
    assert t["Date"].tolist() == ["2024-01-01", "2024-02-13", "2024-04-13"]
    assert t["DLT/patients by dose"].tolist() == ["none treated", "DL1 0/3", "DL1 0/3, DL2 2/3"]
    assert t["Cohort treated next"].tolist() == ["DL1", "DL1 (departs from the design)", ""]
    assert t["Pending"].tolist() == ["0", "0", "1"] and t["Next dose"].iloc[2] == "-"


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


def test_populations_without_dlt_adjudication_leave_dlt_evaluable_unstated():
    """No DLTEVLFL (the safety engine refused the data, --allow-partial): Table 14.1.1 says the
    set was not derived instead of counting 0 DLT-evaluable patients; with it, the row is
    counted (hand counts)."""
    from cartrial.report.sections import table_populations

    adsl = pd.DataFrame({
        "USUBJID": ["S1", "S2", "S3"], "ITTFL": ["Y"] * 3, "SAFFL": ["Y", "Y", None],
        "TRT01A": ["DL1 25 x10^6", "DL1 25 x10^6", None], "DLTEVLFL": ["Y", None, None],
        "EFFFL": ["Y", "Y", None], "PPCLFL": [None] * 3, "POPCD": ["RRMM"] * 3,
        "EOSSTT": ["ONGOING"] * 3, "DCSREAS": [None] * 3, "DTHFL": [None] * 3})
    protocol = load_protocol("ct071")
    with_flag = table_populations(adsl, protocol, "14.1.1")
    cells = with_flag.cells.set_index(["row", "column"])["value"]
    assert cells[("DLT-evaluable", "DL1 (N=2)")] == "1"
    assert not any("not derived" in f for f in with_flag.footnotes)
    without = table_populations(adsl.drop(columns="DLTEVLFL"), protocol, "14.1.1")
    assert "DLT-evaluable" not in set(without.cells["row"])
    assert without.footnotes[0].startswith("DLT-evaluable: not derived in this run")


@pytest.mark.parametrize("dtype", [object, "string"])
def test_dose_id_splits_each_distinct_text_as_the_split_of_every_record(dtype):
    """Regression test (issue #18: CPU): dose_id, splitting each distinct text once, gives
    what pandas' split of every record gives (missing values, leading and double spaces, a
    text without a space, a number, the index, name and dtype kept)."""
    from cartrial.report.sections import dose_id

    values = ["DL1 0.1 x10^6/kg", None, " DL2 x", "DL3  y", "DL4", "DL1 0.1 x10^6/kg", ""]
    s = pd.Series(values, index=[5, 3, 9, 1, 2, 8, 7], name="TRT01A", dtype=dtype)
    if dtype is object:
        s = pd.concat([s, pd.Series([12.5], index=[4], name="TRT01A")])
    expected = s.fillna("").astype(str).str.split(" ").str[0]
    pd.testing.assert_series_equal(dose_id(s), expected)
    pd.testing.assert_series_equal(dose_id(s.iloc[:0]), expected.iloc[:0])
