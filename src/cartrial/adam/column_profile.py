"""What the define metadata need of one column (largest text length, missing values, first
value), each column looked at once.

Why it exists: speed (issue #18). Writing a 3,000-patient trial's ADaM asked pandas whether each
of ~1.5 million rows x ~20 text columns was missing three times over (``_isna_string_dtype``
was the most expensive function of the whole run). A text column's distinct values answer all
of it: which rows are missing (``pd.isna``'s missing values: None, NaN, NaT, ``pd.NA``) or
empty, and the lengths to measure; and a dataset built from coded text holds each repeated
value as one Python object, so the distinct objects are found by address before any text is
hashed.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cartrial.data.text import factorize_text, spread


def distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The codes (-1 where missing) and distinct values of an object array, as
    :func:`cartrial.data.text.factorize_text` finds them, the distinct values in another order.

    Each distinct Python object is hashed once: the rows are grouped by the object they hold
    (its address, an integer, hashed as such), then one row of each group is factorized by
    value. ADLB's text (decoded from codes) and ``share_repeats``'d columns hold each repeated
    value as one object, so a million rows are a few hundred objects to hash.

    Parameters
    ----------
    values : numpy.ndarray
        A one-dimensional object array.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        ``codes`` (intp, -1 for a missing value) and ``uniques`` (object) with
        ``uniques[codes[i]] == values[i]`` for every non-missing ``values[i]``.

    Examples
    --------
    >>> a, b = "PLAT", "".join(["PL", "AT"])  # equal text, two objects
    >>> codes, uniq = distinct(np.array([a, None, b, a, float("nan"), "HGB"], dtype=object))
    >>> codes.tolist(), sorted(uniq.tolist())
    ([0, -1, 0, 0, -1, 1], ['HGB', 'PLAT'])
    """
    arr = np.ascontiguousarray(values, dtype=object)
    if not len(arr):
        return factorize_text(arr)
    # the array's own pointers, read as integers while ``arr`` holds the objects
    by_object, objects = pd.factorize(np.frombuffer(memoryview(arr).cast("B"), dtype=np.intp))
    if len(objects) == len(arr):
        return factorize_text(arr)
    one = np.empty(len(objects), dtype=np.intp)
    one[by_object] = np.arange(len(arr))  # a row of each object (any: they hold the same)
    codes, uniq = factorize_text(arr[one])
    return codes[by_object], uniq


class ColumnProfile(NamedTuple):
    """:func:`column_profile` of one column."""

    length: int
    n_missing: int
    first: int | None
    na: np.ndarray


def _text(s: pd.Series, coded: tuple[np.ndarray, np.ndarray] | None
          ) -> tuple[int, np.ndarray, np.ndarray]:
    """(largest UTF-8 byte length, ``pd.isna`` mask, missing-or-empty mask) of a text, bool or
    date column; ``coded``: :func:`distinct` of an object column, when already made."""
    if pd.api.types.is_datetime64_any_dtype(s):
        na = s.isna().to_numpy(dtype=bool)
        return (1 if na.all() else 10), na, na
    if s.dtype == object:
        codes, uniq = distinct(s.to_numpy()) if coded is None else coded
        na = codes < 0
        empty = np.fromiter((isinstance(v, str) and v == "" for v in uniq), bool, len(uniq))
        missing = na | spread(empty, codes, True)
        values = uniq[~empty]
    else:  # extension text, bool, categorical: missing as pandas says, values as objects
        na = s.isna().to_numpy(dtype=bool)
        vals = np.where(na, "", s.to_numpy(dtype=object))
        missing = na | (vals == "")
        values = factorize_text(vals[~missing])[1] if not missing.all() else vals[:0]
    if missing.all():
        return 1, na, missing
    # lengths of the distinct values only (a batch of ADLB repeats a few hundred values)
    present = pd.Series(values, dtype=object).astype(str).to_numpy(dtype=object)
    return int(pc.max(pc.binary_length(pa.array(present, type=pa.string()))).as_py()), na, \
        missing


def column_profile(s: pd.Series, coded: tuple[np.ndarray, np.ndarray] | None = None
                   ) -> ColumnProfile:
    """LENGTH, N_MISSING, the first non-missing value's position and the missing values of one
    column, for the define metadata.

    Parameters
    ----------
    s : pandas.Series
        The column (of a dataset or of one batch of it).
    coded : tuple of (numpy.ndarray, numpy.ndarray), optional
        :func:`distinct` of an object column's values, when the caller has made it already.

    Returns
    -------
    ColumnProfile
        ``length``: the largest UTF-8 byte length of ``str()`` of its text values (1 when none),
        10 for dates (1 when all are missing), 8 for numbers; ``n_missing``: the values
        missing, text also counting "" as missing; ``first``: the position of the first value
        not counted so, None when there is none; ``na``: ``s.isna()`` as a bool array.

    Examples
    --------
    >>> column_profile(pd.Series(["", "Grade 3", None, "é"]))[:3]
    (7, 2, 1)
    >>> column_profile(pd.Series([1.0, None]))[:3], column_profile(pd.Series([None]))[:3]
    ((8, 1, 0), (1, 1, None))
    """
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        length, na = 8, s.isna().to_numpy(dtype=bool)
        missing = na
    else:
        length, na, missing = _text(s, coded)
    first = np.flatnonzero(~missing)
    return ColumnProfile(max(length, 1), int(missing.sum()), int(first[0]) if len(first) else None,
                         na)
