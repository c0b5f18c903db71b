"""A numpy-vectorised SAS XPORT version 5 writer that writes the same bytes as pyreadstat.

The layout is SAS Technical Support document TS-140, "The record layout of a SAS transport
file": 80-byte records; a library header, a member header, a 140-byte namestr per variable
(big-endian), then the observations, each variable in IBM System/370 hexadecimal floating point
(8 bytes) or blank-padded text, the whole stream padded with blanks to a multiple of 80 bytes.

Why it exists: pyreadstat (ReadStat) converts every value in a Python-level loop, which takes
minutes for an analysis dataset of millions of rows and was the largest single cost of the
pipeline. This module builds the observation records as one ``uint8`` array per chunk of rows,
column by column, with vectorised IBM conversion. pyreadstat stays the reader, and the
reference: the tests check that both writers give byte-identical files for the same input.

ReadStat's choices reproduced here (read off its output, pyreadstat 1.3.7):

- header texts: ``SAS     SAS     SASLIB  6.06    bsd4.2`` (library) and
  ``SAS     <TABLE>  SASDATA 6.06    bsd4.2`` (member), each with 24 blanks and the 16-byte
  ``ddMONyy:hh:mm:ss`` stamp; the member header's numbers are ``160`` and ``140``;
- namestr: name (8 bytes) and label (40 bytes) blank-padded and cut to their field in UTF-8
  bytes, format names blank (8 blanks each) and widths 0 unless a format is given (below),
  ``nfj`` = 1 for numeric and 0 for text, ``nvar0`` counts from 1; the rest zero; the namestr
  block is padded with blanks;
- the file label is cut to 40 bytes;
- missing numeric: ``0x2E`` followed by seven zero bytes (the SAS '.' missing value);
- text: width = largest UTF-8 byte length in the column, at least 1; values blank-padded; a NUL
  inside a value ends it (C ``strlen``), the rest of the field is blank;
- IBM conversion as in ReadStat's ``ieee2xpt`` (TS-140's routine): the 53-bit IEEE significand is
  shifted left by (exponent mod 4), so it is exact (no rounding, the IBM fraction has 56 bits);
  zero, negative zero and numbers below 16**-65 (binary exponent < -260) become 0; infinities and
  numbers at or above 2**249 become the largest IBM magnitude ``0x7FFFFFFFFFFFFFFF`` with sign;
- after the last observation, blanks up to the end of the 80-byte record (none when it ends on
  a record boundary); with no observations the file ends with the OBS header record.

Formats (``variable_format``, as ``pyreadstat.write_xport(..., variable_format=...)``): ReadStat
parses ``NAME<w>.<d>`` (``$NAME<w>.`` for text) with its grammar (``xport_parse_format``) and
writes name, width and decimals into ``nform``/``nfl``/``nfd``; the informat fields
(``niform``/``nifl``/``nifd``) stay blank and 0 (pyreadstat 1.3.7 fills them only from
``variable_informat``); ``nfj`` does not change. The name keeps its case; "" means no format.
Where ReadStat does something else, this writer refuses (InputError) instead: a format name over
8 characters (ReadStat cuts it silently to the v5 field), a width or decimals over 32767 (ReadStat
wraps them into the 16-bit field), a ``$`` format on a numeric column or a numeric one on a text
column, a format for a column the frame lacks (ReadStat ignores it). It accepts what ReadStat's
grammar refuses only for 2-character names (``IB8.``, ``PD4.``, ``$AB5.``), which the grammar
lacks by a slip (its name is 1 or at least 3 characters).

Streaming (:class:`XportV5Writer`): the headers hold each text column's width, so a file written
part by part needs the widths of the whole columns first (:func:`text_width` of a part; the
largest over the parts is the whole column's); the records are then appended part by part with
the bytes :func:`write_xport_v5` writes for the concatenated parts (the same code). When the
widths are known only at the end, stretches of parts written with the widths known so far are
joined by :meth:`XportV5Writer.append_file`, which pads each text field to the final width.

Dates: a ``datetime64`` column is written as SAS dates, float days since 1960-01-01 (NaT = the
'.' missing value), with format ``DATE`` (width 0) unless ``variable_format`` names one ("" =
none): the same bytes pyreadstat writes for that column as ``datetime.date`` objects
(``series.dt.date``). pyreadstat itself writes a ``datetime64`` column as SAS *datetime* seconds
(format ``DATETIME``; with ``DATE9.`` it keeps the seconds), so that is not the reference. Refused
on a date column: a time of day other than midnight, a time zone, a ``$`` format or a
datetime/time format (``DATETIME``, ``DT...``, ``TIME``, ``TOD``, ``HHMM``): SAS datetimes are
not needed here. Where pyreadstat cannot tell a date column (no rows: it writes text; all NaT:
datetime), this writer still writes a numeric date column.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from cartrial.data.xport_header import RECORD_LEN, _head, _namestr_formats, _stamp
from cartrial.data.xport_thread import ThreadedFile, Turns
from cartrial.data.xport_values import (
    CHUNK_ROWS,
    MISSING_BYTES,
    _fill_text,
    _numeric_values,
    _Text,
    ibm_from_ieee,
    text_width,
)
from cartrial.errors import InputError

BUFFER_BYTES = 16 << 20  # the records of a chunk are built in a buffer of at most this size

__all__ = ["CHUNK_ROWS", "XportV5Writer", "ibm_from_ieee", "text_width", "times_of_day",
           "write_xport_v5"]

SAS_EPOCH_DAYS = 3653  # 1960-01-01 -> 1970-01-01 in days


def _kind(name: str, s: pd.Series) -> str:
    """"num", "date" (datetime64 without time zone) or "text"; InputError for anything else."""
    dtype = s.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return "num"
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        return "date"
    if isinstance(dtype, pd.StringDtype) or pd.api.types.is_object_dtype(dtype):
        return "text"
    raise InputError(f"column {name!r}: dtype {dtype} is neither numeric, date nor text; XPORT "
                     "v5 takes float, datetime64 (dates) and str columns only")


def _day_ticks(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.int64]:
    """datetime64 values as int64 ticks, their NaT mask and the ticks in one day (integer
    arithmetic: numpy's cast to datetime64[D] overflows at the start of the ns range)."""
    v = s.to_numpy()
    unit, count = np.datetime_data(v.dtype)
    per_day = np.int64(np.timedelta64(1, "D") // np.timedelta64(count, unit))
    return v.view(np.int64), np.isnat(v), per_day


def _coded_numbers(column: str, codes: np.ndarray, values: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """A number column given as codes into its distinct values (code -1: missing): the codes
    and the IBM double of each value (:func:`ibm_from_ieee`; the last one the missing value's,
    which code -1 picks). InputError for codes that are not integers."""
    if not np.issubdtype(codes.dtype, np.integer):
        raise InputError(f"column {column!r}: coded numbers need integer codes, not "
                         f"{codes.dtype}")
    return codes, ibm_from_ieee(np.append(values.astype(np.float64), np.nan))


def _sas_days(s: pd.Series) -> np.ndarray:
    """datetime64 (whole days) -> float days since 1960-01-01, NaT -> NaN."""
    ticks, nat, per_day = _day_ticks(s)
    out = (ticks // per_day).astype(np.float64) + SAS_EPOCH_DAYS
    out[nat] = np.nan
    return out


def times_of_day(s: pd.Series) -> np.ndarray:
    """Which values of a ``datetime64`` column (no time zone) have a time of day, which a SAS
    date cannot hold (NaT has none).

    Examples
    --------
    >>> times_of_day(pd.Series(pd.to_datetime(["2024-01-02 10:30", "2024-01-02 00:00", None])))
    array([ True, False, False])
    """
    ticks, nat, per_day = _day_ticks(s)
    return ~nat & (ticks % per_day != 0)


def _check_dates(name: str, s: pd.Series) -> None:
    off = times_of_day(s)
    if off.any():
        raise InputError(f"column {name!r}: {int(off.sum())} value(s) with a time of day (first "
                         f"{s.to_numpy()[off][0]}); XPORT dates are whole days (SAS datetimes "
                         "are not written)")


_KINDS = ("num", "date", "text")


class XportV5Writer:
    """A SAS XPORT v5 file written part by part: the headers when opened, each part's records by
    :meth:`write`, the blank padding of the last record by :meth:`close` (a context manager).

    The bytes are those :func:`write_xport_v5` writes for the concatenated parts, which must
    have the columns in the order given, each of its ``kinds`` ("num": numbers, "date":
    ``datetime64`` at midnight, "text": str; see :func:`write_xport_v5`) and text no wider than
    ``text_widths`` (column -> bytes, for the text columns; :func:`text_width` of the whole
    column is the maximum of its parts'). A part that breaks this raises InputError, and a file
    whose writing fails (also in the ``with`` block) is removed, never left incomplete.

    ``threaded=True``: the bytes are written by a second thread
    (:class:`cartrial.data.xport_thread.ThreadedFile`) while the next records are encoded, in
    two record buffers taking turns (the same bytes; an error in writing is raised by the next
    :meth:`write` or :meth:`close`).
    """

    def __init__(self, path: str | Path, *, table_name: str, file_label: str,
                 columns: Sequence[str], column_labels: Sequence[str], kinds: Sequence[str],
                 text_widths: Mapping[str, int] | None = None,
                 variable_format: Mapping[str, str] | None = None,
                 created: datetime | None = None, chunk_rows: int = CHUNK_ROWS,
                 threaded: bool = False) -> None:
        self.columns = [str(c) for c in columns]
        labels = list(column_labels)
        self.kinds = list(kinds)
        if not len(labels) == len(self.kinds) == len(self.columns):
            raise InputError(f"{len(labels)} column labels and {len(self.kinds)} kinds for "
                             f"{len(self.columns)} columns")
        bad = sorted({k for k in self.kinds if k not in _KINDS})
        if bad:
            raise InputError(f"column kinds {bad} are not one of {list(_KINDS)}")
        formats = _namestr_formats(self.columns, self.kinds, variable_format)
        given = dict(text_widths or {})
        widths = []
        for c, kind in zip(self.columns, self.kinds, strict=True):
            if kind == "text" and int(given.get(c, 0)) < 1:
                raise InputError(f"column {c!r}: a text column needs a width >= 1 "
                                 f"(text_widths gives {given.get(c)!r})")
            widths.append(int(given[c]) if kind == "text" else 8)
        self.widths = widths
        self._offsets = np.concatenate([[0], np.cumsum(widths)]).astype(int).tolist()
        self._chunk_rows = chunk_rows
        self._path = Path(path)
        self.n_rows = 0
        head = _head(table_name, file_label, self.columns, labels, self.kinds, widths, formats,
                     self._offsets, _stamp(created))
        self._data_start = len(head)  # the same in every file with this many columns
        # closed by close() or __exit__
        self._file = ThreadedFile(self._path) if threaded else open(self._path, "wb")
        self._turns = Turns(self._file)  # the records of a chunk (_write_rows)
        self._file.write(head)

    def write(self, part: pd.DataFrame, coded: Mapping[str, np.ndarray] | None = None) -> None:
        """Append the records of ``part`` (columns, kinds and widths as declared).

        ``coded``: columns that ``part`` holds as integer codes, column -> its distinct values:
        str for a text column (row ``i`` is ``values[codes[i]]``, code -1: the last value),
        floats for a number column (code -1: missing); each distinct value is encoded once
        (issue #18: a large ADLB's numbers repeat a few thousand values per batch). The others
        hold their values."""
        cols = [str(c) for c in part.columns]
        if cols != self.columns:
            raise InputError(f"part has columns {cols}, the file {self.columns}")
        coded = coded or {}
        text, numbers = {}, {}
        for j, c in enumerate(cols):
            if c in coded:
                values = np.asarray(coded[c])
                if self.kinds[j] == "num" and values.dtype.kind == "f":
                    numbers[j] = _coded_numbers(c, part.iloc[:, j].to_numpy(), values)
                    continue
                if self.kinds[j] != "text":
                    raise InputError(f"column {c!r}: coded text for a {self.kinds[j]} column")
                text[j] = _Text.coded(part.iloc[:, j].to_numpy(), values, self.widths[j], c)
                continue
            kind = _kind(c, part.iloc[:, j])
            if kind != self.kinds[j]:
                raise InputError(f"column {c!r}: a {kind} column in a part of a {self.kinds[j]} "
                                 "column")
            if kind == "date":
                _check_dates(c, part.iloc[:, j])
        self._write_rows(part, text, numbers)

    def append_file(self, path: str | Path, *, kinds: Sequence[str],
                    text_widths: Mapping[str, int], n_rows: int) -> None:
        """Append the ``n_rows`` records of the file at ``path``, written by an
        :class:`XportV5Writer` with this file's columns but its own ``kinds`` and
        ``text_widths`` (no wider than this file's): each text value blank-padded to this
        file's width, a column of another kind as this kind's missing values, which is all it
        may hold there (InputError otherwise: never a value dropped). The records are copied as
        they are when the two layouts are the same.

        For a file whose text widths grow while it is written (the widths of the whole columns
        unknown until the end): each stretch of rows is written with the widths known so far,
        the stretches are then joined here, with the bytes of one file written whole."""
        kinds = list(kinds)
        if len(kinds) != len(self.kinds):
            raise InputError(f"{len(kinds)} kinds for {len(self.kinds)} columns")
        widths = [int(text_widths[c]) if k == "text" else 8
                  for c, k in zip(self.columns, kinds, strict=True)]
        wider = [c for c, k, w, ours, our_w in zip(self.columns, kinds, widths, self.kinds,
                                                  self.widths, strict=True)
                 if k == ours == "text" and w > our_w]
        if wider:
            raise InputError(f"column(s) {wider}: wider in {path} than in this file")
        offsets = np.concatenate([[0], np.cumsum(widths)]).astype(int).tolist()
        size, ours = offsets[-1], self._offsets[-1]
        same = kinds == self.kinds and widths == self.widths
        rows = max(1, (1 << 24) // ours)  # about 16 MiB at a time
        with open(path, "rb") as f:
            expected = self._data_start + n_rows * size
            expected += -expected % RECORD_LEN
            if (found := os.fstat(f.fileno()).st_size) != expected:
                raise InputError(f"{path}: {found} bytes, not the {expected} of {n_rows} "
                                 f"records of {size} bytes")
            f.seek(self._data_start)
            for start in range(0, n_rows, rows):
                k = min(rows, n_rows - start)
                src = np.frombuffer(f.read(k * size), dtype=np.uint8)
                if not same:
                    src = self._widen(src.reshape(k, size), kinds, offsets, path)
                self._file.write(src)
        self.n_rows += n_rows

    def _widen(self, src: np.ndarray, kinds: list[str], offsets: list[int], path: str | Path
               ) -> np.ndarray:
        """Records (``uint8`` rows) of another layout in this file's (:meth:`append_file`)."""
        out = np.full((len(src), self._offsets[-1]), 32, dtype=np.uint8)  # blanks
        for j, (kind, ours) in enumerate(zip(kinds, self.kinds, strict=True)):
            field = src[:, offsets[j]:offsets[j + 1]]
            at = self._offsets[j]
            if (kind == "text") == (ours == "text"):
                out[:, at:at + field.shape[1]] = field  # a date and a number: the same bytes
                continue
            missing = MISSING_BYTES if kind != "text" else b" "
            if not (field == np.frombuffer(missing * (field.shape[1] // len(missing)),
                                           dtype=np.uint8)).all():
                raise InputError(f"column {self.columns[j]!r}: {kind} values in {path}, where "
                                 f"this file has a {ours} column")
            if ours != "text":
                out[:, at:at + 8] = np.frombuffer(MISSING_BYTES, dtype=np.uint8)
        return out

    def _write_rows(self, df: pd.DataFrame, text: Mapping[int, _Text],
                    numbers: Mapping[int, tuple[np.ndarray, np.ndarray]] | None = None
                    ) -> None:
        """Records of ``df``, ``chunk_rows`` at a time; ``text`` holds prepared text columns
        of ``df`` (:class:`_Text`, the whole-frame fast path), ``numbers`` number columns as
        codes into their IBM doubles (:func:`_coded_numbers`), the others are encoded here."""
        numbers = numbers or {}
        # the records as a structured array: field j holds column j's bytes at its offset
        # (big-endian uint64 for numbers, void for text), so a column is one strided copy
        record = np.dtype({"names": [f"f{j}" for j in range(len(self.kinds))],
                           "formats": [">u8" if kind != "text" else np.dtype((np.void, w))
                                       for kind, w in zip(self.kinds, self.widths, strict=True)],
                           "offsets": self._offsets[:-1], "itemsize": self._offsets[-1]})
        # one buffer of at most BUFFER_BYTES, kept for the file's chunks: a new buffer of tens
        # of MiB for every chunk of a large dataset is mapped and faulted in, page by page,
        # each time (analyze maps large blocks directly: cartrial._memory)
        step = max(1, min(self._chunk_rows, BUFFER_BYTES // record.itemsize))
        for start in range(0, len(df), step):
            part = df.iloc[start:start + step]
            # every field of every record is written below
            buf = self._turns.next(record, min(step, len(df)))[:len(part)]
            for j, kind in enumerate(self.kinds):
                s, field = part.iloc[:, j], buf[f"f{j}"]
                if j in numbers:
                    codes, ibm = numbers[j]
                    field[...] = ibm[codes[start:start + len(part)]]  # (cast as for the rest)
                elif kind != "text":
                    values = _sas_days(s) if kind == "date" else _numeric_values(s)
                    field[...] = ibm_from_ieee(values)  # cast to big-endian as it is copied
                elif j in text:
                    text[j].fill(field, s, start)
                else:
                    _fill_text(field, self.widths[j], s)
            self._turns.sent(self._file.write(buf.view(np.uint8)))
        self.n_rows += len(df)

    def close(self) -> None:
        """Pad the last record with blanks and close the file (again: nothing); a thread's
        error in writing is raised here, if not before."""
        if not self._file.closed:
            self._file.write(b" " * (-(self.n_rows * self._offsets[-1]) % RECORD_LEN))
            self._file.close()
        self._turns.clear()

    def __enter__(self) -> XportV5Writer:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
            return
        if isinstance(self._file, ThreadedFile):
            self._file.abort()
        else:
            self._file.close()
        self._turns.clear()
        self._path.unlink(missing_ok=True)


def write_xport_v5(df: pd.DataFrame, path: str | Path, *, table_name: str, file_label: str,
                   column_labels: Sequence[str], created: datetime | None = None,
                   chunk_rows: int = CHUNK_ROWS,
                   variable_format: Mapping[str, str] | None = None) -> None:
    """Write ``df`` as a SAS XPORT v5 file, byte-identical to ``pyreadstat.write_xport(df, path,
    file_label=..., column_labels=..., table_name=..., file_format_version=5)`` apart from the
    timestamp, which is ``created`` (the Unix epoch when None, so output is deterministic).

    Columns are numeric (NaN = missing), text (str; "", None, NaN and pd.NA = blank) or
    ``datetime64`` dates at midnight (SAS dates; NaT = missing). ``variable_format`` maps column
    names to SAS formats ("DATE9.", "BEST12.", "$20."), written as pyreadstat writes them with the
    same argument (module docstring: what is refused). Names and labels are not validated here
    (see ``cartrial.data.write.xpt_v5_name_problems``); they are cut to their fields. Rows are
    converted ``chunk_rows`` at a time, so memory stays bounded.
    """
    columns = [str(c) for c in df.columns]
    labels = list(column_labels)
    if len(labels) != len(columns):
        raise InputError(f"{len(labels)} column labels for {len(columns)} columns")
    kinds = [_kind(c, df.iloc[:, j]) for j, c in enumerate(columns)]
    _namestr_formats(columns, kinds, variable_format)  # refused before anything else is done
    for j, kind in enumerate(kinds):
        if kind == "date":
            _check_dates(columns[j], df.iloc[:, j])
    text = {j: _Text(df.iloc[:, j], chunk_rows) for j, kind in enumerate(kinds) if kind == "text"}
    with XportV5Writer(path, table_name=table_name, file_label=file_label, columns=columns,
                       column_labels=labels, kinds=kinds,
                       text_widths={columns[j]: t.width for j, t in text.items()},
                       variable_format=variable_format, created=created,
                       chunk_rows=chunk_rows) as w:
        w._write_rows(df, text)
