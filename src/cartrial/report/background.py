"""Run a writer in a forked process while this one goes on (issue #18: ``analyze`` in seconds).

The report's writers are independent: each writes its own files from data already in memory
(the ADaM files and analysis-results files on one side, the HTML report and the table and
figure files on the other). On a machine with two or more cores they can run side by side. A
forked child inherits the data as they are (nothing is pickled on the way in) and writes the
same bytes it would have written in this process; what it returns, or the error that stopped
it, comes back through a pipe and is returned or raised by :meth:`Background.wait`.

Sequential instead (the function runs inside :meth:`Background.wait`): where ``fork`` does not
exist, with one core, or when asked (``parallel=False``: a large trial, whose memory a child's
copy-on-write pages could double).
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import pickle
from collections.abc import Callable
from typing import Any

from cartrial._fork import can_fork


def _portable(exc: BaseException) -> BaseException:
    """The error itself when it survives pickling, else a RuntimeError carrying its text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # an error class whose arguments cannot be rebuilt
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _child(send, fn: Callable[[], Any]) -> None:
    # the objects inherited from the parent are left out of this process's garbage
    # collections: a full collection would otherwise walk (and so copy, page by page) the
    # parent's whole heap; issue #18: a tenth of the children's CPU on the example
    gc.freeze()
    try:
        out: tuple[str, Any] = ("ok", fn())
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        out = ("error", _portable(exc))
    try:
        send.send(out)
    except Exception as exc:  # the result itself does not pickle
        send.send(("error", RuntimeError(f"background result not returned: {exc}")))
    send.close()
    # leave now, without the interpreter's exit work: the child writes nothing to stdout or
    # stderr, whose locks a thread of the parent (a terminal progress bar) may have held at
    # the fork
    os._exit(0)


def _cancelled() -> Any:
    raise RuntimeError("the background work was cancelled")


class Background:
    """``fn()`` started in a forked process (or kept for :meth:`wait` when not parallel).

    Parameters
    ----------
    fn : callable
        Takes no arguments (a ``functools.partial``); writes files, returns a picklable value.
    parallel : bool, optional
        False runs ``fn`` sequentially inside :meth:`wait`.

    Examples
    --------
    >>> job = Background(lambda: 6 * 7)
    >>> job.wait()
    42
    """

    def __init__(self, fn: Callable[[], Any], *, parallel: bool = True) -> None:
        self._fn, self._proc = fn, None
        if parallel and can_fork():
            ctx = mp.get_context("fork")
            self._recv, send = ctx.Pipe(duplex=False)
            self._proc = ctx.Process(target=_child, args=(send, fn), daemon=True)
            self._proc.start()
            send.close()

    @property
    def forked(self) -> bool:
        """Whether ``fn`` runs in a forked process (False: it runs inside :meth:`wait`).

        Examples
        --------
        >>> Background(lambda: 1, parallel=False).forked
        False
        """
        return self._proc is not None

    def cancel(self) -> None:
        """Drop the work: a forked process is ended (its result is not wanted), a sequential
        one is never run.

        Returns
        -------
        None
            So that ``job = job.cancel()`` forgets the job.

        Examples
        --------
        >>> job = Background(lambda: 1 / 0, parallel=False)
        >>> job.cancel() is None
        True
        """
        if self._proc is not None:
            self._proc.terminate()
            self._proc.join()
            self._recv.close()
            self._proc = None
        self._fn = _cancelled

    def wait(self) -> Any:
        """What ``fn()`` returned; its error raised here.

        Returns
        -------
        object
            The return value of ``fn``.

        Raises
        ------
        Exception
            The error ``fn`` raised (a ``RuntimeError`` with its text when the error cannot
            travel between processes, or when the child died without a word).

        Examples
        --------
        >>> Background(lambda: "done", parallel=False).wait()
        'done'
        """
        if self._proc is None:
            return self._fn()
        try:
            status, value = self._recv.recv()
        except EOFError:
            status, value = "error", None
        self._proc.join()
        self._recv.close()
        if status == "ok":
            return value
        if value is None:
            raise RuntimeError(f"a background writer stopped (exit code {self._proc.exitcode})")
        raise value
