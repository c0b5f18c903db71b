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
    res = runner.invoke(app, ["decide", "--protocol", "ct071", study, "--as-of", "2024-03-20", "--json"])
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
