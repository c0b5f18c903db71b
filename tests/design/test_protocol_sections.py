"""`cartrial design protocol-text` for a U-BOIN protocol and for a protocol with a randomised ROSE
stage (issue #20).

Outside references: BOIN's published decision table for target 0.3 (Liu & Yuan, J R Stat Soc C
2015;64:507-23; the same table in Yuan et al., Clin Cancer Res 2016;22:4291-301: escalate if
DLTs <= 0/1/2, de-escalate if >= 2/3/4, eliminate if >= 3/4/5 with 3/6/9 patients), U-BOIN's
Dirichlet posterior worked by hand (posterior mean utility) and with SciPy's beta distribution
(the marginal of a Dirichlet cell sum is a beta), and the ROSE design's exact binomial PCS summed
with SciPy's binomial pmf (Wang, Yuan & Liu, Biometrics 2025;81(4):ujaf124).
"""

from __future__ import annotations

import pytest
import yaml
from scipy.stats import beta, binom
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.design.uboin import Uboin
from cartrial.design.uboin_text import uboin_protocol_text
from cartrial.example.trial import conducted_protocol
from cartrial.protocol import load_protocol, protocol_text

runner = CliRunner()


def test_stage_one_table_is_boins_published_table_at_target_0_3():
    d = Uboin(n_doses=3, target=0.3, phi_e=0.2, max_sample_size=30, stage1_per_dose=9)
    text = uboin_protocol_text(d)
    for row in ("| 3 | 0 | 2 | 3 |", "| 6 | 1 | 3 | 4 |", "| 9 | 2 | 4 | 5 |"):
        assert row in text, row
    assert "lambda_e = 0.2365" in text and "lambda_d = 0.3585" in text


def test_stage_two_posterior_rows_worked_by_hand_and_with_scipy():
    """n = 3, 0 DLT, 1 response; Dirichlet(0.25) on (response only, both, neither, DLT only):
    posterior cells (1.25, 0.25, 2.25, 0.25) / 4 -> utility (125 + 15 + 90) / 4 = 57.5;
    p_T ~ Beta(0.5, 3.5), p_E ~ Beta(1.5, 2.5)."""
    d = Uboin(n_doses=3, target=0.3, phi_e=0.2, max_sample_size=30, stage1_per_dose=9)
    p_over = round(float(beta.sf(0.3, 0.5, 3.5)), 4)
    p_fut = round(float(beta.cdf(0.2, 1.5, 2.5)), 4)
    assert f"| 3 | 0 | 1 | 57.5 | {p_over:g} | {p_fut:g} | yes |" in uboin_protocol_text(d)
    # 3 DLTs of 3: P(p_T > 0.3) = Beta(3.5, 0.5) tail > 0.95: not admissible
    assert beta.sf(0.3, 3.5, 0.5) > 0.95
    assert "| 3 | 3 | 0 | 12.5 |" in uboin_protocol_text(d)


def _uboin_yaml(tmp_path):
    y = yaml.safe_load(protocol_text("ct071")[1])
    y["design"].update(name="u-boin", target=0.3, cap_per_dose=None, max_sample_size=18,
                       uboin={"phi_e": 0.2, "stage1_per_dose": 6})
    path = tmp_path / "u.yaml"
    path.write_text(yaml.safe_dump(y))
    return path


def test_cli_writes_the_uboin_section_as_markdown_and_docx(tmp_path):
    path = _uboin_yaml(tmp_path)
    args = ["design", "protocol-text", "--protocol", str(path), "--true-tox", "0.05,0.15",
            "--true-eff", "0.3,0.6", "--trials", "300", "--out", str(tmp_path / "o")]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    md = (tmp_path / "o" / "protocol_text.md").read_text()
    for head in ("## Design", "## Utility", "## Dose assignment", "## Stage I: BOIN decision",
                 "## Stage II: posterior", "## Stopping and OBD selection",
                 "## Operating characteristics", "## Sample size", "## References",
                 "Stat Med 2019;38:5299-5316"):
        assert head in md, head
    assert (tmp_path / "o" / "protocol_text.docx").stat().st_size > 0
    r2 = runner.invoke(app, args)  # same inputs, same bytes
    assert r2.exit_code == 0 and (tmp_path / "o" / "protocol_text.md").read_text() == md
    bad = runner.invoke(app, ["design", "protocol-text", "--protocol", str(path), "--true-tox",
                              "0.05,0.15,0.3", "--true-eff", "0.3,0.6,0.7"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert "needs 2 values" in bad.output


def test_cli_appends_the_rose_stage_with_its_exact_pcs(tmp_path):
    p = conducted_protocol(load_protocol("ct071"), "rose")
    path = tmp_path / "rose.yaml"
    path.write_text(yaml.safe_dump(p.model_dump(mode="json"), sort_keys=False))
    r = runner.invoke(app, ["design", "protocol-text", "--protocol", str(path), "--true-tox",
                            "0.05,0.15", "--true-eff", "0.55,0.8", "--trials", "300"])
    assert r.exit_code == 0, r.output
    text = r.stdout
    assert "## Randomised dose-optimisation stage (ROSE)" in text
    assert "at least 2 more responders than DL1 out of 12 each" in text
    assert "Biometrics 2025;81(4):ujaf124" in text
    # exact PCS of n = 12 per arm, lambda 0.09 (select DL2 when x_h - x_l >= 2), summed by hand
    def pcs_high(pl: float, ph: float) -> float:
        return sum(binom.pmf(xl, 12, pl) * binom.pmf(xh, 12, ph)
                   for xl in range(13) for xh in range(13) if xh - xl >= 2)
    assert "| 0.781 |" in text and round(1 - pcs_high(0.8, 0.8), 3) == pytest.approx(0.781)
    assert "| 0.662 |" in text and round(pcs_high(0.6, 0.8), 3) == pytest.approx(0.662)
    assert "## Operating characteristics (escalation + randomised stage)" in text
