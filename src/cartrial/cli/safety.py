"""`cartrial grade crs|icans FILE` and `cartrial safety DIR --protocol P`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import typer

from cartrial.cli._common import (
    JsonOption,
    ProtocolOption,
    bad_input_exits,
    console,
    err_console,
    load_validated,
    print_json,
    to_jsonable,
)
from cartrial.cli.main import _app as app
from cartrial.errors import InputError

grade_app = typer.Typer(
    help="Grade one patient's flow sheet (CSV) for a second opinion.", no_args_is_help=True
)
app.add_typer(grade_app, name="grade")


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"file not found: {path}")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV ({exc})") from None


def _print_frame(title: str, df: pd.DataFrame, columns: list[str]) -> None:
    from rich.table import Table

    table = Table(title=title)
    cols = [c for c in columns if c in df.columns]
    for c in cols:
        table.add_column(c, overflow="fold")
    for row in df[cols].itertuples(index=False):
        table.add_row(*["" if pd.isna(v) else (f"{v:g}" if isinstance(v, float) else str(v))
                        for v in row])
    console.print(table)


@grade_app.command("crs")
def grade_crs_cmd(
    file: str = typer.Argument(..., help="Flow sheet CSV (columns: see README, CRS grading)."),
    masked_fever_keeps_grade1: bool = typer.Option(
        False, "--masked-fever-keeps-grade1",
        help="Open decision: keep grade 1 while CRS-directed therapy is given without fever.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Grade CRS per time point and per episode (ASTCT 2019)."""
    from cartrial.safety import grade_crs

    with bad_input_exits():
        res = grade_crs(_read_csv(Path(file)), masked_fever_keeps_grade1=masked_fever_keeps_grade1)
    if as_json:
        print_json({"method": res.method, "timepoints": res.timepoints,
                    "episodes": res.episodes})
        return
    _print_frame(f"CRS per time point ({res.method.criteria})", res.timepoints,
                 ["USUBJID", "DAY", "GRADE", "DRIVER", "FEVER", "MASKED", "HYPOTENSION_TIER",
                  "HYPOXIA_TIER", "EPISODE"])
    _print_frame("CRS episodes", res.episodes,
                 ["USUBJID", "EPISODE", "ONSET_DAY", "MAX_GRADE", "RESOLUTION_DAY",
                  "DURATION_DAYS", "TOCILIZUMAB", "STEROID"])
    console.print(f"masked_fever_keeps_grade1 = {res.method.masked_fever_keeps_grade1}")


@grade_app.command("icans")
def grade_icans_cmd(
    file: str = typer.Argument(..., help="Assessment CSV (columns: see README, ICANS grading)."),
    as_json: bool = JsonOption,
) -> None:
    """Grade ICANS per assessment and per episode (ASTCT 2019, adults)."""
    from cartrial.safety import grade_icans

    with bad_input_exits():
        res = grade_icans(_read_csv(Path(file)))
    if as_json:
        print_json({"method": res.method, "timepoints": res.timepoints,
                    "episodes": res.episodes})
        return
    _print_frame(f"ICANS per assessment ({res.method.criteria})", res.timepoints,
                 ["USUBJID", "DAY", "ICE", "GRADE", "DRIVER", "EPISODE"])
    _print_frame("ICANS episodes", res.episodes,
                 ["USUBJID", "EPISODE", "ONSET_DAY", "MAX_GRADE", "RESOLUTION_DAY",
                  "DURATION_DAYS", "STEROID"])


def _pivot_table(t: pd.DataFrame) -> pd.DataFrame:
    """ROW x COLUMN grid of formatted values (one statistic per row label)."""
    t = t.assign(_R=t["ROW"] + np.where(t["STATISTIC"].isin(["n (%)", "n", "median (min-max)",
                                                              "n/N (%)"]), "",
                                        " [" + t["STATISTIC"] + "]"))
    order = t.drop_duplicates("_R").sort_values(["ROW_ORDER", "STATISTIC"], kind="stable")
    cols = list(pd.unique(t["COLUMN"]))
    grid = t.pivot_table(index="_R", columns="COLUMN", values="VALUE", aggfunc="first")
    grid = grid.reindex(index=order["_R"], columns=cols)
    indent = order.set_index("_R")["ROW_LEVEL"]
    grid.index = ["  " * int(indent[r]) + r for r in grid.index]
    return grid.reset_index(names="ROW")


