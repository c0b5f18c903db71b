"""`cartrial design sweep|compare`: design calibration over designs x scenarios, resumable."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from cartrial.cli._common import JsonOption, bad_input_exits, console, err_console, print_json
from cartrial.cli._progress import progress
from cartrial.cli.design import design_app
from cartrial.errors import InputError

GridArgument = typer.Argument(..., help="Grid YAML: designs x scenarios (docs/sweep.md).")
SweepOutOption = typer.Option(..., "--out", help="Results folder (created; reused to resume).")
ResultsArgument = typer.Argument(..., help="Results folder of `cartrial design sweep`.")
EXIT_INTERRUPTED = 130
CompareOutOption = typer.Option(
    None, "--out", help="Folder for by_design.csv, by_cell.csv and the figures."
)


@design_app.command("sweep")
def sweep(
    grid: Path = GridArgument,
    out: Path = SweepOutOption,
    scheduler: str = typer.Option(
        None, "--scheduler", help="Address of a running dask scheduler, e.g. tcp://host:8786."
    ),
    workers: int = typer.Option(
        None, "--workers", help="Worker processes of the local dask cluster (default: all cores)."
    ),
    serial: bool = typer.Option(False, "--serial", help="Run in this process, without dask."),
    chunk_size: int = typer.Option(1, "--chunk-size", help="Cells per dask task."),
    as_json: bool = JsonOption,
) -> None:
    """Simulate every design in every scenario, one Parquet file per cell; a rerun verifies the
    stored cells, recomputes missing or damaged ones and skips the rest."""
    from cartrial.sweep.grid import load_grid
    from cartrial.sweep.run import run_sweep, sweep_client

    with bad_input_exits():
        if serial and (scheduler or workers):
            raise InputError("--serial runs without dask; drop --scheduler/--workers")
        g = load_grid(grid)
        n = len(g.designs) * len(g.scenarios)
        report = None
        with progress(err_console, "sweep cells", n, quiet=as_json) as rep:

            def on_cells(done: int, total: int) -> None:
                rep.count(n - total + done, n)

            try:
                if serial:
                    report = run_sweep(g, out, chunk_size=chunk_size, progress=on_cells)
                else:
                    with sweep_client(scheduler, workers) as client:
                        report = run_sweep(
                            g, out, client=client, chunk_size=chunk_size, progress=on_cells
                        )
            except KeyboardInterrupt:
                pass
        if report is None:
            _interrupted(grid, out, n, serial=serial)
    if as_json:
        print_json(report.as_dict())
        return
    for p in report.problems:
        err_console.print(
            f"recomputed {p.design_id} x {p.scenario_id}: {p.reason} (moved to {p.moved_to})",
            markup=False,
        )
    console.print(
        f"{report.n_cells} cells: {report.computed} computed, {report.reused} reused, "
        f"{len(report.problems)} damaged file(s) recomputed -> {report.out} "
        f"(grid {report.grid_hash[:12]}, {report.elapsed_seconds:.1f} s)",
        markup=False,
    )


def _interrupted(grid: Path, out: Path, n: int, *, serial: bool) -> None:
    """Ctrl-C: say what is kept and how to resume, exit 130 (128 + SIGINT), no traceback."""
    from cartrial.sweep.store import CELLS_DIR

    stored = len(list((Path(out) / CELLS_DIR).glob("cell-*.parquet")))
    again = f"cartrial design sweep {grid} --out {out}" + (" --serial" if serial else "")
    err_console.print(
        f"interrupted: {stored} of {n} cell file(s) are stored in {out} (each is complete or "
        f"absent). Resume with `{again}` (add your other options): stored cells are verified "
        "and reused, the rest computed.",
        markup=False,
    )
    raise typer.Exit(EXIT_INTERRUPTED)


@design_app.command("compare")
def compare(
    results: Path = ResultsArgument,
    out: Path = CompareOutOption,
    fmt: str = typer.Option("png", "--format", help="Figure format: png or svg."),
    allow_incomplete: bool = typer.Option(
        False, "--allow-incomplete", help="Compare over the scenarios complete for all designs."
    ),
    top: int = typer.Option(20, "--top", help="Designs shown in the table and figure."),
    as_json: bool = JsonOption,
) -> None:
    """Summarise designs across scenarios: correct selection, overdosing, sample size, duration."""
    from cartrial.sweep.compare import (
        compare_designs,
        plot_design_comparison,
        plot_tradeoff,
    )
    from cartrial.sweep.store import read_sweep

    with bad_input_exits():
        if fmt not in ("png", "svg"):
            raise InputError(f"--format must be png or svg, got {fmt!r}")
        res = read_sweep(results)
        for p in res.problems:  # damaged files are never merged: say which, and why
            err_console.print(f"skipped {p.design_id} x {p.scenario_id}: {p.reason}; rerun "
                              "`cartrial design sweep` to recompute it", markup=False)
        cmp = compare_designs(res, allow_incomplete=allow_incomplete)
    files: list[str] = []
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        cmp.by_design.to_csv(out / "by_design.csv", index=False)
        cmp.by_cell.to_csv(out / "by_cell.csv", index=False)
        files += [str(out / "by_design.csv"), str(out / "by_cell.csv")]
        for name, fig in (
            ("design_comparison", plot_design_comparison(cmp, max_designs=top)),
            ("tradeoff", plot_tradeoff(cmp)),
        ):
            path = out / f"{name}.{fmt}"
            fig.savefig(path, dpi=150)
            files.append(str(path))
    if as_json:
        print_json({"method": cmp.method, "by_design": cmp.by_design, "files": files,
                    "problems": res.problems, "missing": res.missing})  # fmt: skip
        return
    t = Table(title=f"Designs ({cmp.method})")
    cols = (
        ("design_id", "design", "{}"),
        ("mean_pct_correct_selection", "PCS %", "{:.1f}"),
        ("min_pct_correct_selection", "min PCS %", "{:.1f}"),
        ("mean_rank_pcs", "rank", "{:.2f}"),
        ("mean_pct_select_above_mtd", "sel > MTD %", "{:.1f}"),
        ("mean_pct_patients_above_mtd", "pts > MTD %", "{:.1f}"),
        ("mean_sample_size", "N", "{:.1f}"),
        ("mean_duration_days", "days", "{:.0f}"),
    )
    for _, label, _ in cols:
        if label == "design":
            t.add_column(label, overflow="fold")
        else:
            t.add_column(label, justify="right")
    for _, r in cmp.by_design.head(top).iterrows():
        t.add_row(*(Text(f.format(r[c])) for c, _, f in cols))
    console.print(t)
    for f in files:
        console.print(f"wrote {f}", markup=False)
