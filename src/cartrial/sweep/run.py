"""Run a design sweep, serially or on dask.distributed, cell by cell with exact resume.

Each cell is :func:`~cartrial.design.simulate_oc.simulate_oc` of one design in one scenario with
the cell's own seed (:mod:`cartrial.sweep.grid`), so a cell's result is the same whichever
process computes it, in whatever order, and however often it is retried. The client (this
process) writes each result as it arrives (:mod:`cartrial.sweep.store`); a rerun verifies
the stored cells, recomputes missing, corrupt or mismatched ones and skips the rest. dask retries
tasks of a worker that dies (``distributed.scheduler.allowed-failures``).

Scale-out uses dask.distributed ``Client.map`` over (chunks of)
cells; a ``LocalCluster`` on one machine, an existing scheduler by address, or dask-jobqueue's
``SLURMCluster``/``PBSCluster`` on HPC (docs/sweep.md).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cartrial import __version__
from cartrial.design.simulate_oc import simulate_oc
from cartrial.errors import Finding, FindingsError, InputError
from cartrial.sweep.grid import SweepCell, SweepGrid
from cartrial.sweep.grid_file import GRID_DOMAIN
from cartrial.sweep.store import (
    CellProblem,
    cell_frame,
    clean_temporary,
    quarantine,
    verify_cell,
    write_cell,
    write_manifest,
)

Progress = Callable[[int, int], None]
IO_THREADS = 4


@dataclass(frozen=True)
class SweepReport:
    """What a run did: cells in the grid, reused from disk, computed now, and files that failed
    verification (moved to ``quarantine/`` and recomputed).

    Parameters
    ----------
    out : str
        The results folder.
    grid_hash, cartrial_version : str
        The grid's sha256 and the cartrial version that ran it.
    n_cells, reused, computed : int
        Cells in the grid, taken valid from disk, and simulated in this run.
    problems : tuple of CellProblem
        Stored files that failed verification.
    temp_files_removed : int
        Temporary files left by an interrupted run and removed.
    workers : int or None
        Dask workers (None = serial).
    elapsed_seconds : float
        Wall-clock time of the run (the only field that differs between identical runs).

    Examples
    --------
    >>> import tempfile
    >>> from cartrial.sweep import expand_grid
    >>> boin = {"id": "boin", "name": "boin", "target": 0.3, "cohort_size": 3,
    ...         "max_sample_size": 12, "dlt_window_days": 28}
    >>> grid = expand_grid({"n_trials": 20, "designs": [boin],
    ...                     "scenarios": [{"id": "s1", "true_tox": [0.1, 0.3, 0.5]}]})
    >>> out = tempfile.mkdtemp()
    >>> first, again = run_sweep(grid, out), run_sweep(grid, out)
    >>> (first.computed, first.reused), (again.computed, again.reused)
    ((1, 0), (0, 1))
    """

    out: str
    grid_hash: str
    cartrial_version: str
    n_cells: int
    reused: int
    computed: int
    problems: tuple[CellProblem, ...]
    temp_files_removed: int
    workers: int | None
    elapsed_seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_cell(cell: SweepCell) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Simulate one cell; returns its stored table and metadata extras (method, time, pid)."""
    r = simulate_oc(
        cell.design,
        list(cell.true_tox),
        n_trials=cell.n_trials,
        seed=cell.seed,
        true_mtd=cell.true_mtd,
        start_dose=cell.start_dose,
        dlt_onset=cell.dlt_onset,
        weibull_shape=cell.weibull_shape,
    )
    extra = {"method": r.method, "elapsed_seconds": r.elapsed_seconds, "pid": os.getpid()}
    return cell_frame(cell, r.per_dose, r.overall), extra


def run_cells(cells: Sequence[SweepCell]) -> list[tuple[pd.DataFrame, dict[str, Any]]]:
    """:func:`run_cell` over a chunk of cells (one dask task)."""
    return [run_cell(c) for c in cells]


