"""Each glyph of a PNG rasterised, and each text laid out, once per process (issue #18).

Matplotlib's Agg renderer (3.11) draws a text letter by letter: for every glyph it sets the
font's size and a transform (rotation, and the glyph's position in 1/64 pixel), asks FreeType
to rasterise the glyph there, and blends the bitmap into the image. The same glyph at the same
size, rotation and position within its pixel (the position's remainder modulo 64) has the same
bitmap wherever it is drawn: a whole-pixel shift of FreeType's outline (integer 26.6
coordinates, hinted before the transform is applied) moves the bitmap's origin by those pixels
and changes none of its values. The report's PNG files draw the same tick labels, legends and
captions again and again (about half of their 7,600 glyphs on the CT071 example were drawn
before, at the same sub-pixel position).

Within :func:`glyphs_once` each such bitmap is kept (per font object, size, resolution,
hinting, antialiasing, transform and sub-pixel position) and drawn at the glyph's whole-pixel
position. So is the layout of each text (its glyphs and their offsets, which FreeType computes
from the font, its size and resolution, the hinting, the font features and the language
alone): the same tick labels, axis labels and legends recur from figure to figure. The image
is the one matplotlib's own path draws, byte for byte
(``tests/report/test_fig_glyphs.py``; the figure digests of
``tests/report/test_figure_bytes.py``). Outside the block, and in other threads, matplotlib
draws as before.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import RendererAgg, get_hinting_flag
from matplotlib.ft2font import RenderMode

from cartrial.report.fig_patch import replace_once, set_within

LIMIT = 50_000  # bitmaps kept; past it, the table starts again empty
_ACTIVE: ContextVar[bool] = ContextVar("cartrial_glyphs_once", default=False)
_BITMAPS: dict[tuple, tuple[np.ndarray, int, int]] = {}
_LAYOUTS: dict[tuple, tuple[tuple, ...]] = {}
_ORIGINAL: dict[str, Any] = {}


def _forget_fonts() -> None:
    """In a forked child: the bitmaps are keyed by the parent's font objects, which
    matplotlib does not use across ``fork()`` (it empties its own font cache there)."""
    _BITMAPS.clear()
    _LAYOUTS.clear()


if hasattr(os, "register_at_fork"):  # not on Windows (no fork there)
    os.register_at_fork(after_in_child=_forget_fonts)


def _bitmap(renderer: RendererAgg, font: Any, size: float, glyph: int, matrix: np.ndarray,
            fraction: tuple[int, int], load_flags: Any, mode: Any) -> tuple:
    """(bitmap, left, top) of ``glyph`` rasterised at the sub-pixel position ``fraction``."""
    key = (font, size, renderer.dpi, glyph, load_flags, mode, matrix.tobytes(), fraction)
    got = _BITMAPS.get(key)
    if got is None:
        font.set_size(size, renderer.dpi)
        font._set_transform(matrix, list(fraction))
        bitmap = font._render_glyph(glyph, load_flags, mode)
        buffer = bitmap.buffer
        if mode is RenderMode.MONO:  # FreeType's 0/1 coverage as 0/255, as matplotlib does
            buffer = buffer * 0xff
        if len(_BITMAPS) >= LIMIT:
            _BITMAPS.clear()
        got = _BITMAPS[key] = (buffer, bitmap.left, bitmap.top)
    return got


def _draw_text_glyphs_and_boxes(self: RendererAgg, gc: Any, x: float, y: float, angle: float,
                                glyphs: Iterable[tuple], boxes: Iterable[tuple]) -> None:
    """``RendererAgg._draw_text_glyphs_and_boxes``, each distinct bitmap rasterised once."""
    draw = _ORIGINAL["_draw_text_glyphs_and_boxes"]
    if not _ACTIVE.get():
        return draw(self, gc, x, y, angle, glyphs, boxes)
    # the same arithmetic as matplotlib's, in the same order (the same positions)
    cos = math.cos(math.radians(angle))
    sin = math.sin(math.radians(angle))
    load_flags = get_hinting_flag()
    mode = RenderMode.NORMAL if gc.get_antialiased() else RenderMode.MONO
    matrices: dict[tuple, np.ndarray] = {}
    for font, size, glyph, slant, extend, dx, dy in glyphs:  # dy is upwards
        matrix = matrices.get((slant, extend))
        if matrix is None:
            matrix = matrices[(slant, extend)] = (
                0x10000 * np.array([[cos, -sin], [sin, cos]])
                @ [[extend, extend * slant], [0, 1]]).round().astype(int)
        px = round(0x40 * (x + dx * cos - dy * sin))
        py = round(0x40 * (self.height - y + dx * sin + dy * cos))  # FreeType's y is upwards
        buffer, left, top = _bitmap(self, font, size, glyph, matrix, (px & 63, py & 63),
                                    load_flags, mode)
        # the whole pixels of the position move the bitmap's origin, not its values
        self._renderer.draw_text_image(
            buffer, left + (px >> 6), int(self.height) - (top + (py >> 6)) + buffer.shape[0],
            0, gc)
    return draw(self, gc, x, y, angle, (), boxes)  # the rules of a math text


def _draw_text(self: RendererAgg, gc: Any, x: float, y: float, s: str, prop: Any,
               angle: float, ismath: Any = False, mtext: Any = None) -> None:
    """``RendererAgg.draw_text``, each text laid out once (a math text: matplotlib's own,
    its parse kept by :mod:`cartrial.report.fig_text`)."""
    if ismath or not _ACTIVE.get():
        return _ORIGINAL["draw_text"](self, gc, x, y, s, prop, angle, ismath, mtext)
    font = self._prepare_font(prop)
    features = mtext.get_fontfeatures() if mtext is not None else None
    language = mtext.get_language() if mtext is not None else None
    size = prop.get_size_in_points()
    flags = get_hinting_flag()
    key = (font, size, self.dpi, s, flags, features, language)
    try:
        glyphs = _LAYOUTS.get(key)
    except TypeError:  # a language given as a list of ranges: laid out, not kept
        key, glyphs = None, None
    if glyphs is None:
        glyphs = tuple((item.ft_object, item.glyph_index, item.x, item.y)
                       for item in font._layout(s, flags=flags, features=features,
                                                language=language))
        if key is not None:
            if len(_LAYOUTS) >= LIMIT:
                _LAYOUTS.clear()
            _LAYOUTS[key] = glyphs
    self._draw_text_glyphs_and_boxes(
        gc, x, y, angle, ((ft, size, glyph, 0, 1, dx, dy) for ft, glyph, dx, dy in glyphs), [])




@contextmanager
def glyphs_once() -> Iterator[None]:
    """Within this block (this thread or task), Agg keeps every glyph bitmap it rasterises
    and every text layout, and draws a glyph drawn before at the same sub-pixel position, or
    a text laid out before with the same font, size and resolution, from them.

    Returns
    -------
    contextmanager
        The bitmaps and layouts stay for the process (bounded by :data:`LIMIT`; a forked
        child starts without them); outside every block Agg draws letter by letter again.

    References
    ----------
    Matplotlib's ``RendererAgg.draw_text`` and ``RendererAgg._draw_text_glyphs_and_boxes``
    (matplotlib 3.11); FreeType 2 API reference, ``FT_Set_Transform`` (the transform and
    delta applied to a glyph's outline after hinting, before it is rendered) and
    ``FT_Render_Glyph``.

    Examples
    --------
    >>> import io
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(2, 2)); _ = fig.subplots().set_title("Glyphs, glyphs")
    >>> def png():
    ...     buf = io.BytesIO(); fig.savefig(buf, format="png"); return buf.getvalue()
    >>> with glyphs_once():
    ...     a = png()
    >>> a == png()
    True
    """
    replace_once(_ORIGINAL, RendererAgg, {"_draw_text_glyphs_and_boxes":
                                          _draw_text_glyphs_and_boxes,
                                          "draw_text": _draw_text})
    with set_within(_ACTIVE, True):
        yield
