"""`cartrial design simulate`: JSON and files, scenario CSV, exit code 2 on bad input."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from cartrial.cli.main import app

runner = CliRunner()


def test_protocol_exact_json_reports_elapsed_seconds():
    r = runner.invoke(
        app, ["design", "simulate", "--protocol", "ct071", "--true-tox", "0.1,0.3", "--json"]
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    sc = out["scenarios"][0]
    assert sc["method"].startswith("exact")
    assert sc["elapsed_seconds"] >= 0
    assert sc["true_mtd"] == 2
    assert len(sc["per_dose"]) == 2
    sel = sum(d["pct_selected"] for d in sc["per_dose"]) + sc["overall"]["pct_early_stop"]
    assert abs(sel - 100) < 1e-9


def test_scenarios_file_and_out_folder(tmp_path):
    csv = tmp_path / "scen.csv"
    csv.write_text("scenario,p1,p2,p3,true_mtd\nA,0.05,0.3,0.5,\nB,0.5,0.6,0.7,0\n")
    r = runner.invoke(
        app,
        [
            "design",
            "simulate",
            "--design",
            "boin",
            "--max-n",
            "18",
            "--scenarios",
            str(csv),
            "--method",
            "mc",
            "--trials",
            "2000",
            "--out",
            str(tmp_path / "oc"),
        ],
    )
    assert r.exit_code == 0, r.output
    per = pd.read_csv(tmp_path / "oc" / "per_dose.csv")
    ovr = pd.read_csv(tmp_path / "oc" / "overall.csv")
    assert list(per.scenario.unique()) == ["A", "B"]
    assert ovr.set_index("scenario").loc["B", "true_mtd"] == 0  # "no acceptable dose"
    assert (tmp_path / "oc" / "oc.json").is_file()


def test_bad_probability_in_file_exits_2_naming_the_record(tmp_path):
    csv = tmp_path / "scen.csv"
    csv.write_text("scenario,p1,p2\nA,0.1,1.3\n")
    r = runner.invoke(app, ["design", "simulate", "--design", "boin", "--scenarios", str(csv)])
    assert r.exit_code == 2
    assert "USUBJID=A" in r.output and "p2=1.3" in r.output


def test_missing_scenario_and_exact_for_crm_exit_2():
    r = runner.invoke(app, ["design", "simulate", "--design", "boin"])
    assert r.exit_code == 2
    r = runner.invoke(
        app, ["design", "simulate", "--design", "crm", "--true-tox", "0.1,0.3", "--method", "exact"]
    )
    assert r.exit_code == 2 and "exact OC" in r.output


def test_dose_count_must_match_protocol():
    r = runner.invoke(
        app, ["design", "simulate", "--protocol", "ct071", "--true-tox", "0.1,0.3,0.5"]
    )
    assert r.exit_code == 2 and "protocol has 2" in r.output


def test_tite_scenarios_with_accrual_and_onset_columns(tmp_path):
    csv = tmp_path / "scen.csv"
    csv.write_text(
        "scenario,p1,p2,patients_per_month,dlt_onset\nslow,0.1,0.3,1,uniform\n"
        "fast,0.1,0.3,8,weibull\n"
    )
    r = runner.invoke(
        app,
        [
            "design",
            "simulate",
            "--design",
            "tite-boin",
            "--max-n",
            "12",
            "--scenarios",
            str(csv),
            "--trials",
            "1000",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    sc = {s["scenario"]: s for s in json.loads(r.stdout)["scenarios"]}
    assert sc["fast"]["method"].startswith("Monte Carlo")
    assert sc["fast"]["overall"]["mean_duration_days"] < sc["slow"]["overall"]["mean_duration_days"]
    bad = tmp_path / "bad.csv"
    bad.write_text("scenario,p1,patients_per_month\nX,0.2,-1\n")
    r = runner.invoke(app, ["design", "simulate", "--design", "tite-boin", "--scenarios", str(bad)])
    assert r.exit_code == 2 and "patients_per_month" in r.output
