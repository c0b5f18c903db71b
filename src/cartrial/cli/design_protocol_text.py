"""`cartrial design protocol-text`: the statistical section of a protocol (MD, DOCX).

Thin layer over :func:`cartrial.design.phase1_text.phase1_protocol_text` (a phase I protocol:
BOIN, TITE-BOIN, 3+3, i3+3, mTPI-2, CRM, TITE-CRM, with the OC ``cartrial design simulate``
computes), :func:`cartrial.design.boin12_text.protocol_text` (BOIN12) and
:func:`cartrial.design.protocol_sections.protocol_sections` (a U-BOIN protocol, and the
randomised ROSE stage of any protocol that has one): simulates the scenarios given, writes
``protocol_text.md`` and ``protocol_text.docx`` (byte-identical for the same
inputs: fixed document dates) or prints the Markdown.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from cartrial.cli import _phase12_options as O
from cartrial.cli._common import bad_input_exits
from cartrial.cli._scenario_rules import refuse_falling_tox
from cartrial.cli.design import design_app
from cartrial.cli.design_phase12 import ProtocolOption, boin12_design, parse_floats, start_index
from cartrial.design.boin12_text import protocol_text
from cartrial.design.protocol_sections import protocol_sections
from cartrial.design.simulate_boin12 import simulate_boin12
from cartrial.errors import InputError
from cartrial.protocol import load_protocol

FIXED_DATE = datetime(2000, 1, 1)  # document dates: same inputs, same bytes
ScenarioToxOption = typer.Option(
    [], "--true-tox", help="True DLT probabilities of a scenario (repeat per scenario)."
)
ScenarioEffOption = typer.Option(
    [], "--true-eff", help="True response probabilities, one per --true-tox."
)
TextOutOption = typer.Option(None, "--out", help="Directory for protocol_text.md and .docx.")


@design_app.command("protocol-text")
def protocol_text_command(
    true_tox: list[str] = ScenarioToxOption,
    true_eff: list[str] = ScenarioEffOption,
    protocol: str = ProtocolOption,
    target: float = O.target_opt(0.35),
    phi_e: float = O.phi_e_opt(0.25),
    u11: float = O.U11,
    u00: float = O.U00,
    cohort_size: int = O.COHORT,
    max_n: int = O.MAX_N,
    n_star: int = O.N_STAR,
    c_t: float = O.C_T,
    c_e: float = O.C_E,
    start_dose: int = O.START,
    trials: int = typer.Option(None, "--trials", help="Simulated trials per scenario (10000)."),
    seed: int = typer.Option(None, "--seed", help="SeedSequence seed (phase I/II: scenario i "
                             "uses seed + i; phase I: every scenario, as design simulate)."),
    method: str = typer.Option("auto", "--method", help="Phase I OC: auto, exact or mc "
                               "(as design simulate)."),
    out: Path = TextOutOption,
) -> None:
    """Statistical section of a phase I protocol (BOIN, TITE-BOIN, 3+3, i3+3, mTPI-2, CRM,
    TITE-CRM), of a BOIN12, TITE-BOIN12, U-BOIN or BOIN-ET protocol, or of any protocol with a
    randomised ROSE stage after its escalation (BOIN, BOIN12, TITE-BOIN12, U-BOIN, BOIN-ET):
    design, tables, rules, OC, sample size, references. With a BOIN12 --protocol, each design
    option given overrides the protocol's
    setting (noted on stderr)."""
    mc_given = trials is not None or seed is not None
    trials = 10_000 if trials is None else trials
    seed = 0 if seed is None else seed
    given = {"--target": target, "--phi-e": phi_e, "--u11": u11, "--u00": u00,
             "--cohort-size": cohort_size, "--max-n": max_n, "--n-star": n_star,
             "--c-t": c_t, "--c-e": c_e}
    notes: list[str] = []
    with bad_input_exits():
        p = load_protocol(protocol) if protocol else None
        if p is not None and p.design.boin12 is None and p.design.uboin is None \
                and p.design.boinet is None and p.design.randomised_stage is None:  # phase I
            used = [f for f, v in given.items() if v is not None]
            text, notes = phase1_text(p, used, true_tox, true_eff, start_dose,
                                      (method, trials, seed, mc_given))
            _emit(text, notes, out)
            return
        if len(true_tox) != len(true_eff):
            raise InputError("give one --true-eff for each --true-tox (one pair per scenario)")
        pairs = [
            (parse_floats(t, "--true-tox"), parse_floats(e, "--true-eff"))
            for t, e in zip(true_tox, true_eff, strict=True)
        ]
        k = len(pairs[0][0]) if pairs else 5
        if p is not None and (p.design.name in ("u-boin", "tite-boin12", "boin-et")
                              or p.design.randomised_stage):
            used = [f for f, v in {**given, "--start-dose": start_dose}.items() if v is not None]
            if used:  # not silently ignored: this text is written from the protocol alone
                raise InputError(f"{', '.join(used)}: the U-BOIN / randomised-stage text (and "
                                 "the TITE-BOIN12 and BOIN-ET texts) is written from the "
                                 "protocol's settings; edit the protocol")
            for i, (t, _) in enumerate(pairs, start=1):
                refuse_falling_tox(str(i), t)
            text = protocol_sections(p, pairs, trials, seed)  # U-BOIN, BOIN-ET, TITE, ROSE
        else:
            d, notes = boin12_design(protocol, None if protocol else k, given, None, None)
            start = start_index(protocol, start_dose, d.n_doses)
            ocs = [
                simulate_boin12(d, t, e, n_trials=trials, seed=seed + i, start_dose=start)
                for i, (t, e) in enumerate(pairs)
            ]
            text = protocol_text(d, ocs, start_dose=start)
    _emit(text, notes, out)


def _emit(text: str, notes: list[str], out: Path | None) -> None:
    """The notes on stderr; the Markdown on stdout, or protocol_text.md and .docx in ``out``."""
    for note in notes:
        typer.echo(f"note: {note}", err=True)
    if out is None:
        typer.echo(text, nl=False)
        return
    out.mkdir(parents=True, exist_ok=True)
    (out / "protocol_text.md").write_text(text, encoding="utf-8")
    (out / "protocol_text.docx").write_bytes(markdown_docx(text))
    typer.echo(f"wrote {out / 'protocol_text.md'} and {out / 'protocol_text.docx'}")


def phase1_text(p: Any, used: list[str], true_tox: list[str], true_eff: list[str],
                start_dose: int | None, mc: tuple[str, int, int, bool]) -> tuple[str, list[str]]:
    """A phase I protocol's section with its OC per --true-tox scenario, and the notes."""
    from cartrial.cli.design_simulate import _run
    from cartrial.design.phase1_text import phase1_protocol_text

    name = p.design.name
    if used:  # not silently ignored: they are BOIN12's options
        raise InputError(f"{', '.join(used)}: options of a BOIN12 design; protocol "
                         f"{p.study_id}'s design is {name!r}, its text is written from the "
                         "protocol's settings (edit the protocol)")
    if true_eff:
        raise InputError(f"--true-eff: protocol {p.study_id}'s design {name!r} decides on DLTs "
                         "only; give the scenarios with --true-tox alone")
    k = len(p.dose_levels)
    scen = [(str(i), parse_floats(t, "--true-tox"), "auto", {})
            for i, t in enumerate(true_tox, start=1)]
    for sid, t, _, _ in scen:
        if len(t) != k:
            raise InputError(f"--true-tox of scenario {sid} has {len(t)} values; protocol "
                             f"{p.study_id} has {k} dose levels")
        refuse_falling_tox(sid, t)  # a typo more likely than a scenario (one rule)
    method, trials, seed, mc_given = mc
    if method not in ("auto", "exact", "mc"):
        raise InputError(f"--method must be auto, exact or mc, got {method!r}")
    opts = {"trials": trials, "seed": seed, "dlt_onset": "uniform", "weibull_shape": 2.0,
            "alpha1": 0.5, "alpha2": 0.5}
    start = p.start_index if start_dose is None else start_index(None, start_dose, k)
    results = _run(p.design, scen, start, method, opts, mc_given, True)
    notes = [why for _, _, why in results]
    if not scen:
        notes.append("no --true-tox scenario given: the section has no operating "
                     "characteristics")
    doses = [f"{d.id} ({d.label})" for d in p.dose_levels]
    text = phase1_protocol_text(p.design, [r for _, r, _ in results], start_dose=start,
                                doses=doses, n_doses=k)
    return text, notes


