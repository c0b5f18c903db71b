"""`cartrial example ct071 --out DIR` and `cartrial example list`: the synthetic example trial."""

from __future__ import annotations

import typer
from rich.table import Table

from cartrial.cli._common import (
    JsonOption,
    ProtocolOption,
    bad_input_exits,
    console,
    err_console,
    print_json,
)
from cartrial.cli._progress import progress
from cartrial.cli.main import _app as app
from cartrial.errors import InputError
from cartrial.example import SCENARIOS, scenario_table
from cartrial.protocol import load_protocol

example_app = typer.Typer(help="Generate the synthetic CT071-like example trial.",
                          no_args_is_help=True)
app.add_typer(example_app, name="example")
#: above this many patients the trial is generated and written in chunks (CSV only)
LARGE_TRIAL_PATIENTS = 20_000


@example_app.command("ct071")
def ct071(
    out: str = typer.Option(..., "--out", "-o", help="Folder to write <domain>.csv|xpt and "
                             "truth/*.csv into."),
    seed: int = typer.Option(20240228, "--seed", help="Random seed (same seed, same bytes)."),
    patients: int | None = typer.Option(
        None, "--patients", help="Patients infused; beyond the escalation they are the "
        "expansion at the selected dose (default: the design's escalation + expansion); "
        "above 20,000 the trial is written in chunks, CSV only."),
    scenario: str = typer.Option("default", "--scenario", help="Scenario name (see "
                                 "`cartrial example list`)."),
    format: str = typer.Option("csv", "--format", help="csv, xpt or dataset-json (CDISC "
                               "Dataset-JSON v1.1)."),
    protocol: str = ProtocolOption,
    as_json: bool = JsonOption,
) -> None:
    """Conduct a CT071-like trial by the protocol's design and write its SDTM and truth."""
    from cartrial.example import simulate_trial, write_example  # pandas: only this verb

    with bad_input_exits():
        if format not in ("csv", "xpt", "dataset-json"):
            raise InputError(f"--format must be csv, xpt or dataset-json, but was {format!r}")
        if scenario not in SCENARIOS:
            raise InputError(f"unknown scenario {scenario!r}; choose one of "
                             f"{', '.join(SCENARIOS)}")
        proto = load_protocol(protocol)
        if patients is not None and patients > LARGE_TRIAL_PATIENTS:
            _large(proto, out, seed, patients, scenario, format, as_json)
            return
        with progress(err_console, "example", 2, quiet=as_json) as bar:
            bar.stage("simulating the trial")
            trial = simulate_trial(proto, seed=seed, n_patients=patients, scenario=scenario)
            bar.stage(f"writing {format.upper()} files")
            paths = write_example(trial, out, format=format)  # type: ignore[arg-type]
    summary = {
        "out": str(out), "scenario": trial.scenario, "seed": trial.seed, "format": format,
        "subjects": int(len(trial.domains["DM"])),
        "infused": int((trial.domains["DM"]["ACTARMCD"] != "NOTTRT").sum()),
        "selected_dose": trial.selected_dose,
        "records": {k: int(len(v)) for k, v in sorted(trial.domains.items())},
        "truth": sorted(trial.truth), "files": len(paths),
    }
    if as_json:
        print_json({**summary, "escalation": trial.history})
        return
    console.print(f"{out}: {summary['subjects']} subjects ({summary['infused']} infused), "
                  f"scenario {trial.scenario}, seed {seed}, selected dose "
                  f"{trial.selected_dose or 'none'}; {len(paths)} files", markup=False)
    t = Table("date", "action", "next dose", "rule")
    for r in trial.history.itertuples(index=False):
        t.add_row(str(r.date), str(r.action), str(r.next_dose), str(r.rule))
    console.print(t)


def _large(proto, out: str, seed: int, patients: int, scenario: str, format: str,
           as_json: bool) -> None:
    """Chunked generation for scale tests (CSV only; see write_large_example)."""
    from cartrial.example import write_large_example

    if format != "csv":
        raise InputError(f"--format {format} is limited to {LARGE_TRIAL_PATIENTS} patients; "
                         "larger trials are written as CSV in chunks")
    with progress(err_console, "example (chunks of patients)", None, quiet=as_json) as bar:
        paths = write_large_example(proto, out, seed=seed, n_patients=patients,
                                    scenario=scenario, progress=bar.count)
    summary = {"out": out, "scenario": scenario, "seed": seed, "format": "csv",
               "infused": patients, "files": len(paths), "chunked": True}
    if as_json:
        print_json(summary)
    else:
        console.print(f"{out}: {patients} infused patients, scenario {scenario}, seed {seed}; "
                      f"{len(paths)} files (written in chunks)", markup=False)


@example_app.command("list")
def list_scenarios(as_json: bool = JsonOption) -> None:
    """List the example scenarios and what each one exercises."""
    rows = scenario_table()
    if as_json:
        print_json(rows)
        return
    t = Table("scenario", "description")
    for r in rows:
        t.add_row(str(r["name"]), str(r["description"]))
    console.print(t)
