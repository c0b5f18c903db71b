"""Per-snapshot memo of what a workspace page computes (a patient's page, the patient list).

A page's content depends only on the data snapshot (with the committee's adjudications applied:
a new :class:`~cartrial.committee.workspace.Workspace` object) and its key (e.g. the patient),
never on the reader; fifty committee members opening the same patient get one computation.
Entries hold a reference to their workspace, so an ``id`` is never mistaken for a newer
snapshot's; a new snapshot simply stops matching and old entries age out (least recently used).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

#: how long a reader waits for another reader's computation of the same page before its own
WAIT_SECONDS = 600.0


class PageCache:
    """A thread-safe least-recently-used memo keyed by (workspace, key).

    Parameters
    ----------
    maxsize : int
        Entries kept (default 512: every patient page of a 500-patient trial).

    Examples
    --------
    >>> cache, ws, calls = PageCache(maxsize=2), object(), []
    >>> cache.get(ws, "P1", lambda: calls.append(1) or "page")
    'page'
    >>> cache.get(ws, "P1", lambda: calls.append(1) or "page"), len(calls)
    ('page', 1)
    """

    def __init__(self, maxsize: int = 512) -> None:
        self.maxsize = maxsize
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[int, Hashable], tuple[object, Any]] = OrderedDict()
        self._computing: dict[tuple[int, Hashable], tuple[object, threading.Event]] = {}

    def get(self, ws: object, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The memoised value of ``compute()`` for ``(ws, key)``, computed on first use.

        Readers who ask while the value is being computed wait for that computation (an
        event) instead of computing it again: fifty readers opening a large trial's patient
        list at the same moment cost one computation, not fifty.

        Parameters
        ----------
        ws : object
            The workspace (snapshot) the value belongs to.
        key : hashable
            What the value is of within the snapshot (e.g. a USUBJID).
        compute : callable
            Computes the value; called once per entry while it is kept (a reader whose
            computation failed leaves the next reader to try again).

        Returns
        -------
        object
            The value.
        """
        k = (id(ws), key)
        while True:
            with self._lock:
                hit = self._items.get(k)
                if hit is not None and hit[0] is ws:
                    self._items.move_to_end(k)
                    return hit[1]
                busy = self._computing.get(k)
                if busy is None or busy[0] is not ws:
                    done = threading.Event()
                    self._computing[k] = (ws, done)
                    break
            if not busy[1].wait(WAIT_SECONDS):  # then read the stored value (or compute it
                return compute()                  # when that computation failed)
        try:
            value = compute()
            with self._lock:
                self._items[k] = (ws, value)
                while len(self._items) > self.maxsize:
                    self._items.popitem(last=False)
            return value
        finally:
            with self._lock:
                if self._computing.get(k, (None, None))[1] is done:
                    del self._computing[k]
            done.set()
