"""House rule (CONTRIBUTING.md, "Sizes"): no module over 400 lines, no function over 80.

A function's length is counted from its ``def`` line to its last line, leaving out its
docstring (the numpydoc Parameters/Returns/Examples sections are documentation, not
logic).  ``KNOWN`` lists what is still over the limit; an entry is removed when its
module or function is split, and the test fails both when something new goes over and
when a listed entry has come under (so the list only shrinks).  This is a fact about the
source text, not a timing.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "cartrial"
MAX_MODULE = 400
MAX_FUNCTION = 80

# Still over the limit (path relative to src/cartrial, function name or "<module>").
KNOWN: set[tuple[str, str]] = set()  # every module and function is within the limits


def _docstring_lines(node: ast.AST) -> int:
    body = getattr(node, "body", [])
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        return body[0].end_lineno - body[0].lineno + 1
    return 0


def measure() -> dict[tuple[str, str], int]:
    """Every module and function over its limit, with its length."""
    over: dict[tuple[str, str], int] = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        text = path.read_text(encoding="utf-8")
        n_lines = len(text.splitlines())
        if n_lines > MAX_MODULE:
            over[(rel, "<module>")] = n_lines
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1 - _docstring_lines(node)
                if length > MAX_FUNCTION:
                    over[(rel, node.name)] = length
    return over


def test_nothing_new_over_the_limits() -> None:
    new = {k: v for k, v in measure().items() if k not in KNOWN}
    assert not new, (
        f"over the limits (module > {MAX_MODULE} lines, function > {MAX_FUNCTION} lines "
        f"without its docstring): {new}"
    )


def test_known_list_only_shrinks() -> None:
    fixed = KNOWN - set(measure())
    assert not fixed, f"now within the limits; remove from KNOWN: {sorted(fixed)}"
