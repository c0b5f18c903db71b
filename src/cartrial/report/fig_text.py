"""Text measured once per figure work, not once per drawing (issue #18: figures drawn cheaper).

A report figure is drawn four times, each time by a new matplotlib renderer: laid out
(``tight_layout``, Agg at 100 dpi), drawn as the report's SVG, then, with its title and
caption, as the PNG file (Agg at 150 dpi) and as the SVG file. Matplotlib remembers the size of
a text and the parse of a math text (the log axes' ``10^{2}`` tick labels, parsed by pyparsing)
per renderer instance only, so the second SVG measures and parses again every text the first
one did, and every figure again the tick labels of the one before.

Within :func:`shared_text` both are remembered by value instead, for the renderers whose
answer is a pure function of what they are asked (:class:`RendererAgg` and
:class:`RendererSVG`, their text sizes; the math-text parses of either output type): the key is
the renderer type and dpi, the text, its font properties and whether it is math, and the
``font.*`` / ``text.*`` / ``mathtext.*`` settings in force when the block was entered. So is a
text's line height (``Text._get_layout`` looks up the font files of the text's properties, and
reads two of the font's tables, for every text at every drawing): the files per properties and
settings, each font's tables once (fonts do not change while a process runs). The same
question gets the same numbers it would have been computed to, so the bytes drawn are those of
matplotlib's own path (``tests/report/test_fig_text.py``). Outside the block, and in other
threads, matplotlib's own caches answer as before.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import matplotlib as mpl
import matplotlib.text as mtext
from matplotlib import font_manager
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.mathtext import MathTextParser

from cartrial.report.fig_patch import replace_once, set_within

LIMIT = 50_000  # text sizes remembered; past it, the table starts again empty
PARSE_LIMIT = 2_000  # math-text parses (a raster parse holds its image)
_PURE = (RendererAgg, RendererSVG)  # exact types: a subclass may measure otherwise
_SETTINGS = ("font.", "text.", "mathtext.")
_ACTIVE: ContextVar[int | None] = ContextVar("cartrial_shared_text", default=None)
_STATES: dict[tuple, int] = {}  # settings in force -> a small number (cheap to hash in keys)
_SIZES: dict[tuple, tuple] = {}
_PARSES: dict[tuple, Any] = {}
_FONTS: dict[tuple, Any] = {}  # (settings, font properties) -> the font files drawing them
_TABLES: dict[tuple, Any] = {}  # (font,) -> the font with its tables read once
_ORIGINAL: dict[str, Any] = {}


def _forget_fonts() -> None:
    """In a forked child: drop the tables holding the parent's fonts (math-text parses keep
    their FT2Font objects, :class:`_Tables` wraps one). Matplotlib's rule: FT2Font objects
    cannot be used across ``fork()`` (they share the parent's FreeType library and font
    files); it empties its own font cache in the child likewise (``font_manager``). A child
    drawing with the parent's fonts beside it failed, rarely, with FreeType's "invalid
    outline"."""
    _PARSES.clear()
    _TABLES.clear()


if hasattr(os, "register_at_fork"):  # not on Windows (no fork there)
    os.register_at_fork(after_in_child=_forget_fonts)


def _remember(table: dict, key: tuple, compute: Callable[[], Any], limit: int) -> Any:
    got = table.get(key)
    if got is None:
        got = compute()
        if len(table) >= limit:
            table.clear()
        table[key] = got
    return got


def _metrics_function(renderer: Any) -> Callable[..., tuple]:
    """``matplotlib.text._get_text_metrics_function`` answering by value within the block."""
    state = _ACTIVE.get()
    # an SVG is drawn through a MixedModeRenderer: what measures is the renderer it holds now
    # (the SVG one, or the Agg one while a dense collection is rasterised)
    inner = renderer._renderer if type(renderer) is MixedModeRenderer else renderer
    if state is None or type(inner) not in _PURE:
        return _ORIGINAL["_get_text_metrics_function"](renderer)
    base = (type(inner).__name__, getattr(inner, "dpi", None), renderer.dpi, state)

    def metrics(text: str, fontprop: Any, ismath: Any, dpi: float) -> tuple:
        return _remember(_SIZES, (*base, text, fontprop, ismath, dpi),
                         lambda: renderer.get_text_width_height_descent(text, fontprop, ismath),
                         LIMIT)

    return metrics


