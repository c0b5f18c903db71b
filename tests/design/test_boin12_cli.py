"""`cartrial design boin12 tables|simulate`: files, JSON, protocol settings, exit code 2."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.design.boin12 import boin12_from_spec
from cartrial.errors import InputError
from cartrial.protocol import load_protocol
from cartrial.protocol.model import DesignSpec

runner = CliRunner()


def test_tables_write_csv_json_markdown(tmp_path):
    r = runner.invoke(
        app, ["design", "boin12", "tables", "--sizes", "0,3,6,9", "--out", str(tmp_path)]
    )
    assert r.exit_code == 0, r.output
    rds = pd.read_csv(tmp_path / "boin12_desirability.csv")
    # Lin et al. 2020 Table 3 settings: 166 rows; (n 0) ranks 60 (see test_boin12_reference.py)
    assert len(rds) == 166 and rds.loc[0, "rds_label"] == "60"
    js = json.loads((tmp_path / "boin12_utility.json").read_text())
    assert js["settings"]["u_b"] == 70.5
    assert (tmp_path / "boin12_boundaries.md").read_text().startswith("| n |")


def test_tables_json_and_bad_input():
    r = runner.invoke(app, ["design", "boin12", "tables", "--json", "--sizes", "3"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["boundaries"][0]["deescalate_if_dlt_ge"] == 2
    bad = runner.invoke(app, ["design", "boin12", "tables", "--u11", "70"])
    assert bad.exit_code == 2 and "additive" in bad.output
    assert "Traceback" not in bad.output


def test_simulate_json():
    r = runner.invoke(
        app,
        [
            "design",
            "boin12",
            "simulate",
            "--true-tox",
            "0.1,0.2,0.5",
            "--true-eff",
            "0.3,0.5,0.6",
            "--max-n",
            "18",
            "--trials",
            "300",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["true_obd"] == 2 and len(out["per_dose"]) == 3
    bad = runner.invoke(
        app, ["design", "boin12", "simulate", "--true-tox", "0.1,2", "--true-eff", "0.3,0.5"]
    )
    assert bad.exit_code == 2


def test_protocol_boin12_design(tmp_path):
    p = load_protocol("ct071")
    spec = p.design.model_dump() | {"name": "boin12", "boin12": {"phi_e": 0.3}}
    d = boin12_from_spec(DesignSpec.model_validate(spec), len(p.dose_levels))
    assert (d.phi_e, d.target, d.utility.response_dlt) == (0.3, p.design.target, 60.0)
    with pytest.raises(InputError, match="not boin12"):
        boin12_from_spec(p.design, 3)
    with pytest.raises(ValueError, match="boin12 block"):
        DesignSpec.model_validate(p.design.model_dump() | {"name": "boin12"})
    # other designs dump without the block (their outputs stay as they were)
    assert "boin12" not in p.design.model_dump()
    raw = yaml.safe_load(p.model_dump_json())
    raw["design"] = spec
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    r = runner.invoke(app, ["design", "boin12", "tables", "--protocol", str(path), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["utility"][-1]["utility"] > 0


def test_simulate_start_dose():
    r = runner.invoke(
        app,
        [
            "design",
            "boin12",
            "simulate",
            "--true-tox",
            "0.1,0.2,0.5",
            "--true-eff",
            "0.3,0.5,0.6",
            "--max-n",
            "18",
            "--trials",
            "200",
            "--start-dose",
            "2",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["settings"]["start_dose"] == 2
    assert out["per_dose"][1]["patients"] >= 3  # every trial treats its first cohort at dose 2
    bad = runner.invoke(
        app,
        [
            "design",
            "boin12",
            "simulate",
            "--true-tox",
            "0.1,0.2",
            "--true-eff",
            "0.3,0.5",
            "--start-dose",
            "3",
        ],
    )
    assert bad.exit_code == 2 and "outside 1..2" in bad.output


def test_simulate_scenario_file(tmp_path):
    f = tmp_path / "scen.csv"
    f.write_text(
        "scenario,tox1,tox2,tox3,eff1,eff2,eff3\nA,0.1,0.2,0.5,0.3,0.5,0.6\n"
        "B,0.05,0.1,0.15,0.1,0.2,0.5\n",
        encoding="utf-8",
    )
    r = runner.invoke(
        app,
        [
            "design",
            "boin12",
            "simulate",
            "--scenarios",
            str(f),
            "--max-n",
            "18",
            "--trials",
            "200",
            "--out",
            str(tmp_path / "oc"),
        ],
    )
    assert r.exit_code == 0, r.output
    overall = pd.read_csv(tmp_path / "oc" / "overall.csv")
    assert overall["scenario"].tolist() == ["A", "B"] and overall["true_obd"].tolist() == [2, 3]
    per = pd.read_csv(tmp_path / "oc" / "boin12_oc.csv")
    assert len(per) == 6 and per.columns[0] == "scenario"
    f.write_text("scenario,tox1,tox2,eff1,eff2\nA,0.1,x,0.3,0.5\n", encoding="utf-8")
    bad = runner.invoke(app, ["design", "boin12", "simulate", "--scenarios", str(f)])
    assert bad.exit_code == 2 and "tox2" in bad.output and "SEQ=2" in bad.output
    none = runner.invoke(app, ["design", "boin12", "simulate"])
    assert none.exit_code == 2 and "--scenarios" in none.output
