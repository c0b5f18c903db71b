"""One column dictionary-encoded: integer codes per record and the distinct values (issue #18:
memory), how :class:`cartrial.data.compact.CompactFrame` holds a column.

A text column (``pd.StringDtype("python")``) is held as codes into its distinct values (code -1:
missing); a ``float64`` column as codes into the distinct bit patterns of its numbers, so that
decoding gives every number back bit for bit (``-0.0`` and every NaN as they were). A column is
encoded only where that takes less memory than 8 bytes a record.
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


class _Coded:
    """A column held as codes into its distinct values: what :class:`_Encoded` and
    :class:`cartrial.data.compact_derived._Derived` share (``codes``, ``codes_at``, ``values``,
    ``text`` and ``held_nbytes`` are theirs)."""

    values: np.ndarray
    text: bool

    def codes_at(self, rows: np.ndarray | None) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def take(self, rows: np.ndarray | None) -> pd.api.extensions.ExtensionArray | np.ndarray:
        """The column's values at ``rows`` (all, in order, when None)."""
        return self.decode(self.codes_at(rows))

    def decode(self, codes: np.ndarray) -> pd.api.extensions.ExtensionArray | np.ndarray:
        """The values of these codes."""
        if self.text:
            # the distinct values checked to be text once, not every row (half the cost of
            # a text column's construction); code -1 picks the trailing NA
            table = np.append(self.values, np.asarray([pd.NA], dtype=object))
            return pd.arrays.StringArray(table).take(codes)
        return self.values[codes].view(np.float64)

    def distinct(self) -> pd.Series:
        """The distinct values (text: then a trailing missing value) as a column of the
        column's dtype, in code order."""
        if self.text:
            return pd.Series(pd.arrays.StringArray(
                np.append(self.values, np.asarray([pd.NA], dtype=object))))
        return pd.Series(self.values.view(np.float64))


@dataclass(frozen=True)
class _Encoded(_Coded):
    codes: np.ndarray          # per record; -1 = missing (text only)
    values: np.ndarray         # distinct values: object (text) or int64 bit patterns (float)
    text: bool

    def codes_at(self, rows: np.ndarray | None) -> np.ndarray:
        return self.codes if rows is None else self.codes[rows]

    @property
    def held_nbytes(self) -> int:
        """Bytes of the codes and of the distinct values' pointers or numbers."""
        return self.codes.nbytes + self.values.nbytes


def _encode(s: pd.Series, known: tuple | None = None) -> _Encoded | None:
    """The column dictionary-encoded, or None where that would not hold it in less memory
    (or its dtype is neither Python-backed text nor float64: it is kept as it is). ``known``:
    the text column's codes and distinct values, already factorised (by the reader)."""
    n = len(s)
    if s.dtype == _TEXT:
        # NUL-safe (data.text.factorize_text)
        codes, uniq = known if known is not None else factorize_text(s.array._ndarray)
        enc = _Encoded(_codes(codes, len(uniq)), np.asarray(uniq, dtype=object), True)
    elif s.dtype == np.float64:
        bits = s.to_numpy().view(np.int64)  # exact: each bit pattern is its own value
        codes, uniq = pd.factorize(bits, use_na_sentinel=False)
        enc = _Encoded(_codes(codes, len(uniq)), np.asarray(uniq, dtype=np.int64), False)
    else:
        return None
    return enc if _smaller(enc, n) else None


def held_column(s: pd.Series, known: tuple | None = None) -> _Encoded | pd.Series:
    """The column as :class:`cartrial.data.compact.CompactFrame` holds it: encoded
    (:func:`_encode`), else a copy of it (a view would keep a frame's whole block alive).

    Examples
    --------
    >>> held_column(pd.Series([1.0] * 10)).codes.dtype, held_column(pd.Series([1.0])).dtype
    (dtype('int8'), dtype('float64'))
    """
    enc = _encode(s, known)
    return s.copy() if enc is None else enc


def _smaller(enc: _Encoded, n: int) -> bool:
    """Whether the encoded column holds less than 8 bytes a record (a text value's pointer is
    counted, its string is shared)."""
    held = enc.codes.nbytes + (enc.values.nbytes if not enc.text else 8 * len(enc.values))
    return held < 8 * n


def _text_codes(codes: np.ndarray, values: np.ndarray) -> _Encoded | pd.Series:
    """A text column given as codes: encoded, or spread to its text where encoding would not
    hold it in less memory (the rule of :func:`_encode`)."""
    enc = _Encoded(_codes(codes, len(values)), np.asarray(values, dtype=object), True)
    return enc if _smaller(enc, len(codes)) else pd.Series(enc.take(None), copy=False)


def number_codes(codes: np.ndarray, numbers: np.ndarray) -> _Encoded | pd.Series:
    """A float column given as codes into numbers (code -1: NaN), held as :func:`_encode`
    holds the column ``numbers[codes]`` would be: encoded by bit pattern, or that column
    where encoding would not hold it in less memory. The column itself is never built when
    encoded (a numeric variable parsed per distinct text by the loader).

    Parameters
    ----------
    codes : numpy.ndarray of int
        Per record, -1 for a missing value.
    numbers : numpy.ndarray of float
        The number of each code.

    Returns
    -------
    _Encoded or pandas.Series

    Examples
    --------
    >>> enc = number_codes(np.array([0, -1, 1, 0] * 4), np.array([2.5, -0.0]))
    >>> enc.take(None)[:4].tolist()
    [2.5, nan, -0.0, 2.5]
    """
    ext = np.append(np.asarray(numbers, dtype=np.float64), np.nan)
    index, bits = pd.factorize(ext.view(np.int64), use_na_sentinel=False)
    enc = _Encoded(_codes(index[codes], len(bits)), np.asarray(bits, dtype=np.int64), False)
    return enc if _smaller(enc, len(codes)) else pd.Series(enc.take(None), copy=False)
