"""The records of an analysis-results where-clause, evaluated on the columns it names only.

``DataFrame.query`` makes a Series of every column of the frame before it evaluates an
expression (pandas' column resolvers), whatever the expression reads. The analysis data of a
table are the population joined with a dataset (a hundred columns and more), and each of the
report's ~1,000 cells evaluates two or three where-clauses on them, so building the resolvers
took most of the time of ``cartrial analyze`` (issue #18). :func:`select` gives the same rows as
``data.query(expr, engine="python")``: the same expression through the same evaluator, on a
frame holding only the columns the expression names. A table's cells select the same group (a
dose level's column) and the same denominator again and again: the last :data:`MEMO` selections
are remembered, keyed by the frame (as long as it lives) and the expression.
"""

from __future__ import annotations

import ast
import weakref
from collections import OrderedDict
from functools import lru_cache

import pandas as pd

MEMO = 16  # selections remembered (a table's groups and their denominators)
_MEMO: OrderedDict[tuple[int, str], tuple[weakref.ref, pd.DataFrame]] = OrderedDict()


@lru_cache(maxsize=1024)
def _names(expr: str) -> frozenset[str] | None:
    """The bare names of a Python expression (None when pandas' own syntax is needed)."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError:  # backtick-quoted names and the like: pandas parses them itself
        return None
    return frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))


def _narrow(data: pd.DataFrame, expr: str) -> pd.DataFrame | None:
    """``data`` with only the columns ``expr`` names (None: it names something else)."""
    names = _names(expr)
    if not names or not names <= set(data.columns) or data.columns.has_duplicates:
        return None
    return data[sorted(names)]


def select(data: pd.DataFrame, expr: str) -> pd.DataFrame:
    """The records of ``data`` meeting a pandas query expression.

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis data.
    expr : str
        A pandas query expression on the columns of ``data`` (``"SAFFL == 'Y' and ATOXGRN >=
        3"``; ``"AVAL.isna()"``; ``"AVALC in ['CR', 'PR']"``).

    Returns
    -------
    pandas.DataFrame
        ``data.query(expr, engine="python")``: the same rows, columns and index. The frame
        may be shared with the next caller asking the same of the same ``data``: read it, do
        not modify it.

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
    """
    key = (id(data), expr)
    seen = _MEMO.get(key)
    if seen is not None and seen[0]() is data:  # the same frame (not a new one at its address)
        _MEMO.move_to_end(key)
        return seen[1]
    few = _narrow(data, expr)
    if few is None:  # index names, local variables, ...: pandas resolves them
        out = data.query(expr, engine="python")
    else:
        out = data.loc[few.eval(expr, engine="python")]
    _MEMO[key] = (weakref.ref(data), out)
    while len(_MEMO) > MEMO:
        _MEMO.popitem(last=False)
    return out


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
    few = _narrow(data, expr)
    return (data if few is None else few).eval(expr, engine="python")
