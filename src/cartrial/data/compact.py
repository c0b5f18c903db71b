"""A large domain held dictionary-encoded while only row batches of it are read (issue #18).

Why: memory. A loaded text column is a pointer (8 bytes) per record to one shared Python
string per distinct value; a float column is 8 bytes per record. A large LB (3.4 million
records at 10,000 patients, 24 variables) is about 650 MiB so, yet it holds a few thousand
distinct values per variable. :class:`CompactFrame` keeps each such column as integer codes of
the smallest signed type (1 or 2 bytes for most variables) plus its distinct values, and gives
back any set of rows as the very frame ``df.iloc[rows]`` would be: same columns in the same
order, same dtypes (text stays ``pd.StringDtype("python")``, floats stay ``float64`` bit for bit:
numbers are encoded by their bit patterns, so ``-0.0`` and every NaN are kept as they were), same
index labels. A consumer that reads the domain batch by batch (ADLB, derived and written 250
subjects at a time) therefore gets the same input, and writes the same bytes, as from the frame.

This is dictionary encoding (what a pandas categorical or an Arrow dictionary array is) kept
out of sight of the consumers: pandas treats categorical columns differently (groupby lists
unobserved categories, ``map`` keeps the categorical dtype, setting a value outside the
categories raises), so the frames handed out are the ordinary ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartrial.data.text import factorize_text

_TEXT = pd.StringDtype("python")


def _codes(codes: np.ndarray, n_values: int) -> np.ndarray:
    """Codes in the smallest signed type holding ``-1 .. n_values - 1``."""
    return codes.astype(np.min_scalar_type(-n_values - 1), copy=False)


@dataclass(frozen=True)
class _Encoded:
    codes: np.ndarray          # per record; -1 = missing (text only)
    values: np.ndarray         # distinct values: object (text) or int64 bit patterns (float)
    text: bool

    def take(self, rows: np.ndarray) -> pd.api.extensions.ExtensionArray | np.ndarray:
        codes = self.codes[rows]
        if self.text:
            table = np.append(self.values, np.asarray([pd.NA], dtype=object))
            return pd.arrays.StringArray(table[codes])  # code -1 picks the trailing NA
        return self.values[codes].view(np.float64)


def _encode(s: pd.Series) -> _Encoded | None:
    """The column dictionary-encoded, or None where that would not hold it in less memory
    (or its dtype is neither Python-backed text nor float64: it is kept as it is)."""
    n = len(s)
    if s.dtype == _TEXT:
        codes, uniq = factorize_text(s.array._ndarray)  # NUL-safe (data.text.factorize_text)
        enc = _Encoded(_codes(codes, len(uniq)), np.asarray(uniq, dtype=object), True)
    elif s.dtype == np.float64:
        bits = s.to_numpy().view(np.int64)  # exact: each bit pattern is its own value
        codes, uniq = pd.factorize(bits, use_na_sentinel=False)
        enc = _Encoded(_codes(codes, len(uniq)), np.asarray(uniq, dtype=np.int64), False)
    else:
        return None
    held = enc.codes.nbytes + (enc.values.nbytes if not enc.text else 8 * len(enc.values))
    return enc if held < 8 * n else None


class CompactFrame:
    """A DataFrame held dictionary-encoded, read back by rows (module docstring).

    Parameters
    ----------
    df : pandas.DataFrame
        The frame; Python-backed text (``pd.StringDtype("python")``) and ``float64`` columns
        are encoded where that takes less memory, other columns are kept as they are.

    Examples
    --------
    >>> df = pd.DataFrame({"T": pd.array(["a", None, "a"], dtype=pd.StringDtype("python")),
    ...                    "X": [1.0, float("nan"), -0.0]}, index=[10, 11, 12])
    >>> held = CompactFrame(df)
    >>> len(held), held.columns
    (3, ['T', 'X'])
    >>> held.take([2, 0]).equals(df.iloc[[2, 0]])
    True
    """

    def __init__(self, df: pd.DataFrame) -> None:
        self.columns: list = list(df.columns)
        self._labels: pd.Index = df.columns
        self.index: pd.Index = df.index
        self.attrs: dict = dict(df.attrs)
        self._encoded: dict = {}
        self._plain: dict = {}
        for i in range(len(self.columns)):
            s = df.iloc[:, i]
            enc = _encode(s)
            if enc is None:  # a copy: a view would keep the frame's whole block alive
                self._plain[i] = s.copy()
            else:
                self._encoded[i] = enc

    def __len__(self) -> int:
        return len(self.index)

    def take(self, rows) -> pd.DataFrame:
        """The rows at these positions, as ``df.iloc[rows]`` of the frame given.

        Parameters
        ----------
        rows : array-like of int or bool
            0-based row positions, or a mask of as many values as rows.

        Returns
        -------
        pandas.DataFrame
            Same columns, dtypes and index labels as ``df.iloc[rows]``.

        Examples
        --------
        >>> held = CompactFrame(pd.DataFrame({"X": [0.5, 0.5, 2.0]}))
        >>> held.take([1, 2])["X"].tolist()
        [0.5, 2.0]
        """
        rows = np.asarray(rows)
        rows = np.flatnonzero(rows) if rows.dtype == bool else rows.astype(np.intp, copy=False)
        cols = {}
        for i in range(len(self.columns)):
            if i in self._encoded:
                cols[i] = self._encoded[i].take(rows)
            else:
                cols[i] = self._plain[i].array.take(rows)
        out = pd.DataFrame(cols, index=self.index[rows], copy=False)
        out.columns = self._labels
        out.attrs = dict(self.attrs)
        return out

    def column(self, name) -> pd.Series:
        """One whole column as the frame held it.

        Parameters
        ----------
        name : str
            The column.

        Returns
        -------
        pandas.Series

        Examples
        --------
        >>> CompactFrame(pd.DataFrame({"X": [1.0, 2.0]})).column("X").tolist()
        [1.0, 2.0]
        """
        i = self.columns.index(name)
        rows = np.arange(len(self), dtype=np.intp)
        values = self._encoded[i].take(rows) if i in self._encoded else self._plain[i].array
        return pd.Series(values, index=self.index, name=name, copy=False)

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays held (codes, distinct values' pointers or numbers, plain
        columns; the Python strings themselves are shared with the frame and not counted)."""
        enc = sum(e.codes.nbytes + e.values.nbytes for e in self._encoded.values())
        return int(enc + sum(s.memory_usage(index=False) for s in self._plain.values()))
