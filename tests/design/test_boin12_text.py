"""`cartrial design protocol-text` and :func:`protocol_text` (BOIN12 statistical section)."""

from __future__ import annotations

import io

import docx
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.design.boin12 import Boin12
from cartrial.design.boin12_text import protocol_text
from cartrial.design.simulate_boin12 import simulate_boin12

runner = CliRunner()
D = Boin12(n_doses=4, target=0.35, phi_e=0.25, max_sample_size=30)


def test_sections_and_numbers():
    oc = simulate_boin12(D, [0.1, 0.2, 0.3, 0.5], [0.3, 0.5, 0.6, 0.6], n_trials=500, seed=1)
    text = protocol_text(D, [oc])
    for head in (
        "## Design",
        "## Utility",
        "## Dose assignment",
        "## Decision boundaries",
        "## Rank-based desirability",
        "## Stopping and OBD selection",
        "## Operating characteristics",
        "## Sample size",
        "## References",
    ):
        assert head in text
    # BOIN boundaries for phi = 0.35 (Liu & Yuan 2015): lambda_e 0.276, lambda_d 0.419
    assert "lambda_e = 0.276" in text and "lambda_d = 0.419" in text
    # the RDS table covers 0, 3, 6, 9 patients: the untried dose ranks 60 (escalation boin12_rds)
    assert "u_b = 70.5" in text and "An untried dose scores 60." in text
    assert f"{oc.overall['obd_selected_pct']:.1f}%" in text
    assert "Lin R, Zhou Y, Yan F, Li D, Yuan Y." in text


def test_cli_writes_identical_markdown_and_docx(tmp_path):
    args = [
        "design",
        "protocol-text",
        "--true-tox",
        "0.1,0.2,0.5",
        "--true-eff",
        "0.3,0.5,0.6",
        "--max-n",
        "18",
        "--trials",
        "300",
    ]
    a = runner.invoke(app, [*args, "--out", str(tmp_path / "a")])
    b = runner.invoke(app, [*args, "--out", str(tmp_path / "b")])
    assert a.exit_code == 0 and b.exit_code == 0, a.output
    for name in ("protocol_text.md", "protocol_text.docx"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    doc = docx.Document(io.BytesIO((tmp_path / "a" / "protocol_text.docx").read_bytes()))
    heads = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert heads[0] == "Statistical design" and "Sample size" in heads
    assert len(doc.tables) == 4  # utility, boundaries, desirability, one scenario
    bad = runner.invoke(app, ["design", "protocol-text", "--true-tox", "0.1"])
    assert bad.exit_code == 2 and "one --true-eff" in bad.output
