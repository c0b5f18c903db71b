"""Each axis's ticks computed once per drawing, not once per question (issue #18).

While matplotlib draws a figure (or lays it out, ``tight_layout``), every axis asks for its
ticks (``Axis._update_ticks``: locator, formatter, tick positions and labels) and their label
boxes (``Axis._get_ticklabel_bboxes``) several times: when it draws itself, when it places its
label (for itself and for every axis whose labels are aligned with it, e.g. the panels of a
figure sharing the y axis), and when the axes place their title. Within one drawing nothing
they depend on changes (view limits, axes positions, the figure's dpi and the renderer are
fixed before the first axis is drawn), so every later question gets the first answer.

Within :func:`ticks_once` (one drawing, or one layout pass: never across two, whose dpi or
axes positions differ) both answers are remembered per axis; the ticks are the very objects
the first call returned, so the drawing is the one matplotlib's own path makes, byte for byte
(``tests/report/test_fig_ticks.py``; the figure digests of ``tests/report/test_figure_bytes.py``).
Outside the block, and in other threads, matplotlib answers as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from matplotlib.axis import Axis

from cartrial.report.fig_patch import replace_once, set_within

_ACTIVE: ContextVar[dict | None] = ContextVar("cartrial_ticks_once", default=None)
_ORIGINAL: dict[str, Any] = {}


def _update_ticks(self: Axis) -> list:
    memo = _ACTIVE.get()
    if memo is None:
        return _ORIGINAL["_update_ticks"](self)
    key = ("ticks", id(self))
    got = memo.get(key)
    if got is None or got[0] is not self:
        got = memo[key] = (self, _ORIGINAL["_update_ticks"](self))
    return got[1]


def _get_ticklabel_bboxes(self: Axis, ticks: list, renderer: Any) -> tuple:
    memo = _ACTIVE.get()
    if memo is None:
        return _ORIGINAL["_get_ticklabel_bboxes"](self, ticks, renderer)
    key = ("bboxes", id(self))
    got = memo.get(key)
    # remembered only for the very list of ticks (the one remembered above) and renderer
    if got is None or got[0] is not self or got[1] is not ticks or got[2] is not renderer:
        got = memo[key] = (self, ticks, renderer,
                           _ORIGINAL["_get_ticklabel_bboxes"](self, ticks, renderer))
    tlb1, tlb2 = got[3]
    return list(tlb1), list(tlb2)


@contextmanager
def ticks_once() -> Iterator[None]:
    """Within this block (one drawing or layout pass; this thread or task), each axis's
    ticks and tick-label boxes are computed once.

    Returns
    -------
    contextmanager
        Entering a nested block starts a new memory (a new drawing); leaving it restores the
        enclosing one.

    References
    ----------
    Matplotlib's ``Axis.draw``, ``Axis.get_tightbbox`` and ``Axis._get_tick_boxes_siblings``,
    which ask ``Axis._update_ticks`` again at each call (matplotlib 3.11).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(2, 2)); ax = fig.subplots(); _ = ax.plot([0, 1])
    >>> with ticks_once():
    ...     ax.xaxis._update_ticks() is ax.xaxis._update_ticks()
    True
    >>> ax.xaxis._update_ticks() is ax.xaxis._update_ticks()
    False
    """
    replace_once(_ORIGINAL, Axis, {"_update_ticks": _update_ticks,
                                   "_get_ticklabel_bboxes": _get_ticklabel_bboxes})
    with set_within(_ACTIVE, {}):
        yield
