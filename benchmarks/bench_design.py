"""Dose-escalation operating characteristics: simulated trials per second, exact OC, scaling.

Setting of issue #3: 5 doses, 10 cohorts of 3, target 0.3, one core, MTD selection included.
Scenario p = (0.05, 0.12, 0.30, 0.45, 0.60). Times are process CPU seconds of the computation
itself (start-up, imports and first-call table building excluded by a warm-up run), best of 3.

Baseline, run in the same process: a per-trial Python loop that does what BOIN's R ``get.oc``
does (table look-ups per cohort, isotonic selection per trial with the single-trial
``select_mtd``), on a subset of trials, scaled per trial. R itself is measured side by side by
``benchmarks/bench_vs_r.py`` (R BOIN ``get.oc``, about 0.9 ms per trial on this machine kind,
BENCHMARKS.md); the 1.3 ms/trial printed below is an older, quoted figure kept for comparison.

Run: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_design.py
     ... bench_design.py --big: only 10^7 BOIN trials in batches, with the peak memory
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from cartrial.design.exact_oc import exact_oc  # noqa: E402
from cartrial.design.selection import select_mtd  # noqa: E402
from cartrial.design.simulate_oc import simulate_oc  # noqa: E402
from cartrial.design.simulate_plan import make_plan  # noqa: E402

P5 = [0.05, 0.12, 0.30, 0.45, 0.60]
BASE = {"target": 0.3, "cohort_size": 3, "max_sample_size": 30, "dlt_window_days": 28}


def best_of(fn, repeats: int = 3) -> float:  # noqa: ANN001
    """Best of ``repeats`` CPU times of this process (single-threaded BLAS), after a warm-up.

    CPU time rather than wall time: the project machine is shared, and wall time under
    contention measures the other jobs.
    """
    fn()  # warm-up
    out = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        out.append(time.process_time() - t0)
    return min(out)


def loop_boin(n_trials: int, seed: int = 1) -> None:
    """Per-trial loop baseline (R get.oc structure) on the same decision tables."""
    plan = make_plan(dict(BASE, name="boin"), P5)
    tab = plan.tables
    rng = np.random.default_rng(seed)
    k = plan.n_doses
    for _ in range(n_trials):
        n = np.zeros(k, dtype=int)
        y = np.zeros(k, dtype=int)
        d, elim, stop = 0, k, False
        for m in plan.cohort_sizes:
            t = int((rng.random(m) < P5[d]).sum())
            n[d] += m
            y[d] += t
            if tab.eliminate[n[d], y[d]]:
                elim = min(elim, d)
                if d == 0:
                    stop = True
                    break
            a = tab.action[n[d], y[d]]
            if a == 1 and d < k - 1 and d + 1 < elim:
                d += 1
            elif a == -1 and d > 0:
                d -= 1
        if not stop:
            select_mtd(n, y, 0.3, eliminated=tuple(range(elim, k)))


def row(what: str, seconds: float, trials: int | None = None) -> str:
    rate = f"{trials / seconds:,.0f}" if trials else ""
    return f"| {what} | {seconds:.4f} s | {rate} |"


def main() -> None:
    lines = ["| what | time | trials / s |", "|---|---|---|"]
    n_loop = 300
    t_loop = best_of(lambda: loop_boin(n_loop), repeats=2) / n_loop
    res = {}
    for name in ("boin", "3+3", "i3+3", "mtpi2", "crm", "tite-boin", "tite-crm"):
        spec = dict(BASE, name=name)
        t = best_of(lambda s=spec: simulate_oc(s, P5, 10_000, seed=1))
        res[name] = t
        lines.append(row(f"{name}: 10,000 trials (Monte Carlo)", t, 10_000))
    bf = dict(BASE, name="boin", backfill={"enabled": True, "max_per_dose": 12})
    t_bf = best_of(lambda: simulate_oc(bf, P5, 10_000, seed=1))
    lines.append(row("boin + backfill (BF-BOIN): 10,000 trials", t_bf, 10_000))
    tbf = dict(BASE, name="tite-boin", backfill={"enabled": True, "max_per_dose": 12})
    t_tbf = best_of(lambda: simulate_oc(tbf, P5, 10_000, seed=1))
    lines.append(row("tite-boin + backfill: 10,000 trials", t_tbf, 10_000))
    lines.append(
        row("per-trial Python loop baseline (BOIN), scaled to 10,000", t_loop * 10_000, 10_000)
    )
    t_ex = best_of(lambda: exact_oc(dict(BASE, name="boin"), P5))
    lines.append(row("exact BOIN OC, 5 doses x 10 cohorts", t_ex))
    t_ex33 = best_of(lambda: exact_oc(dict(BASE, name="3+3"), P5))
    lines.append(row("exact 3+3 OC, 5 doses", t_ex33))
    p6 = [0.05, 0.1, 0.2, 0.3, 0.45, 0.6]
    for nc in (10, 15, 20):
        spec6 = dict(BASE, name="boin", max_sample_size=3 * nc)
        t6 = best_of(lambda s=spec6: exact_oc(s, p6), repeats=1)
        lines.append(row(f"exact BOIN OC, 6 doses x {nc} cohorts", t6))
    print("\n".join(lines))
    print(
        f"\nBOIN lock-step vs per-trial loop (same process): {t_loop * 10_000 / res['boin']:.0f}x"
    )
    print(f"BOIN lock-step vs R get.oc quoted 1.3 ms/trial: {1.3e-3 * 10_000 / res['boin']:.0f}x")

    print("\nScaling (BOIN, seconds):")
    for nt in (1_000, 10_000, 100_000, 1_000_000):
        t = best_of(lambda nt=nt: simulate_oc(dict(BASE, name="boin"), P5, nt, seed=1), repeats=1)
        print(f"  trials {nt:>9,}: {t:.3f} s ({t / nt * 1e6:.2f} us/trial)")
    for nc in (5, 10, 15, 20, 40):
        spec = dict(BASE, name="boin", max_sample_size=3 * nc)
        t = best_of(lambda s=spec: simulate_oc(s, P5, 10_000, seed=1), repeats=2)
        te = best_of(lambda s=spec: exact_oc(s, P5), repeats=1) if nc <= 20 else float("nan")
        print(f"  cohorts {nc:>3} (5 doses): MC 10,000 {t:.3f} s; exact {te:.3f} s")
    for k in (3, 5, 7):
        p = list(np.linspace(0.05, 0.6, k))
        t = best_of(lambda p=p: simulate_oc(dict(BASE, name="boin"), p, 10_000, seed=1), repeats=2)
        te = best_of(lambda p=p: exact_oc(dict(BASE, name="boin"), p), repeats=1)
        print(f"  doses {k} (10 cohorts): MC 10,000 {t:.3f} s; exact {te:.3f} s")


def big() -> None:
    """10^7 BOIN trials in batches: CPU time and this process's peak memory (run alone)."""
    simulate_oc(dict(BASE, name="boin"), P5, 1000, seed=1)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.process_time()
    r = simulate_oc(dict(BASE, name="boin"), P5, 10_000_000, seed=1)
    dt = time.process_time() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"10^7 BOIN trials: {dt:.1f} s CPU, peak RSS {peak:.0f} MiB (after warm-up {before:.0f} "
        f"MiB), % correct selection {r.overall.pct_correct_selection[0]:.2f}"
    )


if __name__ == "__main__":
    big() if "--big" in sys.argv else main()
