"""Dose-level survival comparisons for `cartrial efficacy` (survival_by_dose).

The statistics themselves are checked against R in test_r_reference.py; here: the landmark
reading of the cumulative incidence worked by hand, what is left out and said so, bad PFS event
descriptions, and the CLI's tables, JSON and CSV files.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.efficacy import logrank_test
from cartrial.efficacy.survival_by_dose import dose_comparisons
from cartrial.errors import InputError
from cartrial.protocol.model import EndpointSettings

runner = CliRunner()


def _tte() -> tuple[pd.DataFrame, pd.Series]:
    ids = [f"S{i}" for i in range(8)]
    days = [60, 120, 200, 400, 90, 300, 500, 700]
    cnsr = [0, 0, 1, 0, 0, 1, 0, 1]
    desc = [
        "Disease progression",
        "Death",
        None,
        "Disease progression",
        "Disease progression",
        None,
        "Death",
        None,
    ]
    rows = []
    for p in ("PFS", "OS"):
        for u, d, c, e in zip(ids, days, cnsr, desc, strict=True):
            rows.append(
                {
                    "USUBJID": u,
                    "PARAMCD": p,
                    "AVAL": d,
                    "CNSR": c,
                    "EVNTDESC": e if p == "PFS" else ("Death" if c == 0 else None),
                }
            )
    groups = pd.Series(["DL1"] * 4 + ["DL2"] * 3 + ["Not infused"], index=ids)
    return pd.DataFrame(rows), groups


def test_tables_state_days_per_month_and_leave_out_only_what_they_say():
    tte, groups = _tte()
    s = EndpointSettings(days_per_month=30.0, landmarks_months=[3.0, 12.0])
    r = dose_comparisons(tte, groups, ["DL1", "DL2"], s)
    for frame in (r.tests, r.hazard_ratios, r.follow_up, r.cumulative_incidence):
        assert (frame["days_per_month"] == 30.0).all()
    assert r.notes[0] == "Not in the dose-level comparisons: Not infused (1 subjects)"
    # regression: the table is the log-rank test of the DL1 / DL2 subjects alone
    pfs = tte[(tte["PARAMCD"] == "PFS") & (tte["USUBJID"] != "S7")]
    direct = logrank_test(pfs["AVAL"], pfs["CNSR"] == 0, pfs["USUBJID"].map(groups))
    got = r.tests.set_index("endpoint").loc["PFS"]
    assert got["statistic"] == pytest.approx(direct.statistic) and got["df"] == 1
    assert r.hazard_ratios["reference"].unique().tolist() == ["DL1"]


def test_cumulative_incidence_at_landmarks_by_hand():
    tte, groups = _tte()
    s = EndpointSettings(days_per_month=30.0, landmarks_months=[1.0, 3.0, 5.0, 20.0])
    ci = dose_comparisons(tte, groups, ["DL1", "DL2"], s).cumulative_incidence
    dl1 = ci[ci["group"] == "DL1"].set_index(["cause", "month"])["cuminc"]
    # DL1: 60 d progression (1/4), 120 d death (1/4), 200 d censored, 400 d progression:
    # S(400-) = 2/4 and one of one at risk -> progression incidence 1/4 + 2/4 = 3/4
    assert dl1[("Disease progression", 1.0)] == 0.0
    assert dl1[("Disease progression", 3.0)] == pytest.approx(0.25)
    assert dl1[("Death without progression", 5.0)] == pytest.approx(0.25)
    assert np.isnan(dl1[("Disease progression", 20.0)])  # past the last time: not estimable
    low = ci[(ci["group"] == "DL1") & (ci["month"] == 1.0)]["ci_low"]
    assert low.isna().all()  # no band where the incidence is 0 (R: NA)


def test_pfs_event_that_is_neither_progression_nor_death_is_an_error():
    tte, groups = _tte()
    tte.loc[0, "EVNTDESC"] = "Lost to follow-up"
    with pytest.raises(InputError, match="S0.*Lost to follow-up"):
        dose_comparisons(tte, groups, ["DL1", "DL2"])


def test_single_dose_level_is_noted_not_tested():
    tte, groups = _tte()
    r = dose_comparisons(tte, groups, ["DL1"])
    assert r.tests.empty and any("two groups" in n for n in r.notes)


def test_cli_prints_writes_and_returns_the_comparisons(tmp_path):
    from cartrial.data import write_study
    from tests.data.minimal_study import minimal_domains

    d = tmp_path / "study"
    write_study(minimal_domains(), d)  # a study that validates (the verb validates first)
    res = runner.invoke(app, ["efficacy", str(d), "--protocol", "ct071", "--json"])
    assert res.exit_code == 0, res.output
    comp = json.loads(res.stdout)["dose_comparisons"]
    assert comp["days_per_month"] == 30.4375
    assert {"logrank", "hazard_ratios", "follow_up", "cumulative_incidence", "notes"} <= set(comp)
    res = runner.invoke(app, ["efficacy", str(d), "--protocol", "ct071",
                              "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "Median follow-up, reverse Kaplan-Meier on OS" in res.stdout
    assert (tmp_path / "out" / "follow_up.csv").exists()
