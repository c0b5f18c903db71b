"""Results of a design sweep on disk: one Parquet file per cell, written atomically, verified.

Layout of a results folder::

    manifest.json              the expanded grid, its hash, the cartrial version, cell -> file
    cells/cell-<hash>.parquet         one per finished cell
    cells/cell-<hash>.parquet.sha256  sha256 of that file's bytes
    quarantine/                       corrupt or mismatched cell files moved aside (never merged)

A cell file holds one row per dose: ``design_id``, ``scenario_id``, the per-dose operating
characteristics (:data:`~cartrial.design.oc_result.PER_DOSE_COLUMNS`) and the overall ones
(:data:`~cartrial.design.oc_result.OVERALL_COLUMNS`, prefixed ``oc_``, repeated on each row). Its
Parquet metadata (key ``cartrial.sweep``) records the design, scenario, seed, number of trials,
cartrial version, grid hash, the cell-definition hash and a sha256 of the table's contents.

Writes go to a temporary name in the same folder, are fsync'ed, then renamed over the final
name, so a file at the final name is either absent or complete; the ``.sha256`` file is renamed
into place first. On resume each file is checked before pyarrow parses it (its bytes against the
recorded sha256, so any flipped byte, even in metadata that holds no result, is caught), then read
back (readable, metadata present, definition hash equal to the cell's, content checksum equal);
anything else is reported, moved to ``quarantine/`` and recomputed. A cell file without its
``.sha256`` (written by cartrial before 0.x or cut off mid-write) is treated the same way.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cartrial import __version__
from cartrial.design.oc_result import OVERALL_COLUMNS, PER_DOSE_COLUMNS
from cartrial.errors import InputError
from cartrial.sweep.grid import SweepCell, SweepGrid

META_KEY = b"cartrial.sweep"
FORMAT_VERSION = 1
CELLS_DIR = "cells"
QUARANTINE_DIR = "quarantine"
MANIFEST = "manifest.json"
TMP_PREFIX = ".tmp-"
DIGEST_SUFFIX = ".sha256"
CELL_COLUMNS = (
    "design_id",
    "scenario_id",
    *PER_DOSE_COLUMNS,
    *(f"oc_{c}" for c in OVERALL_COLUMNS),
)


@dataclass(frozen=True)
class CellProblem:
    """A stored cell file that could not be used: file, cell, and why.

    Attributes
    ----------
    file : str
        The cell file's name in the results folder.
    design_id, scenario_id : str
        The cell of the grid it should hold.
    reason : str
        Why it was not used (checksum, definition hash, unreadable Parquet, ...).
    moved_to : str or None
        Where :func:`quarantine` moved it (None: left in place, not merged).

    Examples
    --------
    >>> p = CellProblem("boin__s1.parquet", "boin", "s1", "checksum differs", None)
    >>> p.reason, p.moved_to is None
    ('checksum differs', True)
    """

    file: str
    design_id: str
    scenario_id: str
    reason: str
    moved_to: str | None


def table_digest(df: pd.DataFrame) -> str:
    """sha256 over column names, dtypes and values (little-endian bytes for numbers)."""
    h = hashlib.sha256()
    for col in df.columns:
        arr = df[col].to_numpy()
        h.update(str(col).encode() + b"\0")
        if arr.dtype.kind in "biuf":
            a = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
            h.update(a.dtype.str.encode() + b"\0" + a.tobytes())
        else:
            h.update(b"O\0" + "\x1f".join(map(str, arr.tolist())).encode())
        h.update(b"\x1e")
    return h.hexdigest()


def cell_frame(cell: SweepCell, per_dose: pd.DataFrame, overall: pd.DataFrame) -> pd.DataFrame:
    """The stored table of one cell (see module docstring)."""
    df = per_dose.loc[:, list(PER_DOSE_COLUMNS)].reset_index(drop=True).copy()
    df.insert(0, "scenario_id", cell.scenario_id)
    df.insert(0, "design_id", cell.design_id)
    row = overall.iloc[0]
    for c in OVERALL_COLUMNS:
        df[f"oc_{c}"] = row[c]
    df["dose"] = df["dose"].astype("int64")
    df["oc_true_mtd"] = df["oc_true_mtd"].astype("int64")
    for c in df.columns[2:]:
        if c not in ("dose", "oc_true_mtd"):
            df[c] = df[c].astype("float64")
    return df


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_cell(
    out: Path,
    cell: SweepCell,
    df: pd.DataFrame,
    grid_hash: str,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write one cell atomically (temp file in the same folder, fsync, rename) and return its
    path. ``extra`` (e.g. method text, elapsed seconds) is kept in the metadata only."""
    folder = Path(out) / CELLS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    meta = (
        cell.definition()
        | {
            "format": FORMAT_VERSION,
            "grid_hash": grid_hash,
            "cell_hash": cell.cell_hash,
            "data_sha256": table_digest(df),
        }
        | {"extra": extra or {}}
    )
    table = pa.Table.from_pandas(df, preserve_index=False)
    table = table.replace_schema_metadata(
        (table.schema.metadata or {}) | {META_KEY: json.dumps(meta, sort_keys=True).encode()}
    )
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    data = sink.getvalue().to_pybytes()
    final = folder / cell.file_name
    # the digest goes into place first: a cell file never exists without the digest of its bytes
    _atomic_write(folder, final.with_name(final.name + DIGEST_SUFFIX),
                  hashlib.sha256(data).hexdigest().encode())
    _atomic_write(folder, final, data)
    _fsync_dir(folder)
    return final


def _atomic_write(folder: Path, final: Path, data: bytes) -> None:
    tmp = folder / f"{TMP_PREFIX}{final.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


