"""BOIN-ET from a protocol on the command line (issue #20 point 3) and the one rule on falling
true DLT probabilities (every simulate verb and protocol-text; exit 2).

Regression tests: the CLI's numbers equal ``simulate_boinet`` called directly with the
protocol's design (the code against itself); the protocol text's boundaries are checked against
boinet's R output in tests/design/test_boinet_text.py.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.design.boinet import boinet_from_spec
from cartrial.design.simulate_boinet import simulate_boinet
from cartrial.protocol import load_protocol

runner = CliRunner()
P = "ct071_boinet"


def _json(args: list[str]) -> dict:
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _direct(tox, eff, trials, seed):
    d = boinet_from_spec(load_protocol(P).design, 2)
    return simulate_boinet(d, tox, eff, n_trials=trials, seed=seed)["selected_pct"].tolist()


def test_boinet_simulate_with_the_protocol():
    out = _json(["design", "boinet", "simulate", "--protocol", P, "--true-tox", "0.05,0.2",
                 "--true-eff", "0.4,0.75", "--trials", "300", "--seed", "3", "--json"])
    assert out["settings"]["cap_per_dose"] == 12 and out["notes"] == []
    assert [r["selected_pct"] for r in out["per_dose"]] == _direct([0.05, 0.2], [0.4, 0.75],
                                                                   300, 3)


def test_design_simulate_protocol_many_scenarios(tmp_path):
    csv = tmp_path / "s.csv"
    csv.write_text("scenario,tox1,tox2,eff1,eff2\nlow,0.05,0.1,0.3,0.6\n", encoding="utf-8")
    out = _json(["design", "simulate", "--protocol", P, "--scenarios", str(csv), "--true-tox",
                 "0.05,0.2", "--true-eff", "0.4,0.75", "--trials", "200", "--json",
                 "--out", str(tmp_path / "oc")])
    sc = out["scenarios"]
    assert list(sc) == ["low", "1"]
    assert [r["selected_pct"] for r in sc["low"]] == _direct([0.05, 0.1], [0.3, 0.6], 200, 2024)
    assert (tmp_path / "oc" / "boinet_oc.csv").read_text().startswith("scenario,dose,")


@pytest.mark.parametrize(("args", "message"), [
    (["design", "simulate", "--protocol", P, "--true-tox", "0.05,0.2", "--target", "0.2"],
     "--target: not used with a boin-et protocol"),
    (["design", "simulate", "--protocol", P, "--true-tox", "0.05,0.2"],
     "give one --true-eff for each --true-tox"),
    (["design", "boinet", "simulate", "--protocol", "ct071", "--true-tox", "0.05,0.2",
      "--true-eff", "0.4,0.75"], "design.name is 'boin', not boin-et"),
    (["design", "boinet", "simulate", "--protocol", P, "--true-tox", "0.05,0.2,0.3",
      "--true-eff", "0.4,0.75,0.8"], "needs 2 values"),
    (["design", "boinet", "simulate", "--true-tox", "0.05,0.2"], "give --true-tox and --true-eff"),
    (["design", "protocol-text", "--protocol", P, "--start-dose", "2"],
     "--start-dose: the U-BOIN / randomised-stage text"),
])
def test_bad_input_exits_2(args, message):
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and message in r.output, r.output


def test_protocol_text_for_a_boinet_protocol(tmp_path):
    r = runner.invoke(app, ["design", "protocol-text", "--protocol", P, "--true-tox", "0.05,0.2",
                            "--true-eff", "0.4,0.75", "--trials", "200", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    md = (tmp_path / "protocol_text.md").read_text(encoding="utf-8")
    assert "BOIN-ET design" in md and "lambda1 = 0.14" in md
    assert (tmp_path / "protocol_text.docx").stat().st_size > 0


FALLING = "0.3,0.1"


@pytest.mark.parametrize("args", [
    ["design", "simulate", "--design", "boin", "--true-tox", FALLING],
    ["design", "simulate", "--protocol", "ct071", "--true-tox", FALLING],
    ["design", "boinet", "simulate", "--true-tox", FALLING, "--true-eff", "0.3,0.5"],
    ["design", "simulate", "--protocol", P, "--true-tox", FALLING, "--true-eff", "0.3,0.5"],
    ["design", "protocol-text", "--protocol", "ct071", "--true-tox", FALLING],
    ["design", "protocol-text", "--protocol", P, "--true-tox", FALLING, "--true-eff", "0.3,0.5"],
    ["design", "boin12", "simulate", "--true-tox", FALLING, "--true-eff", "0.3,0.5"],
    ["design", "uboin", "simulate", "--true-tox", FALLING, "--true-eff", "0.3,0.5"],
])
def test_falling_dlt_probabilities_refused_by_one_rule(args):
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    assert ("scenario 1 (--true-tox): dose 2 has 0.1, below dose 1's 0.3; true DLT "
            "probabilities must not decrease with dose") in r.output


def test_falling_dlt_probabilities_in_a_scenario_file(tmp_path):
    csv = tmp_path / "s.csv"
    csv.write_text("scenario,p1,p2\nok,0.1,0.2\nbad,0.3,0.2\n", encoding="utf-8")
    r = runner.invoke(app, ["design", "simulate", "--design", "boin", "--scenarios", str(csv)])
    assert r.exit_code == 2 and "scenario bad (" in r.output and "must not decrease" in r.output


def test_falling_dlt_probabilities_refused_with_a_randomised_stage(tmp_path):
    import yaml

    data = load_protocol("ct071").model_dump(mode="json")
    data["design"]["randomised_stage"] = {"doses": ["DL1", "DL2"], "p_high": 0.6,
                                          "margin": 0.15}
    path = tmp_path / "rose.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    for verb in (["design", "simulate"], ["design", "rose", "simulate"],
                 ["design", "rose", "text"]):
        r = runner.invoke(app, [*verb, "--protocol", str(path), "--true-tox", FALLING,
                                "--true-eff", "0.3,0.5", "--trials", "10"])
        assert r.exit_code == 2 and "must not decrease with dose" in r.output, (verb, r.output)


def test_decision_table_verb(tmp_path):
    """The verb writes the protocol text's table (CSV, JSON, Markdown); its rows are checked
    against boinet's logged decisions in tests/design/test_boinet_text.py."""
    from cartrial.design.boinet_text import decision_table

    out = _json(["design", "boinet", "table", "--protocol", P, "--sizes", "3,6,9", "--json",
                 "--out", str(tmp_path)])
    assert (out["lambda1"], out["lambda2"], out["eta1"]) == (0.14, 0.35, 0.48)
    d = boinet_from_spec(load_protocol(P).design, 2)
    assert pd.DataFrame(out["rows"]).equals(decision_table(d, [3, 6, 9]))
    assert (tmp_path / "boinet_table.md").read_text().startswith("| patients at the dose |")
    assert json.loads((tmp_path / "boinet_table.json").read_text())["rows"][0][
        "de-escalate if DLTs >="] == 2
    r = runner.invoke(app, ["design", "boinet", "table", "--sizes", "2.5"])
    assert r.exit_code == 2 and "--sizes 2.5: each must be a whole number >= 1" in r.output
