"""`cartrial design uboin simulate|table`: JSON, files, protocol, exit code 2 on bad input.

The deterministic scenario's expected outcome is worked out by hand (tests/design/test_uboin.py,
test_deterministic_trial_worked_by_hand); the table's first row by hand below.
"""

from __future__ import annotations

import json

import pandas as pd
import yaml
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.protocol import load_protocol

runner = CliRunner()


def test_simulate_json_deterministic_scenario(tmp_path):
    r = runner.invoke(
        app,
        [
            "design",
            "uboin",
            "simulate",
            "--true-tox",
            "0,0,0,0,0",
            "--true-eff",
            "1,1,1,1,1",
            "--stage1-per-dose",
            "6",
            "--trials",
            "20",
            "--json",
            "--out",
            str(tmp_path),
        ],
    )
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    assert [row["patients"] for row in js["per_dose"]] == [3, 3, 3, 3, 18]
    assert js["settings"]["design"] == "u-boin" and js["overall"]["early_stop_pct"] == 0
    assert pd.read_csv(tmp_path / "uboin_oc.csv")["selected_pct"].tolist()[-1] == 100


def test_simulate_text_and_bad_input():
    r = runner.invoke(
        app,
        [
            "design",
            "uboin",
            "simulate",
            "--true-tox",
            "0.1,0.3",
            "--true-eff",
            "0.3,0.5",
            "--trials",
            "50",
            "--max-n",
            "12",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "true OBD" in r.output
    for bad in (
        ["--true-tox", "0.1,x", "--true-eff", "0.3,0.5"],
        ["--true-tox", "0.1,0.3", "--true-eff", "0.3"],
        ["--true-tox", "0.1,0.3", "--true-eff", "0.3,0.5", "--phi-e", "1.5"],
    ):
        out = runner.invoke(app, ["design", "uboin", "simulate", *bad])
        assert out.exit_code == 2, out.output
        assert "Traceback" not in out.output


def test_table_files_and_hand_worked_row(tmp_path):
    r = runner.invoke(app, ["design", "uboin", "table", "--sizes", "3", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    t = pd.read_csv(tmp_path / "uboin_table.csv")
    # n 3, no DLT, no response: cells (0.25, 0.25, 3.25, 0.25) / 4 -> (25 + 15 + 130) / 4 = 42.5
    assert t.loc[0, ["n", "dlt", "responses", "utility"]].tolist() == [3, 0, 0, 42.5]
    assert json.loads((tmp_path / "uboin_table.json").read_text())["settings"]["prior"] == 0.25
    assert (tmp_path / "uboin_table.md").read_text().startswith("| n |")
    nonadd = runner.invoke(
        app, ["design", "uboin", "table", "--sizes", "3", "--u11", "70", "--json"]
    )
    assert "dlt_and_response" in json.loads(nonadd.stdout)["rows"][0]


def test_protocol_design(tmp_path):
    pr = load_protocol("ct071")
    src = yaml.safe_load(pr.model_dump_json())
    src["design"] = pr.design.model_dump() | {
        "name": "u-boin",
        "max_sample_size": 24,
        "uboin": {"phi_e": 0.3, "stage1_per_dose": 6},
    }
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump(src), encoding="utf-8")
    k = len(src["dose_levels"])
    r = runner.invoke(
        app,
        [
            "design",
            "uboin",
            "simulate",
            "--protocol",
            str(p),
            "--true-tox",
            ",".join(["0.1"] * k),
            "--true-eff",
            ",".join(["0.4"] * k),
            "--trials",
            "20",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)["settings"]
    assert s["phi_e"] == 0.3 and s["stage1_per_dose"] == 6 and s["max_sample_size"] == 24
    r = runner.invoke(app, ["design", "uboin", "table", "--protocol", "ct071"])
    assert r.exit_code == 2 and "not u-boin" in r.output
