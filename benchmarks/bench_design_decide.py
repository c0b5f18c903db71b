"""Single-trial design decisions: CRM posterior by fixed-grid quadrature vs adaptive quad.

Baseline (same process): the posterior mean of a by adaptive ``scipy.integrate.quad`` over
+-12 prior SDs (relative tolerance 1e-10), as dfcrm does with R's ``integrate``. cartrial: one
vectorised Simpson pass on a 2001-point grid that also yields every dose's posterior mean,
P(p_j > target) and credible interval.
Also reports per-call latency of ``decide`` for every design and of ``dose_paths``.
Run: .venv/bin/python benchmarks/bench_design_decide.py
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy.integrate import quad

from cartrial.design import TrialState, design_from_spec, dose_paths
from cartrial.design.crm import Crm, crm_skeleton
from cartrial.protocol import load_protocol

STATES = [
    TrialState(n=(3, 0, 0, 0, 0), y=(0, 0, 0, 0, 0)),
    TrialState(n=(3, 3, 6, 0, 0), y=(0, 1, 2, 0, 0), current=2),
    TrialState(n=(6, 9, 9, 3, 3), y=(0, 1, 3, 2, 3), current=2),
    TrialState(n=(3, 6, 12, 6, 0), y=(0, 1, 3, 3, 0), current=2),
]


def quad_a_mean(skeleton: np.ndarray, n: np.ndarray, y: np.ndarray, sd: float) -> float:
    def lik(a: float) -> float:
        p = skeleton ** math.exp(a)
        return float(np.prod(p**y * (1 - p) ** (n - y))) * math.exp(-0.5 * (a / sd) ** 2)

    lo, hi = -12 * sd, 12 * sd
    kw = {"limit": 500, "epsabs": 0.0, "epsrel": 1e-10}
    z = quad(lik, lo, hi, **kw)[0]
    return quad(lambda a: a * lik(a), lo, hi, **kw)[0] / z


def best_of(fn, repeat: int = 5, number: int = 20) -> float:
    best = math.inf
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t) / number)
    return best


def main() -> None:
    sk = crm_skeleton(0.05, 0.25, 3, 5)
    crm = Crm(n_doses=5, target=0.25, skeleton=sk)
    s_arr = np.asarray(sk)
    t_base = best_of(
        lambda: [quad_a_mean(s_arr, s.n_array, s.y_array, crm.prior_sd) for s in STATES]
    )
    t_ours = best_of(lambda: [crm.posterior(s) for s in STATES])
    diff = max(
        abs(crm.posterior(s).a_mean - quad_a_mean(s_arr, s.n_array, s.y_array, crm.prior_sd))
        for s in STATES
    )
    print(
        f"CRM posterior, {len(STATES)} states: quad baseline {t_base * 1e3:.2f} ms, "
        f"cartrial grid {t_ours * 1e3:.2f} ms, ratio baseline/cartrial = {t_base / t_ours:.1f}x "
        f"(max |E[a] difference| = {diff:.1e})"
    )
    spec = load_protocol("ct071").design
    s = TrialState(n=(3, 6, 3, 0), y=(0, 1, 1, 0), current=2, last_cohort=(2, 3, 1))
    for name in ("3+3", "boin", "tite-boin", "i3+3", "mtpi2", "crm", "tite-crm"):
        d = design_from_spec(spec.model_copy(update={"name": name, "target": 0.25}), 4)
        st = s if name != "3+3" else TrialState(n=(3, 6, 3, 0), y=(0, 1, 0, 0), current=2)
        t = best_of(lambda d=d, st=st: d.decide(st), number=50)
        print(f"decide {name:9s}: {t * 1e6:8.1f} us per call")
    boin = design_from_spec(spec, 4)
    t = best_of(lambda: dose_paths(boin, cohorts=3), repeat=3, number=3)
    print(f"dose_paths boin, 3 cohorts of 3 (85 nodes max): {t * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
