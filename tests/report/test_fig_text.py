"""Texts measured and math texts parsed once per run (``report.fig_text.shared_text``).

Regression tests: the figures drawn with the shared tables against the same figures drawn by
matplotlib's own path (``Figure.savefig`` outside the block, its per-renderer caches), byte
for byte; the outside reference is matplotlib itself.
"""

from __future__ import annotations

import io
import threading

import matplotlib.pyplot as plt
import matplotlib.text as mtext
import numpy as np
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure

from cartrial.report import fig_text
from cartrial.report.fig_text import shared_text
from cartrial.report.figures import _RC, DENSE, figure_bytes, stamp


def _figure() -> Figure:
    """Log axes (math-text tick labels), a legend, titles, a rasterised dense collection."""
    fig = Figure(figsize=(5, 3))
    ax1, ax2 = fig.subplots(ncols=2)
    x = np.linspace(1, 60, 40)
    ax1.plot(x, 10 ** (x / 20), label="DL1 0.1 x10$^6$/kg")
    ax1.set_yscale("log")
    ax1.set_title("IL-6 (ng/L)")
    ax1.legend()
    ax2.plot(np.tile([0.0, 1.0], (DENSE + 1, 1)).T, np.random.default_rng(1).random((2, DENSE + 1)),
             rasterized=True)
    ax2.set_xlabel("Day (day 0 = CAR-T infusion)")
    fig.tight_layout()
    return fig


def _plain(fig: Figure, fmt: str) -> bytes:
    """matplotlib's own path: the savefig call of ``figure_bytes`` without the shared tables."""
    buf = io.BytesIO()
    engine = fig.get_layout_engine()
    fig.set_layout_engine(None)
    with plt.rc_context(_RC):
        if fmt == "svg":
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "cartrial"})
        else:
            fig.savefig(buf, format="png", dpi=150, metadata={"Software": "cartrial"})
    fig.set_layout_engine(engine)
    return buf.getvalue()


def test_shared_tables_give_matplotlibs_own_bytes():
    """Regression: report SVG, then (stamped) PNG and SVG file, each twice (the second time
    answered from the tables), against matplotlib's own rendering of the same figure."""
    drawn_as_matplotlib_draws(_figure())


def drawn_as_matplotlib_draws(fig: Figure) -> None:
    """``figure_bytes`` of the report's SVG, then of the stamped PNG and SVG files, each
    twice, are matplotlib's own bytes (:func:`_plain`)."""
    want_svg = _plain(fig, "svg")
    assert figure_bytes(fig, "svg") == want_svg
    assert figure_bytes(fig, "svg") == want_svg
    stamp(fig, "Figure 14.5.2 Serum cytokine profiles", "Infused", ["A note."])
    want = {fmt: _plain(fig, fmt) for fmt in ("png", "svg")}
    for _ in range(2):
        assert figure_bytes(fig, "png") == want["png"]
        assert figure_bytes(fig, "svg") == want["svg"]


def test_tight_layout_in_the_block_places_axes_as_matplotlib_does():
    """Regression: the axes positions of ``tight_layout`` with and without the tables."""
    plain = _figure()
    with shared_text():
        shared = _figure()
        again = _figure()
    for a, b, c in zip(plain.axes, shared.axes, again.axes, strict=True):
        assert a.get_position().bounds == b.get_position().bounds == c.get_position().bounds


def test_settings_in_force_are_part_of_the_key():
    """A text measured under one font family is measured again under another (the answer is
    the renderer's own for each)."""
    def width(family: str) -> float:
        with plt.rc_context({"font.family": family}):
            fig = Figure(figsize=(3, 1))
            t = fig.text(0.1, 0.5, "Cytokine release syndrome")
            renderer = RendererAgg(300, 100, 100)
            with shared_text():
                shared = t.get_window_extent(renderer).width
            return shared, t.get_window_extent(RendererAgg(300, 100, 100)).width

    sans, serif = width("DejaVu Sans"), width("DejaVu Serif")
    assert sans[0] == sans[1] and serif[0] == serif[1]
    assert sans[0] != serif[0]


def test_outside_the_block_and_in_other_threads_matplotlib_answers():
    renderer = RendererAgg(10, 10, 72)
    assert hasattr(mtext._get_text_metrics_function(renderer), "cache_info")  # its lru_cache
    seen = {}
    with shared_text():
        assert not hasattr(mtext._get_text_metrics_function(renderer), "cache_info")
        worker = threading.Thread(target=lambda: seen.update(
            other=hasattr(mtext._get_text_metrics_function(renderer), "cache_info")))
        worker.start()
        worker.join(timeout=60)
    assert seen == {"other": True}
    assert fig_text._ACTIVE.get() is None


def test_a_full_table_starts_again():
    table: dict = {}
    for k in range(5):
        assert fig_text._remember(table, (k,), lambda k=k: k * 10, 2) == k * 10
        assert len(table) <= 2
    assert fig_text._remember(table, (4,), lambda: "not asked again", 2) == 40


def test_line_heights_read_fonts_once_and_as_matplotlib_does():
    """A text's font files are looked up once per properties and settings, its font's tables
    read once; outside the block matplotlib's own manager and fonts answer. Regression (the
    bytes): ``test_shared_tables_give_matplotlibs_own_bytes``."""
    from matplotlib import font_manager
    from matplotlib.font_manager import FontProperties

    prop = FontProperties(family="DejaVu Sans", size=8)
    want = font_manager.fontManager._find_fonts_by_props(prop)
    with shared_text():
        assert mtext.fontManager._find_fonts_by_props(prop) == want
        before = len(fig_text._FONTS)
        assert mtext.fontManager._find_fonts_by_props(prop.copy()) == want
        assert len(fig_text._FONTS) == before  # the same properties: answered from the table
        font = mtext.get_font(want)
        head = font.get_sfnt_table("head")
        assert font.get_sfnt_table("head") is head  # read once
        assert head == font_manager.get_font(want).get_sfnt_table("head")
        assert mtext.get_font(want) is font
    assert type(mtext.get_font(want)).__name__ == "FT2Font"
    assert mtext.fontManager.ttflist is font_manager.fontManager.ttflist


def test_a_forked_child_keeps_none_of_the_parents_fonts():
    """Matplotlib's rule (font_manager: "FT2Font objects cannot be used across fork()s"; it
    empties its own font cache in the child): the math-text parses and line-height tables,
    which hold the parent's FT2Font objects, are empty in a forked child, which then draws the
    same bytes with fonts of its own. (A child drawing with the parent's fonts failed, rarely,
    with FreeType's "invalid outline" in CI.)"""
    import os
    import pickle

    fig = _figure()
    with shared_text():
        want = figure_bytes(fig, "png")
    assert fig_text._PARSES and fig_text._TABLES  # filled by the parent's drawing
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, draw, leave without pytest's exit work
        try:
            empty = not fig_text._PARSES and not fig_text._TABLES
            with shared_text():
                same = figure_bytes(fig, "png") == want
            os.write(write, pickle.dumps((empty, same)))
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        got = pickle.loads(f.read())
    os.waitpid(pid, 0)
    assert got == (True, True)
    assert fig_text._PARSES and fig_text._TABLES  # the parent's are kept
