"""`cartrial design boin12 simulate --tite` and the tite-boin12 protocol design (issue #20).

Regression tests: the CLI is a thin layer over ``simulate_tite_boin12`` (whose agreement with
the authors' code is in test_tite_boin12_reference.py); here it must give the engine's numbers
and take the windows from a tite-boin12 protocol.
"""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.design.boin12 import Boin12
from cartrial.design.factory import design_from_spec
from cartrial.design.simulate_tite_boin12 import simulate_tite_boin12
from cartrial.design.tite_boin12 import TiteBoin12
from cartrial.protocol import parse_protocol, protocol_text

runner = CliRunner()
ARGS = ["design", "boin12", "simulate", "--tite", "--true-tox", "0.1,0.2,0.5", "--true-eff",
        "0.3,0.5,0.6", "--max-n", "18", "--trials", "300", "--seed", "7", "--json"]


def test_cli_tite_equals_the_engine():
    res = runner.invoke(app, [*ARGS, "--patients-per-month", "2", "--eff-window", "56"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    g = TiteBoin12(Boin12(n_doses=3, target=0.35, phi_e=0.25, max_sample_size=18), 28.0, 56.0)
    want = simulate_tite_boin12(g, [0.1, 0.2, 0.5], [0.3, 0.5, 0.6], 2.0, n_trials=300, seed=7)
    assert got["overall"]["obd_selected_pct"] == want.overall["obd_selected_pct"]
    assert got["overall"]["mean_duration_days"] == want.overall["mean_duration_days"]
    assert got["settings"]["design"] == "tite-boin12"


def test_cli_tite_without_accrual_is_exit_2():
    res = runner.invoke(app, ARGS)
    assert res.exit_code == 2
    assert "--patients-per-month" in res.output and "Traceback" not in res.output


def test_protocol_design_tite_boin12(tmp_path):
    d = yaml.safe_load(protocol_text("ct071")[1])
    d["design"].update(name="tite-boin12", target=0.35, boin12={"phi_e": 0.25},
                       cap_per_dose=None)
    p = parse_protocol(yaml.safe_dump(d))
    g = design_from_spec(p.design, 2)
    assert isinstance(g, TiteBoin12)
    assert (g.tox_window, g.eff_window, g.max_pending) == (28.0, 35.0, 0.5)
    f = tmp_path / "p.yaml"
    f.write_text(yaml.safe_dump(d))
    res = runner.invoke(app, ["design", "boin12", "simulate", "--protocol", str(f),
                              "--true-tox", "0.1,0.3", "--true-eff", "0.4,0.6",
                              "--trials", "200", "--json"])
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)["settings"]
    # windows and accrual from the protocol (ct071: 2 patients per month)
    assert (s["tox_window"], s["eff_window"], s["patients_per_month"]) == (28.0, 35.0, 2.0)


def test_protocol_text_writes_tite_boin12(tmp_path):
    """protocol-text writes BOIN12's section with the late-onset rules of Zhou et al. (Stat Med
    2022;41:1918-31, section 2.2): the protocol's windows (28 and 28 + 7 days), the 50%
    suspension rule, and calendar-time operating characteristics."""
    d = yaml.safe_load(protocol_text("ct071")[1])
    d["design"].update(name="tite-boin12", target=0.35, boin12={"phi_e": 0.25},
                       cap_per_dose=None)
    f = tmp_path / "p.yaml"
    f.write_text(yaml.safe_dump(d))
    res = runner.invoke(app, ["design", "protocol-text", "--protocol", str(f), "--true-tox",
                              "0.1,0.3", "--true-eff", "0.4,0.6", "--trials", "200"])
    assert res.exit_code == 0, res.output
    text = res.stdout
    assert "## Late-onset toxicity and efficacy (TITE-BOIN12)" in text
    assert "DLTs are assessed over 28 days and response over 35 days" in text
    assert "more than 50% of the patients" in text and "Stat Med 2022;41:1918-1931" in text
    assert "## Operating characteristics" in text and text.count("## References") == 1
    bad = runner.invoke(app, ["design", "protocol-text", "--protocol", str(f), "--target",
                              "0.3"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
