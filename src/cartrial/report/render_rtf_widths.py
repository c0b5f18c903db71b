"""rtflite's text widths, each distinct text measured once.

rtflite paginates a table by measuring every cell's text (``rtflite.strwidth.get_string_width``),
loading the TrueType font from its package for each call; in a report the same cell texts
("0", "1 (25.0)", dose labels) recur across rows and tables, and the font loading was about a
third of rtflite's time. :func:`remembered_widths` has rtflite's pagination measure through a
memo: the same arguments give the same width (the function depends on nothing else), so the
RTF bytes are the same. A text measured for the first time is measured as rtflite measures it
(the same font file and size, Pillow's ``getlength``, the same unit conversion) with the font
loaded once per process instead of once per call (``tests/report/test_render_rtf_widths.py``
compares every width with rtflite's own function).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()


@functools.cache
def _font(name: str, size):
    """rtflite's TrueType font ``name`` at ``size`` (Pillow), loaded once per process: what
    ``rtflite.strwidth.get_string_width`` loads from rtflite's package for every call."""
    import importlib.resources

    import rtflite.fonts
    from PIL import ImageFont
    from rtflite.strwidth import _FONT_PATHS

    path = importlib.resources.files(rtflite.fonts) / _FONT_PATHS[name]
    return ImageFont.truetype(str(path), size=size)


def _measure(text: str, font="Times New Roman", font_size: float = 12, unit: str = "in",
             dpi: float = 72.0) -> float:
    """``rtflite.strwidth.get_string_width`` with its font loaded once (:func:`_font`): the
    same font file, size and Pillow measure, so the same width; a font or unit rtflite does
    not know goes to rtflite's function (which raises its own error)."""
    import math

    from rtflite import strwidth as sw

    name = sw.RTF_FONT_NAMES.get(font) if isinstance(font, int) else font
    if name not in sw._FONT_PATHS or unit not in ("in", "px", "mm"):
        return sw.get_string_width(text, font=font, font_size=font_size, unit=unit, dpi=dpi)
    size = int(math.ceil(font_size)) if sw._PILLOW_REQUIRES_INT_SIZE else font_size
    px = _font(name, size).getlength(text)
    return px if unit == "px" else px / dpi if unit == "in" else (px / dpi) * 25.4


@functools.cache
def _memo():
    """:func:`_measure` behind a bounded memo (built on first use)."""
    return functools.lru_cache(maxsize=1 << 16)(_measure)


@contextmanager
def remembered_widths() -> Iterator[None]:
    """Within the block, rtflite's pagination measures each distinct (text, font, size) once.

    The module attribute ``rtflite.pagination.core.get_string_width`` is pointed at the memo
    of the same function and restored on leaving; a lock keeps two threads from interleaving
    the swap (rendering holds the interpreter lock anyway).

    Yields
    ------
    None

    Examples
    --------
    >>> import rtflite.pagination.core as core
    >>> before = core.get_string_width
    >>> with remembered_widths():
    ...     core.get_string_width("12 (50.0)", font=1, font_size=9) == before(
    ...         "12 (50.0)", font=1, font_size=9)
    True
    >>> core.get_string_width is before
    True
    """
    import rtflite.pagination.core as core

    memo = _memo()
    with _LOCK:
        before = core.get_string_width
        core.get_string_width = memo
        try:
            yield
        finally:
            core.get_string_width = before
