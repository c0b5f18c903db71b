"""Text columns as integer codes for validation: each column factorised once per pass.

Validation asks many questions of the same text columns (is a test code this one, is a value
among the terms, is it missing, which subject's death limits it). pandas answers each on the
whole column of Python strings (a missing-value scan per comparison); here a column is
factorised once (:func:`cartrial.data.text.factorize_text`, which keeps text with a NUL apart)
and every question is asked of its few distinct values, then spread to the rows by code.
Inside :func:`codes_memo` the codes are kept per column for the rest of the block.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar

import numpy as np
import pandas as pd

from cartrial.data.compact import decoded_codes
from cartrial.data.text import factorize_text, spread

_MEMO: ContextVar[dict | None] = ContextVar("cartrial_validate_codes", default=None)


@contextmanager
def memo_scope(memo: ContextVar[dict | None]) -> Iterator[None]:
    """A fresh, empty ``memo`` table for the block, the previous one back after it (the scope
    of :func:`codes_memo` and :func:`cartrial.data.dates.parse_dtc_memo`).

    Parameters
    ----------
    memo : contextvars.ContextVar
        The table's variable (None outside any block).

    Yields
    ------
    None

    Examples
    --------
    >>> var = ContextVar("example_memo", default=None)
    >>> with memo_scope(var):
    ...     var.get()
    {}
    >>> var.get() is None
    True
    """
    token = memo.set({})
    try:
        yield
    finally:
        memo.reset(token)


def codes_memo() -> AbstractContextManager[None]:
    """Remember each column's codes until the block ends (for code that does not change the
    study while inside; nested blocks share nothing).

    Returns
    -------
    contextlib.AbstractContextManager
        The block (yields None).

    Examples
    --------
    >>> s = pd.Series(["A", "B", "A"], dtype="string")
    >>> with codes_memo():
    ...     column_codes(s)[0] is column_codes(s)[0]
    True
    """
    return memo_scope(_MEMO)


def column_codes(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values) of a column: missing values are code -1 (text is factorised
    NUL-safe, numbers as they are).

    Parameters
    ----------
    s : pandas.Series
        A text or numeric column (missing allowed).

    Returns
    -------
    tuple of numpy.ndarray
        Codes (one per row, -1 for missing) and the distinct values (object array).

    Examples
    --------
    >>> codes, uniq = column_codes(pd.Series(["b", None, "a", "b"], dtype="string"))
    >>> codes.tolist(), uniq.tolist()
    ([0, -1, 1, 0], ['b', 'a'])
    """
    known = known_codes(s)  # remembered, or a column of a domain held encoded: its codes
    if known is not None:
        return known
    memo = _MEMO.get()
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        codes, uniq = pd.factorize(s.to_numpy(), use_na_sentinel=True)  # NaN is code -1
    else:
        codes, uniq = factorize_text(object_values(s))
    # the smallest signed type holding every code: kept for the block, a few bytes a record
    codes = codes.astype(np.min_scalar_type(-len(uniq) - 1), copy=False)
    if memo is not None:
        memo[id(s.array)] = (s.array, codes, uniq)
    return codes, uniq


def object_values(s: pd.Series) -> np.ndarray:
    """The values of a column as an object array, missing as they are held (None, NaN or
    pd.NA): a python-backed ``string`` column's own array, without the missing-value scan and
    copy of ``s.to_numpy(dtype=object)`` (a few ms per million rows, thousands of calls in a
    pipeline); any other column through ``to_numpy``.

    Parameters
    ----------
    s : pandas.Series
        Any column.

    Returns
    -------
    numpy.ndarray
        One object per row (read it, do not write into it: it may be the column's own).

    Examples
    --------
    >>> object_values(pd.Series(["a", None], dtype="string")).tolist()
    ['a', <NA>]
    """
    dt = s.dtype
    if isinstance(dt, pd.StringDtype) and dt.storage == "python":
        return np.asarray(s.array, dtype=object)
    return s.to_numpy(dtype=object)


