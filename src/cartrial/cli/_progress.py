"""Progress on long work, on a terminal and off it (issue #18 point 4).

On a terminal, a ``rich`` progress bar on stderr (transient). When stderr is not a terminal (output
redirected to a file or a pipe, a CI log), a bar would print nothing until the end; instead one
plain line per stage, and for counted work a line at each tenth of the total, so that a log shows
that work goes on and where it is. ``--json`` and ``--quiet`` silence both: stdout stays the
machine-readable answer, and stderr carries no noise.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console


class Reporter:
    """Stage and count updates, drawn as a bar on a terminal or as lines elsewhere.

    Use through :func:`progress`. ``stage(name)`` starts a named step (advancing a staged total);
    ``count(done, total)`` reports counted work (trials, patients, chunks).
    """

    def __init__(self, console: Console, label: str, total: int | None, *, enabled: bool,
                 bar=None, task=None) -> None:
        self._console = console
        self._label = label
        self._total = total
        self._enabled = enabled
        self._bar = bar
        self._task = task
        self._done = 0
        self._last_tenth = -1
        self._t0 = time.monotonic()

    def _line(self, text: str) -> None:
        elapsed = time.monotonic() - self._t0
        self._console.print(f"{self._label}: {text} ({elapsed:.1f} s)", markup=False,
                            highlight=False)

    def stage(self, name: str) -> None:
        """A named step begins (one of ``total`` stages)."""
        self._done += 1
        if not self._enabled:
            return
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=name)
            return
        of = f" [{self._done}/{self._total}]" if self._total else ""
        self._line(f"{name}{of}")

    def count(self, done: int, total: int | None = None) -> None:
        """``done`` of ``total`` units of counted work are finished."""
        total = total if total is not None else self._total
        if not self._enabled:
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total)
            return
        if not total:
            self._line(f"{done} done")
            return
        tenth = int(10 * done / total)
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            self._line(f"{done}/{total}")


@contextmanager
def progress(console: Console, label: str, total: int | None = None, *,
             quiet: bool = False, bar_columns: tuple = ()) -> Iterator[Reporter]:
    """A :class:`Reporter` for ``label``: a bar on a terminal, lines when redirected.

    Parameters
    ----------
    console : rich.console.Console
        The stderr console of the CLI.
    label : str
        What the work is (the first word of every line).
    total : int, optional
        Number of stages or units; None when unknown.
    quiet : bool
        No progress at all (``--json``, ``--quiet``).
    bar_columns : tuple
        ``rich.progress`` columns for the terminal bar (default: description, bar, count, time).

    Examples
    --------
    >>> import io
    >>> from rich.console import Console
    >>> c = Console(file=io.StringIO(), force_terminal=False)
    >>> with progress(c, "analyze", 2) as p:
    ...     p.stage("load and validate")
    >>> c.file.getvalue().startswith("analyze: load and validate [1/2]")
    True
    """
    if quiet or not console.is_terminal:
        yield Reporter(console, label, total, enabled=not quiet)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    cols = bar_columns or (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TimeElapsedColumn())
    with Progress(*cols, console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield Reporter(console, label, total, enabled=True, bar=bar, task=task)

