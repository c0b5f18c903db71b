"""`cartrial design simulate --protocol P` for a protocol with a randomised ROSE stage.

The numbers are checked against :func:`cartrial.design.simulate_rose.simulate_rose` called
directly (a REGRESSION test of the CLI plumbing: same seed, same trials, same numbers); the
simulation itself is checked against the escalation simulators and the ROSE rule's exact
binomial probabilities in tests/design/test_rose_escalations.py.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.design.simulate_rose import simulate_rose
from cartrial.protocol import load_protocol

runner = CliRunner()
STAGE = {"rule": "selected-and-next-lower", "p_high": 0.8, "margin": 0.2}


@pytest.fixture(scope="module")
def tite_protocol(tmp_path_factory: pytest.TempPathFactory) -> str:
    data = load_protocol("ct071").model_dump(mode="json")
    data["design"].update(name="tite-boin12", target=0.35, cap_per_dose=None,
                          boin12={"phi_e": 0.25}, randomised_stage=STAGE)
    path = tmp_path_factory.mktemp("rose") / "tite_rose.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(path)


def test_tite_boin12_then_stage_through_design_simulate(tite_protocol: str, tmp_path) -> None:
    args = ["design", "simulate", "--protocol", tite_protocol, "--true-tox", "0.05,0.15",
            "--true-eff", "0.55,0.8", "--true-tox", "0.05,0.5", "--true-eff", "0.6,0.8",
            "--trials", "300", "--seed", "5", "--json", "--out", str(tmp_path)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)["scenarios"]
    p = load_protocol(tite_protocol)
    for i, (t, e) in enumerate([([0.05, 0.15], [0.55, 0.8]), ([0.05, 0.5], [0.6, 0.8])]):
        api = simulate_rose(p.design, t, e, p.dose_ids, 300, 5)
        assert js[i]["overall"] == pytest.approx(api.overall)
        assert [d["escalation_pct"] for d in js[i]["per_dose"]] == pytest.approx(
            api.per_dose["escalation_pct"].tolist())
        assert js[i]["method"].startswith("tite-boin12 escalation + ROSE stage")
    per = pd.read_csv(tmp_path / "rose_oc.csv")
    assert per["scenario"].tolist() == [1, 1, 2, 2] and per["dose_id"].tolist()[:2] == [
        "DL1", "DL2"]
    assert len(pd.read_csv(tmp_path / "rose_overall.csv")) == 2


def test_scenario_file(tite_protocol: str, tmp_path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("scenario,tox1,tox2,eff1,eff2\nA,0.05,0.15,0.55,0.8\n")
    r = runner.invoke(app, ["design", "simulate", "--protocol", tite_protocol, "--scenarios",
                            str(path), "--trials", "100", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["scenarios"][0]["scenario"] == "A"


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--true-tox", "0.05,0.15"], "give one --true-eff for each --true-tox"),
     (["--true-tox", "0.05,0.15", "--true-eff", "0.5,0.8", "--target", "0.3", "--method",
       "mc"], "--target, --method: not used"),
     (["--true-tox", "0.05,0.15,0.2", "--true-eff", "0.5,0.8,0.9"], "the protocol has 2 dose")],
)
def test_bad_input_exits_2(tite_protocol: str, extra: list[str], message: str) -> None:
    r = runner.invoke(app, ["design", "simulate", "--protocol", tite_protocol, *extra])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert message in r.output


def test_true_eff_needs_a_stage_protocol() -> None:
    r = runner.invoke(app, ["design", "simulate", "--design", "boin", "--true-tox", "0.1,0.2",
                            "--true-eff", "0.3,0.4"])
    assert r.exit_code == 2 and "randomised ROSE stage" in r.output
