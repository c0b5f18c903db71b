"""Design sweeps (issue #9): cells per second serially and on a dask LocalCluster of 1 and 2
workers, and the full 100 designs x 50 scenarios x 10,000 trials sweep.

Throughput grid: 40 BOIN designs (cohort size x sample size x elimination cut-off) x 10 random
Paoletti scenarios (5 doses, target 0.3) = 400 cells of ``--trials`` trials (default 2,000).
Baseline, in the same process: the serial sweep (``run_sweep(client=None)``), which does the
same work, file writes and verification included. Wall-clock seconds (parallel speed-up is a
wall-clock matter), cluster start-up excluded, best of ``--repeats`` runs, runs interleaved so
machine load drifts affect all settings alike; the load average is printed with the figures
because the project machine is shared.

Full sweep (``--full``): 100 BOIN designs (cohort size 1/2/3/4/6 x max sample size
18/24/30/36/42 x elimination cut-off 0.90/0.95 x cap per dose 9/12) x 50 random scenarios x
10,000 trials = 5,000 cells, on a LocalCluster of 2 workers (and serially with
``--full-serial``); then a rerun, which must reuse every cell.

Run: .venv/bin/python benchmarks/bench_sweep.py [--trials 2000] [--repeats 3] [--full]
     [--full-serial] [--out DIR] [--skip-throughput]
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from cartrial.sweep.grid import expand_grid  # noqa: E402
from cartrial.sweep.run import run_sweep, sweep_client  # noqa: E402
from cartrial.sweep.store import read_sweep  # noqa: E402

BASE = {"name": "boin", "target": 0.3, "cohort_size": 3, "max_sample_size": 30,
        "dlt_window_days": 28}  # fmt: skip


def throughput_grid(n_trials: int) -> dict:
    return {
        "n_trials": n_trials,
        "seed": 1,
        "design_grid": [{"id_prefix": "boin", "base": BASE, "vary": {
            "cohort_size": [1, 2, 3, 6], "max_sample_size": [18, 24, 30, 36, 42],
        }}, {"id_prefix": "boin-e90", "base": BASE | {"elimination_cutoff": 0.9}, "vary": {
            "cohort_size": [1, 2, 3, 6], "max_sample_size": [18, 24, 30, 36, 42]}}],
        "random_scenarios": [{"count": 10, "seed": 5, "n_doses": 5, "target": 0.3}],
    }  # fmt: skip


def full_grid() -> dict:
    return {
        "n_trials": 10_000,
        "seed": 2026,
        "design_grid": [{"id_prefix": "boin", "base": BASE, "vary": {
            "cohort_size": [1, 2, 3, 4, 6], "max_sample_size": [18, 24, 30, 36, 42],
            "elimination_cutoff": [0.9, 0.95], "cap_per_dose": [9, 12],
        }}],
        "random_scenarios": [{"count": 50, "seed": 7, "n_doses": 5, "target": 0.3}],
    }  # fmt: skip


def timed(grid, out: Path, client=None, chunk_size: int = 1) -> float:  # noqa: ANN001
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    rep = run_sweep(grid, out, client=client, chunk_size=chunk_size)
    dt = time.perf_counter() - t0
    assert rep.computed == len(grid.designs) * len(grid.scenarios)
    return dt


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def throughput(args: argparse.Namespace, tmp: Path) -> None:
    grid = expand_grid(throughput_grid(args.trials))
    n = len(grid.designs) * len(grid.scenarios)
    print(f"throughput grid: {n} cells x {args.trials} trials; {load()}", flush=True)
    timed(grid, tmp / "warm")  # warm-up (imports, decision tables)
    ref = read_sweep(tmp / "warm").overall
    best: dict[str, float] = {}
    # one cluster at a time in this process; settings interleaved within each repeat
    settings = {"serial": (0, 1), "1 worker": (1, 1), "2 workers": (2, 1),
                "2 workers, chunks of 5": (2, 5)}  # fmt: skip

    def measure(name: str, workers: int, chunk: int, client=None) -> None:  # noqa: ANN001
        dt = timed(grid, tmp / "run", client, chunk)
        best[name] = min(best.get(name, float("inf")), dt)
        print(f"  {name}: {dt:.2f} s; {load()}", flush=True)
        assert read_sweep(tmp / "run").overall.equals(ref), f"{name}: results differ"

    for _ in range(args.repeats):
        measure("serial", 0, 1)
        for workers in (1, 2):
            with sweep_client(n_workers=workers) as client:
                client.wait_for_workers(workers)
                timed(grid, tmp / "warm-w", client, 5)  # warm the worker processes
                for name, (w, chunk) in settings.items():
                    if w == workers:
                        measure(name, w, chunk, client)
    base = best["serial"]
    print("| setting | best wall s | cells/s | speed-up vs serial |")
    print("|---|---|---|---|")
    for name, dt in best.items():
        print(f"| {name} | {dt:.2f} | {n / dt:.1f} | {base / dt:.2f} |")
    print(f"(all settings gave results identical to the serial run; {load()})", flush=True)


class _Interrupt(Exception):
    pass


def full(args: argparse.Namespace, tmp: Path) -> None:
    t0 = time.perf_counter()
    grid = expand_grid(full_grid())
    n = len(grid.designs) * len(grid.scenarios)
    print(f"full sweep: {len(grid.designs)} designs x {len(grid.scenarios)} scenarios = {n} "
          f"cells x 10,000 trials (grid expansion {time.perf_counter() - t0:.1f} s); {load()}",
          flush=True)  # fmt: skip
    out = Path(args.out) if args.out else tmp / "full"
    shutil.rmtree(out, ignore_errors=True)
    with sweep_client(n_workers=2) as client:
        client.wait_for_workers(2)
        t0 = time.perf_counter()
        if args.interrupt:

            def stop(done: int, total: int) -> None:
                if time.perf_counter() - t0 > args.interrupt:
                    raise _Interrupt

            try:
                run_sweep(grid, out, client=client, chunk_size=args.chunk, progress=stop)
            except _Interrupt:
                k = len(list((out / "cells").glob("cell-*.parquet")))
                print(f"interrupted after {time.perf_counter() - t0:.1f} s with {k} cells "
                      "stored; resuming", flush=True)  # fmt: skip
        rep = run_sweep(grid, out, client=client, chunk_size=args.chunk)
        dt = time.perf_counter() - t0
        print(f"2 workers (chunks of {args.chunk}): {dt:.1f} s wall in total, {n / dt:.1f} "
              f"cells/s, {n * 10_000 / dt:,.0f} trials/s (last run: {rep.computed} computed, "
              f"{rep.reused} reused); {load()}", flush=True)  # fmt: skip
    t0 = time.perf_counter()
    rep = run_sweep(grid, out)
    print(
        f"rerun: {rep.reused} reused, {rep.computed} computed, "
        f"{time.perf_counter() - t0:.1f} s (verification of every cell file)",
        flush=True,
    )
    res = read_sweep(out)
    assert res.complete
    # serial recomputation of a sample of cells: identical values
    from cartrial.sweep.run import run_cell

    cells = grid.cells()[:: max(1, n // args.check_cells)]
    t0 = time.perf_counter()
    for c in cells:
        df, _ = run_cell(c)
        got = res.per_dose[(res.per_dose.design_id == c.design_id)
                           & (res.per_dose.scenario_id == c.scenario_id)]  # fmt: skip
        assert got["pct_selected"].tolist() == df["pct_selected"].tolist(), c
        assert got["mean_patients"].tolist() == df["mean_patients"].tolist(), c
    dt_cells = time.perf_counter() - t0
    print(f"serial recomputation of {len(cells)} cells: identical; {dt_cells / len(cells):.3f} "
          f"s per cell serially -> about {dt_cells / len(cells) * n:.0f} s for the full grid "
          f"serially; {load()}", flush=True)  # fmt: skip
    if args.full_serial:
        dt_s = timed(grid, tmp / "full-serial")
        same = read_sweep(tmp / "full-serial").overall.equals(res.overall)
        print(f"serial: {dt_s:.1f} s wall ({n / dt_s:.1f} cells/s); identical results: {same}; "
              f"{load()}", flush=True)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--full-serial", action="store_true")
    ap.add_argument("--chunk", type=int, default=5)
    ap.add_argument("--out", default=None)
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--interrupt", type=float, default=0.0, help="interrupt the full sweep "
                    "after this many seconds, then resume")  # fmt: skip
    ap.add_argument("--check-cells", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if not args.skip_throughput:
            throughput(args, tmp)
        if args.full:
            full(args, tmp)


if __name__ == "__main__":
    main()