def check_file_digest(path: Path) -> bytes:
    """The bytes of a cell file after checking them against its ``.sha256`` file.

    Raises :class:`~cartrial.errors.InputError` when the digest file is missing or unreadable
    or the bytes differ from it (any flipped, added or removed byte)."""
    side = path.with_name(path.name + DIGEST_SUFFIX)
    try:
        data = path.read_bytes()
        recorded = side.read_bytes().decode("ascii").strip()
    except FileNotFoundError:
        raise InputError(f"{path.name}: no {side.name} (written by an older cartrial or cut "
                         "off mid-write); its content cannot be trusted") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path.name}: cannot read it or its digest ({exc})") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != recorded:
        raise InputError(f"{path.name}: file sha256 {actual[:12]} differs from the recorded "
                         f"{recorded[:12]!r} (file damaged or altered)")
    return data


def read_cell(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a cell file and check its integrity: file sha256, metadata, content checksum.

    Raises :class:`~cartrial.errors.InputError` naming the file and what is wrong."""
    data = check_file_digest(path)
    try:
        table = pq.read_table(pa.BufferReader(data))
        raw = (table.schema.metadata or {}).get(META_KEY)
    except Exception as exc:  # pyarrow raises several types for truncated/garbled files
        raise InputError(f"{path.name}: not a readable Parquet file ({exc})") from None
    if raw is None:
        raise InputError(f"{path.name}: no cartrial.sweep metadata")
    try:
        meta = json.loads(raw)
    except ValueError:
        raise InputError(f"{path.name}: cartrial.sweep metadata is not valid JSON") from None
    if not isinstance(meta, dict):
        raise InputError(f"{path.name}: cartrial.sweep metadata is not a JSON object")
    try:
        df = table.to_pandas()
    except Exception as exc:  # noqa: BLE001 - e.g. undecodable column names
        raise InputError(f"{path.name}: table cannot be read ({exc})") from None
    if tuple(df.columns) != CELL_COLUMNS:
        raise InputError(f"{path.name}: columns {list(df.columns)} differ from the cell format")
    digest = table_digest(df)
    if digest != meta.get("data_sha256"):
        raise InputError(
            f"{path.name}: content checksum {digest[:12]} differs from the recorded "
            f"{str(meta.get('data_sha256'))[:12]} (file altered or damaged)"
        )
    return df, meta


def verify_cell(out: Path, cell: SweepCell) -> str | None:
    """None when the cell's file exists and is valid for ``cell``; otherwise "missing" or the
    reason it cannot be used."""
    path = Path(out) / CELLS_DIR / cell.file_name
    if not path.exists():
        return "missing"
    try:
        _, meta = read_cell(path)
    except InputError as exc:
        return str(exc)
    if meta.get("cell_hash") != cell.cell_hash:
        diff = [k for k, v in cell.definition().items() if meta.get(k) != v]
        what = ", ".join(diff) or "hash"
        return f"{path.name}: stored for a different cell definition (differs in {what})"
    return None


def quarantine(out: Path, cell: SweepCell, reason: str) -> CellProblem:
    """Move an unusable cell file aside (kept for inspection, never read again)."""
    src = Path(out) / CELLS_DIR / cell.file_name
    qdir = Path(out) / QUARANTINE_DIR
    qdir.mkdir(parents=True, exist_ok=True)
    dst = qdir / f"{cell.file_name}.{uuid.uuid4().hex[:8]}"
    os.replace(src, dst)
    side = src.with_name(src.name + DIGEST_SUFFIX)
    if side.exists():
        os.replace(side, dst.with_name(dst.name + DIGEST_SUFFIX))
    return CellProblem(cell.file_name, cell.design_id, cell.scenario_id, reason, str(dst))


def clean_temporary(out: Path) -> int:
    """Remove temporary files left by an interrupted write; returns how many."""
    folder = Path(out) / CELLS_DIR
    if not folder.is_dir():
        return 0
    n = 0
    for p in folder.glob(f"{TMP_PREFIX}*"):
        p.unlink()
        n += 1
    return n


def write_manifest(out: Path, grid: SweepGrid, cells: list[SweepCell]) -> Path:
    """The expanded grid, its hash and the cell -> file map (atomic write)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    doc = {
        "format": FORMAT_VERSION,
        "cartrial_version": __version__,
        "grid_hash": grid.grid_hash,
        "grid": grid.as_dict(),
        "cells": [
            {
                "design_id": c.design_id,
                "scenario_id": c.scenario_id,
                "seed": c.seed,
                "file": f"{CELLS_DIR}/{c.file_name}",
                "cell_hash": c.cell_hash,
            }
            for c in cells
        ],
    }
    tmp = out / f"{TMP_PREFIX}{MANIFEST}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, out / MANIFEST)
    _fsync_dir(out)
    return out / MANIFEST


def read_manifest(out: Path) -> dict[str, Any]:
    path = Path(out) / MANIFEST
    if not path.is_file():
        raise InputError(f"{out}: no {MANIFEST}; is this a sweep results folder?")
    hint = "; rerun `cartrial design sweep` with the same grid to rewrite it"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:  # UnicodeDecodeError included
        raise InputError(f"{path}: not valid JSON (damaged){hint}") from None
    keys = ("design_id", "scenario_id", "file", "cell_hash")
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list) or not all(
        isinstance(c, dict) and all(isinstance(c.get(k), str) for k in keys) for c in cells
    ):
        raise InputError(f"{path}: not a sweep manifest (damaged: 'cells' entries need "
                         f"{', '.join(keys)}){hint}")
    return doc


def __getattr__(name: str) -> object:
    """SweepResults and read_sweep moved to :mod:`cartrial.sweep.results`; their old import
    path from here still works (PEP 562, no import cycle)."""
    if name in ("SweepResults", "read_sweep"):
        from cartrial.sweep import results

        return getattr(results, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
