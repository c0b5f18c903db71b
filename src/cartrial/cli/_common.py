"""What every CLI verb shares: JSON output, bad input -> exit code 2, protocol resolution."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console

from cartrial.errors import FindingsError, InputError

EXIT_BAD_INPUT = 2
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON instead of tables.")
#: every verb that needs a protocol requires it: no silent default (issue #15 point 3)
ProtocolOption = typer.Option(..., "--protocol", "-p", help="Protocol the trial is conducted "
                              "with: a bundled name (e.g. ct071) or a YAML path. Required.")

T = TypeVar("T")


def to_jsonable(obj: Any) -> Any:
    """Data frames, dataclasses, numpy and paths to plain JSON types (NaN -> null).

    numpy and pandas are looked up in ``sys.modules`` and never imported here: an object of a
    library that is not loaded cannot be of its types (so ``design table --json`` stays
    pandas-free)."""
    np = sys.modules.get("numpy")
    pd = sys.modules.get("pandas")
    if pd is not None:
        if isinstance(obj, pd.DataFrame):
            return [to_jsonable(r) for r in obj.to_dict(orient="records")]
        if isinstance(obj, pd.Series):
            return to_jsonable(obj.to_dict())
    if is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(asdict(obj))
    if hasattr(obj, "model_dump"):
        return to_jsonable(obj.model_dump(mode="json"))
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [to_jsonable(v) for v in obj]
    if np is not None and isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if np is not None and isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if pd is not None and isinstance(obj, pd.Timestamp):
        if pd.isna(obj):
            return None
        return obj.date().isoformat() if obj == obj.normalize() else obj.isoformat()
    if isinstance(obj, date | datetime):
        return obj.isoformat()
    if pd is not None and (obj is pd.NaT or (
        obj is not None and not isinstance(obj, str | bool | int) and pd.isna(obj)
    )):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(obj), indent=2, sort_keys=False) + "\n")


@contextmanager
def bad_input_exits() -> Iterator[None]:
    """Turn user-input errors into a clear message and exit code 2, never a traceback."""
    try:
        yield
    except FindingsError as exc:
        for f in exc.findings:
            err_console.print(str(f), markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (InputError, FileNotFoundError) as exc:
        err_console.print(f"error: {exc}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def load_validated(data_dir: str, protocol: Any) -> Any:
    """Load the study in ``data_dir`` and validate it against ``protocol`` first.

    Warnings are printed to stderr; errors raise ``FindingsError`` listing them (exit code 2 in
    ``bad_input_exits``). Returns the loaded ``cartrial.data.Study``.
    """
    from cartrial.data import load_study, validate_study

    study = load_study(data_dir)
    report = validate_study(study, protocol)
    found = report.as_findings()
    for f in found:
        if f.severity != "error":
            err_console.print(str(f), markup=False)
    errors = [f for f in found if f.severity == "error"]
    if errors:
        err_console.print(f"{data_dir}: validation found {len(errors)} error(s) against protocol "
                          f"{protocol.study_id}; nothing computed (run `cartrial validate` for "
                          "the table)", markup=False)
        raise FindingsError(errors)
    return study


def guarded(fn: Callable[[], T]) -> T:
    with bad_input_exits():
        return fn()
