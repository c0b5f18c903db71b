"""`cartrial design boundaries|table|paths`: JSON output, files written, exit code 2."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from cartrial.cli.main import app

runner = CliRunner()


def test_boundaries_json():
    r = runner.invoke(app, ["design", "boundaries", "--target", "0.3", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert round(out["lambda_e"], 3) == 0.236 and round(out["lambda_d"], 3) == 0.359


def test_boundaries_text():
    r = runner.invoke(app, ["design", "boundaries", "--target", "0.25"])
    assert r.exit_code == 0 and "lambda_e = 0.1968" in r.stdout and "0.2984" in r.stdout


def test_table_writes_three_files(tmp_path):
    r = runner.invoke(
        app,
        [
            "design",
            "table",
            "--design",
            "boin",
            "--target",
            "0.3",
            "--cohort-size",
            "3",
            "--max-n",
            "12",
            "--out",
            str(tmp_path),
        ],
    )
    assert r.exit_code == 0, r.output
    csv = pd.read_csv(tmp_path / "decision_table_boin.csv")
    assert csv["escalate_if_le"].tolist() == [0, 1, 2, 2]
    assert json.loads((tmp_path / "decision_table_boin.json").read_text())["target"] == 0.3
    assert "Number of patients treated" in (tmp_path / "decision_table_boin.md").read_text()


def test_table_from_protocol_json():
    r = runner.invoke(app, ["design", "table", "--protocol", "ct071", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    # ct071: BOIN, target 0.3, cohorts of 3, cap 9 -> n = 3, 6, 9
    assert [row["n"] for row in out["summary"]] == [3, 6, 9]
    assert [row["eliminate_if_ge"] for row in out["summary"]] == [3, 4, 5]


def test_table_3p3_and_mtpi2():
    for d in ("3+3", "mtpi2", "i3+3"):
        r = runner.invoke(app, ["design", "table", "--design", d, "--json"])
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["design"] == d


def test_paths_json_and_files(tmp_path):
    r = runner.invoke(
        app,
        [
            "design",
            "paths",
            "--cohorts",
            "2",
            "--protocol",
            "ct071",
            "--out",
            str(tmp_path),
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["design"] == "boin" and out["paths"][0]["action"] == "stay"
    assert (tmp_path / "dose_paths.png").stat().st_size > 0
    assert len(pd.read_csv(tmp_path / "dose_paths.csv")) == len(out["paths"])


def test_paths_from_current_data():
    r = runner.invoke(
        app,
        [
            "design",
            "paths",
            "--design",
            "boin",
            "--n-doses",
            "3",
            "--n",
            "3,3,0",
            "--y",
            "0,1,0",
            "--current",
            "2",
            "--cohorts",
            "1",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "2NNN" in r.stdout


def test_bad_input_exits_2():
    for args in (
        ["design", "boundaries", "--target", "0.9"],
        ["design", "table", "--design", "crm"],
        ["design", "table", "--design", "3+3", "--cohort-size", "2"],
        ["design", "paths", "--design", "nope"],
        ["design", "paths", "--n", "3,3", "--y", "0,1", "--n-doses", "3"],
        ["design", "paths", "--n", "3,x,0", "--y", "0,1,0", "--n-doses", "3"],
        ["design", "table", "--protocol", "missing.yaml"],
    ):
        r = runner.invoke(app, args)
        assert r.exit_code == 2, (args, r.output)


def test_paths_from_patient_file(tmp_path):
    # ct071 (BOIN, 28-day window): dose 2 has 1 DLT in 3 complete patients -> stay (Liu & Yuan 2015,
    # BOIN decision rule)
    f = tmp_path / "patients.csv"
    f.write_text(
        "subject,dose_level,dlt,follow_up_days,cohort\n"
        "101,1,N,60,1\n102,1,N,55,1\n103,1,N,50,1\n104,2,Y,10,2\n105,2,N,30,2\n106,2,N,29,2\n"
    )
    r = runner.invoke(
        app,
        [
            "design",
            "paths",
            "--protocol",
            "ct071",
            "--patients",
            str(f),
            "--cohorts",
            "1",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    root = json.loads(r.stdout)["paths"][0]
    assert (root["action"], root["next_dose"]) == ("stay", 2)
    f.write_text("subject,dose_level,dlt,follow_up_days\n101,1,maybe,60\n")
    r = runner.invoke(app, ["design", "paths", "--protocol", "ct071", "--patients", str(f)])
    assert r.exit_code == 2


def test_table_extrasafe_row_phi_and_cap(tmp_path):
    # R BOIN get.boundary(0.3, ncohort = 10, cohortsize = 3, n.earlystop = 12, extrasafe = TRUE)
    # stop_boundary at n = 3, 6, 9, 12: 2, 4, 5, 6 (data/boin_stop_boundary.csv)
    r = runner.invoke(app, ["design", "table", "--target", "0.3", "--cap", "12", "--extrasafe",
                            "--phi2", "0.45", "--out", str(tmp_path), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert [row["n"] for row in out["summary"]] == [3, 6, 9, 12]
    assert [row["stop_if_ge"] for row in out["summary"]] == [2, 4, 5, 6]
    assert "phi2 0.45" in out["method"]
    r = runner.invoke(app, ["design", "table", "--extrasafe"])
    assert r.exit_code == 0 and "Stop the trial" in r.output
    r = runner.invoke(app, ["design", "table", "--cap", "0"])
    assert r.exit_code == 2
