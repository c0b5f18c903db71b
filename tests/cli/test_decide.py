"""`cartrial decide`: the committee's table and recommendation from SDTM, as of a date."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.data import write_study
from tests.data.minimal_study import minimal_domains

runner = CliRunner()


@pytest.fixture()
def study(tmp_path):
    write_study(minimal_domains(), tmp_path / "s")
    return str(tmp_path / "s")


def test_as_of_reproduces_an_earlier_state(study) -> None:
    # 2024-03-20: only subject 001 infused (03-05), day 15 of the 28-day window, no DLT yet
    res = runner.invoke(app, ["decide", "--protocol", "ct071", study, "--as-of", "2024-03-20",
                              "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["as_of"] == "2024-03-20"
    assert out["action"] == "suspend" and out["next_dose"] == "DL1"
    dl1 = out["doses"][0]
    assert (dl1["TREATED"], dl1["PENDING"], dl1["DAYS_LEFT_MIN"]) == (1, 1, 13)
    assert [p["USUBJID"] for p in out["patients"]] == ["CT071-001-001"]
    assert len(out["data_sha256"]) == 64


def test_full_data(study) -> None:
    res = runner.invoke(app, ["decide", "--protocol", "ct071", study, "--json"])
    out = json.loads(res.stdout)
    assert res.exit_code == 0
    treated = {d["DOSE_ID"]: d["TREATED"] for d in out["doses"]}
    assert treated == {"DL1": 1, "DL2": 1}
    assert out["as_of"] is None


def test_table_output(study) -> None:
    res = runner.invoke(app, ["decide", "--protocol", "ct071", study, "--as-of", "2024-03-20"])
    assert res.exit_code == 0
    assert "Recommendation: SUSPEND -> DL1" in res.stdout


def test_bad_date_exits_2(study) -> None:
    res = runner.invoke(app, ["decide", "--protocol", "ct071", study, "--as-of", "20/03/2024"])
    assert res.exit_code == 2 and "--as-of must be a date" in res.output


def test_before_any_infusion_the_first_cohort_is_treated_at_dl1(study) -> None:
    # issue #15: `decide --as-of` before the first infusion ended in a TypeError
    res = runner.invoke(app, ["decide", study, "--protocol", "ct071", "--as-of", "2023-07-01",
                              "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["phase"] == "not started" and out["action"] == "stay"
    assert out["next_dose"] == "DL1" and out["patients"] == []
    assert out["status"] == "no patient treated yet: treat the first cohort at DL1"
    res = runner.invoke(app, ["decide", study, "--protocol", "ct071", "--as-of", "2023-07-01"])
    assert "Status: no patient treated yet: treat the first cohort at DL1" in res.stdout


def test_expansion_patients_never_enter_the_decision(tmp_path) -> None:
    dom = minimal_domains()
    s = dom["SUPPDM"]
    s.loc[(s["USUBJID"] == "CT071-001-002") & (s["QNAM"] == "PART"), "QVAL"] = "EXPANSION"
    s.loc[(s["USUBJID"] == "CT071-001-002") & (s["QNAM"] == "COHORT"), "QVAL"] = "EXP"
    write_study(dom, tmp_path / "s")
    res = runner.invoke(app, ["decide", str(tmp_path / "s"), "-p", "ct071", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [p["USUBJID"] for p in out["patients"]] == ["CT071-001-001"]
    assert {d["DOSE_ID"]: d["TREATED"] for d in out["doses"]} == {"DL1": 1, "DL2": 0}


def test_validation_errors_stop_decide_with_the_findings(tmp_path) -> None:
    dom = minimal_domains()
    dom["DM"].loc[0, "ACTARMCD"] = "DL3"
    write_study(dom, tmp_path / "s")
    res = runner.invoke(app, ["decide", str(tmp_path / "s"), "-p", "ct071"])
    assert res.exit_code == 2 and res.exception is None or isinstance(res.exception, SystemExit)
    assert "USUBJID=CT071-001-001" in res.output and "ACTARMCD='DL3'" in res.output
    assert "validation found 1 error(s)" in res.output


def test_missing_actarmcd_is_exit_2_not_a_keyerror(tmp_path) -> None:
    dom = minimal_domains()
    dom["DM"] = dom["DM"].drop(columns="ACTARMCD")
    write_study(dom, tmp_path / "s")
    for verb in ("decide", "safety", "efficacy", "kinetics", "validate"):
        res = runner.invoke(app, [verb, str(tmp_path / "s"), "-p", "ct071"])
        assert res.exit_code == 2, (verb, res.output)
        assert isinstance(res.exception, SystemExit), (verb, res.exception)
        assert "ACTARMCD" in res.output, verb


def test_history_option_prints_the_rederived_history(study) -> None:
    res = runner.invoke(app, ["decide", study, "-p", "ct071", "--history", "--json"])
    assert res.exit_code == 0, res.output
    h = json.loads(res.stdout)["history"]
    # no RFICDTC in this study: the history opens at the first infusion (2024-03-05), where
    # 001 is inside the 28-day window, so BOIN suspends (complete follow-up needed)
    assert h[0]["date"] == "2024-03-05" and h[0]["action"] == "suspend"
    assert {r["basis"] for r in h} == {"re-derived from the data"}
