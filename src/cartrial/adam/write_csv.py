"""ADaM datasets as CSV text: integers without ".0", floats to 10 significant digits, dates as
YYYY-MM-DD, missing as empty, QUOTE_MINIMAL quoting with "\\n" line ends.

The conventions are those of :mod:`cartrial.data.write`, implemented column-wise here because the
analysis datasets are large (ADLB: millions of rows for a large trial) and a per-value Python
call dominates the run time. Used by :func:`cartrial.adam.write.write_adam`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from cartrial.adam.column_profile import distinct
from cartrial.data.text import factorize_text
from cartrial.data.xport_thread import ThreadedFile, Turns
from cartrial.data.xport_values import void_rows


def _numbers_coded(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, values) of a numeric column's text (``values[codes]``, missing -> code -1 -> the
    last value ""): the text of ``cartrial.data.write._fmt_number``, formatted once per distinct
    number (a batch of ADLB holds a few thousand distinct numbers in ~90,000 rows)."""
    codes, uniq = pd.factorize(s.to_numpy(dtype=float), use_na_sentinel=True)  # NaN -> -1
    text = np.full(len(uniq) + 1, "", dtype=object)
    ok = np.isfinite(uniq)
    whole = ok & (np.abs(uniq) < 1e15) & (uniq == np.round(uniq))
    text[:-1][whole] = uniq[whole].astype(np.int64).astype(str)
    frac = ok & ~whole
    if frac.any():
        text[:-1][frac] = fractions_text(uniq[frac])
    inf = np.isinf(uniq)
    if inf.any():
        text[:-1][inf] = np.where(uniq[inf] > 0, "inf", "-inf")
    return codes, text


def fractions_text(values: np.ndarray) -> list[str]:
    """``f"{v:.10g}"`` of each finite float (the foundation's formula), made by one
    ``%``-formatting of all of them as lines, then split: Python's own formatting of each value
    (``%.10g`` and ``format(v, ".10g")`` are one C routine) without a Python call per value
    (2.6 times as fast as a list comprehension; 3.5 times as fast as ``np.char.mod``). No text
    of a number holds a line end.

    Examples
    --------
    >>> fractions_text(np.array([0.5, 1 / 3, -2.5e-12, 12345678901.5]))
    ['0.5', '0.3333333333', '-2.5e-12', '1.23456789e+10']
    """
    numbers = tuple(values.tolist())
    return (("%.10g\n" * len(numbers)) % numbers).split("\n")[:-1]


def _numbers_as_text(s: pd.Series) -> np.ndarray:
    """Same text as ``cartrial.data.write._fmt_number``, vectorised."""
    codes, text = _numbers_coded(s)
    return text[codes]


def is_number(s: pd.Series) -> bool:
    """A column written as numbers (numeric and not boolean)."""
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def coded_text(s: pd.Series, codes: tuple[np.ndarray, np.ndarray] | None = None
               ) -> tuple[np.ndarray, np.ndarray] | None:
    """The CSV text of a column (before quoting) as ``(codes, values)``: row ``i`` is
    ``values[codes[i]]``, missing rows have code -1, which picks the last value "". Each
    distinct value is converted once. None for a boolean column and for one holding objects
    other than str (their text is :func:`as_text`'s, value by value). The order of the
    distinct values is not the order of first appearance. ``codes``: of an object column,
    :func:`cartrial.adam.column_profile.distinct` of its values, when already made."""
    if is_number(s):
        return _numbers_coded(s)
    if pd.api.types.is_datetime64_any_dtype(s):
        codes, uniq = pd.factorize(s)  # NaT -> -1
        return codes, np.append(pd.DatetimeIndex(uniq).strftime("%Y-%m-%d").to_numpy(
            dtype=object), "")
    if pd.api.types.is_bool_dtype(s):
        return None
    # NUL-safe; None, NaN, pd.NA -> -1; each repeated object hashed once (ADLB's text)
    codes, uniq = distinct(s.to_numpy(dtype=object)) if codes is None else codes
    if pd.api.types.infer_dtype(uniq, skipna=True) not in ("string", "empty"):
        return None
    return codes, np.append(uniq, "").astype(object)


