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
``font.*`` / ``text.*`` / ``mathtext.*`` settings in force when the block was entered. The same
question gets the same numbers it would have been computed to, so the bytes drawn are those of
matplotlib's own path (``tests/report/test_fig_text.py``). Outside the block, and in other
threads, matplotlib's own caches answer as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import matplotlib as mpl
import matplotlib.text as mtext
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.mathtext import MathTextParser

LIMIT = 50_000  # text sizes remembered; past it, the table starts again empty
PARSE_LIMIT = 2_000  # math-text parses (a raster parse holds its image)
_PURE = (RendererAgg, RendererSVG)  # exact types: a subclass may measure otherwise
_SETTINGS = ("font.", "text.", "mathtext.")
_ACTIVE: ContextVar[int | None] = ContextVar("cartrial_shared_text", default=None)
_STATES: dict[tuple, int] = {}  # settings in force -> a small number (cheap to hash in keys)
_SIZES: dict[tuple, tuple] = {}
_PARSES: dict[tuple, Any] = {}
_ORIGINAL: dict[str, Any] = {}


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
        return _ORIGINAL["metrics"](renderer)
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
    original = _ORIGINAL["parse"]
    if state is None:
        return original(self, s, dpi, prop, antialiased, load_glyph_flags)
    key = (self._output_type, state, s, dpi, prop, antialiased, load_glyph_flags)
    return _remember(_PARSES, key, lambda: original.__wrapped__(
        self, s, dpi, prop, antialiased, load_glyph_flags), PARSE_LIMIT)


def _install() -> None:
    if _ORIGINAL:
        return
    _ORIGINAL["metrics"] = mtext._get_text_metrics_function
    _ORIGINAL["parse"] = MathTextParser.__dict__["_parse_cached"]
    mtext._get_text_metrics_function = _metrics_function
    MathTextParser._parse_cached = _parse_cached


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
    token = _ACTIVE.set(_settings())
    try:
        yield
    finally:
        _ACTIVE.reset(token)
