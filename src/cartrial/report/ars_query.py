"""The records of an analysis-results where-clause: row positions, each clause evaluated once
per frame.

The report's ~1,000 described cells evaluate two or three where-clauses each (the column's
group, the row's clause, the denominator) on the table's analysis data (the population joined
with a dataset). ``DataFrame.query`` parses the text again at every call and builds a Series of
every column of the frame first, whatever the clause reads (issue #18). Here each distinct
clause is compiled once (:func:`cartrial.report.ars_clause.compile_clause`: the operations
pandas' python engine applies, on the columns the clause names), and its answer on a frame is
kept as the row positions it selects (sorted ``numpy`` integers, never a copy of the records),
as long as the frame lives: the positions are dropped with the frame (a table's analysis data,
at the end of the table). A clause that must be evaluated by pandas (one that is not value by
value, or reads dates) is evaluated by ``DataFrame.eval`` as before, its positions kept alike.
A cell's records are the intersection of its group's and its clause's positions
(:func:`rows`): for a value-by-value clause, the rows of a subset meeting it are the subset's
rows among the rows of the whole frame meeting it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd

from cartrial.adam.column_profile import distinct
from cartrial.errors import InputError
from cartrial.report.ars_clause import compile_clause

T = TypeVar("T")
_PANDAS_CONVERTS = "mMf"  # dates, durations and float32: pandas converts the constants


class _Rows:
    """What is known of one frame: the positions of each clause, its subjects' codes."""

    __slots__ = ("frame", "clauses", "by_pandas", "subjects", "results", "objects")

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = weakref.ref(frame)
        self.clauses: dict[str, np.ndarray | None] = {}  # compiled (None: left to pandas)
        self.objects: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = {}
        self.by_pandas: dict[str, np.ndarray] = {}
        self.subjects: tuple[np.ndarray, int] | None = None
        self.results: dict[tuple, object] = {}  # a fit several cells read (:func:`remembered`)


_FRAMES: dict[int, _Rows] = {}


def _known(data: pd.DataFrame) -> _Rows:
    key = id(data)
    known = _FRAMES.get(key)
    if known is None or known.frame() is not data:  # new, or a new frame at a freed address
        known = _FRAMES[key] = _Rows(data)
        weakref.finalize(data, _forget, key, known)
    return known


def _forget(key: int, known: _Rows) -> None:
    if _FRAMES.get(key) is known:
        del _FRAMES[key]


def _compiled_mask(data: pd.DataFrame, expr: str) -> np.ndarray | None:
    """The clause's True/False per record through its compiled form (None: pandas' turn)."""
    clause = compile_clause(expr)
    if clause is None or data.columns.has_duplicates or not clause.names <= set(data.columns):
        return None
    cols = {n: data[n] for n in clause.names}
    if any(c.dtype.kind in _PANDAS_CONVERTS and c.dtype != np.float64 for c in cols.values()):
        return None
    if len(data) and all(c.dtype == object for c in cols.values()):
        by_object, one = _object_groups(data, tuple(sorted(clause.names)))
        if len(one) < len(data):  # the clause on one record of each group, spread
            few = {n: c.take(one) for n, c in cols.items()}
            res = clause(few)
            if isinstance(res, pd.Series) and res.dtype == bool and res.index.equals(
                    next(iter(few.values())).index):
                return res.to_numpy()[by_object]
    res = clause(cols)
    if not isinstance(res, pd.Series) or res.dtype != bool or not res.index.equals(data.index):
        return None
    return res.to_numpy()


def _by_object(arr: np.ndarray) -> np.ndarray:
    """The records grouped by the Python object they hold (its address, read as an integer
    while ``arr`` holds it)."""
    return pd.factorize(np.frombuffer(memoryview(arr).cast("B"), dtype=np.intp))[0]


def _column_groups(column: pd.Series) -> np.ndarray:
    """Records no value-by-value clause can tell apart, grouped: by value when every value is
    text (``str`` itself: equal text is the same to any clause), missing values by object
    (None, NaN and ``pd.NA`` kept apart); else by object (1 and 1.0 kept apart)."""
    arr = np.ascontiguousarray(column.to_numpy(), dtype=object)
    codes, uniq = distinct(arr)  # by value, each object hashed once
    if not all(type(v) is str for v in uniq):
        return _by_object(arr)
    missing = codes < 0
    if missing.any():
        codes[missing] = len(uniq) + _by_object(arr[missing])
    return codes


