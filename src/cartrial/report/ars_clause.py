"""An analysis-results where-clause compiled once into a function of the frame's columns.

The where-clauses of the analysis results are pandas query expressions (``SAFFL == 'Y' and
ATOXGRN >= 3``). ``DataFrame.eval`` parses the text anew at each call (its tokenizer and visitor
cost more than the comparison itself on a small table), and a report evaluates a few hundred
distinct clauses several thousand times. :func:`compile_clause` parses each distinct text once
into a Python code object that applies the operations pandas' ``engine="python"`` evaluator
applies, in the same order, to the same column Series:

- ``a == 'x'``, ``a != 'x'`` (a string or a list on either side), ``a in [...]`` and ``a not in
  [...]`` are ``a.isin([...])`` and ``~a.isin([...])``, as pandas rewrites them
  (``BaseExprVisitor._rewrite_membership_op``): a missing value is never equal and always
  unequal; other comparisons are the Series operators (a missing number compares False);
- ``and`` / ``or`` / ``not`` are ``&`` / ``|`` / ``~`` on the Series; a chained comparison is
  the ``and`` of its pairs;
- a method call (``AVAL.isna()``, ``TRT01A.fillna('')``, ``PARAM.str.endswith(' Peak')``) is the
  Series method.

Only clauses whose every part works value by value are compiled (a row's answer depends on that
row alone: the methods of :data:`ROW_METHODS`, no aggregates such as ``.max()``), so a clause's
rows on a subset are its rows on the whole frame intersected with the subset. Anything else
(``&`` / ``|`` written in the text, which pandas reads with the precedence of ``and`` / ``or``;
backtick names; ``@`` variables; date or float32 columns, where pandas converts the constants)
is left to pandas: :func:`compile_clause` returns None.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, reduce

ROW_METHODS = frozenset({
    "isna", "notna", "isnull", "notnull", "fillna", "str", "startswith", "endswith",
    "contains", "upper", "lower", "strip", "isin", "between", "abs", "astype"})
_COMPARE = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div)
_NOT_TERMS = (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare)


def _in(x, y):
    """``x in y`` as pandas evaluates it (``pandas.core.computation.ops._in``)."""
    try:
        return x.isin(y)
    except AttributeError:
        if isinstance(x, list | tuple):
            try:
                return y.isin(x)
            except AttributeError:
                pass
        return x in y


def _not_in(x, y):
    """``x not in y`` as pandas evaluates it (``pandas.core.computation.ops._not_in``)."""
    try:
        return ~x.isin(y)
    except AttributeError:
        if isinstance(x, list | tuple):
            try:
                return ~y.isin(x)
            except AttributeError:
                pass
        return x not in y


@dataclass(frozen=True)
class Clause:
    """A where-clause compiled once (:func:`compile_clause`).

    Attributes
    ----------
    text : str
        The clause as written.
    names : frozenset of str
        The columns it reads.
    code : code object
        Evaluated with the columns as local variables (``__call__``).
    """

    text: str
    names: frozenset[str]
    code: object

    def __call__(self, columns: dict):
        """The clause on ``columns`` (column name -> Series): what pandas' python engine
        returns for it."""
        return eval(self.code, {"__builtins__": {}, "_in": _in, "_not_in": _not_in},  # noqa: S307
                    columns)


class _Refused(Exception):
    """A part of the clause pandas must evaluate itself."""


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


def _is_text_or_list(node: ast.expr) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or isinstance(
        node, ast.List | ast.Tuple)


def _pair(op: ast.cmpop, left: ast.expr, right: ast.expr) -> ast.expr:
    """One comparison, rewritten to a membership test where pandas rewrites it."""
    if isinstance(op, ast.In | ast.NotIn) or (
            isinstance(op, ast.Eq | ast.NotEq) and (_is_text_or_list(left) or
                                                    _is_text_or_list(right))):
        if isinstance(left, ast.Constant) and isinstance(left.value, str):
            left = ast.List(elts=[left], ctx=ast.Load())
        if isinstance(right, ast.Constant) and isinstance(right.value, str):
            right = ast.List(elts=[right], ctx=ast.Load())
        return _call("_in" if isinstance(op, ast.In | ast.Eq) else "_not_in", left, right)
    if not isinstance(op, _COMPARE):
        raise _Refused(type(op).__name__)
    return ast.Compare(left=left, ops=[op], comparators=[right])


class _Rewrite(ast.NodeTransformer):
    """The pandas reading of a Python expression tree (module docstring), or :class:`_Refused`."""

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.expr:
        op = ast.BitAnd() if isinstance(node.op, ast.And) else ast.BitOr()
        return reduce(lambda a, b: ast.BinOp(left=a, op=op, right=b),
                      [self.visit(v) for v in node.values])

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        raw = [node.left, *node.comparators]
        if any(isinstance(r, _NOT_TERMS) for r in raw) and any(map(_is_text_or_list, raw)):
            raise _Refused("membership of an expression")  # pandas rewrites terms only
        sides = [self.visit(r) for r in raw]
        pairs = [_pair(op, a, b) for op, a, b in zip(node.ops, sides[:-1], sides[1:],
                                                      strict=True)]
        return reduce(lambda a, b: ast.BinOp(left=a, op=ast.BitAnd(), right=b), pairs)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        op = ast.Invert() if isinstance(node.op, ast.Not) else node.op
        return ast.UnaryOp(op=op, operand=self.visit(node.operand))

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        if not isinstance(node.op, _ARITHMETIC):  # & | written in the text: pandas' precedence
            raise _Refused(type(node.op).__name__)
        return ast.BinOp(left=self.visit(node.left), op=node.op, right=self.visit(node.right))

    def visit_Call(self, node: ast.Call) -> ast.expr:
        if not isinstance(node.func, ast.Attribute) or node.keywords:
            raise _Refused("call")
        return ast.Call(func=self.visit(node.func), args=[self.visit(a) for a in node.args],
                        keywords=[])

    def visit_Attribute(self, node: ast.Attribute) -> ast.expr:
        if node.attr not in ROW_METHODS:
            raise _Refused(node.attr)
        return ast.Attribute(value=self.visit(node.value), attr=node.attr, ctx=ast.Load())

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return ast.Name(id=node.id, ctx=ast.Load())

    def visit_Constant(self, node: ast.Constant) -> ast.expr:
        return node

    def visit_List(self, node: ast.List) -> ast.expr:
        return ast.List(elts=[self.visit(e) for e in node.elts], ctx=ast.Load())

    def visit_Tuple(self, node: ast.Tuple) -> ast.expr:
        return ast.Tuple(elts=[self.visit(e) for e in node.elts], ctx=ast.Load())

    def generic_visit(self, node: ast.AST) -> ast.AST:
        raise _Refused(type(node).__name__)


@lru_cache(maxsize=4096)
def compile_clause(expr: str) -> Clause | None:
    """A where-clause parsed once into a :class:`Clause` (None: pandas must evaluate it).

    Parameters
    ----------
    expr : str
        A pandas query expression (``"SAFFL == 'Y' and ATOXGRN >= 3"``).

    Returns
    -------
    Clause or None
        Called with the columns it names (``Clause.names``), it returns what
        ``DataFrame.eval(expr, engine="python")`` returns; None for a clause outside the
        value-by-value subset this module compiles (module docstring).

    Examples
    --------
    >>> import pandas as pd
    >>> c = compile_clause("AVALC in ['CR', 'PR'] and not AVAL.isna()")
    >>> sorted(c.names)
    ['AVAL', 'AVALC']
    >>> d = pd.DataFrame({"AVALC": ["CR", None, "PR"], "AVAL": [1.0, 2.0, None]})
    >>> c({n: d[n] for n in c.names}).tolist()
    [True, False, False]
    >>> compile_clause("A == 1 & B == 2") is None  # pandas reads & as `and`: left to pandas
    True
    """
    try:
        tree = ast.parse(expr.strip(), mode="eval")
        body = _Rewrite().visit(tree.body)
    except (SyntaxError, _Refused, RecursionError):
        return None
    names = _names(tree)
    code = compile(ast.fix_missing_locations(ast.Expression(body=body)), "<where>", "eval")
    return Clause(expr, names, code)


@lru_cache(maxsize=4096)
def clause_names(expr: str) -> frozenset[str] | None:
    """The column names a where-clause reads (None: not Python syntax, e.g. pandas' ``@``).

    Parameters
    ----------
    expr : str
        A pandas query expression.

    Returns
    -------
    frozenset of str or None

    Examples
    --------
    >>> sorted(clause_names("DLTEVLFL == 'Y' and not AVAL.isna()"))
    ['AVAL', 'DLTEVLFL']
    >>> clause_names("AVAL > @limit") is None
    True
    """
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except (SyntaxError, RecursionError):
        return None
    return _names(tree)


def variables_of(names: Iterable[str], *clauses: str) -> frozenset[str] | None:
    """The variables a computation reads: ``names`` and those ``clauses`` name (None: not
    known, a name being empty or a clause not Python syntax).

    Parameters
    ----------
    names : iterable of str
        Variables read by name.
    *clauses : str
        Pandas expressions the computation evaluates.

    Returns
    -------
    frozenset of str or None

    Examples
    --------
    >>> sorted(variables_of(["AVALM"], "CNSR == 0"))
    ['AVALM', 'CNSR']
    >>> variables_of([""], "CNSR == 0") is None
    True
    """
    names = list(names)
    read = [clause_names(c) for c in clauses]
    if not all(names) or any(r is None for r in read):
        return None
    return frozenset(names).union(*read)


def _names(tree: ast.AST) -> frozenset[str]:
    """The names a parsed clause reads (its columns)."""
    return frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))


def as_function(clause: Clause) -> Callable:
    """The clause as a function of a frame (its columns looked up by name).

    Parameters
    ----------
    clause : Clause
        A compiled clause.

    Returns
    -------
    callable
        ``f(frame)`` -> what ``frame.eval(clause.text, engine="python")`` returns.

    Examples
    --------
    >>> import pandas as pd
    >>> as_function(compile_clause("X >= 2"))(pd.DataFrame({"X": [1, 2]})).tolist()
    [False, True]
    """
    return lambda frame: clause({n: frame[n] for n in clause.names})
