"""rtflite's text widths, each distinct text measured once.

rtflite paginates a table by measuring every cell's text (``rtflite.strwidth.get_string_width``),
loading the TrueType font from its package for each call; in a report the same cell texts
("0", "1 (25.0)", dose labels) recur across rows and tables, and the font loading was about a
third of rtflite's time. :func:`remembered_widths` has rtflite's pagination call its own function
through a memo: the same arguments give the same width (the function depends on nothing else),
so the RTF bytes are the same.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()


@functools.cache
def _memo():
    """rtflite's ``get_string_width`` behind a bounded memo (built on first use, so importing
    this module does not import rtflite)."""
    from rtflite.strwidth import get_string_width

    return functools.lru_cache(maxsize=1 << 16)(get_string_width)


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
