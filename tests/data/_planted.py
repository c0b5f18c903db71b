"""The bundled example study written once per test module, and helpers to plant one fault in a
copy of it and validate the copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from cartrial.data import load_study, validate_study
from cartrial.protocol import load_protocol

SEED = 20240228


def write_examples(root: Path) -> Path:
    """``root/csv`` and ``root/xpt``: the bundled example trial (default seed) in both formats."""
    from cartrial.example import simulate_trial, write_example

    trial = simulate_trial(load_protocol("ct071"), seed=SEED)
    write_example(trial, root / "csv")
    write_example(trial, root / "xpt", format="xpt")
    return root


def copy_of(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("truth"))
    return dst


def findings(folder: Path, **kwargs) -> pd.DataFrame:
    """Every finding of ``load_study`` + ``validate_study`` on the folder (ct071 protocol)."""
    return validate_study(load_study(folder), load_protocol("ct071"), **kwargs).findings


def rows(f: pd.DataFrame, rule_id: str) -> pd.DataFrame:
    return f[f["rule_id"] == rule_id]


def edit_csv(path: Path, fn) -> pd.DataFrame:
    """Read a CSV as text, apply ``fn`` (which edits the frame in place) and write it back the
    way the example writes it (no index, blanks as empty fields); the edited frame is returned."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    fn(df)
    df.to_csv(path, index=False, lineterminator="\n")
    return df
