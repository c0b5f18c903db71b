"""The protocol's boin-et design block (issue #20 point 1): parsed, validated, mapped to BoinEt.

Validation tests (bad blocks exit 2 with the rule named); the mapping to ``BoinEt`` is a
regression test of the code against itself. The defaults that matter are Takeda, Taguri &
Morita's (Pharm Stat 2018): phi1 = 0.1 phi, phi2 = 1.4 phi, delta1 = 0.6 delta, and boinet
1.5.0's admissibility cut-offs 0.95 / 0.99.
"""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.design.boinet import boinet_from_spec
from cartrial.design.factory import design_from_spec
from cartrial.protocol import DesignSpec, load_protocol

BASE = {"name": "boin-et", "target": 0.3, "cohort_size": 3, "max_sample_size": 18,
        "dlt_window_days": 28, "boinet": {"delta": 0.6},
        "efficacy": {"endpoint": "PR", "by_day": 28}}


def test_bundled_protocol_maps_to_boinet():
    p = load_protocol("ct071_boinet")
    d = design_from_spec(p.design, len(p.dose_levels))
    assert type(d).__name__ == "BoinEt"
    assert (d.target, d.delta, d.cohort_size, d.max_sample_size, d.cap_per_dose) == (
        0.3, 0.6, 3, 18, 12)
    assert (d.stop_t, d.stop_e, d.estimate, d.obd_method) == (0.95, 0.99, "obs", "max-effprob")
    b = d.boundaries  # the paper's defaults phi1 0.03, phi2 0.42, delta1 0.36
    assert (b.phi1, b.phi2, b.delta1) == pytest.approx((0.03, 0.42, 0.36))


def test_every_field_reaches_the_design():
    spec = DesignSpec(**{**BASE, "phi1": 0.05, "phi2": 0.45, "elimination_cutoff": 0.9,
                         "cap_per_dose": 9, "boinet": {
                             "delta": 0.5, "delta1": 0.25, "futility_cutoff": 0.95,
                             "estimate": "multi-iso", "obd_method": "utility-scoring",
                             "w1": 0.5, "w2": 1.2, "response_dlt": 55,
                             "no_response_no_dlt": 35}})
    d = boinet_from_spec(spec, 3)
    assert (d.phi1, d.phi2, d.delta, d.delta1, d.stop_t, d.stop_e, d.cap_per_dose) == (
        0.05, 0.45, 0.5, 0.25, 0.9, 0.95, 9)
    assert (d.estimate, d.obd_method, d.w1, d.w2, d.psi11, d.psi00) == (
        "multi-iso", "utility-scoring", 0.5, 1.2, 55, 35)


@pytest.mark.parametrize(("change", "message"), [
    ({"boinet": None}, "the boinet block"),
    ({"name": "boin"}, "the boinet block"),
    ({"phi1": 0.35}, "phi1 0.35, target 0.3, phi2 0.42 must be ordered"),
    ({"phi2": 0.25}, "must be ordered 0 < phi1 < target < phi2 < 1"),
    ({"boinet": {"delta": 0.6, "delta1": 0.7}}, "delta1 0.7 and boinet.delta 0.6"),
    ({"boinet": {"delta": 1.2}}, "less than 1"),
    ({"boinet": {"delta": 0.6, "obd_method": "best"}}, "max-effprob"),
    ({"efficacy": None}, "boin-et decides on response: design.efficacy"),
])
def test_bad_block_refused(change, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        DesignSpec(**{**BASE, **change})


def test_other_designs_dump_no_boinet_block():
    """Regression: a protocol without BOIN-ET dumps as before (no boinet key)."""
    assert "boinet" not in load_protocol("ct071").model_dump()["design"]
    assert load_protocol("ct071_boinet").model_dump()["design"]["boinet"]["delta"] == 0.6


def test_cli_exits_2_naming_the_rule(tmp_path):
    src = yaml.safe_load(load_protocol("ct071_boinet").model_dump_json())
    src["design"]["boinet"]["delta1"] = 0.9
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(src), encoding="utf-8")
    r = CliRunner().invoke(app, ["design", "boinet", "simulate", "--protocol", str(path),
                                 "--true-tox", "0.1,0.2", "--true-eff", "0.3,0.5"])
    assert r.exit_code == 2 and "delta1 0.9" in r.output and "Traceback" not in r.output
