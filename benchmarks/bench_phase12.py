"""Phase I/II designs (BOIN12, BOIN-ET): simulated trials per second.

Setting: 5 doses, 10 cohorts of 3; BOIN12 phi_T 0.35, phi_E 0.25, p_T = (0.1, 0.2, 0.3, 0.4,
0.4), p_E = (0.4, 0.5, 0.6, 0.6, 0.6); BOIN-ET phi 0.3, delta 0.6, p_T = (0.05, 0.1, 0.2, 0.3,
0.45), p_E = (0.1, 0.3, 0.5, 0.6, 0.6). Process CPU seconds, best of 3 after a warm-up, OBD
selection included. Baseline in the same process: a per-trial Python loop calling the
single-trial ``Boin12.decide`` once per cohort and ``Boin12.select`` at the end, on 100 trials,
scaled to 10,000.

Run: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_phase12.py
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

from cartrial.design import Boin12, BoinEt, TrialState, simulate_boin12, simulate_boinet  # noqa: E402

T12, E12 = [0.1, 0.2, 0.3, 0.4, 0.4], [0.4, 0.5, 0.6, 0.6, 0.6]
TET, EET = [0.05, 0.1, 0.2, 0.3, 0.45], [0.1, 0.3, 0.5, 0.6, 0.6]
B12 = Boin12(n_doses=5, target=0.35, phi_e=0.25, max_sample_size=30)
BET = BoinEt(n_doses=5, target=0.3, delta=0.6, max_sample_size=30)


def best_of(fn, repeats: int = 3) -> float:  # noqa: ANN001
    """Best of ``repeats`` process CPU times after a warm-up."""
    fn()
    out = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        out.append(time.process_time() - t0)
    return min(out)


def loop_boin12(n_trials: int, seed: int = 1) -> None:
    """One trial at a time through the single-trial API."""
    rng = np.random.default_rng(seed)
    for _ in range(n_trials):
        s = TrialState(n=(0,) * 5, y=(0,) * 5, responses=(0,) * 5)
        for _c in range(10):
            d = s.current
            t = int((rng.random(3) < T12[d]).sum())
            e = int((rng.random(3) < E12[d]).sum())
            r = list(s.responses or (0,) * 5)
            r[d] += e
            s = s.add_cohort(d, 3, t)
            s = TrialState(n=s.n, y=s.y, responses=tuple(r), current=d, eliminated=s.eliminated)
            dec = B12.decide(s)
            if dec.next_dose is None:
                break
            s = TrialState(
                n=s.n,
                y=s.y,
                responses=s.responses,
                current=dec.next_dose,
                eliminated=dec.eliminated,
            )
        B12.select(s)


def main() -> None:
    t12 = best_of(lambda: simulate_boin12(B12, T12, E12, 10_000, seed=1))
    tet = best_of(lambda: simulate_boinet(BET, TET, EET, 10_000, seed=1))
    n_loop = 100
    t_loop = best_of(lambda: loop_boin12(n_loop), repeats=1) / n_loop * 10_000
    print("| what | CPU time | trials / s |")
    print("|---|---|---|")
    for what, t in (
        ("BOIN12, 10,000 trials", t12),
        ("BOIN-ET, 10,000 trials", tet),
        ("per-trial Python loop (BOIN12), scaled to 10,000", t_loop),
    ):
        print(f"| {what} | {t:.3f} s | {10_000 / t:,.0f} |")
    print(f"ratio loop / lock-step (BOIN12): {t_loop / t12:.0f}x")


if __name__ == "__main__":
    main()
