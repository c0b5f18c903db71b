"""Table 14.6.1 built from the ADaM datasets alone (report.dose_profile_adam), on the
hand-worked trial of tests/report/test_recompute_dose.py: every cell equals the text worked out
by hand there (counts by hand, Clopper-Pearson limits in closed form, medians by hand)."""

from __future__ import annotations

import pandas as pd

from cartrial.protocol import load_protocol
from cartrial.report.dose_profile_adam import profile_from_adam
from tests.report.test_recompute_dose import ROWS, _adam


def test_profile_from_adam_by_hand():
    t = profile_from_adam(_adam(), load_protocol("ct071"))
    w = t.wide()
    for row, cells in ROWS.items():
        assert tuple(w.loc[row]) == cells, row
    assert tuple(w.loc["CAR+ T-cell AUC0-28d (cells/uL)*day, median (min, max)"]) == ("-", "-")
    assert t.number == "14.6.1" and list(w.columns) == ["DL1 0.1 x10^6/kg", "DL2 0.3 x10^6/kg"]


def test_absent_datasets_leave_their_rows_empty():
    """Without ADAE, ADRS and ADPP: no CRS / ICANS grade counts (0), response and exposure
    "-"; the DLT row from ADSL alone."""
    adam = _adam()
    w = profile_from_adam({"ADSL": adam["ADSL"]}, load_protocol("ct071")).wide()
    assert w.loc["DLT, n/N (%) [CI]", "DL1 0.1 x10^6/kg"] == "1/2 (50%) [1.3, 98.7]"
    assert w.loc["CR or better, n/N (%) [CI]"].tolist() == ["-", "-"]
    assert w.loc["CAR+ T-cell Cmax, median (min, max)"].tolist() == ["-", "-"]
    assert isinstance(w, pd.DataFrame)
