"""`cartrial design rose size|simulate|list`: table, JSON, CSV, protocol, exit code 2."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.protocol import load_protocol

runner = CliRunner()


@pytest.fixture(scope="module")
def rose_protocol(tmp_path_factory: pytest.TempPathFactory) -> str:
    data = load_protocol("ct071").model_dump(mode="json")
    data["design"]["randomised_stage"] = {
        "doses": ["DL1", "DL2"], "p_high": 0.6, "margin": 0.15, "pcs_low": 0.65,
        "pcs_high": 0.65, "method": "normal", "seed": 7,
    }
    path = tmp_path_factory.mktemp("rose") / "ct071_rose.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(path)


def test_size_table_reproduces_table_1(tmp_path) -> None:
    """Wang, Yuan & Liu (Biometrics 2025) Table 1, delta 0.1: p 0.3 with PCS 0.6/0.6 and
    0.6/0.7 -> 11 and 24 per arm (one stage), 13 and 27 (two stages, interim at half)."""
    one = runner.invoke(app, ["design", "rose", "size", "--p-high", "0.3", "--pcs-low", "0.6",
                              "--pcs-high", "0.6,0.7", "--json"])
    assert one.exit_code == 0, one.output
    assert [r["n_low"] for r in json.loads(one.stdout)] == [11, 24]
    two = runner.invoke(app, ["design", "rose", "size", "--p-high", "0.3", "--pcs-low", "0.6",
                              "--pcs-high", "0.6,0.7", "--interim", "0.5", "--out",
                              str(tmp_path)])
    assert two.exit_code == 0, two.output
    frame = pd.read_csv(tmp_path / "rose_sample_size.csv")
    assert frame["n_low"].tolist() == [13, 27] and frame["interim_low"].tolist() == [7, 14]


def test_size_bad_input_exits_2() -> None:
    for args in (["--p-high", "0.05"], ["--p-high", "x"], ["--p-high", "0.3", "--method", "b"]):
        r = runner.invoke(app, ["design", "rose", "size", *args])
        assert r.exit_code == 2, r.output
        assert "Traceback" not in r.output


def test_simulate_from_protocol(rose_protocol: str, tmp_path) -> None:
    r = runner.invoke(app, ["design", "rose", "simulate", "--protocol", rose_protocol,
                            "--true-tox", "0.05,0.15", "--true-eff", "0.45,0.6", "--trials",
                            "1000", "--seed", "3", "--json", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    assert js["true_obd"] == 2 and js["stage"]["n_low"] > 0
    assert sum(d["selected_pct"] for d in js["per_dose"]) + js["overall"][
        "no_selection_pct"] == pytest.approx(100)
    assert pd.read_csv(tmp_path / "rose_oc.csv")["dose_id"].tolist() == ["DL1", "DL2"]
    text = runner.invoke(app, ["design", "rose", "simulate", "--protocol", rose_protocol,
                               "--true-tox", "0.05,0.15", "--true-eff", "0.45,0.6",
                               "--trials", "200"])
    assert text.exit_code == 0 and "correct selection" in text.output


def test_simulate_bad_input_exits_2(rose_protocol: str) -> None:
    no_stage = runner.invoke(app, ["design", "rose", "simulate", "--protocol", "ct071",
                                   "--true-tox", "0.1,0.2", "--true-eff", "0.3,0.4"])
    assert no_stage.exit_code == 2 and "randomised_stage" in no_stage.output
    wrong = runner.invoke(app, ["design", "rose", "simulate", "--protocol", rose_protocol,
                                "--true-tox", "0.1", "--true-eff", "0.3,0.4"])
    assert wrong.exit_code == 2 and "Traceback" not in wrong.output


def test_randomisation_list(rose_protocol: str, tmp_path) -> None:
    r = runner.invoke(app, ["design", "rose", "list", "--protocol", rose_protocol, "--out",
                            str(tmp_path), "--json"])
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    frame = pd.read_csv(tmp_path / "rose_randomisation.csv")
    assert len(frame) >= js["n_low"] + js["n_high"]
    assert set(frame["dose"]) == {"DL1", "DL2"} and js["seed"] == 7
    again = runner.invoke(app, ["design", "rose", "list", "--protocol", rose_protocol, "--json"])
    assert json.loads(again.stdout) == js


def test_protocol_text_markdown_and_docx(rose_protocol: str, tmp_path) -> None:
    """The section states the rule in responder counts, the exact PCS and the OC scenario; the
    DOCX is byte-identical for the same inputs."""
    args = ["design", "rose", "text", "--protocol", rose_protocol, "--true-tox", "0.05,0.15",
            "--true-eff", "0.45,0.6", "--trials", "500"]
    r = runner.invoke(app, [*args, "--out", str(tmp_path / "a")])
    assert r.exit_code == 0, r.output
    md = (tmp_path / "a" / "rose_protocol_text.md").read_text()
    assert "more responder" in md and "than DL1 out of" in md
    assert "| H: higher dose is the OBD |" in md
    assert "Scenario 1 (correct dose: DL2)" in md and "Biometrics 2025;81(4):ujaf124" in md
    runner.invoke(app, [*args, "--out", str(tmp_path / "b")])
    assert (tmp_path / "a" / "rose_protocol_text.docx").read_bytes() == (
        tmp_path / "b" / "rose_protocol_text.docx").read_bytes()
    bad = runner.invoke(app, ["design", "rose", "text", "--protocol", rose_protocol,
                              "--true-tox", "0.1,0.2"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
