"""The `cartrial` process ends as soon as its verb has ended, without the interpreter's teardown.

When a verb returns, Python would take every module and object it holds apart one by one before
the process exits: after ``analyze`` on the example about 0.5 s of a run's 7-8 s (issue #18),
work nobody waits for. The command line therefore ends its process with ``os._exit`` once what
the normal exit does that matters is done: the standard streams are flushed and the exit
handlers run (``atexit``: temporary folders removed, a server's child processes ended, logging
flushed). Every file the verbs write is closed by then (they write through ``with`` blocks and
libraries that close what they open; ``benchmarks/compare_outputs.py`` runs the command this
way). When a thread other than daemon threads is still running (a thread pool, a server), the
process exits the normal way, which waits for it.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable
from typing import NoReturn


def exit_when_done(run: Callable[[], object]) -> NoReturn:
    """Call ``run()`` (the command line) and end the process with its exit status.

    Parameters
    ----------
    run : callable
        The command line; it ends by returning or raising ``SystemExit`` (as Click does).

    Raises
    ------
    SystemExit
        Where the normal exit is needed (threads still running).
    BaseException
        What ``run`` raises other than ``SystemExit`` (e.g. ``KeyboardInterrupt``),
        unchanged.

    Examples
    --------
    Ends the interpreter, so not run here:

    >>> exit_when_done(lambda: print("done"))  # doctest: +SKIP
    done
    """
    try:
        run()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    others = [t for t in threading.enumerate()
              if t is not threading.main_thread() and t.is_alive() and not t.daemon]
    if others:  # the normal exit waits for them
        sys.exit(code)
    status = _status(code)
    atexit._run_exitfuncs()  # noqa: SLF001 - what the normal exit runs, here before leaving
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said there
            pass
    os._exit(status)


def _status(code: object) -> int:
    """The exit status ``sys.exit(code)`` gives (a text is printed and gives 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1
