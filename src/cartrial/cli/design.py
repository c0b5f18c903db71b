"""`cartrial design boundaries|table|paths`: the escalation rules as tables and pathways."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from cartrial.cli._common import JsonOption, bad_input_exits, console, print_json
from cartrial.cli._design_options import ExtrasafeOption, Phi1Option, Phi2Option
from cartrial.cli.main import _app as app
from cartrial.design import TrialState, boin_boundaries
from cartrial.errors import InputError
from cartrial.protocol import DesignSpec, load_protocol

if TYPE_CHECKING:
    from cartrial.design.tables import DecisionTable

design_app = typer.Typer(
    help="Dose-escalation rules: BOIN boundaries, decision tables, dose-transition pathways.",
    no_args_is_help=True,
)
app.add_typer(design_app, name="design")

DESIGN_NAMES = ("3+3", "boin", "tite-boin", "mtpi2", "i3+3", "crm", "tite-crm")
ProtocolOption = typer.Option(
    None, "--protocol", help="Take design and doses from a protocol (bundled name or YAML path)."
)

TableOutOption = typer.Option(None, "--out", help="Directory for CSV, JSON and Markdown files.")
PathsOutOption = typer.Option(None, "--out", help="Directory for dose_paths.csv and .png.")
PatientsOption = typer.Option(
    None,
    "--patients",
    help="CSV, one row per treated patient: subject, dose_level (1-based), dlt, follow_up_days "
    "[, backfill, cohort]. Replaces --n/--y.",
)


@design_app.command("boundaries")
def boundaries(
    target: float = typer.Option(0.3, "--target", help="Target DLT probability phi."),
    phi1: float = typer.Option(None, "--phi1", help="Highest sub-therapeutic rate (0.6 phi)."),
    phi2: float = typer.Option(None, "--phi2", help="Lowest overly toxic rate (1.4 phi)."),
    as_json: bool = JsonOption,
) -> None:
    """Print BOIN's escalation / de-escalation boundaries lambda_e and lambda_d."""
    with bad_input_exits():
        b = boin_boundaries(target, phi1, phi2)
    if as_json:
        print_json(b)
        return
    console.print(
        f"BOIN target {b.target:g} (phi1 {b.phi1:.4g}, phi2 {b.phi2:.4g}): "
        f"lambda_e = {b.lambda_e:.4f}, lambda_d = {b.lambda_d:.4f}",
        markup=False,
    )
    console.print("escalate if y/n <= lambda_e; de-escalate if y/n > lambda_d", markup=False)


@design_app.command("table")
def table(
    design: str = typer.Option("boin", "--design", help="boin, 3+3, i3+3 or mtpi2."),
    target: float = typer.Option(0.3, "--target", help="Target DLT probability."),
    cohort_size: int = typer.Option(3, "--cohort-size", help="Patients per cohort."),
    max_n: int = typer.Option(30, "--max-n", help="Largest number of patients at a dose."),
    cutoff: float = typer.Option(0.95, "--cutoff", help="Elimination cutoff P(p > target)."),
    phi1: float = Phi1Option,
    phi2: float = Phi2Option,
    cap: int = typer.Option(None, "--cap", help="BOIN n.earlystop: the table stops at this n."),
    extrasafe: bool = ExtrasafeOption,
    epsilon_low: float = typer.Option(0.05, "--epsilon-low", help="i3+3/mTPI-2 EI lower."),
    epsilon_high: float = typer.Option(0.05, "--epsilon-high", help="i3+3/mTPI-2 EI upper."),
    protocol: str = ProtocolOption,
    out: Path = TableOutOption,
    as_json: bool = JsonOption,
) -> None:
    """Decision table: for each n, escalate if DLTs <= e, de-escalate if >= d, eliminate if >= u."""
    from cartrial.design.tables import TABLE_DESIGN_NAMES, decision_table

    with bad_input_exits():
        if protocol is not None:
            spec = load_protocol(protocol).design
            if spec.name not in TABLE_DESIGN_NAMES + ("tite-boin",):
                raise InputError(
                    f"protocol design {spec.name!r} is not table-driven ({TABLE_DESIGN_NAMES})"
                )
            design = "boin" if spec.name == "tite-boin" else spec.name
            target, cohort_size, cutoff = spec.target, spec.cohort_size, spec.elimination_cutoff
            max_n = spec.cap_per_dose or spec.max_sample_size
            phi1 = spec.phi1 if phi1 is None else phi1
            phi2 = spec.phi2 if phi2 is None else phi2
            extrasafe = spec.extrasafe if extrasafe is None else extrasafe
            epsilon_low, epsilon_high = spec.interval.epsilon_low, spec.interval.epsilon_high
        if cap is not None and cap < 1:
            raise InputError(f"--cap must be >= 1, got {cap}")
        t = decision_table(
            design,  # type: ignore[arg-type]
            target,
            cohort_size=cohort_size,
            max_n=max_n if cap is None else min(max_n, cap),
            cutoff=cutoff,
            phi1=phi1,
            phi2=phi2,
            epsilon_low=epsilon_low,
            epsilon_high=epsilon_high,
            extrasafe=bool(extrasafe),
        )
        written = [] if out is None else _write_table(t, out)
    if as_json:
        print_json(
            {
                "design": t.design,
                "target": t.target,
                "cohort_size": t.cohort_size,
                "method": t.method,
                "summary": list(t.summary_rows),
                "files": written,
            }
        )
        return
    from cartrial.design.tables import SUMMARY_ROWS

    rt = Table(title=t.method, title_justify="left")
    rt.add_column("Number of patients treated")
    for r in t.summary_rows:
        rt.add_column(str(int(r["n"])), justify="right")
    for col in t.summary_columns[1:]:
        rt.add_row(SUMMARY_ROWS[col], *["NA" if r[col] is None else str(int(r[col]))
                                        for r in t.summary_rows])
    console.print(rt)
    for p in written:
        console.print(f"wrote {p}", markup=False)


