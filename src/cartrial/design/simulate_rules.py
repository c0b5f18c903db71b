"""Monte Carlo simulation of the rule-based designs (3+3, BOIN, i3+3, mTPI-2) in lock-step.

Every random number of a block of :data:`BLOCK` trials comes from that block's own generator
(``SeedSequence(seed).spawn(n_blocks)``) and is drawn up front in a fixed layout, so results do not
depend on how many blocks are simulated together.
"""

from __future__ import annotations

import numpy as np

from cartrial.design.simulate_compiled import run_compiled
from cartrial.design.simulate_lockstep import (
    LockState,
    final_selection,
    finish_3p3,
    step_3p3,
)
from cartrial.design.simulate_plan import SimPlan

BLOCK = 1024  # trials per seed block (fixed: changing it changes the random streams)


def block_draws(plan: SimPlan, rng: np.random.Generator, size: int) -> tuple[np.ndarray, ...]:
    """Uniforms for DLTs and exponential gaps for accrual, (size, cohorts, cohort_size) each."""
    ncoh = len(plan.cohort_sizes)
    cs = plan.spec.cohort_size
    u = rng.random((size, ncoh, cs))
    gaps = rng.standard_exponential((size, ncoh, cs))
    return u, gaps


def batch_draws(
    plan: SimPlan, rngs: list[np.random.Generator], sizes: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`block_draws` of consecutive blocks written straight into one array per quantity
    (the same numbers as drawing each block and concatenating, without the copy)."""
    u = np.empty((sum(sizes), len(plan.cohort_sizes), plan.spec.cohort_size))
    gaps = np.empty_like(u)
    i = 0
    for rng, size in zip(rngs, sizes, strict=True):
        rng.random(out=u[i : i + size])
        rng.standard_exponential(out=gaps[i : i + size])
        i += size
    return u, gaps


def run_rules(
    plan: SimPlan, u: np.ndarray, gaps: np.ndarray
) -> tuple[LockState, np.ndarray, np.ndarray]:
    """Advance ``u.shape[0]`` trials through all cohorts; returns final state, selection, duration.

    A cohort's duration: time for its patients to arrive (exponential gaps, mean
    ``30.4375 / patients_per_month`` days), plus ``stagger_days`` when it has more than one patient,
    plus the full DLT window. The table designs run on their compiled rule
    (:func:`~cartrial.design.simulate_compiled.run_compiled`).
    """
    if plan.design != "3+3":
        assert plan.tables is not None
        s, dur = run_compiled(plan, u, gaps)
        sel = final_selection(s, plan.target, plan.selection_bound, plan.spec.selection_prior)
        return s, sel, dur
    rows = u.shape[0]
    s = LockState.start(rows, plan.n_doses, plan.start_dose)
    p = plan.true_tox
    dur = np.zeros(rows)
    for c, m in enumerate(plan.cohort_sizes):
        act = s.status == 0
        if not act.any():
            break
        tox = (u[:, c, :m] < p[s.d][:, None]).sum(axis=1)
        span = gaps[:, c, :m].sum(axis=1) * plan.mean_gap_days
        dur += act * (span + (plan.stagger_days if m > 1 else 0.0) + plan.window)
        step_3p3(s, tox, m)
    finish_3p3(s)
    sel = final_selection(s, plan.target, plan.selection_bound, plan.spec.selection_prior)
    return s, sel, dur
