"""A generated trial with messy values: seeded edits of a written example's CSV files (padded,
lower-cased, blank and malformed cells, unknown codes, impossible dates, micro signs, NULs,
repeated records), for tests that compare loading and validation before and after a change."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

SEED = 20261207
TRICKY = ["", " ", "abc", "39,7", "-61", "610", "1e309", "nan", "2223-01-01", "2024-02-30",
          "<0.5", "BLQ", "DL9", "cells/\u00b5L", "0", "-1", "99999999999999999999", "Y", "N",
          "CT071-999-999", "\u00e9", "1.5", "2024-13", "XYZ", "mg/dL", "furlong", "a\x00b",
          "2024-03-15T25:00", "NEGATIVE", "positive", "g/L"]


def _cell(rng: np.random.Generator, value: str) -> str:
    kind = rng.integers(6)
    if kind == 0:
        return f" {value}"
    if kind == 1:
        return f"{value} "
    if kind == 2:
        return value.lower()
    if kind == 3:
        return value.upper()
    return str(TRICKY[rng.integers(len(TRICKY))])


def make_messy(folder: Path, seed: int, rate: float = 0.01) -> Path:
    """Edit every CSV file of ``folder`` in place: each cell with probability ``rate`` (and 1 %
    of the records written twice), drawn from ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    for path in sorted(folder.glob("*.csv")):
        if path.name == "manifest.csv":
            path.unlink()
            continue
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        out = [rows[0]]
        for row in rows[1:]:
            edit = rng.random(len(row)) < rate
            new = [_cell(rng, v) if e else v for v, e in zip(row, edit, strict=True)]
            out.append(new)
            if rng.random() < 0.01 and path.stem not in ("dm", "ex"):
                out.append(list(new))
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(out)
        path.write_text(buf.getvalue(), encoding="utf-8")
    return folder


def digest(folder: Path) -> dict:
    """What loading and validating ``folder`` gives, as comparable text: per domain the columns,
    dtypes and a SHA-256 of the values; the load findings' and the validation findings' SHA-256
    and counts per rule id."""
    import hashlib

    import pandas as pd

    from cartrial.data import load_study, validate_study
    from cartrial.protocol import load_protocol

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    study = load_study(folder)
    report = validate_study(study, load_protocol("ct071"), as_of=pd.Timestamp("2030-01-01"))
    domains = {
        name: {"columns": [f"{c}:{df[c].dtype}" for c in df.columns], "rows": len(df),
               "sha256": sha(df.astype(object).where(df.notna(), None).to_json(
                   orient="split", double_precision=15, default_handler=repr))}
        for name, df in sorted(study.domains.items())}
    found = report.findings
    return {
        "domains": domains,
        "load_findings": sha("\n".join(repr(vars(f)) for f in study.load_findings)),
        "n_load_findings": len(study.load_findings),
        "findings": sha(found.to_csv(index=False)),
        "by_rule": {k: int(v) for k, v in found["rule_id"].value_counts().sort_index().items()},
    }


if __name__ == "__main__":  # the snapshot: python tests/data/_messy.py OUT.json
    import json
    import sys
    import tempfile

    from cartrial.example import simulate_trial, write_example
    from cartrial.protocol import load_protocol

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "messy"
        write_example(simulate_trial(load_protocol("ct071"), seed=SEED), folder)
        make_messy(folder, SEED)
        Path(sys.argv[1]).write_text(json.dumps(digest(folder), indent=1, sort_keys=True) + "\n")
