"""report.fig_glyphs: each glyph of a PNG rasterised, and each text laid out, once per process,
the same image.

Regression tests: the PNG drawn with the kept bitmaps against matplotlib's own drawing of the
same figure (letter by letter, each rasterised), byte for byte; rotated, math, bold and
non-antialiased texts included.
"""

from __future__ import annotations

import io

import pytest
from matplotlib.figure import Figure

import cartrial.report.fig_glyphs as fg
from cartrial._fork import can_fork
from cartrial.report.background import Background


def _figure() -> Figure:
    fig = Figure(figsize=(4, 3))
    ax, bx = fig.subplots(1, 2)
    ax.plot([1, 10, 100], [1, 1000, 10])
    ax.set_yscale("log")  # math-text tick labels (10^{k})
    ax.set_ylabel("Concentration, log scale")  # rotated 90 degrees
    ax.set_title("Spider plot of the change", fontweight="bold")
    bx.text(0.1, 0.5, "Patients without CRS 12 of 20", rotation=33, fontsize=6.5)
    bx.text(0.2, 0.2, "Aliased text, aliased text", antialiased=False)
    bx.text(0.3, 0.8, r"$\mu$g/L $\geq$ 3 (n = 4)", fontsize=7)
    for k in range(5):  # the same words at many sub-pixel positions
        bx.text(0.013 * k + 0.05, 0.1 * k + 0.05, "DL1 (n = 3)", fontsize=6)
    return fig


def _png(fig: Figure, dpi: float = 150) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": "test"})
    return buf.getvalue()


@pytest.mark.parametrize("dpi", [72, 100, 150])
def test_png_with_kept_glyphs_is_matplotlibs_own(dpi: float) -> None:
    """Regression: the same bytes as matplotlib drawing every letter, the first time (the
    bitmaps rasterised) and the second (all of them kept)."""
    fig = _figure()
    fg._BITMAPS.clear()
    fg._LAYOUTS.clear()
    own = _png(fig, dpi)
    with fg.glyphs_once():
        first = _png(fig, dpi)
        kept = len(fg._BITMAPS)
        second = _png(fig, dpi)
    assert first == own and second == own
    assert 0 < kept == len(fg._BITMAPS)  # the second drawing rasterised nothing new


def test_a_glyph_at_the_same_sub_pixel_position_is_rasterised_once(monkeypatch) -> None:
    """Fewer glyphs are rasterised than drawn (repeated words share their bitmaps)."""
    drawn = []
    real = fg._bitmap

    def counted(*args, **kwargs):
        drawn.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(fg, "_bitmap", counted)
    fg._BITMAPS.clear()
    with fg.glyphs_once():
        _png(_figure())
    assert 0 < len(fg._BITMAPS) < len(drawn)


@pytest.mark.skipif(not can_fork(), reason="needs fork and a second core")
def test_a_forked_process_keeps_none_of_its_parents_bitmaps() -> None:
    """Matplotlib's font objects are not used across fork: the child starts empty, and its
    drawing is still matplotlib's own."""
    fig = _figure()
    with fg.glyphs_once():
        _png(fig)
    assert fg._BITMAPS and fg._LAYOUTS

    def child() -> tuple[int, bytes]:
        empty = len(fg._BITMAPS) + len(fg._LAYOUTS)
        with fg.glyphs_once():
            return empty, _png(fig)

    empty, png = Background(child).wait()
    assert empty == 0 and png == _png(fig)


def test_a_text_drawn_again_with_the_same_font_and_size_is_laid_out_once() -> None:
    """The five "DL1 (n = 3)" labels of the figure share one layout (and the image is
    matplotlib's own: the tests above)."""
    fg._LAYOUTS.clear()
    with fg.glyphs_once():
        _png(_figure())
    assert [k[3] for k in fg._LAYOUTS].count("DL1 (n = 3)") == 1
    assert "Spider plot of the change" in {k[3] for k in fg._LAYOUTS}
