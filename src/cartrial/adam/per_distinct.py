"""A text derivation computed once per distinct combination of its inputs (issue #18: memory).

Why: an ADaM dataset's PARAM or PARAMCD is built by string arithmetic on a few SDTM text
variables (``PCTEST + " in " + lower(PCSPEC)``), which pandas does once per row: at 10,000
patients hundreds of thousands of new strings a column, with their intermediates, most of them
copies of a few dozen values. Computed on one row of each distinct combination and spread back,
the rows hold the same values (one object each) and the intermediates are a few dozen strings.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cartrial.adam.column_profile import distinct
from cartrial.data.text import factorize_text, first_rows, spread


def _combinations(arrays: list[np.ndarray]) -> np.ndarray:
    """Each row's combination of values as a code 0, 1, ... in order of first appearance; a row
    with a missing value is a combination of its own (None, NaN and pd.NA are told apart by
    the derivation, not here)."""
    n = len(arrays[0])
    rows = np.zeros(n, dtype=np.int64)
    missing = np.zeros(n, dtype=bool)
    for values in arrays:
        codes, uniq = factorize_text(values)  # NUL-safe
        missing |= codes < 0
        rows = pd.factorize(rows * (len(uniq) + 1) + codes)[0]  # kept below rows ** 2
    if missing.any():
        rows[missing] = rows.max() + 1 + np.arange(int(missing.sum()))
        rows = pd.factorize(rows)[0]
    return rows


def per_distinct(derive: Callable[..., pd.Series], *columns: pd.Series) -> pd.Series:
    """``derive(*columns)`` for a row-wise ``derive``, computed on the first row of each
    distinct combination of the columns' values and spread back to every row.

    Only columns holding text (besides missing values) are grouped: equality would merge 1,
    1.0 and True, which a derivation may tell apart, so other columns are derived row by row
    as given. A row with a missing value is derived on its own.

    Parameters
    ----------
    derive : callable
        Takes the columns (Series of one index), returns a Series of that index whose value at
        each row depends only on the columns' values at that row.
    *columns : pandas.Series
        The inputs, of one length and index.

    Returns
    -------
    pandas.Series
        Equal to ``derive(*columns)``: same index, dtype and values (one object per distinct
        value).

    Examples
    --------
    >>> test = pd.Series(["IL6", "IL6", None, "IL6"], index=[3, 4, 5, 6])
    >>> spec = pd.Series(["SERUM", "SERUM", "SERUM", "PLASMA"], index=[3, 4, 5, 6])
    >>> out = per_distinct(lambda t, s: t + " in " + s.str.lower(), test, spec)
    >>> out.tolist()
    ['IL6 in serum', 'IL6 in serum', nan, 'IL6 in plasma']
    >>> out.index.tolist(), out.iloc[0] is out.iloc[1]
    ([3, 4, 5, 6], True)
    """
    arrays = [c.to_numpy(dtype=object) for c in columns]
    if not len(arrays[0]) or any(pd.api.types.infer_dtype(a, skipna=True) != "string"
                                 for a in arrays):
        return derive(*columns)
    rows = _combinations(arrays)
    first = first_rows(rows, rows.max() + 1)
    small = derive(*(c.iloc[first] for c in columns))
    return pd.Series(small.array.take(rows), index=columns[0].index, name=small.name)


_TEXT = pd.StringDtype("python")


def value_rows(s: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """Each row's value of a Python-backed text column (``pd.StringDtype("python")``) as a
    code 0, 1, ... and the first row of each code, or None for a column of another dtype.

    Such a column holds only str and ``pd.NA`` (its one missing value, then a code of its
    own), and a column decoded from codes (:class:`cartrial.data.compact.CompactFrame`) holds
    one object per distinct value, so the codes come from the objects' addresses
    (:func:`cartrial.adam.column_profile.distinct`), without hashing the rows' text or asking
    pandas which rows are missing (issue #18: a row-wise ``fillna``, ``astype`` or comparison
    on such a column scans every row for ``pd.NA``).

    Examples
    --------
    >>> s = pd.Series(["b", None, "a", "b"], dtype="string[python]")
    >>> codes, first = value_rows(s)
    >>> s.iloc[first].tolist(), s.iloc[first].to_numpy()[codes].tolist() == s.tolist()
    (['b', 'a', <NA>], True)
    >>> value_rows(pd.Series(["b"], dtype=object)) is None
    True
    """
    if s.dtype != _TEXT:
        return None
    codes, uniq = distinct(np.asarray(s.array, dtype=object))  # the array's own objects
    n = len(uniq)
    if len(codes) and codes.min() < 0:
        codes = np.where(codes < 0, n, codes)
        n += 1
    return codes, first_rows(codes, n)


def by_value(derive: Callable[[pd.Series], pd.Series], s: pd.Series
             ) -> tuple[np.ndarray, np.ndarray]:
    """``derive(s).to_numpy()`` as ``(codes, values)`` (``values[codes]`` is it), for an
    element-wise ``derive``: on a Python-backed text column computed on one row of each value
    (:func:`value_rows`); else on every row, then coded by value when the result is str
    only, else one code per row.

    Examples
    --------
    >>> s = pd.Series(["b", None, "b"], dtype="string[python]")
    >>> codes, values = by_value(lambda t: t.fillna("").str.upper(), s)
    >>> values[codes].tolist(), len(values)
    (['B', '', 'B'], 2)
    """
    rows = value_rows(s)
    if rows is not None:
        codes, first = rows
        return codes, np.asarray(derive(s.iloc[first]).to_numpy())
    values = np.asarray(derive(s).to_numpy())
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return distinct(values)  # str only (1, 1.0 and True would be one value)
    return np.arange(len(values)), values


def per_object(s: pd.Series, test: Callable[[np.ndarray], np.ndarray], missing: bool
               ) -> np.ndarray:
    """An element-wise boolean ``test`` of a column's values (as objects), asked once per
    distinct object (:func:`cartrial.adam.column_profile.distinct`: a column of text derived
    per distinct value holds a few); ``missing``: the answer for a missing value (None, NaN,
    ``pd.NA``: what ``pd.isna`` finds).

    Examples
    --------
    >>> per_object(pd.Series(["Y", None, "", "Y"]), lambda v: v == "Y", False).tolist()
    [True, False, False, True]
    """
    codes, uniq = distinct(s.to_numpy(dtype=object))
    return spread(np.asarray(test(uniq), dtype=bool), codes, missing)
