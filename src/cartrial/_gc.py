"""Modules imported without garbage collections, then frozen (issue #18: start-up CPU).

The modules a run imports live as long as the process, and importing them makes little
garbage; but each full collection walks every object made so far, and the imports (pandas,
the engines, the report) make about 100,000: one or two full collections while they are
imported, and each later one walked them again (0.65 s of the main process's CPU in the
example's ``analyze`` under load, 0.27 s with them frozen).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def imported_uncollected(active: bool) -> Iterator[None]:
    """When ``active``: no garbage collection inside the block, then what it made frozen
    (``gc.freeze``: left out of every later collection); the collector is left enabled or
    disabled as it was found. When not: nothing changes.

    Parameters
    ----------
    active : bool
        Whether this process's imports may be frozen (the command's own process, or a run
        that unfreezes them when it returns).

    References
    ----------
    ``gc.disable``, ``gc.freeze``, The Python Standard Library, section "gc" (3.11).

    Examples
    --------
    >>> with imported_uncollected(True):
    ...     off = not gc.isenabled()
    >>> off, gc.isenabled(), gc.get_freeze_count() > 0
    (True, True, True)
    >>> gc.unfreeze()
    """
    was = active and gc.isenabled()
    if was:
        gc.disable()
    try:
        yield
    finally:
        if active:
            gc.freeze()
        if was:
            gc.enable()
