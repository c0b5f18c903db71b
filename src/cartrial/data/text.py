"""Text normalisation of SDTM columns, computed once per distinct value.

A lab or observation column of a large trial holds millions of rows but a few hundred distinct
values; pandas' ``.str`` methods call Python once per row, so the work is done on the distinct
values and mapped back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def spread(values: np.ndarray, codes: np.ndarray, missing: object) -> np.ndarray:
    """Per-row values from per-distinct-value results: ``values[codes]``, with ``missing``
    where the code is -1 (``pd.factorize``'s missing)."""
    return np.append(values, np.asarray([missing], dtype=values.dtype))[codes]


def matching(s: pd.Series, values) -> pd.Series:  # noqa: ANN001
    """``Study.frame``'s ``where`` rule for one column: the value is one of ``values``; a
    missing value never matches, even when ``values`` holds None or NaN.

    Examples
    --------
    >>> matching(pd.Series(["IL6", None, "HGB"]), {"IL6", None}).tolist()
    [True, False, False]
    """
    return s.isin(list(values)) & s.notna()


def upper_stripped(s: pd.Series) -> pd.Series:
    """``s.astype("string").str.strip().str.upper()`` (missing stays missing), same index."""
    s = s.astype("string")
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    # str.strip / str.upper per distinct value: what pandas' .str methods call, without their
    # per-call overhead (the engines call this hundreds of times on small columns)
    done = np.array([v.strip().upper() for v in uniq], dtype=object)
    rows = spread(done, codes, pd.NA)
    return pd.Series(pd.array(rows, dtype="string"), index=s.index, name=s.name)


def share_repeats(df: pd.DataFrame) -> pd.DataFrame:
    """The same frame with each text column's repeated values held as one object each.

    Derivations that build text with numpy (``np.where``/``np.select``) or string arithmetic
    create one Python object per row; a dataset of millions of rows then holds millions of
    copies of "Y" or "Albumin (g/L)". Values, dtypes and index are unchanged (values with a NUL
    character too: :func:`factorize_text`). Only columns whose values are all text (besides
    missing ones) are shared: factorising compares by equality, which would merge 1, 1.0 and
    True of a mixed column into one object of one type.

    Examples
    --------
    >>> yes = ["".join(["Y", "es"]) for _ in range(2)]  # two objects, one value
    >>> df = pd.DataFrame({"T": [*yes, None], "M": [1, 1.0, True]}, dtype=object)
    >>> df["T"].iloc[0] is df["T"].iloc[1]
    False
    >>> out = share_repeats(df)
    >>> out["T"].iloc[0] is out["T"].iloc[1], [type(v).__name__ for v in out["M"]]
    (True, ['int', 'float', 'bool'])
    """
    for c in df.columns:
        s = df[c]
        if s.dtype != object:
            continue
        arr = s.to_numpy()
        if pd.api.types.infer_dtype(arr, skipna=True) != "string":
            continue
        codes, uniq = factorize_text(arr)
        if len(uniq) == len(s):
            continue
        table = np.empty(len(uniq) + 1, dtype=object)
        table[:-1] = uniq
        na = codes < 0  # factorize's missing: None, NaN, pd.NA, NaT (what isna finds)
        out = table[codes]
        out[na] = arr[na]  # keep the kind of missing (None / NaN / pd.NA) as it was
        df[c] = out
    return df


def factorize_text(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` of an object array of text (missing -> code -1), keeping values with a
    NUL character apart: pandas 2 hashes text only up to its first NUL (pandas issue #34551,
    fixed in pandas 3.1), so "\\x00a" and "" would come out as one value. The result is checked
    against the input (one vectorised comparison) and, only when pandas merged values, made
    again with a Python dict."""
    arr = np.asarray(values, dtype=object)
    codes, uniq = pd.factorize(arr, use_na_sentinel=True)
    uniq = np.asarray(uniq, dtype=object)
    ok = codes >= 0
    same = uniq[codes] == arr if ok.all() else uniq[codes[ok]] == arr[ok]
    if same.all():
        return codes, uniq
    seen: dict[object, int] = {}
    codes = np.array([seen.setdefault(v, len(seen)) if k else -1
                      for v, k in zip(arr, ok, strict=True)], dtype=np.intp)
    return codes, np.array(list(seen), dtype=object)


def distinct_rows(columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Each row's distinct combination of values of ``columns`` (text arrays of one length, no
    missing) as a code 0, 1, ... in order of first appearance, and the first row of each code:
    what is derived from the combination is then derived once per code (``values[first]``)
    and spread back (``result[codes]``), one object per distinct result."""
    return code_rows([factorize_text(np.asarray(values, dtype=object))  # NUL-safe
                      for values in columns])


def code_rows(keys: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`distinct_rows` of columns already coded: ``keys`` holds each column's
    ``(codes, distinct values)`` (codes 0 .. len(values) - 1, none missing).

    Examples
    --------
    >>> rows, first = code_rows([(np.array([0, 1, 0]), np.array(["a", "b"])),
    ...                          (np.array([0, 0, 0]), np.array(["x"]))])
    >>> rows.tolist(), first.tolist()
    ([0, 1, 0], [0, 1])
    """
    rows = np.zeros(len(keys[0][0]), dtype=np.int64)
    for codes, uniq in keys:
        rows = pd.factorize(rows * len(uniq) + codes)[0]  # kept below rows ** 2
    return rows, first_rows(rows, rows.max() + 1 if len(rows) else 0)


def first_rows(codes: np.ndarray, n: int) -> np.ndarray:
    """The first row holding each code ``0 .. n - 1`` of ``codes`` (each code present).

    Examples
    --------
    >>> first_rows(np.array([1, 0, 1, 2]), 3).tolist()
    [1, 0, 3]
    """
    first = np.zeros(n, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return first


def distinct_present(values: pd.Series | np.ndarray) -> np.ndarray:
    """Each non-missing value once (``pd.unique`` order), as an object array: what
    ``Study.distinct`` answers.

    Examples
    --------
    >>> distinct_present(pd.Series(["b", None, "a", "b"])).tolist()
    ['b', 'a']
    """
    found = pd.Series(pd.unique(np.asarray(values, dtype=object)), dtype=object)
    return found[found.notna()].to_numpy(dtype=object)
