"""The workspace's start-up build, run in the background so that ``cartrial serve`` answers at
once: the data are loaded and validated first (bad data still stop the server), then the
decisions are computed on a thread and, after them, the safety analysis on another; a page waits
on the event of what it needs (no polling): the overview only on the decisions (it says which of
its parts are still being computed), a patient page on the safety analysis too."""

from __future__ import annotations

import threading
from collections.abc import Callable

from cartrial.errors import InputError

#: how long a page waits for the start-up build before it says the workspace is not ready
WAIT_SECONDS = 900.0


class StartUp:
    """One background build and its outcome.

    Parameters
    ----------
    build : callable
        Returns the workspace (or a part of it); an ``InputError`` it raises is kept as the
        reason.
    name : str
        The thread's name.
    gate : threading.Event, optional
        Set by the caller when the build may begin (e.g. once the first page is prepared).

    Examples
    --------
    >>> StartUp(lambda: "workspace").result()
    ('workspace', '')
    >>> StartUp.finished("analysis").poll()
    (True, '')
    """

    def __init__(self, build: Callable[[], object] | None,
                 name: str = "cartrial-workspace-start-up",
                 gate: threading.Event | None = None) -> None:
        self._done = threading.Event()
        self._value: object | None = None
        self._why = ""
        if build is not None:
            threading.Thread(target=self._run, args=(build, gate), daemon=True,
                             name=name).start()

    @classmethod
    def finished(cls, value: object) -> StartUp:
        """A build already done (computed in the caller's thread): ``value`` at once.

        Parameters
        ----------
        value : object
            What the build returned.

        Returns
        -------
        StartUp
        """
        job = cls(None)
        job._value = value
        job._done.set()
        return job

    def poll(self) -> tuple[bool, str]:
        """Without waiting: whether the build has ended, and why it failed ("" if it did not).

        Returns
        -------
        tuple
            ``(ended, reason)``.
        """
        return self._done.is_set(), self._why

    def _run(self, build: Callable[[], object], gate: threading.Event | None) -> None:
        if gate is not None and not gate.wait(WAIT_SECONDS):
            self._why = f"the build was not allowed to start within {WAIT_SECONDS:g} s"
            self._done.set()
            return
        try:
            self._value = build()
        except InputError as exc:
            self._why = str(exc).splitlines()[0]
        except Exception as exc:  # noqa: BLE001 - shown on the pages, never lost in a thread
            self._why = f"{type(exc).__name__}: {exc}"
        finally:
            self._done.set()

    def result(self, timeout: float = WAIT_SECONDS) -> tuple[object | None, str]:
        """Wait for the build: ``(workspace, "")``, or ``(None, reason)`` when it failed.

        Parameters
        ----------
        timeout : float
            Seconds to wait at most.

        Returns
        -------
        tuple
            The workspace (None on failure) and the reason it failed ("" when built).

        Raises
        ------
        InputError
            The build did not finish within ``timeout``.
        """
        if not self._done.wait(timeout):
            raise InputError(f"the workspace was not built within {timeout:g} s of start-up")
        return self._value, self._why