def plan_sweep(grid: SweepGrid, out: str | Path) -> tuple[list[SweepCell], list[CellProblem], int]:
    """Verify what is on disk: (cells still to compute, problems found, temp files removed).
    Unusable files are moved to ``quarantine/``; the manifest is (re)written."""
    out = Path(out)
    cells = grid.cells()
    removed = clean_temporary(out)
    write_manifest(out, grid, cells)
    todo, problems = [], []
    with ThreadPoolExecutor(IO_THREADS) as pool:  # pyarrow reads release the GIL
        reasons = list(pool.map(lambda c: verify_cell(out, c), cells))
    for c, why in zip(cells, reasons, strict=True):
        if why is None:
            continue
        if why != "missing":
            problems.append(quarantine(out, c, why))
        todo.append(c)
    return todo, problems, removed


def run_sweep(
    grid: SweepGrid,
    out: str | Path,
    *,
    client: Any = None,
    chunk_size: int = 1,
    progress: Progress | None = None,
) -> SweepReport:
    """Run every cell of ``grid`` not already stored (valid) in ``out``.

    ``client``: a ``distributed.Client`` (cells run as ``Client.map`` tasks of ``chunk_size``
    cells, written here as they complete) or None (serial, in this process). ``progress(done,
    total)`` is called after each written cell, over the cells left to compute. Interrupting at
    any moment loses at most the cells in flight; rerunning completes the same final result.

    Parameters
    ----------
    grid : SweepGrid
        The expanded grid (:func:`expand_grid`, :func:`load_grid`).
    out : str or pathlib.Path
        Results folder (created; one parquet file per cell plus a manifest).
    client : distributed.Client, optional
        Dask client (:func:`sweep_client`); None runs serially.
    chunk_size : int, optional
        Cells per Dask task.
    progress : callable, optional
        ``progress(done, total)`` after each written cell.

    Returns
    -------
    SweepReport
        Cells reused, computed and quarantined.

    Raises
    ------
    InputError
        ``chunk_size < 1``.
    FindingsError
        A cell the simulator cannot run (checked for every cell before any runs).

    Examples
    --------
    >>> import tempfile
    >>> from cartrial.sweep import expand_grid
    >>> grid = expand_grid({"n_trials": 20, "random_scenarios": [
    ...     {"count": 3, "seed": 7, "n_doses": 4, "target": 0.3}], "designs": [
    ...     {"id": "3+3", "name": "3+3", "target": 0.3, "cohort_size": 3,
    ...      "max_sample_size": 18, "dlt_window_days": 28}]})
    >>> seen = []
    >>> report = run_sweep(grid, tempfile.mkdtemp(), progress=lambda d, t: seen.append((d, t)))
    >>> report.n_cells, report.computed, seen
    (3, 3, [(1, 3), (2, 3), (3, 3)])
    """
    if int(chunk_size) < 1:
        raise InputError(f"chunk_size must be >= 1, got {chunk_size!r}")
    t0 = time.perf_counter()
    out = Path(out)
    check_cells(grid)
    todo, problems, removed = plan_sweep(grid, out)
    gh = grid.grid_hash
    total = len(todo)
    done = 0
    pending: set[Future[Path]] = set()

    def settle(block: bool) -> None:
        # report the writes that have finished (all of them when ``block``), in this thread
        nonlocal done, pending
        if block:
            wait(pending)
        finished = {f for f in pending if f.done()}
        pending -= finished
        for f in finished:
            f.result()  # re-raise a failed write
            done += 1
            if progress is not None:
                progress(done, total)

    workers: int | None = None
    # Results are written by a small thread pool (fsync waits release the GIL) while the next
    # cells compute; each file is atomic on its own, so an interruption loses nothing written.
    with ThreadPoolExecutor(IO_THREADS) as writer:

        def store(cell: SweepCell, df: pd.DataFrame, extra: dict[str, Any]) -> None:
            pending.add(writer.submit(write_cell, out, cell, df, gh, extra))
            settle(block=len(pending) >= 4 * IO_THREADS)

        try:
            if total and client is None:
                for c in todo:
                    store(c, *run_cell(c))
            elif total:
                from distributed import as_completed

                workers = len(client.scheduler_info().get("workers", {}))
                size = int(chunk_size)
                chunks = [todo[i : i + size] for i in range(0, total, size)]
                keys = [
                    f"cartrial-sweep-{gh[:12]}-{ch[0].file_name[5:-8]}-{len(ch)}" for ch in chunks
                ]
                futures = client.map(run_cells, chunks, key=keys, pure=False)
                by_key = dict(zip(keys, chunks, strict=True))
                try:
                    # results are fetched here, one future at a time (not by as_completed's
                    # with_results, whose concurrent gathers hung once under heavy load)
                    for fut in as_completed(futures):
                        results = fut.result()
                        for cell, (df, extra) in zip(by_key[fut.key], results, strict=True):
                            store(cell, df, extra)
                finally:
                    client.cancel(futures)
        finally:
            wait(pending)  # let started writes finish (each is atomic either way)
        settle(block=True)
    return SweepReport(
        out=str(out),
        grid_hash=gh,
        cartrial_version=__version__,
        n_cells=len(grid.designs) * len(grid.scenarios),
        reused=len(grid.designs) * len(grid.scenarios) - total,
        computed=done,
        problems=tuple(problems),
        temp_files_removed=removed,
        workers=workers,
        elapsed_seconds=time.perf_counter() - t0,
    )


