"""`cartrial design protocol-text --protocol P` for escalation followed by a randomised ROSE stage
(issue #20 point 6): one statistical section (escalation design, the stage, joint operating
characteristics, total sample size, one reference list), as Markdown and DOCX.

Outside references: BOIN's published decision table for target 0.3 (Liu & Yuan, J R Stat Soc C
2015;64:507-23; Yuan et al., Clin Cancer Res 2016;22:4291-301: escalate if DLTs <= 0/1/2,
de-escalate if >= 2/3/4, eliminate if >= 3/4/5 with 3/6/9 patients); the ROSE design's exact
PCS summed with SciPy's binomial pmf (Wang S, Yuan Y, Liu S, Biometrics 2025;81(4):ujaf124,
section 2). The operating-characteristics rows are compared with the escalation simulators run
alone on the same seed: that part is a REGRESSION check (cartrial against cartrial).
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from docx import Document
from scipy.stats import binom
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.design.simulate_oc import simulate_oc
from cartrial.design.simulate_tite_boin12 import simulate_tite_boin12
from cartrial.design.tite_boin12 import tite_boin12_from_spec
from cartrial.protocol import load_protocol

runner = CliRunner()
SCEN = ["--true-tox", "0.05,0.15", "--true-eff", "0.55,0.8", "--true-tox", "0.05,0.5",
        "--true-eff", "0.6,0.8"]


def _protocol(tmp_path, name: str, stage: dict, **design: object) -> str:
    data = load_protocol("ct071").model_dump(mode="json")
    data["design"].update(name=name, randomised_stage=stage, **design)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(path)


def _text(path: str, out=None, trials: str = "400") -> str:
    args = ["design", "protocol-text", "--protocol", path, *SCEN, "--trials", trials]
    r = runner.invoke(app, [*args, *(["--out", str(out)] if out else [])])
    assert r.exit_code == 0, r.output
    return (out / "protocol_text.md").read_text() if out else r.stdout


def _rows(text: str, scenario: int) -> list[list[str]]:
    part = text.split(f"### Scenario {scenario} ")[1].split("\n\n")[1]
    return [[c.strip() for c in ln.strip("|").split("|")] for ln in part.splitlines()[2:]]


def _pcs_high(n: int, lead: int, ql: float, qh: float) -> float:
    x = np.arange(n + 1)
    joint = np.outer(binom.pmf(x, n, ql), binom.pmf(x, n, qh))
    return float(joint[(x[None, :] - x[:, None]) >= lead].sum())


def test_boin_then_rose_is_one_statistical_section(tmp_path) -> None:
    stage = {"doses": ["DL1", "DL2"], "p_high": 0.8, "margin": 0.2}
    path = _protocol(tmp_path, "boin", stage)
    text = _text(path, tmp_path / "o")
    heads = [x for x in text.splitlines() if x.startswith("## ")]
    assert heads == ["## Design", "## Dose assignment", "## Decision table",
                     "## DLT assessment window and pending patients",
                     "## Stopping and MTD selection",
                     "## Randomised dose-optimisation stage (ROSE)",
                     "## Operating characteristics (escalation + randomised stage)",
                     "## Sample size", "## References"]
    # BOIN's published table for target 0.3 (cap 9 per dose: n = 3, 6, 9)
    for row in ("| Escalate if # of DLT <= | 0 | 1 | 2 |",
                "| De-escalate if # of DLT >= | 2 | 3 | 4 |",
                "| Eliminate if # of DLT >= | 3 | 4 | 5 |"):
        assert row in text, row
    # the stage: doses, when it opens, allocation, rule, exact PCS (SciPy)
    assert "The stage opens when dose escalation selects DL2 or a higher dose" in text
    assert "randomised 1:1 (DL1:DL2) in permuted blocks of 4" in text
    assert "at least 2 more responders than DL1 out of 12 each" in text
    assert f"| {1 - _pcs_high(12, 2, 0.8, 0.8):.3f} |" in text
    assert f"| {_pcs_high(12, 2, 0.6, 0.8):.3f} |" in text
    assert "at most 42 patients in all" in text  # 18 in escalation + 12 + 12
    # regression: the escalation columns are BOIN's own simulator on the same seeds
    p = load_protocol(path)
    for i, tox in enumerate(([0.05, 0.15], [0.05, 0.5])):
        alone = simulate_oc(p.design, tox, 400, i)
        got = [float(r[3]) for r in _rows(text, i + 1)]
        assert got == pytest.approx(alone.per_dose["pct_selected"].round(1).tolist())
    refs = text.split("## References")[1]
    assert refs.count("Biometrics 2025;81(4):ujaf124") == 1 and "J R Stat Soc Ser C" in refs
    assert "Lan KKG" not in refs  # one stage: no spending function cited
    doc = Document(str(tmp_path / "o" / "protocol_text.docx"))
    numbered = [q.text[:3] for q in doc.paragraphs if q.text[:1].isdigit()]
    assert numbered[:4] == ["1. ", "2. ", "3. ", "1. "]  # each list numbered from 1
    assert [t.rows[0].cells[1].text for t in doc.tables][:1] == ["3"]


def test_tite_boin12_then_two_stage_rose(tmp_path) -> None:
    stage = {"rule": "selected-and-next-lower", "p_high": 0.8, "margin": 0.2,
             "interim_fraction": 0.5}
    path = _protocol(tmp_path, "tite-boin12", stage, target=0.35, cap_per_dose=None,
                     boin12={"phi_e": 0.25})
    text = _text(path)
    assert "## Late-onset toxicity and efficacy (TITE-BOIN12)" in text
    assert "the dose selected by escalation (the higher dose) and the dose level " \
           "immediately below it" in text
    assert "1. Interim analysis after 6 (the lower dose) and 6 (the higher dose)" in text
    assert "the higher dose selected at the interim in" in text
    refs = text.split("## References")[1]
    assert "Stat Med 2022;41:1918-1931" in refs and "Lan KKG" in refs
    assert "Thall PF" not in refs  # the joint simulation draws DLT and response independently
    p = load_protocol(path)
    g = tite_boin12_from_spec(p.design, 2)
    alone = simulate_tite_boin12(g, [0.05, 0.15], [0.55, 0.8], 2.0, 400, 0)  # regression
    got = [float(r[3]) for r in _rows(text, 1)]
    assert got == pytest.approx(alone.per_dose["selected_pct"].round(1).tolist())


def test_uboin_then_rose_keeps_stage_one_table_and_drops_empty_oc(tmp_path) -> None:
    stage = {"doses": ["DL1", "DL2"], "p_high": 0.8, "margin": 0.2}
    path = _protocol(tmp_path, "u-boin", stage, target=0.3, cap_per_dose=None,
                     uboin={"phi_e": 0.25, "stage1_per_dose": 6})
    text = _text(path, trials="200")
    assert "| 3 | 0 | 2 | 3 |" in text  # stage I: BOIN's table at target 0.3, n = 3
    assert "No scenario was simulated" not in text
    assert text.count("## Operating characteristics") == 1 and text.count("## References") == 1
    assert "Stat Med 2019;38:5299-5316" in text and "After dose escalation (U-BOIN)" in text


def test_same_inputs_same_bytes(tmp_path) -> None:
    stage = {"doses": ["DL1", "DL2"], "p_high": 0.8, "margin": 0.2}
    path = _protocol(tmp_path, "boin12", stage, target=0.35, cap_per_dose=None,
                     boin12={"phi_e": 0.25})
    _text(path, tmp_path / "a", trials="200")
    _text(path, tmp_path / "b", trials="200")
    for name in ("protocol_text.md", "protocol_text.docx"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