def known_codes(s: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """The column's codes when already known, else None (nothing is factorised): inside
    :func:`codes_memo` those remembered or factorised in the block; a whole column decoded
    from a domain held encoded, its held codes (:func:`cartrial.data.compact.decoded_codes`).

    Examples
    --------
    >>> known_codes(pd.Series(["b", "a"], dtype="string")) is None
    True
    """
    memo = _MEMO.get()
    hit = memo.get(id(s.array)) if memo is not None else None
    if hit is not None and hit[0] is s.array and len(hit[1]) == len(s):
        return hit[1], hit[2]
    return decoded_codes(s.array)


def remember(s: pd.Series, codes: np.ndarray, uniq: np.ndarray) -> None:
    """Inside :func:`codes_memo`, take ``(codes, uniq)`` as the column's codes (the reader
    factorised it while reading); outside, nothing.

    Parameters
    ----------
    s : pandas.Series
        The column, as it will be asked for.
    codes, uniq : numpy.ndarray
        What :func:`column_codes` would return for it.

    Examples
    --------
    >>> s = pd.Series(["b", "a"], dtype="string")
    >>> with codes_memo():
    ...     remember(s, np.array([0, 1]), np.array(["b", "a"], dtype=object))
    ...     column_codes(s)[1].tolist()
    ['b', 'a']
    """
    memo = _MEMO.get()
    if memo is not None:
        memo[id(s.array)] = (s.array, codes, uniq)


def by_value(s: pd.Series, decide: Iterable[bool] | np.ndarray) -> np.ndarray:
    """Per row, the decision taken for its distinct value (False where missing).

    Parameters
    ----------
    s : pandas.Series
        The text column.
    decide : array-like of bool
        One decision per distinct value, in the order of ``column_codes(s)[1]``.

    Returns
    -------
    numpy.ndarray
        One bool per row.

    Examples
    --------
    >>> s = pd.Series(["x", None, "y"], dtype="string")
    >>> by_value(s, [u == "y" for u in column_codes(s)[1]]).tolist()
    [False, False, True]
    """
    return spread(np.asarray(list(decide), dtype=bool), column_codes(s)[0], False)


def among(s: pd.Series, values: Iterable[str]) -> np.ndarray:
    """``s.isin(values)`` of a text column as a bool array (missing is never among them).

    Parameters
    ----------
    s : pandas.Series
        The text column.
    values : iterable of str
        The allowed texts.

    Returns
    -------
    numpy.ndarray
        One bool per row.

    Examples
    --------
    >>> among(pd.Series(["F", None, "X"], dtype="string"), {"F", "M"}).tolist()
    [True, False, False]
    """
    allowed = set(values)
    return by_value(s, [u in allowed for u in column_codes(s)[1]])


def present(s: pd.Series) -> np.ndarray:
    """``s.notna()`` of a column as a bool array (from its codes when they are known).

    Parameters
    ----------
    s : pandas.Series
        The text column.

    Returns
    -------
    numpy.ndarray
        One bool per row.

    Examples
    --------
    >>> present(pd.Series(["F", None], dtype="string")).tolist()
    [True, False]
    """
    known = known_codes(s)
    if known is not None:
        return known[0] >= 0
    return s.notna().to_numpy(dtype=bool)  # not worth factorising for


def key_duplicated(df: pd.DataFrame, key: list[str]) -> np.ndarray:
    """``df.duplicated(subset=key, keep="first") & df[key].notna().all(axis=1)`` from the
    columns' codes: a record whose key, all filled, is that of an earlier record.

    Parameters
    ----------
    df : pandas.DataFrame
        The records.
    key : list of str
        Key variables (columns of ``df``).

    Returns
    -------
    numpy.ndarray
        One bool per record.

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": ["S1", "S1", "S1", None, None],
    ...                    "AESEQ": [1.0, 2.0, 1.0, 1.0, 1.0]})
    >>> key_duplicated(df, ["USUBJID", "AESEQ"]).tolist()
    [False, False, True, False, False]
    """
    group = np.zeros(len(df), dtype=np.int64)
    filled = np.ones(len(df), dtype=bool)
    size = 1
    for k in key:
        codes, uniq = column_codes(df[k])
        size *= len(uniq) + 1
        if size >= 2**62:  # the combined code would overflow: pandas' own way
            return (df.duplicated(subset=key, keep="first")
                    & df[key].notna().all(axis=1)).to_numpy(dtype=bool)
        group = group * (len(uniq) + 1) + codes
        filled &= codes >= 0
    return filled & pd.Series(np.where(filled, group, -1)).duplicated(keep="first").to_numpy()


def subjects_of(df: pd.DataFrame, mask: np.ndarray | None = None) -> set[str]:
    """``set(df.loc[mask, "USUBJID"].dropna().astype(str))`` from the column's codes.

    Parameters
    ----------
    df : pandas.DataFrame
        Records with USUBJID.
    mask : numpy.ndarray of bool, optional
        Records to take (default all).

    Returns
    -------
    set of str
        The subjects.

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": ["S2", None, "S1"]})
    >>> sorted(subjects_of(df)), sorted(subjects_of(df, np.array([True, True, False])))
    (['S1', 'S2'], ['S2'])
    """
    codes, uniq = column_codes(df["USUBJID"])
    if mask is not None:
        codes = codes[mask]
    taken = np.unique(codes[codes >= 0])
    return {str(u) for u in uniq[taken]}


def map_by_value(s: pd.Series, mapping: pd.Series) -> np.ndarray:
    """``s.map(mapping).to_numpy()``, looked up once per distinct value of ``s`` (a missing
    value looked up as pandas looks it up).

    Parameters
    ----------
    s : pandas.Series
        The column whose values are looked up.
    mapping : pandas.Series
        Values indexed by the keys (a unique index).

    Returns
    -------
    numpy.ndarray
        One value per row of ``s``.

    Examples
    --------
    >>> m = pd.Series([1.0, 2.0], index=["S1", "S2"])
    >>> map_by_value(pd.Series(["S2", None, "S9"], dtype="string"), m).tolist()
    [2.0, nan, nan]
    """
    if s.dtype == object:  # None and NaN may be told apart by the mapping: pandas' own way
        return s.map(mapping).to_numpy()
    codes, uniq = column_codes(s)
    keys = pd.Series(np.append(uniq.astype(object), None), dtype=s.dtype)
    return keys.map(mapping).to_numpy()[codes]  # code -1 picks the missing key (last)


def forget(s: pd.Series) -> None:
    """Inside :func:`codes_memo`, drop what is remembered of the column (it is about to be
    replaced: the memo would keep its array alive until the block ends); outside, nothing.

    Parameters
    ----------
    s : pandas.Series
        The column.

    Examples
    --------
    >>> s = pd.Series(["b", "a"], dtype="string")
    >>> with codes_memo():
    ...     remember(s, np.array([1, 0]), np.array(["a", "b"], dtype=object))
    ...     forget(s)
    ...     column_codes(s)[1].tolist()  # factorised anew: first appearance
    ['b', 'a']
    """
    memo = _MEMO.get()
    if memo is not None:
        memo.pop(id(s.array), None)