@contextmanager
def sweep_client(scheduler: str | None = None, n_workers: int | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: connected to ``scheduler`` (address) when given, else on a new
    ``LocalCluster(n_workers, threads_per_worker=1, processes=True, dashboard_address=None)``
    (one single-threaded process per core by default), whose worker processes ignore SIGINT so
    that Ctrl-C stops this process alone, which then shuts them down. Needs the ``dask`` extra.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running Dask scheduler (e.g. "tcp://10.0.0.5:8786").
    n_workers : int, optional
        Worker processes of the local cluster (default: the number of CPU cores).

    Returns
    -------
    contextlib.AbstractContextManager
        Yields the ``distributed.Client``; the local cluster is shut down on exit.

    Raises
    ------
    InputError
        dask.distributed is not installed, or ``n_workers < 1``.

    Examples
    --------
    Starts worker processes, so not run here:

    >>> with sweep_client(n_workers=2) as client:  # doctest: +SKIP
    ...     run_sweep(load_grid("examples/sweep_grid.yaml"), "sweep-out", client=client)
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise InputError(
            "dask.distributed is not installed; install the 'dask' extra or use --serial"
        ) from None
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    n = int(n_workers) if n_workers else (os.cpu_count() or 1)
    if n < 1:
        raise InputError(f"n_workers must be >= 1, got {n_workers!r}")
    with _workers_ignore_sigint():  # only while the worker processes start
        cluster = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
            silence_logs=logging.CRITICAL,  # task errors reach us as exceptions; shutdown noise
            # (cancelled tasks, heartbeats to a closed scheduler after Ctrl-C) is not shown
        )
    with cluster, Client(cluster) as client:
        yield client


@contextmanager
def _workers_ignore_sigint() -> Iterator[None]:
    """Start worker processes with SIGINT ignored (restored here once they run).

    Ctrl-C in a terminal reaches every process of the foreground group: the workers would each
    print a KeyboardInterrupt traceback while this process shuts them down cleanly. The ignored
    disposition is inherited by the spawned processes (POSIX exec keeps SIG_IGN)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def check_cells(grid: SweepGrid) -> None:
    """Build the simulation plan of each (design, number of doses) once, so a design that cannot
    run in a scenario is reported before any work starts (names the design and scenario)."""
    from cartrial.design.simulate_oc import _runner, resolve_true_mtd
    from cartrial.design.simulate_plan import make_plan

    seen: set[tuple[str, int]] = set()
    problems = []
    for s in grid.scenarios:
        for d in grid.designs:
            if (d.id, len(s.true_tox)) in seen:
                continue
            seen.add((d.id, len(s.true_tox)))
            try:
                plan = make_plan(d.spec, s.true_tox, grid.start_dose)
                resolve_true_mtd(s.true_mtd, plan)
                _runner(plan, {"dlt_onset": grid.dlt_onset, "weibull_shape": grid.weibull_shape})
            except (InputError, ImportError) as exc:
                problems.append(
                    Finding(
                        GRID_DOMAIN,
                        None,
                        None,
                        f"design {d.id} x scenario {s.id}",
                        d.spec.name,
                        f"cannot be simulated: {exc}",
                    )
                )
    if problems:
        raise FindingsError(problems)
