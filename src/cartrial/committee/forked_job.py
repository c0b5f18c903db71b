"""One computation run in a forked child process, its result read back once through a pipe.

``cartrial serve`` starts its first pages' computations this way before it imports the web
stack (:mod:`cartrial.committee.first_build`): the child inherits what the server has read (the
protocol, the study) and computes beside it on the second core; nothing is loaded twice or sent
to the child. The child leaves without the interpreter's exit work (nothing of the server's is
flushed or closed twice). A child that fails, dies or is stopped gives no value: the caller then
computes it itself, as without a child.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import threading
from collections.abc import Callable
from typing import Any


class ForkedJob:
    """``fn()`` computed in a forked child; :meth:`take` waits for it, once.

    Start one with :meth:`start` (before any thread is started: a forked child has only the
    thread that forked).

    Parameters
    ----------
    pid : int
        The child's process id.
    fd : int
        The reading end of the pipe the child writes ``(status, value)`` into.

    Examples
    --------
    >>> job = ForkedJob.start(lambda: 6 * 7)
    >>> job.take()
    ('ok', 42)
    >>> job.take()[0]  # a result is taken once
    'taken'
    """

    def __init__(self, pid: int, fd: int) -> None:
        self.pid, self._fd = pid, fd
        self._lock = threading.Lock()
        self._claimed = self._reaped = False

    @classmethod
    def start(cls, fn: Callable[[], Any]) -> ForkedJob:
        """Fork a child that computes ``fn()`` and writes it back.

        Parameters
        ----------
        fn : callable
            What the child computes (its result must pickle).

        Returns
        -------
        ForkedJob
        """
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read)
            _child(write, fn)
        os.close(write)
        return cls(pid, read)

    def take(self) -> tuple[str, Any]:
        """Wait for the child and collect it.

        Returns
        -------
        tuple of (str, object)
            ``("ok", value)``; ``("error", why)`` when ``fn`` raised or the child died or was
            stopped; ``("taken", "")`` when taken (or stopped) before.
        """
        with self._lock:
            if self._claimed:
                return "taken", ""
            self._claimed = True
        try:  # waits without the lock: stop() may end the child meanwhile
            with os.fdopen(self._fd, "rb") as f:
                status, value = pickle.load(f)
        except Exception as exc:  # noqa: BLE001 - died, killed, or a result that does not load
            status, value = "error", f"no result from the child: {exc!r}"
        finally:
            self._reap()
        return status, value

    def stop(self) -> None:
        """End the child if it is still computing and collect it.

        Returns
        -------
        None
        """
        with self._lock:
            if self._reaped:
                return
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if self._claimed:  # the reader gets the end of the pipe and collects it
                return
            self._claimed = True
            os.close(self._fd)
        self._reap()

    def _reap(self) -> None:
        with self._lock:
            if self._reaped:
                return
            self._reaped = True
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:  # collected already
            pass


def _child(fd: int, fn: Callable[[], Any]) -> None:
    """The forked child: compute, write ``(status, value)`` into ``fd`` and leave at once."""
    code = 0
    # what the server had made before the fork is left out of this process's garbage
    # collections, which would otherwise walk (and so copy, page by page) its whole heap
    gc.freeze()
    try:
        try:
            out: tuple[str, object] = ("ok", fn())
        except BaseException as exc:  # noqa: BLE001 - the parent computes it itself
            out = ("error", f"{type(exc).__name__}: {exc}")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(out, f, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:  # noqa: BLE001 - the parent reads no result and computes itself
        code = 1
    finally:
        os._exit(code)
