"""The workspace's start-up build, run in the background so that ``cartrial serve`` answers at
once: the data are loaded and validated first (bad data still stop the server), the decisions
and the safety analysis are computed on a thread, and a page that needs them waits on an event
(no polling)."""

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
        Returns the workspace; an ``InputError`` it raises is kept as the reason.

    Examples
    --------
    >>> StartUp(lambda: "workspace").result()
    ('workspace', '')
    """

    def __init__(self, build: Callable[[], object]) -> None:
        self._done = threading.Event()
        self._value: object | None = None
        self._why = ""
        self._thread = threading.Thread(target=self._run, args=(build,), daemon=True,
                                        name="cartrial-workspace-start-up")
        self._thread.start()

    def _run(self, build: Callable[[], object]) -> None:
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
