"""snapshot(study, as_of): the data as known on a past date (decide --as-of)."""

from __future__ import annotations

import pandas as pd

from cartrial.data import load_study, snapshot, write_study
from tests.data.minimal_study import minimal_domains


def test_snapshot_drops_later_records_and_blanks_later_dates(tmp_path) -> None:
    write_study(minimal_domains(), tmp_path / "s")
    st = load_study(tmp_path / "s")
    snap = snapshot(st, "2024-03-10")
    dm = snap["DM"].set_index("USUBJID")
    # subject 002 was infused on 2024-03-26: not yet infused on 2024-03-10
    assert pd.isna(dm.loc["CT071-001-002", "RFSTDTC"])
    assert dm.loc["CT071-001-001", "RFSTDTC"] == "2024-03-05"
    # AE of subject 001 started 03-07 and ended 03-11: kept, end date and outcome not yet known
    ae = snap["AE"].set_index("USUBJID")
    assert pd.isna(ae.loc["CT071-001-001", "AEENDTC"])
    assert ae.loc["CT071-001-001", "AEOUT"] == "NOT RECOVERED/NOT RESOLVED"
    # the partial-date AE (2024-03) is kept: its first possible day is before the cut-off
    assert "CT071-001-002" in set(snap["AE"]["USUBJID"])
    # LB of day 7 (03-12) is after the cut-off
    assert (pd.to_datetime(snap["LB"]["LBDTC"]) <= "2024-03-10").all()
    # the original study is untouched
    assert len(st["LB"]) == 5
