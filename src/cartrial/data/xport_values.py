"""Column values of a SAS XPORT v5 file as bytes: IBM 370 doubles and blank-padded text.

The encodings of SAS Technical Support document TS-140 as ReadStat writes them (pyreadstat
1.3.7; see :mod:`cartrial.data.xport` for the whole layout and the reference tests): numbers by
ReadStat's ``ieee2xpt`` routine, vectorised; text blank-padded to the column's width in UTF-8
bytes, cut at a NUL as C's ``strlen`` does. Text columns are factorised so that each distinct
value is encoded once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.errors import InputError

CHUNK_ROWS = 200_000
_MISSING = np.uint64(0x2E << 56)
MISSING_BYTES = b"\x2e" + b"\0" * 7  # the SAS '.' missing value as the file holds it
_IBM_MAX = np.uint64(0x7FFF_FFFF_FFFF_FFFF)


def ibm_from_ieee(x: np.ndarray) -> np.ndarray:
    """float64 -> IBM 370 double as ``uint64`` (big-endian bit order in the integer), ReadStat's
    ``ieee2xpt`` vectorised; NaN becomes the SAS '.' missing value."""
    bits = np.ascontiguousarray(x, dtype=np.float64).view(np.uint64)
    sign = bits >> np.uint64(63)
    exp = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64) - 1023
    frac = (bits & np.uint64((1 << 52) - 1)) | np.uint64(1 << 52)
    frac <<= (exp & 3).astype(np.uint64)
    ibm_exp = (((exp >> 2) + 65) & 0x7F).astype(np.uint64) | (sign << np.uint64(7))
    out = (ibm_exp << np.uint64(56)) | frac
    out[exp < -260] = 0
    big = exp > 248
    out[big] = _IBM_MAX | (sign[big] << np.uint64(63))
    out[np.isnan(x)] = _MISSING
    return out


def _numeric_values(s: pd.Series) -> np.ndarray:
    return s.to_numpy(dtype=np.float64, na_value=np.nan)


def _encode(values: np.ndarray) -> np.ndarray:
    """Object array of str -> fixed-width UTF-8 bytes array (ASCII fast path in C)."""
    try:
        return values.astype(np.bytes_)
    except UnicodeEncodeError:
        return np.char.encode(values.astype(np.str_), "utf-8")


def _byte_table(values: np.ndarray, width: int | None = None, column: str = "") -> np.ndarray:
    """Distinct values -> ``uint8`` rows of their UTF-8 bytes, blank-padded to ``width`` (the
    longest when None) and cut at a NUL as C's strlen does. InputError for a value wider than
    ``width`` (``column`` names it)."""
    enc = _encode(values)
    raw = enc.view(np.uint8).reshape(len(values), enc.dtype.itemsize)
    if width is not None and raw.shape[1] > width:
        raise InputError(f"column {column!r}: a value of {raw.shape[1]} bytes does not fit the "
                         f"column's width of {width} bytes")
    table = np.full((len(values), width or max(1, raw.shape[1])), 32, dtype=np.uint8)
    table[:, :raw.shape[1]] = np.where(np.logical_or.accumulate(raw == 0, axis=1), 32, raw)
    return table


def _codes_and_values(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Factorised text: codes into ``values``, whose last entry "" stands for missing (code -1
    indexes it). Raises InputError for an object column holding anything but str."""
    codes, uniques = s.factorize(use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    if pd.api.types.infer_dtype(uniques, skipna=True) not in ("string", "empty"):
        raise InputError(f"column {s.name!r}: object values are not all str; XPORT v5 takes "
                         "float columns and str columns only")
    return codes, np.append(uniques, "")


def _values_width(values: np.ndarray, chunk_rows: int) -> int:
    """Largest UTF-8 byte length among distinct values (at least 1), encoded a slice at a time."""
    return max(1, *(_encode(values[i:i + chunk_rows]).dtype.itemsize
                    for i in range(0, len(values), chunk_rows)))


def text_width(s: pd.Series, chunk_rows: int = CHUNK_ROWS) -> int:
    """The XPORT width of a text column: the largest UTF-8 byte length of its values, at least 1
    (missing values are blank). The width of a column is the largest width of its parts, so a
    column written in batches gets the width it would get whole (:class:`XportV5Writer`)."""
    return _values_width(_codes_and_values(s)[1], chunk_rows)


def void_rows(table: np.ndarray) -> np.ndarray:
    """A ``uint8`` table's rows as one-dimensional ``void`` items (one memcpy each when
    gathered): the XPT and the ADaM CSV writers build fixed-width records from them.

    Parameters
    ----------
    table : numpy.ndarray
        Two-dimensional ``uint8``.

    Returns
    -------
    numpy.ndarray
        One ``void`` item a row.

    Examples
    --------
    >>> rows = void_rows(np.array([[65, 66], [67, 68]], dtype=np.uint8))
    >>> rows[[1, 0]].tobytes()
    b'CDAB'
    """
    table = np.ascontiguousarray(table)
    return table.view(np.dtype((np.void, table.shape[1]))).ravel()


def _fill_text(field: np.ndarray, width: int, part: pd.Series) -> None:
    """A text column's rows of ``part`` into ``field``: its ``width``-byte ``void`` field of
    the records (a view of the record buffer)."""
    codes, values = _codes_and_values(part)
    field[...] = void_rows(_byte_table(values, width, str(part.name)))[codes]


class _Text:
    """One text column's width and, when its distinct values are few (at most ``chunk_rows``),
    its codes (smallest integer type) and byte table, so each row costs one gather."""

    def __init__(self, s: pd.Series, chunk_rows: int) -> None:
        codes, values = _codes_and_values(s)
        self.codes: np.ndarray | None = None
        self.table: np.ndarray | None = None
        if len(values) <= chunk_rows:
            self.table = _byte_table(values)
            codes[codes < 0] = len(values) - 1
            self.codes = codes.astype(np.min_scalar_type(len(values)))
            self.width = self.table.shape[1]
        else:  # many distinct values: widths by slices, rows encoded chunk by chunk
            self.width = _values_width(values, chunk_rows)

    @classmethod
    def coded(cls, codes: np.ndarray, values: np.ndarray, width: int, column: str) -> _Text:
        """A text column given as codes into its distinct values (code -1: the last value),
        in a field of ``width`` bytes (InputError for a value wider)."""
        if not np.issubdtype(codes.dtype, np.integer):
            raise InputError(f"column {column!r}: coded text needs integer codes, not "
                             f"{codes.dtype}")
        text = cls.__new__(cls)
        text.table = _byte_table(values, width, column)
        text.codes, text.width = codes, width
        return text

    def fill(self, field: np.ndarray, part: pd.Series, start: int) -> None:
        """Rows ``start``.. of the column (``part``) into ``field``, their ``void`` field of
        the records."""
        if self.table is not None and self.codes is not None:
            field[...] = void_rows(self.table)[self.codes[start:start + len(part)]]
        else:
            _fill_text(field, self.width, part)