@app.command("safety")
def safety_cmd(
    study: str = typer.Argument(..., help="Study folder with SDTM <domain>.csv / .xpt files."),
    protocol: str = ProtocolOption,
    out: str | None = typer.Option(None, "--out", help="Write every table and frame as CSV."),
    as_json: bool = JsonOption,
) -> None:
    """Grade CRS / ICANS / labs, adjudicate DLTs and print the safety tables."""
    from rich.progress import Progress

    from cartrial.protocol import load_protocol
    from cartrial.safety.analysis import analyse_safety
    from cartrial.safety.sdtm import safety_inputs

    with bad_input_exits():
        p = load_protocol(protocol)
        with Progress(transient=True, console=err_console) as bar:
            task = bar.add_task("safety", total=3)
            st = load_validated(study, p)
            bar.advance(task)
            inputs = safety_inputs(st, p)
            bar.advance(task)
            res = analyse_safety(inputs, p)
            bar.advance(task)
    out_dir = Path(out) if out is not None else None
    frames = {
        "crs_timepoints": res.crs.timepoints, "crs_episodes": res.crs.episodes,
        "icans_timepoints": res.icans.timepoints, "icans_episodes": res.icans.episodes,
        "lab_grades": res.labs, "lab_worst": res.worst_labs, "cytopenias": res.cytopenias,
        "grade_disagreements": res.grade_disagreements,
        "syndrome_events": res.syndrome_events, "grade_reconciliation": res.reconciliation,
        "dlt_patients": res.dlt.patients, "dlt_evaluations": res.dlt.evaluations,
        "icaht": res.icaht, "hematotox": res.hematotox, "iec_hs": res.iec_hs,
    }
    meta = {"study_id": p.study_id, "data_sha256": st.data_hash, **res.method}
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, df in {**frames, **{f"table_{k}": v for k, v in res.tables.items()}}.items():
            df.to_csv(out_dir / f"{name}.csv", index=False)
        (out_dir / "safety_metadata.json").write_text(
            json.dumps(to_jsonable(meta), indent=2) + "\n", encoding="utf-8")
    if as_json:
        print_json({"metadata": meta, "tables": res.tables, **frames})
        return
    console.print(f"# Safety, {p.study_id}: CTCAE v{meta['ctcae_version']}, CRS/ICANS "
                  f"{meta['crs_criteria']}, masked_fever_keeps_grade1="
                  f"{meta['masked_fever_keeps_grade1']}", markup=False)
    for name, t in res.tables.items():
        grid = _pivot_table(t)
        _print_frame(str(t["TABLE"].iloc[0]) if len(t) else name, grid, list(grid.columns))
    _print_frame("DLT per patient", res.dlt.patients,
                 ["USUBJID", "DOSE_LEVEL", "DLT", "DLT_RULE", "DLT_TERM", "DLT_ONSET_DAY",
                  "DLT_EVALUABLE", "EVALUABILITY"])
    console.print(f"Primary CRS/ICANS grade source: {meta['crs_icans_grade_source']}",
                  markup=False)
    _print_frame("CRS/ICANS events whose reported and derived grades differ",
                 res.reconciliation, ["USUBJID", "EVENT", "SEQ", "ONSET_DAY", "REPORTED_GRADE",
                                      "DERIVED_GRADE", "GRADE", "DRIVER"])
    if len(res.grade_disagreements):
        _print_frame("Reported (AE) vs derived grades: not in agreement", res.grade_disagreements,
                     list(res.grade_disagreements.columns))
    if out_dir is not None:
        console.print(f"wrote {len(frames) + len(res.tables) + 1} files to {out_dir}",
                      markup=False)
