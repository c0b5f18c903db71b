"""Each axis's ticks computed once per drawing (``report.fig_ticks.ticks_once``).

Regression tests: figures drawn and laid out inside the block against the same figures drawn by
matplotlib's own path (outside it), byte for byte and position for position; the outside
reference is matplotlib itself. The report's own figures: ``test_figure_bytes.py``.
"""

from __future__ import annotations

import threading

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axis import Axis
from matplotlib.figure import Figure

from cartrial.report import fig_ticks
from cartrial.report.fig_ticks import ticks_once
from cartrial.report.figures import _RC, DENSE, figure_bytes
from tests.report.test_fig_text import drawn_as_matplotlib_draws


def _figure(layout: bool = True) -> Figure:
    """Panels sharing the y axis (log scale: math-text labels), aligned labels, a twin axis,
    a title above top ticks, a legend, a rasterised dense collection."""
    with plt.rc_context(_RC):
        fig = Figure(figsize=(7, 4))
        axes = fig.subplots(nrows=2, ncols=2, sharey="row")
    x = np.linspace(1, 60, 40)
    for k, ax in enumerate(axes[0]):
        ax.plot(x, 10 ** (x / (15 + 5 * k)), label=f"DL{k + 1}")
        ax.set_yscale("log")
        ax.set_title(f"Panel {k + 1}")
        ax.xaxis.tick_top()
    axes[0][0].legend()
    axes[0][0].set_ylabel("copies/ug DNA, log scale")
    axes[1][0].plot(np.tile([0.0, 1.0], (DENSE + 1, 1)).T,
                    np.random.default_rng(1).random((2, DENSE + 1)) * 1000, rasterized=True)
    axes[1][0].set_ylabel("A long label\nover two lines")
    twin = axes[1][1].twinx()
    axes[1][1].bar(["CR", "VGPR", "PR", "SD"], [3, 5, 2, 1])
    twin.plot([0, 3], [0.1, 0.9], color="k")
    twin.set_ylabel("rate")
    fig.align_ylabels()
    if layout:
        fig.tight_layout()
    return fig


def test_drawings_in_the_block_are_matplotlibs_own_bytes():
    """Regression: report SVG, then (stamped) PNG and SVG file, each twice, against
    matplotlib's own rendering of the same figure."""
    drawn_as_matplotlib_draws(_figure())


def test_tight_layout_in_the_block_places_axes_as_matplotlib_does():
    """Regression: the axes positions of ``tight_layout`` with and without the block."""
    plain = _figure()
    shared = _figure(layout=False)
    with ticks_once():
        shared.tight_layout()
    for a, b in zip(plain.axes, shared.axes, strict=True):
        assert a.get_position().bounds == b.get_position().bounds


def test_ticks_are_computed_once_per_block_and_again_in_the_next(monkeypatch):
    computed: list[int] = []
    original = fig_ticks._ORIGINAL.get("_update_ticks") or Axis._update_ticks
    fig = _figure()
    with ticks_once():  # installs the memory
        pass
    monkeypatch.setitem(fig_ticks._ORIGINAL, "_update_ticks",
                        lambda self: computed.append(id(self)) or original(self))
    axis = fig.axes[0].yaxis
    with ticks_once():
        first = axis._update_ticks()
        assert axis._update_ticks() is first and len(computed) == 1
        with ticks_once():  # a new drawing: asked again
            assert axis._update_ticks() is not first and len(computed) == 2
        assert axis._update_ticks() is first and len(computed) == 2
    axis._update_ticks()
    axis._update_ticks()
    assert len(computed) == 4  # outside the block: every question answered anew
    computed.clear()
    figure_bytes(fig, "svg")
    assert len(computed) == len(set(computed))  # one drawing: each axis once


def test_label_boxes_are_remembered_for_the_same_ticks_and_renderer_only():
    fig = _figure()
    axis = fig.axes[0].xaxis
    from matplotlib.backends.backend_agg import RendererAgg

    renderer = RendererAgg(700, 400, 100)
    with ticks_once():
        ticks = axis._update_ticks()
        a = axis._get_ticklabel_bboxes(ticks, renderer)
        b = axis._get_ticklabel_bboxes(ticks, renderer)
        assert [x.bounds for x in a[0]] == [x.bounds for x in b[0]] and a[0] is not b[0]
        other = axis._get_ticklabel_bboxes(list(ticks), renderer)  # another list: computed
        assert [x.bounds for x in other[0]] == [x.bounds for x in a[0]]


@pytest.mark.parametrize("in_block", [False, True])
def test_other_threads_are_answered_by_matplotlib(in_block: bool):
    fig = _figure()
    axis = fig.axes[0].yaxis
    seen: dict = {}

    def ask() -> None:
        seen["same"] = axis._update_ticks() is axis._update_ticks()

    with ticks_once() if in_block else plt.rc_context({}):
        worker = threading.Thread(target=ask)
        worker.start()
        worker.join(timeout=60)
    assert seen == {"same": False}
    assert fig_ticks._ACTIVE.get() is None
