"""ADaM datasets as CSV text: integers without ".0", floats to 10 significant digits, dates as
YYYY-MM-DD, missing as empty, QUOTE_MINIMAL quoting with "\\n" line ends.

The conventions are those of :mod:`cartrial.data.write`, implemented column-wise here because the
analysis datasets are large (ADLB: millions of rows for a large trial) and a per-value Python
call dominates the run time. Used by :func:`cartrial.adam.write.write_adam`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from cartrial.adam.column_profile import distinct
from cartrial.data.text import factorize_text
from cartrial.data.xport_thread import ThreadedFile


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
    if frac.any():  # Python's own formatting, value by value: twice as fast as np.char.mod
        text[:-1][frac] = [f"{v:.10g}" for v in uniq[frac].tolist()]
    inf = np.isinf(uniq)
    if inf.any():
        text[:-1][inf] = np.where(uniq[inf] > 0, "inf", "-inf")
    return codes, text


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

    Same text as pandas' ``to_csv`` (QUOTE_MINIMAL, "\\n"), joined in C by ``str.join`` over
    the column arrays, which is 3x faster for a dataset of millions of rows.

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
    return _csv_text(df, {})


Coded = dict[str, tuple[np.ndarray, np.ndarray]]


def _csv_text(df: pd.DataFrame, coded: Coded) -> str:
    """:func:`adam_csv_text`; ``coded``: :func:`coded_text` of some columns, already made."""
    cols: list[np.ndarray | tuple[np.ndarray, np.ndarray]] = []  # text, or (codes, texts)
    for c in df.columns:
        s = df[c]
        ct = coded[c] if c in coded else coded_text(s)
        if ct is None:  # objects other than str, value by value
            cols.append(_csv_quoted(as_text(s).to_numpy(dtype=object)))
            continue
        codes, values = ct
        # numbers and dates never need quotes; text is quoted once per distinct value
        cols.append((codes, values if is_number(s) or pd.api.types.is_datetime64_any_dtype(s)
                     else _csv_quoted(values)))
    if len(cols) < 2:  # the csv module quotes a lone empty field: keep its exact rules
        plain = [as_text(df[c]) if not is_number(df[c]) else _numbers_as_text(df[c])
                 for c in df.columns]
        return pd.DataFrame(dict(zip(df.columns, plain, strict=True)), index=df.index).to_csv(
            index=False, lineterminator="\n")
    header = ",".join(_csv_quoted(np.asarray([str(c) for c in df.columns], dtype=object)))
    body = "\n".join(map(",".join, zip(*_joined_runs(cols, len(df)), strict=True)))
    return f"{header}\n{body}\n" if len(df) else f"{header}\n"


_RUN_RATIO = 16


def _joined_runs(cols: list, n_rows: int) -> list[np.ndarray]:
    """The columns' field texts with runs of neighbouring coded columns (``(codes, texts)``)
    joined by "," once per distinct combination of their values, while a run has at most half
    as many combinations as rows: each row then has fewer fields to join (an ADLB batch: 35
    columns in about 15 runs). Same text as joining the columns one by one."""
    out: list[np.ndarray] = []
    run: tuple[np.ndarray, np.ndarray] | None = None  # codes (>= 0) and texts of the run
    for col in [*cols, None]:
        if isinstance(col, tuple):
            codes, texts = col[0] % len(col[1]), col[1]  # -1 (missing) -> the last text, ""
            if run is not None:
                combined, uniq = pd.factorize(run[0] * len(texts) + codes)
                if len(uniq) <= n_rows // _RUN_RATIO:
                    run = combined, run[1][uniq // len(texts)] + "," + texts[uniq % len(texts)]
                    continue
                out.append(run[1][run[0]])
            run = codes, texts
            continue
        if run is not None:
            out.append(run[1][run[0]])
            run = None
        if col is not None:
            out.append(col)
    return out


#: Rows of CSV text made at a time: a chunk's text (and its UTF-8 bytes) of a large dataset is
#: a few MiB (ADLB: ~170 bytes a row), below the size from which a large trial's analyze maps
#: blocks directly (cartrial._memory: 14 MiB at 10,000 patients), so the heap reuses its pages
#: instead of each chunk's being faulted in anew (100,000 rows: ~17 MiB, twice).
CHUNK_ROWS = 32_768


def csv_chunks(df: pd.DataFrame, chunk_rows: int = CHUNK_ROWS, header: bool = True,
               coded: Coded | None = None) -> Iterator[str]:
    """:func:`adam_csv_text` of ``df`` in row chunks (with the header line only when asked);
    ``coded``: :func:`coded_text` of some of its columns, already made (the XPT writer shares
    them)."""
    for i, start in enumerate(range(0, max(len(df), 1), chunk_rows)):
        part = {c: (codes[start:start + chunk_rows], values)
                for c, (codes, values) in (coded or {}).items()}
        text = _csv_text(df.iloc[start:start + chunk_rows], part)
        yield text if header and i == 0 else text.split("\n", 1)[1]


def write_chunks(f: ThreadedFile, chunks: Iterable[str]) -> None:
    """The UTF-8 bytes of each text chunk handed to ``f``'s thread in turn: the bytes a text
    file opened with ``encoding="utf-8", newline=""`` writes (the encoding, as strict, here;
    the writing on the second core, issue #18).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "a.csv"
    >>> with ThreadedFile(path) as f:
    ...     write_chunks(f, ["A,B\\n", "1,\u00e9\\n"])
    >>> path.read_bytes()
    b'A,B\\n1,\\xc3\\xa9\\n'
    """
    for text in chunks:
        f.write(text.encode("utf-8"))


def write_adam_csv(df: pd.DataFrame, path: Path, chunk_rows: int = CHUNK_ROWS) -> None:
    """:func:`adam_csv_text` written in row chunks (a large dataset is never one string), by a
    second thread (:func:`write_chunks`)."""
    with ThreadedFile(path) as f:
        write_chunks(f, csv_chunks(df, chunk_rows))