def markdown_docx(text: str) -> bytes:
    """The Markdown this module writes (headings, paragraphs, numbered and bulleted lists,
    pipe tables) as DOCX bytes with fixed dates."""
    from docx import Document
    from docx.shared import Cm

    from cartrial.report.render import _stamp_zip  # the report's fixed-date DOCX zip

    doc = Document()
    for prop in ("created", "modified", "last_printed"):
        setattr(doc.core_properties, prop, FIXED_DATE)
    doc.core_properties.author = "cartrial"
    rows: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            if not set(line) <= set("|-"):
                rows.append([c.strip() for c in line.strip("|").split("|")])
            continue
        if rows:
            grid = doc.add_table(rows=len(rows), cols=len(rows[0]))
            grid.style = "Table Grid"
            for i, r in enumerate(rows):
                cells = grid.rows[i].cells
                for j, v in enumerate(r):
                    cells[j].text = v
                    if i == 0:  # the header row in bold
                        for run in cells[j].paragraphs[0].runs:
                            run.bold = True
            rows = []
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            doc.add_heading(line.lstrip("#").strip(), level=min(level, 3))
        elif line.startswith("- "):
            doc.add_paragraph(line[2:], style="List Bullet")
        elif line[:1].isdigit() and ". " in line[:4]:
            # the number written out: Word's "List Number" style would continue one numbering
            # across every list of the document
            para = doc.add_paragraph(line)
            para.paragraph_format.left_indent = Cm(0.75)
            para.paragraph_format.first_line_indent = Cm(-0.75)
        elif line.strip():
            doc.add_paragraph(line)
    buf = io.BytesIO()
    doc.save(buf)
    return _stamp_zip(buf.getvalue(), FIXED_DATE)