def _write_table(t: DecisionTable, out: Path) -> list[Path]:
    """The decision table as CSV, JSON and Markdown in ``out`` (created); the paths written."""
    from cartrial.design.tables import (
        decision_table_csv,
        decision_table_json,
        decision_table_markdown,
    )

    out.mkdir(parents=True, exist_ok=True)
    stem = f"decision_table_{t.design.replace('+', 'p')}"
    written = []
    for ext, write in (("csv", decision_table_csv), ("json", decision_table_json),
                       ("md", decision_table_markdown)):
        path = out / f"{stem}.{ext}"
        path.write_text(write(t), encoding="utf-8")
        written.append(path)
    return written


def _ints(text: str | None, what: str) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"--{what} must be comma-separated integers, got {text!r}") from None


@design_app.command("paths")
def paths(
    cohorts: int = typer.Option(2, "--cohorts", help="Number of future cohorts k."),
    design: str = typer.Option("boin", "--design", help=f"One of {', '.join(DESIGN_NAMES)}."),
    target: float = typer.Option(0.3, "--target", help="Target DLT probability."),
    cohort_size: int = typer.Option(3, "--cohort-size", help="Patients per cohort."),
    n_doses: int = typer.Option(4, "--n-doses", help="Number of dose levels."),
    protocol: str = ProtocolOption,
    n: str = typer.Option(None, "--n", help="Patients so far per dose, e.g. 3,3,0,0."),
    y: str = typer.Option(None, "--y", help="DLTs so far per dose, e.g. 0,1,0,0."),
    current: int = typer.Option(None, "--current", help="Current dose (1-based); default start."),
    patients: Path = PatientsOption,
    out: Path = PathsOutOption,
    as_json: bool = JsonOption,
) -> None:
    """Dose-transition pathways: the decision after every outcome of the next k cohorts."""
    import pandas as pd  # imported by the verb that needs it (seconds at start-up)

    from cartrial.design import design_from_spec, state_from_patients
    from cartrial.design.paths import dose_paths, dose_paths_figure

    with bad_input_exits():
        start = 0
        if protocol is not None:
            p = load_protocol(protocol)
            spec, k, start = p.design, len(p.dose_levels), p.start_index
        else:
            if design not in DESIGN_NAMES:
                raise InputError(f"--design must be one of {DESIGN_NAMES}, got {design!r}")
            try:
                spec = DesignSpec(
                    name=design,  # type: ignore[arg-type]
                    target=target,
                    cohort_size=cohort_size,
                    max_sample_size=10_000,
                    dlt_window_days=28,
                )
            except ValueError as exc:
                raise InputError(f"design options are not valid: {exc}") from None
            k = n_doses
        d = design_from_spec(spec, k)
        nn, yy = _ints(n, "n"), _ints(y, "y")
        if (nn is None) != (yy is None):
            raise InputError("give --n and --y together")
        cur = start if current is None else current - 1
        if patients is not None:
            if nn is not None:
                raise InputError("give either --patients or --n/--y, not both")
            table = pd.read_csv(patients, dtype={"subject": str})
            state = state_from_patients(
                table, k, dlt_window=float(spec.dlt_window_days), current_level=current
            )
        elif nn is None:
            state = TrialState.empty(k, cur)
        else:
            if len(nn) != k or len(yy) != k:  # type: ignore[arg-type]
                raise InputError(f"--n and --y need {k} comma-separated values (one per dose)")
            state = TrialState(n=nn, y=yy, current=cur)  # type: ignore[arg-type]
        df = dose_paths(d, state, cohorts=cohorts)
        written = []
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            df.to_csv(out / "dose_paths.csv", index=False)
            fig = dose_paths_figure(df, title=f"{d.name} dose-transition pathways")
            fig.savefig(out / "dose_paths.png", dpi=150)
            written = [out / "dose_paths.csv", out / "dose_paths.png"]
    if as_json:
        print_json({"design": d.name, "paths": df, "files": written})
        return
    rt = Table(title=f"{d.name}: decisions over the next {cohorts} cohort(s)", title_justify="left")
    for col in ("path", "action", "next_dose", "eliminated"):
        rt.add_column(col)
    for r in df.itertuples():
        rt.add_row(
            r.path or "(now)",
            r.action,
            "" if pd.isna(r.next_dose) else str(int(r.next_dose)),
            r.eliminated,
        )
    console.print(rt)
    for p_ in written:
        console.print(f"wrote {p_}", markup=False)
