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

from cartrial.data.text import factorize_text


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
    first = np.zeros(rows.max() + 1, dtype=np.int64)
    first[rows[::-1]] = np.arange(len(rows) - 1, -1, -1)
    small = derive(*(c.iloc[first] for c in columns))
    return pd.Series(small.array.take(rows), index=columns[0].index, name=small.name)
