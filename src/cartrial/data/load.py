"""Read a folder of SDTM datasets (CSV or SAS XPT) into typed, unit-standardised tables.

Nothing is coerced silently: a value that cannot be read as its type, or a result whose unit
cannot be converted, stays missing in the typed column and is reported as a :class:`Finding`
(``Study.load_findings``), which ``validate_study`` includes.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from cartrial._memory import release_freed_memory
from cartrial.data import domains
from cartrial.data.compact import CompactFrame
from cartrial.data.compact_column import held_column
from cartrial.data.completeness import FileCheck, check_file, file_finding
from cartrial.data.manifest import MANIFEST, check_manifest
from cartrial.data.normalise import DICTIONARY, normalise_text
from cartrial.data.results import result_findings
from cartrial.data.shared_text import POOL as _POOL
from cartrial.data.shared_text import SharedText, _spread_text
from cartrial.data.spec import DataModel, data_model, is_numeric_var
from cartrial.data.standardize import TEXT, standardize_results
from cartrial.data.study import Study
from cartrial.data.typed_columns import READ_SUFFIXES, _nul_findings, _read_later, _type_columns
from cartrial.data.validate_codes import codes_memo, forget, known_codes, remember
from cartrial.errors import Finding, InputError

SUFFIXES = {".csv": "csv", ".xpt": "xpt"}
CSV_BLOCK_BYTES = 1 << 24
#: how the CSV reader gives a text column's block (:func:`_read_csv`)
TEXT_BLOCKS = pa.dictionary(pa.int32(), pa.string())


def _read_csv(path: Path, nul: set[str], padded: dict, factorized: dict,
              coded: dict | None = None) -> dict[str, pd.arrays.StringArray]:
    """Every column of a CSV file as shared text, parsed by Arrow in blocks: only one block of
    the file is held as Arrow data at a time (a whole large LB as an Arrow table and as pandas
    columns at once would double the load's peak memory). ``coded``: the columns the caller
    takes as codes (its keys, each None), given there as ``(codes, values)`` and left out of
    the text returned, unless a value holds a NUL or blanks (then read as text, warned of)."""
    with open(path, encoding="utf-8", newline="") as f:
        header = next(csv.reader(f), None)
    if not header:
        raise ValueError("the file has no header line")
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(encoding="utf8", use_threads=True,
                                       block_size=CSV_BLOCK_BYTES),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        memory_pool=_POOL,
        # every column dictionary-encoded by the reader's threads as they convert a block
        # (what SharedText.add would ask of each block's text: the same dictionary, in order
        # of first appearance, and indices), without the block's text built first
        convert_options=pacsv.ConvertOptions(
            column_types={c: TEXT_BLOCKS for c in header},
            strings_can_be_null=False, null_values=[], quoted_strings_can_be_null=False),
    )
    names = [_column_name(n) for n in reader.schema.names]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:  # one would silently replace the other
        raise ValueError(f"column(s) given twice: {', '.join(twice)}")
    cols = [SharedText() for _ in names]
    for batch in reader:
        for col, arr in zip(cols, batch.columns, strict=True):
            col.add(arr)
        del batch
    out = {}
    for n, c in zip(names, cols, strict=True):
        codes, uniq = c.close()
        if coded is not None and n in coded and not c.has_nul and c.padded is None:
            coded[n] = c.factorized
        else:
            out[n] = _spread_text(uniq, codes)
    if coded is not None:
        for n in [n for n, v in coded.items() if v is None]:
            del coded[n]  # not in the file, or read as text
    nul.update(n for n, c in zip(names, cols, strict=True) if c.has_nul)
    padded.update((n, (c.padded, c.raw)) for n, c in zip(names, cols, strict=True)
                  if c.padded is not None)
    factorized.update((n, c.factorized) for n, c in zip(names, cols, strict=True))
    return out


def _column_name(header: object) -> str:
    """A CSV header's variable name as the loader takes it (a BOM and blanks dropped, upper
    case)."""
    return str(header).lstrip("\ufeff").strip().upper()


def _read_file(path: Path, nul: set[str], padded: dict, factorized: dict,
               coded: dict | None = None) -> pd.DataFrame:
    """The file as text columns (XPT numbers as float); the names of columns with a NUL
    character in a value are added to ``nul``; ``padded`` gets, per column holding values with
    leading or trailing blanks (kept stripped), the rows concerned and the values as read;
    ``factorized`` each text column's codes and distinct values; ``coded`` as for
    :func:`_read_csv` (CSV only: an XPT file's columns are all read as text)."""
    if path.suffix.lower() == ".csv":
        text = _read_csv(path, nul, padded, factorized, coded)
        rows = len(next(iter(factorized.values()))[0]) if factorized else 0
        return pd.DataFrame(text, index=pd.RangeIndex(rows), copy=False)
    if coded is not None:
        coded.clear()
    import pyreadstat  # SAS transport files only: a CSV study does not pay its import

    df, _meta = pyreadstat.read_xport(str(path))
    return frame_columns(df, nul, padded, factorized)


def frame_columns(df: pd.DataFrame, nul: set[str], padded: dict,
                  factorized: dict | None = None) -> pd.DataFrame:
    """A frame's columns as the readers give them: upper-case names, numbers as float, every
    other column as shared text stripped of blanks (``nul`` and ``padded`` as in the reader)."""
    out = {}
    for n, c in df.items():
        if pd.api.types.is_numeric_dtype(c) and not pd.api.types.is_bool_dtype(c):
            out[str(n).upper()] = c.astype(float)
        else:
            obj = c.astype(object).where(c.notna(), None)
            try:
                arr = pa.array(obj, type=pa.string())
            except (pa.ArrowInvalid, pa.ArrowTypeError):  # e.g. numbers in a text column
                arr = pa.array([None if v is None else str(v) for v in obj], type=pa.string())
            text = SharedText()
            text.add(arr)
            out[str(n).upper()] = text.finish()
            if text.has_nul:
                nul.add(str(n).upper())
            if text.padded is not None:
                padded[str(n).upper()] = (text.padded, text.raw)
            if factorized is not None:
                factorized[str(n).upper()] = text.factorized
    return pd.DataFrame(out, index=df.index)


def load_study(path: str | Path) -> Study:
    """Read every ``<domain>.csv`` or ``<domain>.xpt`` in ``path`` into a :class:`Study`.

    Character variables stay text (blanks become missing); numeric variables (--SEQ, --STRESN,
    --DOSE, AGE, ...) are parsed; findings results are standardised (``standardize_results``).
    Files for domains outside the data model are kept, typed as text, and noted as warnings.
    Every file is first checked whole (:func:`cartrial.data.completeness.check_file`): an empty,
    cut, non-UTF-8 or unparseable file is a finding naming the file (its domain is then left
    out and listed in ``Study.unread``), and the folder's other files are still read. A
    ``manifest.csv`` in the folder (file, bytes, sha256, records) is checked against what was
    read (:mod:`cartrial.data.manifest`).

    Parameters
    ----------
    path : str or Path
        Folder of SDTM datasets.

    Returns
    -------
    Study
        The typed domains, ``load_findings`` and the SHA-256 of every file.

    Raises
    ------
    InputError
        The folder does not exist or holds no ``.csv`` / ``.xpt`` file.

    Examples
    --------
    >>> load_study("/no/such/folder")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    cartrial.errors.InputError: study folder not found: /no/such/folder
    """
    root = Path(path)
    if not root.is_dir():
        raise InputError(f"study folder not found: {root}")
    files = sorted(p for p in root.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file()
                   and p.name != MANIFEST)
    if not files:
        raise InputError(f"no .csv or .xpt datasets in {root}")
    model = data_model()
    study = Study(domains={}, path=root)
    formats = set()
    sent: dict[str, tuple[int, str]] = {}
    records: dict[str, int] = {}
    for f in files:
        name = f.stem.upper()
        if name in study.domains or name in study.unread:
            study.load_findings.append(file_finding(
                name, f.name, "DOMAIN_TWICE",
                "domain given twice (both .csv and .xpt); the first read is used"))
            continue
        formats.add(SUFFIXES[f.suffix.lower()])
        check = _load_file(f, name, model, study)
        sent[f.name] = (check.size, check.sha256)
        if name in study.domains:
            records[f.name] = study.records(name)
    study.load_findings.extend(check_manifest(root, sent, records))
    release_freed_memory()
    study.format = formats.pop() if len(formats) == 1 else "mixed"
    study.mtime = max(f.stat().st_mtime for f in files)
    return study


def _load_file(f: Path, name: str, model: DataModel, study: Study) -> FileCheck:
    """Check, read, type and standardise one file into ``study`` (or record why it cannot)."""
    findings = study.load_findings
    check = check_file(f, name)
    study.file_hashes[f.name] = check.sha256
    findings.extend(check.findings)
    if not check.usable:
        study.unread[name] = f.name
        return check
    nul: set[str] = set()
    padded: dict[str, tuple[np.ndarray, pd.arrays.StringArray]] = {}
    factorized: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    coded = numbers = None
    try:
        # a domain held encoded: the columns no loader step reads are kept as the reader's
        # codes, and the numeric variables are parsed from theirs (issue #18: memory)
        if domains.held_encoded(name):
            coded = dict.fromkeys(_unread_columns(f, name, model) + _numeric_columns(f, name))
        raw = _read_file(f, nul, padded, factorized, coded)
        if coded is not None:  # a large domain: the reader's blocks, freed by its threads
            release_freed_memory()  # (their arenas), handed back before it is typed
            numbers = {c: coded.pop(c) for c in [*coded] if is_numeric_var(name, c)}
    except Exception as exc:  # a file that cannot be parsed is bad input, not a crash
        msg = " ".join(str(exc).split())[:300]
        findings.append(file_finding(name, f.name, "FILE_UNREADABLE",
                                     f"cannot be read ({type(exc).__name__}: {msg})"))
        study.unread[name] = f.name
        return check
    if check.xpt_rows is not None and check.xpt_rows != len(raw):
        findings.append(file_finding(
            name, f.name, "FILE_TRUNCATED",
            f"the record structure holds {check.xpt_rows} observations but {len(raw)} were read"))
    if name not in model.domains:
        findings.append(
            Finding(name, None, None, None, f.name,
                    "domain is not in cartrial's data model; kept unread", severity="warning"))
    if coded is None:
        study.domains.hold(name, prepare_domain(name, raw, model, findings, nul, padded,
                                                factorized))
        return check
    # the file's column order (a CSV file's reader factorised every column, the coded too)
    order = [*factorized] if coded or numbers else list(raw.columns)
    study.domains[name] = prepare_domain(
        name, raw, model, findings, nul, padded, factorized,
        hold=lambda typed, known: CompactFrame.assemble(typed, coded, order, known),
        numbers=numbers, early=coded)
    return check


def _unread_columns(path: Path, name: str, model: DataModel) -> list[str]:
    """The variables of the file's header that no step of :func:`prepare_domain` reads or
    changes (their text is then never spread to the rows: the domain is held encoded from the
    reader's codes). A variable read by a step when present must not be listed."""
    spec = model.domains.get(name)
    read = {"USUBJID", f"{name}SEQ", "AGEU", *DICTIONARY.get(name, ()),
            *(spec.terms if spec is not None else ()), "MHDECOD"}
    names = _header(path)
    return [n for n in names if n not in read and not n.endswith(READ_SUFFIXES)
            and not is_numeric_var(name, n)]


def _numeric_columns(path: Path, name: str) -> list[str]:
    """The numeric variables of the file's header (parsed from the reader's codes)."""
    return [n for n in _header(path) if is_numeric_var(name, n)]


def _header(path: Path) -> list[str]:
    """The variable names of a CSV file's header line, as the loader takes them."""
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        return [_column_name(n) for n in next(csv.reader(fh), [])]


def prepare_domain(name: str, raw: pd.DataFrame, model: DataModel, findings: list[Finding],
                   nul: set[str], padded: dict, factorized: dict | None = None,
                   hold: Callable | None = None, numbers: dict | None = None,
                   early: dict | None = None) -> pd.DataFrame:
    """Type, check and standardise one domain as read (the loader's steps after reading);
    ``factorized``: the reader's codes of text columns, used instead of factorising again;
    ``hold``: what is returned is ``hold(domain, known)``, ``known(column)`` giving a text
    column's codes while they are still known (:func:`validate_codes.known_codes`);
    ``numbers``: numeric variables the reader gave as ``(codes, distinct texts)`` only (their
    text never spread to the rows; placed in ``factorized``'s order, the file's); ``early``
    (with ``hold``): the variables no step reads after typing and checking text, put there
    held as :func:`~cartrial.data.compact_column.held_column` holds them once final, and
    left out of the domain given to ``hold`` (issue #18: a large LB's frame is never whole).

    ``raw`` is consumed: its columns are removed from it once typed, so a numeric variable's
    text (8 bytes a record) is freed before the domain is checked and standardised, and a
    column held early (``early``) is let go of then (issue #18: memory), rather than when the
    caller lets go of the frame."""
    numeric = [c for c in raw.columns if is_numeric_var(name, c)]
    with codes_memo():  # a column changed on the way is a new array: factorised anew
        for col, (codes, uniq) in (factorized or {}).items():
            if col in raw and col not in numeric:
                remember(raw[col], codes, uniq)
        with codes_memo():  # the numeric variables' codes: forgotten once they are parsed
            for col in numeric:
                if col in (factorized or {}):
                    remember(raw[col], *factorized[col])
            typed = _type_columns(name, raw, findings, numbers, [*(factorized or {})],
                                  early if hold is not None else None)
        for col in list(raw.columns):
            del raw[col]  # the caller's frame no longer holds the parsed text, nor the rest
        for col in [*numeric, *(numbers or {})]:  # their codes are no longer read
            (factorized or {}).pop(col, None)
        if numbers:
            numbers.clear()
        del raw
        _nul_findings(name, typed, sorted(nul), findings)
        normalise_text(name, typed, padded, model, findings)
        if hold is not None and early is not None:  # final now
            _hold_columns(typed, [c for c in typed.columns if not _read_later(name, c)], early)
        findings.extend(result_findings(name, typed, model))
        typed = standardize_results(name, typed, model, findings, copy=False)
        if hold is not None and early is not None:
            _hold_columns(typed, list(typed.columns), early)
        return typed if hold is None else hold(typed, known_codes)


def _hold_columns(df: pd.DataFrame, columns: list[str], held: dict) -> None:
    """Move these columns of ``df`` into ``held`` as a :class:`CompactFrame` holds them, one
    at a time: each column's array is let go of (and forgotten by the codes memo) once it is
    encoded, so a large domain's columns are never all held beside their codes."""
    for col in columns:
        s = df.pop(col)
        held[col] = held_column(s, known_codes(s) if s.dtype == TEXT else None)
        forget(s)
        del s