def _object_groups(data: pd.DataFrame, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The records grouped by what their (object) columns ``names`` hold: the group of each
    record and one record of each group (once per frame and columns).

    A clause compiled here works value by value, so records holding the same in its columns
    meet it alike: it is evaluated on one record of each group. A table's analysis data of
    100,000 records hold a few hundred distinct texts per column (ADSL's once per record of
    the subject, the coded ones such as PARAMCD and PARAM)."""
    known = _known(data)
    if names not in known.objects:
        group = np.zeros(len(data), dtype=np.int64)
        for n in names:
            here = _column_groups(data[n])
            group = pd.factorize(group * (int(here.max()) + 1) + here)[0]
        one = np.empty(group.max() + 1, dtype=np.intp)
        one[group] = np.arange(len(group))  # a record of each group (any: they hold the same)
        known.objects[names] = (group, one)
    return known.objects[names]


def _pandas_mask(data: pd.DataFrame, expr: str) -> np.ndarray:
    """The clause's True/False per record as ``DataFrame.query`` finds them."""
    from pandas.core.common import is_bool_indexer
    from pandas.core.indexing import check_bool_indexer

    clause = compile_clause(expr)
    names = sorted(clause.names) if clause is not None else None
    few = data[names] if names and set(names) <= set(data.columns) \
        and not data.columns.has_duplicates else data
    res = few.eval(expr, engine="python")
    if not is_bool_indexer(res):  # raises pandas' own error on missing values, as .loc does
        raise InputError(f"ARS where-clause {expr!r} does not give True or False per record")
    return check_bool_indexer(data.index, res)


def _frozen(mask: np.ndarray) -> np.ndarray:
    got = np.flatnonzero(mask)
    got = got.astype(np.int32) if len(mask) < 2**31 else got
    got.flags.writeable = False
    return got


def _whole(data: pd.DataFrame, expr: str) -> np.ndarray | None:
    """The positions a value-by-value clause selects in the whole frame (None: it is not one,
    or its answer here is not True / False per record)."""
    known = _known(data)
    if expr not in known.clauses:
        mask = _compiled_mask(data, expr)
        known.clauses[expr] = None if mask is None else _frozen(mask)
    return known.clauses[expr]


def positions(data: pd.DataFrame, expr: str) -> np.ndarray:
    """The positions of the records of ``data`` meeting ``expr`` (computed once per frame).

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis data.
    expr : str
        A pandas query expression on the columns of ``data``; "" selects every record.

    Returns
    -------
    numpy.ndarray
        Sorted positions (``data.iloc[positions]`` is ``data.query(expr, engine="python")``).
        Shared with the next caller asking the same: read it, do not modify it.

    Raises
    ------
    pandas.errors.UndefinedVariableError
        The expression names a column ``data`` does not have (as ``DataFrame.query``).

    Examples
    --------
    >>> d = pd.DataFrame({"SAFFL": ["Y", None, "Y"], "ATOXGRN": [3.0, 4.0, 1.0]})
    >>> positions(d, "SAFFL == 'Y' and ATOXGRN >= 3").tolist()
    [0]
    """
    if not expr:
        return np.arange(len(data))
    got = _whole(data, expr)
    if got is None:
        known = _known(data)
        got = known.by_pandas.get(expr)
        if got is None:
            got = known.by_pandas[expr] = _frozen(_pandas_mask(data, expr))
    return got


def _among(out: np.ndarray, whole: np.ndarray, n: int) -> np.ndarray:
    """The positions of ``out`` that are in ``whole`` (both sorted, without repeats, below
    ``n``): what ``np.intersect1d(out, whole, assume_unique=True)`` gives, found by binary
    search, or through a True/False per record when ``out`` is long, instead of sorting both
    together."""
    if not len(out) or not len(whole):
        return out[:0]
    if len(out) * np.log2(len(whole) + 1) > n:
        mask = np.zeros(n, dtype=bool)
        mask[whole] = True
        return out[mask[out]]
    at = np.searchsorted(whole, out)
    return out[whole[np.minimum(at, len(whole) - 1)] == out]


def rows(data: pd.DataFrame, *exprs: str) -> np.ndarray:
    """The positions of the records meeting every clause in turn: ``select(select(data, a),
    b)``, each clause evaluated on the records the ones before it kept.

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis data.
    *exprs : str
        Pandas query expressions ("" keeps every record).

    Returns
    -------
    numpy.ndarray
        Sorted positions in ``data``.

    Examples
    --------
    >>> d = pd.DataFrame({"G": ["a", "a", "b"], "X": [1, 5, 5]})
    >>> rows(d, "G == 'a'", "X > 2").tolist()
    [1]
    """
    out = positions(data, exprs[0] if exprs else "")
    for expr in filter(None, exprs[1:]):
        whole = _whole(data, expr)
        if whole is not None:  # value by value: the kept rows among the whole frame's
            out = _among(out, whole, len(data))
        else:  # on the records kept so far, as DataFrame.query on them
            out = out[positions(data.iloc[out], expr)]
    return out


def subjects(data: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Codes of ``data["USUBJID"]`` (-1 where missing) and the number of subjects (once per
    frame).

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis data.

    Returns
    -------
    tuple of (numpy.ndarray, int)

    Examples
    --------
    >>> subjects(pd.DataFrame({"USUBJID": ["b", "a", "b", None]}))[0].tolist()
    [0, 1, 0, -1]
    """
    known = _known(data)
    if known.subjects is None:
        codes, uniques = pd.factorize(data["USUBJID"])
        known.subjects = (codes, len(uniques))
    return known.subjects


def remembered(data: pd.DataFrame, key: tuple, make: Callable[[], T]) -> T:
    """``make()``, computed once per frame and ``key`` (a model fitted to the records of a
    where-clause that several cells of a table read: the Kaplan-Meier fit of a row's
    records, the Cox model of a row); dropped with the frame as its clauses' positions are.

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis data the result is computed from (not modified while it lives).
    key : tuple
        What the result depends on besides ``data`` (the clauses and settings, hashable).
    make : callable
        Computes the result; it is called at most once per frame and key.

    Returns
    -------
    object
        The result, shared with the next caller asking the same: read it, do not modify it.

    Examples
    --------
    >>> d = pd.DataFrame({"X": [1, 2, 3]})
    >>> calls = []
    >>> [remembered(d, ("sum",), lambda: calls.append(1) or int(d["X"].sum()))
    ...  for _ in range(2)], len(calls)
    ([6, 6], 1)
    """
    results = _known(data).results
    if key not in results:
        results[key] = make()
    return results[key]  # type: ignore[return-value]


def select(data: pd.DataFrame, *exprs: str, columns: list[str] | None = None) -> pd.DataFrame:
    """The records of ``data`` meeting a pandas query expression (each further one in turn).

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis data.
    *exprs : str
        Pandas query expressions on the columns of ``data`` (``"SAFFL == 'Y' and ATOXGRN >=
        3"``; ``"AVAL.isna()"``; ``"AVALC in ['CR', 'PR']"``); "" keeps every record.
    columns : list of str, optional
        The columns returned (``[...][columns]`` without copying the records' other columns
        first: a dataset's records of a table, issue #18); None (default): every one.

    Returns
    -------
    pandas.DataFrame
        ``data.query(expr, engine="python")`` (of each expression in turn): the same rows,
        columns and index; a new frame.

    Raises
    ------
    pandas.errors.UndefinedVariableError
        The expression names a column ``data`` does not have (as ``DataFrame.query``).

    Examples
    --------
    >>> d = pd.DataFrame({"USUBJID": ["1", "2", "3"], "SAFFL": ["Y", None, "Y"],
    ...                   "ATOXGRN": [3.0, 4.0, 1.0]})
    >>> select(d, "SAFFL == 'Y' and ATOXGRN >= 3")["USUBJID"].tolist()
    ['1']
    >>> select(d, "SAFFL.fillna('') == ''")["USUBJID"].tolist()
    ['2']
    >>> select(d, "SAFFL == 'Y'", "ATOXGRN < 3")["USUBJID"].tolist()
    ['3']
    >>> select(d, "SAFFL == 'Y'", columns=["USUBJID"]).to_dict("list")
    {'USUBJID': ['1', '3']}
    """
    at = rows(data, *exprs)
    return data.take(at) if columns is None else data[columns].take(at)


def evaluate(data: pd.DataFrame, expr: str):
    """A pandas expression on the columns of ``data``, as ``data.eval(expr, engine="python")``.

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis data.
    expr : str
        A pandas expression on the columns of ``data`` (``"CNSR == 0"``).

    Returns
    -------
    pandas.Series or scalar
        What ``data.eval(expr, engine="python")`` returns.

    Raises
    ------
    pandas.errors.UndefinedVariableError
        The expression names a column ``data`` does not have (as ``DataFrame.eval``).

    Examples
    --------
    >>> evaluate(pd.DataFrame({"CNSR": [0, 1], "X": ["a", "b"]}), "CNSR == 0").tolist()
    [True, False]
    """
    clause = compile_clause(expr)
    if clause is not None and clause.names <= set(data.columns) \
            and not data.columns.has_duplicates:
        return data[sorted(clause.names)].eval(expr, engine="python")
    return data.eval(expr, engine="python")
