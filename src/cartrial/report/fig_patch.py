"""Matplotlib's functions replaced once per process by ones that answer differently only
inside a block (issue #18: the figure caches of :mod:`cartrial.report.fig_text`,
:mod:`cartrial.report.fig_ticks` and :mod:`cartrial.report.fig_glyphs`).

Each of those modules replaces a few of matplotlib's functions the first time its block is
entered and keeps the originals; a replacement calls its original outside the block (a
context variable, so other threads and tasks are not affected).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")


def replace_once(originals: dict[str, Any], owner: object,
                 replacements: dict[str, Callable[..., Any] | object]) -> None:
    """Set each attribute of ``owner`` (a class or a module) named in ``replacements`` to its
    replacement, the first time only; the originals kept in ``originals`` by name.

    Parameters
    ----------
    originals : dict of str to object
        Filled with the replaced attributes (as stored on ``owner``: a class's function, not
        a bound method).
    owner : type or module
        Where the attributes are.
    replacements : dict of str to object
        Attribute name -> its replacement.

    Examples
    --------
    >>> class A:
    ...     def f(self): return 1
    >>> kept = {}
    >>> replace_once(kept, A, {"f": lambda self: 2}); replace_once(kept, A, {"f": None})
    >>> A().f(), kept["f"](A())
    (2, 1)
    """
    if all(name in originals for name in replacements):
        return
    for name, new in replacements.items():
        originals[name] = vars(owner)[name]
        setattr(owner, name, new)


@contextmanager
def set_within(var: ContextVar[T], value: T) -> Iterator[None]:
    """``var`` set to ``value`` within the block, restored after it.

    Parameters
    ----------
    var : contextvars.ContextVar
        The variable.
    value : object
        Its value within the block.

    Returns
    -------
    contextmanager

    Examples
    --------
    >>> v = ContextVar("v", default=0)
    >>> with set_within(v, 1):
    ...     v.get()
    1
    >>> v.get()
    0
    """
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)
