"""`cartrial example ct071` / `cartrial example list`: files, JSON, exit code 2 on bad input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cartrial.cli.main import app

runner = CliRunner()


def test_ct071_writes_a_valid_study_with_truth(tmp_path):
    out = tmp_path / "ex"
    r = runner.invoke(app, ["example", "ct071", "--protocol", "ct071", "--out", str(out),
                            "--seed", "4",
                            "--scenario", "toxic-dose", "--json"])
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    assert info["scenario"] == "toxic-dose" and info["selected_dose"] == "DL1"
    assert info["escalation"][-1]["action"] == "select"
    assert (out / "dm.csv").exists() and (out / "truth" / "episodes.csv").exists()
    v = runner.invoke(app, ["validate", "--protocol", "ct071", str(out), "--json"])
    assert v.exit_code == 0, v.output
    assert json.loads(v.stdout)["errors"] == 0


def test_patients_option_sets_the_infused_count(tmp_path):
    r = runner.invoke(app, ["example", "ct071", "--protocol", "ct071", "--out", str(tmp_path),
                            "--patients", "30",
                            "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["infused"] == 30


def test_list_names_every_scenario():
    r = runner.invoke(app, ["example", "list", "--json"])
    assert r.exit_code == 0
    names = [row["name"] for row in json.loads(r.stdout)]
    assert names == ["default", "toxic-dose", "late-dlt", "ppcl-heavy", "early-progression",
                     "boin12", "rose", "boin-et"]


def test_bad_input_exits_2(tmp_path):
    for extra in (["--scenario", "nope"], ["--format", "json"], ["--patients", "0"],
                  ["--protocol", str(tmp_path / "missing.yaml")]):
        r = runner.invoke(app, ["example", "ct071", "--protocol", "ct071",
                                "--out", str(tmp_path / "x"), *extra])
        assert r.exit_code == 2, (extra, r.output)