def _parse_cached(self: MathTextParser, s: str, dpi: float, prop: Any, antialiased: bool,
                  load_glyph_flags: Any) -> Any:
    """``MathTextParser._parse_cached`` keyed by output type, not by parser instance."""
    state = _ACTIVE.get()
    original = _ORIGINAL["_parse_cached"]
    if state is None:
        return original(self, s, dpi, prop, antialiased, load_glyph_flags)
    key = (self._output_type, state, s, dpi, prop, antialiased, load_glyph_flags)
    return _remember(_PARSES, key, lambda: original.__wrapped__(
        self, s, dpi, prop, antialiased, load_glyph_flags), PARSE_LIMIT)


class _Tables:
    """A font whose tables (``get_sfnt_table``: the line height of every text laid out) are
    read once, not twice per text and drawing."""

    def __init__(self, font: Any) -> None:
        self.font, self.tables = font, {}

    def get_sfnt_table(self, name: str) -> Any:
        if name not in self.tables:
            self.tables[name] = self.font.get_sfnt_table(name)
        return self.tables[name]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.font, name)


class _Manager:
    """``matplotlib.text.fontManager``: within the block the font files of a text's properties
    are looked up once per properties and settings; otherwise matplotlib's own manager."""

    def __getattr__(self, name: str) -> Any:
        return getattr(font_manager.fontManager, name)

    def _find_fonts_by_props(self, prop: Any, *args: Any, **kwargs: Any) -> Any:
        state = _ACTIVE.get()
        find = font_manager.fontManager._find_fonts_by_props
        if state is None or args or kwargs:
            return find(prop, *args, **kwargs)
        return _remember(_FONTS, (state, prop.copy()), lambda: find(prop), LIMIT)


def _get_font(paths: Any, *args: Any, **kwargs: Any) -> Any:
    """``matplotlib.text.get_font``: within the block, the font with its tables read once."""
    font = _ORIGINAL["get_font"](paths, *args, **kwargs)
    if _ACTIVE.get() is None:
        return font
    return _remember(_TABLES, (font,), lambda: _Tables(font), PARSE_LIMIT)


def _install() -> None:
    replace_once(_ORIGINAL, MathTextParser, {"_parse_cached": _parse_cached})
    # get_font and fontManager: used by Text._get_layout only (a text's line height)
    replace_once(_ORIGINAL, mtext, {"_get_text_metrics_function": _metrics_function,
                                    "get_font": _get_font, "fontManager": _Manager()})


def _settings() -> int:
    """The number of the ``font.*``, ``text.*`` and ``mathtext.*`` settings now in force."""
    params = mpl.rcParams
    now = tuple((k, str(params[k])) for k in sorted(params) if k.startswith(_SETTINGS))
    return _STATES.setdefault(now, len(_STATES))


@contextmanager
def shared_text() -> Iterator[None]:
    """Within this block (this thread or task), text sizes and math-text parses are
    remembered by value across renderers and figures.

    Returns
    -------
    contextmanager
        Nested blocks share the tables; leaving the outermost restores matplotlib's own
        caches for this thread.

    References
    ----------
    Matplotlib's per-renderer caches: ``matplotlib.text._get_text_metrics_function`` and
    ``matplotlib.mathtext.MathTextParser._parse_cached`` (matplotlib 3.11).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from cartrial.report.figures import figure_bytes
    >>> fig = Figure(figsize=(2, 2)); _ = fig.subplots().set_yscale("log")
    >>> with shared_text():
    ...     a = figure_bytes(fig, "svg")
    >>> a == figure_bytes(fig, "svg")
    True
    """
    _install()
    with set_within(_ACTIVE, _settings()):
        yield
