"""The analysis-results files written by two processes taking groups of tables from both ends
of one list (issue #18: the pipeline at 10,000 patients in 90 s).

At a large trial the analysis-results files (:func:`cartrial.report.ars.write_ars`) cost more
than the HTML report and the table files together (measured at 10,000 patients: about 8 s of
CPU against 5 s). A forked process starts on them as the writing starts, taking the groups of
tables that read the same analysis data (:func:`cartrial.report.ars.plan_ars`) from the front
of the list; this process, once its own files are written, takes groups from the back. Each
group is taken once, under a lock over the two ends kept in shared memory, so the two
processes end at about the same time whichever is slower that minute. A group's files have
the same bytes whichever process writes them (each group's tables are written in turn from
their own analysis data, as :func:`~cartrial.report.ars.write_ars` writes them).

Memory: the child inherits the parent's pages without copying them (copy-on-write); each
process holds one group's analysis data at a time (at 10,000 patients the tree's
proportional set size was measured below 950 MiB, BENCHMARKS.md).
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Sequence
from contextlib import nullcontext
from functools import partial
from pathlib import Path

import pandas as pd

from cartrial.report.ars import Plan, plan_ars, write_groups
from cartrial.report.background import Background, can_fork
from cartrial.report.table import ReportTable


class Ends:
    """The groups ``0 .. n - 1`` not yet taken, handed out from the front and from the back,
    each once, across forked processes (two integers in shared memory under one lock).

    Parameters
    ----------
    n : int
        The number of groups.
    shared : bool, optional
        False: this process alone takes them (a plain list, where there is no ``fork``).

    Examples
    --------
    >>> ends = Ends(3)
    >>> ends.front(), ends.back(), ends.front(), ends.back()
    (0, 2, 1, None)
    """

    def __init__(self, n: int, *, shared: bool = True) -> None:
        # "fork": the child made by Background inherits the mapping and the lock
        self._ends = mp.get_context("fork").Array("q", [0, n]) if shared else [0, n]
        self._lock = self._ends.get_lock() if shared else nullcontext()

    def front(self) -> int | None:
        """The first group not yet taken (None: none left)."""
        with self._lock:
            lo, hi = self._ends[0], self._ends[1]
            if lo >= hi:
                return None
            self._ends[0] = lo + 1
            return lo

    def back(self) -> int | None:
        """The last group not yet taken (None: none left)."""
        with self._lock:
            lo, hi = self._ends[0], self._ends[1]
            if lo >= hi:
                return None
            self._ends[1] = hi - 1
            return hi - 1


class SharedResults:
    """The analysis-results files of every table, started now in a forked process (from the
    front of the groups) and shared by this one in :meth:`finish` (from the back).

    Parameters
    ----------
    tables : list of ReportTable
        Every table and listing of the report.
    ds : dict of str to pandas.DataFrame
        The ADaM datasets.
    tdir : pathlib.Path
        The report's tables folder.
    count_dose_as, baskets
        As :func:`cartrial.report.ars.write_ars`.
    share : bool
        Whether :meth:`finish` takes groups in this process too (False: the forked process
        writes every group, this one waits for it).
    parallel : bool
        False (or no fork, or one core): every group is written in :meth:`finish`, in turn,
        as :func:`~cartrial.report.ars.write_ars` writes them.

    Examples
    --------
    >>> import tempfile
    >>> t = ReportTable("14.2.2", "Decision table", "Design", pd.DataFrame(
    ...     {"row": ["Escalate if"], "column": ["DLTs"], "value": ["0"]}))
    >>> [p.name for p in SharedResults([t], {}, Path(tempfile.mkdtemp())).finish()]
    ['table_14_2_2.ard.json', 'table_14_2_2.ard.csv']
    """

    def __init__(self, tables: list[ReportTable], ds: dict[str, pd.DataFrame], tdir: Path, *,
                 count_dose_as: str = "assigned", baskets: Sequence = (), share: bool = True,
                 parallel: bool = True) -> None:
        plan: Plan = plan_ars(tables, ds, count_dose_as)
        self._n_tables, self._share = len(tables), share
        forked = parallel and can_fork()
        self._ends = Ends(len(plan.groups), shared=forked)
        self._mine = partial(write_groups, plan, tables, ds, tdir, baskets=baskets)
        self._job = Background(partial(self._mine, self._ends.front), parallel=forked)

    def finish(self) -> list[Path]:
        """Write the groups left (from the back, while the forked process takes them from
        the front), wait for the forked process.

        Returns
        -------
        list of pathlib.Path
            What :func:`cartrial.report.ars.write_ars` returns for the same tables.

        Raises
        ------
        Exception
            The error either process's writer raised (the forked one's through
            :meth:`Background.wait`).
        """
        mine: dict[int, list[Path]] = {}
        if self._job.forked and self._share:
            try:
                mine = self._mine(self._ends.back)
            except BaseException:
                self._job.cancel()
                raise
        files = {**self._job.wait(), **mine}
        return [p for i in range(self._n_tables) for p in files[i]]