def as_text(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.map({True: "Y", False: ""}).astype(object)
    if pd.api.types.is_datetime64_any_dtype(s):
        codes, uniq = pd.factorize(s)  # few distinct dates: format each once
        text = np.append(pd.DatetimeIndex(uniq).strftime("%Y-%m-%d").to_numpy(dtype=object), "")
        return pd.Series(text[codes], index=s.index, dtype=object)
    arr = s.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(arr, skipna=True) in ("string", "empty"):
        # text (or nothing): what the line below gives, without pandas' per-column passes
        return pd.Series(np.where(pd.isna(arr), "", arr), index=s.index, dtype=object)
    return s.astype(object).where(s.notna(), "").astype(str)


# what Python's csv module quotes with lineterminator "\n" (a lone "\r" is not quoted)
_NEEDS_QUOTES = r'[,"\n]'


def _csv_quoted(values: np.ndarray) -> np.ndarray:
    """csv.QUOTE_MINIMAL quoting (as pandas' to_csv), decided once per distinct value; a
    column of text none of whose values holds a comma, a quote or a line end (three searches
    of the joined text) is returned as it is."""
    try:
        joined = "".join(values)
        if "," not in joined and '"' not in joined and "\n" not in joined:
            return values
    except TypeError:  # not all text: decided value by value below
        pass
    codes, uniq = factorize_text(values)
    u = pd.Series(uniq, dtype=object)
    need = u.str.contains(_NEEDS_QUOTES, regex=True).to_numpy(dtype=bool)
    if not need.any():
        return values
    u[need] = '"' + u[need].str.replace('"', '""', regex=False) + '"'
    return u.to_numpy(dtype=object)[codes]


def adam_csv_text(df: pd.DataFrame) -> str:
    """Deterministic CSV text of an analysis dataset (the conventions of
    :mod:`cartrial.adam.write_csv`).

    Same text as pandas' ``to_csv`` (QUOTE_MINIMAL, "\\n"), built as padded records of each
    column's distinct field texts and the padding removed (:func:`csv_chunks`), many times
    faster than pandas for a dataset of millions of rows.

    Parameters
    ----------
    df : pandas.DataFrame
        An analysis dataset; dates are written ``YYYY-MM-DD``, missing values empty.

    Returns
    -------
    str
        The CSV text (byte-identical for the same data).

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": ["S1", "S2"], "AVAL": [1.0, 2.5],
    ...                    "ADT": pd.to_datetime(["2024-03-10", None])})
    >>> adam_csv_text(df)
    'USUBJID,AVAL,ADT\\nS1,1,2024-03-10\\nS2,2.5,\\n'
    """
    return b"".join(csv_chunks(df)).decode("utf-8")


Coded = dict[str, tuple[np.ndarray, np.ndarray]]


def _csv_text(df: pd.DataFrame, coded: Coded) -> str:
    """:func:`adam_csv_text` joined by ``str.join``: the text of a dataset that
    :func:`csv_chunks` does not build as padded records (one column, or text with a NUL);
    ``coded``: :func:`coded_text` of some columns, already made."""
    cols = []
    for c in df.columns:
        s = df[c]
        ct = coded[c] if c in coded else coded_text(s)
        if ct is None:  # objects other than str, value by value
            cols.append(_csv_quoted(as_text(s).to_numpy(dtype=object)))
            continue
        codes, values = ct
        # numbers and dates never need quotes; text is quoted once per distinct value
        cols.append((values if is_number(s) or pd.api.types.is_datetime64_any_dtype(s)
                     else _csv_quoted(values))[codes])
    if len(cols) < 2:  # the csv module quotes a lone empty field: keep its exact rules
        plain = [as_text(df[c]) if not is_number(df[c]) else _numbers_as_text(df[c])
                 for c in df.columns]
        return pd.DataFrame(dict(zip(df.columns, plain, strict=True)), index=df.index).to_csv(
            index=False, lineterminator="\n")
    body = "\n".join(map(",".join, zip(*cols, strict=True)))
    return f"{_header(df)}{body}\n" if len(df) else _header(df)


def _header(df: pd.DataFrame) -> str:
    return ",".join(_csv_quoted(np.asarray([str(c) for c in df.columns], dtype=object))) + "\n"


#: the padding byte of the fields of a padded record, removed from the records: never a byte
#: of UTF-8 text
_PAD = 0xFF
#: bytes of padded records built at a time, in one buffer: below the size from which a large
#: trial's analyze maps blocks directly (cartrial._memory: 14 MiB at 10,000 patients), so the
#: heap reuses its pages instead of each chunk's being faulted in anew
_RECORD_BYTES = 8 << 20


def _field_table(texts: np.ndarray, end: int) -> np.ndarray | None:
    """``uint8`` rows: each text's UTF-8 bytes and the byte ``end`` ("," or line end), padded
    with :data:`_PAD` to the longest; None when a text holds a NUL (numpy's fixed-width bytes
    cannot tell it from their padding)."""
    if "\x00" in "".join(texts):
        return None
    fixed = np.asarray(texts, dtype=object).astype(np.str_)
    try:
        enc = fixed.astype(np.bytes_)  # ASCII: in C
    except UnicodeEncodeError:
        enc = np.char.encode(fixed, "utf-8")
    n, width = len(enc), enc.dtype.itemsize
    table = np.full((n, width + 1), _PAD, dtype=np.uint8)
    raw = table[:, :width]
    raw[...] = enc.view(np.uint8).reshape(n, width)
    raw[raw == 0] = _PAD  # numpy's padding (no NUL in the text)
    table[np.arange(n), np.char.str_len(enc)] = end
    return table


def _csv_fields(df: pd.DataFrame, coded: Coded) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Each column of ``df`` as codes (-1: the last row) into the :func:`_field_table` of its
    quoted field texts, the last column's ending the line; None for a frame of fewer than two
    columns (the csv module's own rules for a lone empty field) or with a NUL in a text."""
    if df.shape[1] < 2:
        return None
    fields = []
    for j, c in enumerate(df.columns):
        s = df.iloc[:, j]
        ct = coded[c] if c in coded else coded_text(s)
        if ct is None:  # objects other than str: their text, then coded
            codes, values = factorize_text(_csv_quoted(as_text(s).to_numpy(dtype=object)))
        else:  # numbers and dates never need quotes; text is quoted once per distinct value
            codes, values = ct
            if not (is_number(s) or pd.api.types.is_datetime64_any_dtype(s)):
                values = _csv_quoted(values)
        table = _field_table(values, ord("\n") if j == df.shape[1] - 1 else ord(","))
        if table is None:
            return None
        fields.append((codes, table))
    return fields


class _PaddedRows:
    """CSV lines built as fixed-width records, each field padded with :data:`_PAD`, one
    gather per column into a buffer of at most :data:`_RECORD_BYTES`; the padding removed then
    (one vectorised pass instead of a ``str.join`` per row: issue #18, ADLB's millions of
    rows)."""

    def __init__(self, fields: list[tuple[np.ndarray, np.ndarray]], chunk_rows: int) -> None:
        self._codes = [codes for codes, _ in fields]
        self._tables = [void_rows(table) for _, table in fields]
        widths = [table.shape[1] for _, table in fields]
        offsets = np.concatenate([[0], np.cumsum(widths)]).astype(int).tolist()
        self.record = np.dtype({"names": [f"f{j}" for j in range(len(fields))],
                                "formats": [np.dtype((np.void, w)) for w in widths],
                                "offsets": offsets[:-1], "itemsize": offsets[-1]})
        self.rows = max(1, min(chunk_rows, _RECORD_BYTES // self.record.itemsize))

    def fill(self, buffer: np.ndarray, start: int) -> np.ndarray:
        """The padded records (``uint8``) of rows ``start`` to ``start + rows``, built in
        ``buffer`` (of :attr:`record` items, at least as many as the rows)."""
        stop = start + self.rows
        buf = buffer[:len(self._codes[0][start:stop])]
        for j, (codes, table) in enumerate(zip(self._codes, self._tables, strict=True)):
            buf[f"f{j}"] = table[codes[start:stop]]  # every field of every record
        return buf.view(np.uint8)


#: Rows of CSV made at a time (at most; :data:`_RECORD_BYTES` of padded records).
CHUNK_ROWS = 32_768


def _text_chunks(df: pd.DataFrame, chunk_rows: int, header: bool, coded: Coded
                 ) -> Iterator[bytes]:
    """:func:`csv_chunks` of a frame :func:`_csv_fields` does not take, joined as text."""
    for i, start in enumerate(range(0, max(len(df), 1), chunk_rows)):
        part = {c: (codes[start:start + chunk_rows], values)
                for c, (codes, values) in coded.items()}
        text = _csv_text(df.iloc[start:start + chunk_rows], part)
        yield (text if header and i == 0 else text.split("\n", 1)[1]).encode("utf-8")


def csv_chunks(df: pd.DataFrame, chunk_rows: int = CHUNK_ROWS, header: bool = True,
               coded: Coded | None = None) -> Iterator[bytes | np.ndarray]:
    """The UTF-8 bytes of :func:`adam_csv_text` of ``df`` (bytes or ``uint8`` arrays) in row
    chunks, with the header line only when asked; ``coded``: :func:`coded_text` of some of
    its columns, already made (the XPT writer shares them).

    Examples
    --------
    >>> df = pd.DataFrame({"T": ["a,b", None], "X": [1.0, 2.5]})
    >>> b"".join(csv_chunks(df, chunk_rows=1)).decode()
    'T,X\\n"a,b",1\\n,2.5\\n'
    """
    fields = _csv_fields(df, coded or {})
    if fields is None:
        yield from _text_chunks(df, chunk_rows, header, coded or {})
        return
    if header:
        yield _header(df).encode("utf-8")
    body = _PaddedRows(fields, chunk_rows)
    buffer = np.empty(min(body.rows, len(df)), dtype=body.record)  # kept for the chunks
    for start in range(0, len(df), body.rows):
        raw = body.fill(buffer, start)
        yield raw[raw != _PAD]


def write_csv(f: ThreadedFile, df: pd.DataFrame, *, header: bool = True,
              coded: Coded | None = None, chunk_rows: int = CHUNK_ROWS) -> None:
    """The bytes of :func:`csv_chunks` written to ``f``: the padded records handed to its
    thread, which removes the padding and writes them on the second core (issue #18), in
    two buffers taking turns (:class:`cartrial.data.xport_thread.Turns`).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "a.csv"
    >>> with ThreadedFile(path) as f:
    ...     write_csv(f, pd.DataFrame({"A": ["x", None], "B": ["\u00e9", "y"]}))
    >>> path.read_bytes()
    b'A,B\\nx,\\xc3\\xa9\\n,y\\n'
    """
    fields = _csv_fields(df, coded or {})
    if fields is None:
        for chunk in _text_chunks(df, chunk_rows, header, coded or {}):
            f.write(chunk)
        return
    if header:
        f.write(_header(df).encode("utf-8"))
    body, turns = _PaddedRows(fields, chunk_rows), Turns(f)
    for start in range(0, len(df), body.rows):
        raw = body.fill(turns.next(body.record, min(body.rows, len(df))), start)
        turns.sent(f.write(raw, drop=_PAD))


def write_adam_csv(df: pd.DataFrame, path: Path, chunk_rows: int = CHUNK_ROWS) -> None:
    """:func:`adam_csv_text` written in row chunks (a large dataset is never one string), with
    a second thread (:func:`write_csv`)."""
    with ThreadedFile(path) as f:
        write_csv(f, df, chunk_rows=chunk_rows)
