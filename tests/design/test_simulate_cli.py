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


def _json(args: list[str]) -> dict:
    r = runner.invoke(app, ["design", "simulate", *args, "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)["scenarios"][0]


def test_method_auto_says_what_it_chose_and_refuses_trials_or_seed():
    sc = _json(["--design", "boin", "--true-tox", "0.1,0.3"])
    assert sc["method"].startswith("exact")
    assert "--method auto chose exact enumeration" in sc["method_choice"]
    for extra in (["--trials", "500"], ["--seed", "3"]):
        r = runner.invoke(app, ["design", "simulate", "--design", "boin", "--true-tox", "0.1,0.3",
                                *extra])
        assert r.exit_code == 2 and "--method mc" in r.output
    r = runner.invoke(app, ["design", "simulate", "--design", "boin", "--true-tox", "0.1,0.3",
                            "--method", "exact", "--seed", "1"])
    assert r.exit_code == 2 and "Monte Carlo" in r.output
    sc = _json(["--design", "boin", "--true-tox", "0.1,0.3", "--method", "mc", "--trials", "300"])
    assert sc["method"].startswith("Monte Carlo, 300 trials")
    sc = _json(["--design", "crm", "--true-tox", "0.1,0.3", "--trials", "200", "--seed", "4"])
    assert "chose Monte Carlo: crm has no exact OC" in sc["method_choice"]
    r = runner.invoke(app, ["design", "simulate", "--design", "boin", "--true-tox", "0.1,0.3"])
    assert "--method auto chose exact enumeration" in r.output


def test_design_fields_without_a_protocol():
    sc = _json(["--design", "boin", "--true-tox", "0.1,0.25,0.42,0.55,0.7", "--bound-mtd",
                "--extrasafe", "--cutoff", "0.9", "--phi1", "0.15", "--phi2", "0.4"])
    st = sc["settings"]
    assert (st["bound_mtd"], st["extrasafe"], st["elimination_cutoff"]) == (True, True, 0.9)
    assert (st["phi1"], st["phi2"]) == (0.15, 0.4)
    crm = _json(["--design", "crm", "--true-tox", "0.1,0.2,0.3", "--trials", "100",
                 "--safety-stop", "none", "--no-overdose-control", "--allow-skipping",
                 "--no-coherence", "--prior-mtd-level", "2", "--prior-sd", "1.0"])
    crm = crm["settings"]["crm"]
    assert crm["safety_stop_probability"] is None
    assert (crm["overdose_control"], crm["no_skipping"], crm["coherence"]) == (False, False, False)
    assert (crm["prior_mtd_level"], crm["prior_sd"]) == (2, 1.0)
    df = _json(["--design", "crm", "--crm-preset", "dfcrm", "--skeleton", "0.1,0.2,0.3",
                "--true-tox", "0.1,0.2,0.3", "--trials", "100"])["settings"]
    assert df["crm"]["preset"] == "dfcrm" and df["crm"]["overdose_control"] is False
    tb = _json(["--design", "tite-boin", "--preset", "TITEgBOIN", "--dlt-onset", "titegboin",
                "--alpha1", "0.6", "--true-tox", "0.1,0.3", "--trials", "100"])["settings"]
    assert tb["selection_prior"] == 0.005
    r = runner.invoke(app, ["design", "simulate", "--design", "crm", "--safety-stop", "x",
                            "--true-tox", "0.1"])
    assert r.exit_code == 2 and "--safety-stop" in r.output
