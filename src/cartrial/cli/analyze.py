"""`cartrial analyze DIR --protocol P --out OUT`: validation -> engines -> ADaM -> report."""

from __future__ import annotations

from datetime import UTC, date, datetime

import typer

from cartrial.cli._common import JsonOption, bad_input_exits, console, err_console, print_json
from cartrial.cli._progress import progress
from cartrial.cli.main import _app as app
from cartrial.errors import InputError
from cartrial.report.pipeline import STAGES, run_analysis


def _parse_run_date(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"--run-date must be ISO 8601 (2025-06-01T12:00:00), got {text!r}") from None


def _parse_cutoff(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--cutoff must be a date YYYY-MM-DD, got {text!r}") from None


@app.command("analyze")
def analyze(
    data_dir: str = typer.Argument(..., help="Folder of SDTM datasets (<domain>.csv or .xpt)."),
    protocol: str = typer.Option(..., "--protocol", "-p",
                                 help="Bundled name or YAML path (required)."),
    out: str = typer.Option(..., "--out", "-o", help="Output folder (created)."),
    run_date: str = typer.Option(None, "--run-date",
                                 help="Run date recorded in the outputs (ISO 8601; default now, "
                                      "UTC). Fix it to reproduce a run byte for byte."),
    cutoff: str = typer.Option(None, "--cutoff", help="Data cut-off YYYY-MM-DD: the report as "
                               "of that date (records dated after it are not used, as "
                               "`decide --as-of`); shown in every page header."),
    pdf: bool = typer.Option(False, "--pdf", help="Also write report.pdf (headless Chromium "
                             "print-to-PDF; needs the chromium package)."),
    allow_partial: bool = typer.Option(False, "--allow-partial", help="Write the report even "
                                       "when a section cannot be produced (listed on its first "
                                       "page); without it such a run exits 2."),
    as_json: bool = JsonOption,
    format: str = typer.Option("xpt", "--format", help="ADaM transport files beside the CSV: "
                               "xpt (SAS XPORT v5) or dataset-json (CDISC Dataset-JSON v1.1)."),
    db: str = typer.Option(None, "--db", help="Committee workspace database (SQLAlchemy URL, "
                           "e.g. sqlite:///committee.sqlite): when it holds decisions, Table "
                           "14.2.1 is the committee's record, the re-derived recommendation "
                           "beside each decision and every disagreement flagged."),
) -> None:
    """Validate the study, run every engine, write ADaM datasets (CSV + XPT v5, or Dataset-JSON
    with --format dataset-json, + define.html + Define-XML 2.1 define.xml),
    the self-contained HTML report (and PDF with --pdf), figures (PNG, SVG) and tables (DOCX,
    RTF, text).

    Validation errors stop the run (exit 2) with every finding listed; so does a section that
    cannot be produced, unless --allow-partial.
    """
    with bad_input_exits():
        when = _parse_run_date(run_date)
        cut = _parse_cutoff(cutoff)
        if format not in ("xpt", "dataset-json"):
            raise InputError(f"--format must be xpt or dataset-json, but was {format!r}")
        if pdf:
            from cartrial.report.pdf import find_chromium

            find_chromium()  # a missing browser stops the run before the work, not after
        with progress(err_console, "analyze", len(STAGES), quiet=as_json) as bar:
            summary = run_analysis(data_dir, protocol, out, run_date=when, progress=bar.stage,
                                   cutoff=cut, allow_partial=allow_partial, pdf=pdf,
                                   adam_format=format, db=db)
    for o in summary.omitted:
        err_console.print(f"warning: section not produced: {o}", markup=False)
    if as_json:
        print_json({"out": summary.out, "report": summary.report, "datasets": summary.datasets,
                    "tables": summary.tables, "figures": summary.figures,
                    "omitted": summary.omitted, "validation_warnings": summary.findings_warnings,
                    "pdf": summary.pdf, "data_cutoff": summary.cutoff})
        return
    console.print(f"ADaM datasets: {', '.join(f'{k} ({v})' for k, v in summary.datasets.items())}")
    console.print(f"{len(summary.tables)} tables/listings, {len(summary.figures)} figures")
    console.print(f"report: {summary.report}")
    if summary.pdf is not None:
        console.print(f"pdf: {summary.pdf}")


@app.command("demo")
def demo(
    out: str = typer.Option("build/demo", "--out", "-o", help="Output folder (created)."),
    seed: int = typer.Option(20240228, "--seed", help="Seed of the example trial."),
    run_date: str = typer.Option(None, "--run-date", help="Run date recorded in the outputs "
                                 "(ISO 8601; default now, UTC)."),
    as_json: bool = JsonOption,
) -> None:
    """The main job on the bundled example: generate the CT071-like trial (SDTM in OUT/sdtm),
    then `analyze` it into OUT, and print where the report is."""
    from pathlib import Path

    from cartrial.example import simulate_trial, write_example
    from cartrial.protocol import load_protocol

    with bad_input_exits():
        when = _parse_run_date(run_date)
        sdtm = Path(out) / "sdtm"
        write_example(simulate_trial(load_protocol("ct071"), seed=seed), sdtm)
    analyze(str(sdtm), "ct071", out, when.isoformat(), None, False, False, as_json, "xpt", None)
