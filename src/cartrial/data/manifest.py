"""A transfer manifest: what the sender says was sent, checked against what was received.

Data transfers between a CRO and a sponsor come with a manifest naming each file with its size,
checksum and record count (a data transfer agreement's usual content). When the study folder
holds ``manifest.csv`` with the columns ``file, bytes, sha256, records``, ``load_study`` checks
every dataset against it:

- ``MANIFEST_UNREADABLE``  the manifest lacks a column, or a size / record count is not a whole
  number;
- ``MANIFEST_FILE_MISSING``  a listed file is not in the folder;
- ``MANIFEST_FILE_EXTRA``    a dataset file the manifest does not list;
- ``MANIFEST_SIZE``          size in bytes differs (a cut or still-copying file);
- ``MANIFEST_SHA256``        content differs (SHA-256, FIPS 180-4);
- ``MANIFEST_RECORDS``       the number of records read differs from the declared count.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Mapping
from pathlib import Path

from cartrial.data.completeness import file_finding
from cartrial.errors import Finding, InputError

MANIFEST = "manifest.csv"
FIELDS = ("file", "bytes", "sha256", "records")


def read_manifest(path: Path) -> tuple[dict[str, dict[str, str]], list[Finding]]:
    """The manifest's rows by file name, and findings about the manifest itself.

    Parameters
    ----------
    path : Path
        ``manifest.csv``.

    Returns
    -------
    (dict, list of Finding)
        ``{file: {"bytes", "sha256", "records"}}`` (rows that cannot be used are left out and
        reported).

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / MANIFEST
    >>> _ = p.write_text("file,bytes\\ndm.csv,10\\n")
    >>> read_manifest(p)[1][0].rule  # doctest: +ELLIPSIS
    '[MANIFEST_UNREADABLE] manifest.csv: ...sha256, records...'
    """
    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
            header = [] if not rows else list(rows[0])
    except (UnicodeDecodeError, csv.Error) as exc:
        return {}, [file_finding("MANIFEST", path.name, "MANIFEST_UNREADABLE", str(exc))]
    missing = [c for c in FIELDS if c not in header]
    if missing:
        return {}, [file_finding("MANIFEST", path.name, "MANIFEST_UNREADABLE",
                                 f"columns missing: {', '.join(missing)}")]
    out, bad = {}, []
    for n, r in enumerate(rows, start=2):
        if not (str(r["bytes"]).strip().isdigit() and str(r["records"]).strip().isdigit()):
            bad.append(file_finding("MANIFEST", path.name, "MANIFEST_UNREADABLE",
                                    f"line {n}: bytes and records must be whole numbers "
                                    f"({r['bytes']!r}, {r['records']!r})"))
            continue
        out[str(r["file"]).strip()] = {k: str(r[k]).strip() for k in FIELDS[1:]}
    return out, bad


def check_manifest(root: Path, files: Mapping[str, tuple[int, str]],
                   records: Mapping[str, int]) -> list[Finding]:
    """Findings for every difference between ``root/manifest.csv`` and the files read.

    Parameters
    ----------
    root : Path
        The study folder.
    files : mapping
        File name -> (size in bytes, SHA-256 hex) of each dataset file found.
    records : mapping
        File name -> records read (files that could not be read are absent).

    Returns
    -------
    list of Finding
        Empty when there is no manifest or everything agrees.

    Examples
    --------
    >>> check_manifest(Path("/no/such/folder"), {}, {})
    []
    """
    path = root / MANIFEST
    if not path.is_file():
        return []
    listed, out = read_manifest(path)
    for name in sorted(set(listed) | set(files)):
        dom = Path(name).stem.upper()
        if name not in files:
            out.append(file_finding(dom, name, "MANIFEST_FILE_MISSING",
                                    "listed in manifest.csv but not in the folder"))
            continue
        if name not in listed:
            out.append(file_finding(dom, name, "MANIFEST_FILE_EXTRA",
                                    "in the folder but not listed in manifest.csv"))
            continue
        want, (size, sha) = listed[name], files[name]
        if int(want["bytes"]) != size:
            out.append(file_finding(dom, name, "MANIFEST_SIZE",
                                    f"{size} bytes received, {want['bytes']} sent"))
        if want["sha256"].lower() != sha:
            out.append(file_finding(dom, name, "MANIFEST_SHA256",
                                    f"SHA-256 {sha} differs from the manifest's {want['sha256']}"))
        if name in records and int(want["records"]) != records[name]:
            out.append(file_finding(dom, name, "MANIFEST_RECORDS",
                                    f"{records[name]} records read, {want['records']} sent"))
    return out


def write_manifest(root: str | Path, records: Mapping[str, int]) -> Path:
    """Write ``root/manifest.csv`` for the dataset files in ``root`` (what a sender does).

    Parameters
    ----------
    root : str or Path
        The study folder.
    records : mapping
        File name -> number of records it holds.

    Returns
    -------
    Path
        The manifest written.

    Raises
    ------
    InputError
        A dataset file without a record count, or a count for a file not in the folder.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "dm.csv").write_text("USUBJID\\nS1\\n")
    >>> write_manifest(d, {"dm.csv": 1}).read_text().splitlines()[1][:13]
    'dm.csv,11,06a'
    """
    root = Path(root)
    names = sorted(p.name for p in root.iterdir()
                   if p.suffix.lower() in (".csv", ".xpt") and p.name != MANIFEST)
    if set(names) != set(records):
        raise InputError(f"record counts needed for exactly the files {names}, "
                         f"got {sorted(records)}")
    lines = [",".join(FIELDS)]
    for n in names:
        with open(root / n, "rb") as fh:
            sha = hashlib.file_digest(fh, "sha256").hexdigest()
        lines.append(f"{n},{(root / n).stat().st_size},{sha},{records[n]}")
    out = root / MANIFEST
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out
