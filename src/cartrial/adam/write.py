"""Write ADaM datasets as CSV and SAS XPORT v5 with labels, plus the define-like HTML."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import pandas as pd

from cartrial.adam.metadata import DATASETS, define_html, variable_label
from cartrial.data import to_csv_text, write_xpt

_XPT_STAMP = re.compile(rb"\d{2}[A-Z]{3}\d{2}:\d{2}:\d{2}:\d{2}")


def stamp_xpt(path: Path, run_date: datetime) -> None:
    """Replace the created/modified timestamps of an XPORT v5 file's header records with
    ``run_date`` (ddMONyy:hh:mm:ss), so the same data give the same bytes on every run."""
    stamp = run_date.strftime("%d%b%y:%H:%M:%S").upper().encode("ascii")
    data = path.read_bytes()
    head, body = data[:80 * 8], data[80 * 8:]  # library and member headers only
    path.write_bytes(_XPT_STAMP.sub(stamp, head) + body)


def write_adam(datasets: Mapping[str, pd.DataFrame], out_dir: str | Path, *, study: str,
               version: str, protocol_hash: str, data_hash: str,
               run_date: datetime) -> list[Path]:
    """``<name>.csv`` and ``<name>.xpt`` (lower-case) per dataset and ``define.html``.

    XPT v5 limits (names <= 8, labels <= 40 ASCII, text <= 200 bytes) are checked by
    :func:`cartrial.data.write_xpt`, which refuses rather than truncates.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in datasets.items():
        csv = out / f"{name.lower()}.csv"
        csv.write_text(to_csv_text(df), encoding="utf-8")
        xpt = out / f"{name.lower()}.xpt"
        labels = {c: variable_label(c) for c in df.columns}
        write_xpt(df, xpt, name, DATASETS.get(name, (name, ""))[0], labels)
        stamp_xpt(xpt, run_date)
        written += [csv, xpt]
    d = out / "define.html"
    d.write_text(define_html(datasets, study=study, version=version, protocol_hash=protocol_hash,
                             data_hash=data_hash), encoding="utf-8")
    written.append(d)
    return written
