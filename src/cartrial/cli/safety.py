"""`cartrial grade crs|icans FILE` and `cartrial safety DIR --protocol P`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from cartrial.cli._common import JsonOption, bad_input_exits, console, print_json
from cartrial.cli.main import app
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
        table.add_column(c)
    for row in df[cols].itertuples(index=False):
        table.add_row(*["" if pd.isna(v) else (f"{v:g}" if isinstance(v, float) else str(v))
                        for v in row])
    console.print(table)


@grade_app.command("crs")
def grade_crs_cmd(
    file: Path = typer.Argument(..., help="Flow sheet CSV (columns: see README, CRS grading)."),
    masked_fever_keeps_grade1: bool = typer.Option(
        False, "--masked-fever-keeps-grade1",
        help="Open decision: keep grade 1 while CRS-directed therapy is given without fever.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Grade CRS per time point and per episode (ASTCT 2019)."""
    from cartrial.safety import grade_crs

    with bad_input_exits():
        res = grade_crs(_read_csv(file), masked_fever_keeps_grade1=masked_fever_keeps_grade1)
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
    file: Path = typer.Argument(..., help="Assessment CSV (columns: see README, ICANS grading)."),
    as_json: bool = JsonOption,
) -> None:
    """Grade ICANS per assessment and per episode (ASTCT 2019, adults)."""
    from cartrial.safety import grade_icans

    with bad_input_exits():
        res = grade_icans(_read_csv(file))
    if as_json:
        print_json({"method": res.method, "timepoints": res.timepoints,
                    "episodes": res.episodes})
        return
    _print_frame(f"ICANS per assessment ({res.method.criteria})", res.timepoints,
                 ["USUBJID", "DAY", "ICE", "GRADE", "DRIVER", "EPISODE"])
    _print_frame("ICANS episodes", res.episodes,
                 ["USUBJID", "EPISODE", "ONSET_DAY", "MAX_GRADE", "RESOLUTION_DAY",
                  "DURATION_DAYS", "STEROID"])
