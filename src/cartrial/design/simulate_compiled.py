"""Lock-step Monte Carlo of the table designs (BOIN, i3+3, mTPI-2) on the compiled rule.

Each trial's state is its current dose, its lowest eliminated dose and one integer per dose, the
pair ``n * width + y``; a cohort is one gather of the pair at the current dose, its DLT count
added, one look-up of the decision in :class:`~cartrial.design.rule_table.CompiledRule` (the rule
of :func:`~cartrial.design.table_rules.table_step`, evaluated once per state) and one scatter
back. The draws, their use and the results are those of the lock-step step function
(:func:`~cartrial.design.simulate_lockstep.step_table`): same seed, same trials.
"""

from __future__ import annotations

import numpy as np

from cartrial.design.rule_table import CompiledRule, compile_rule
from cartrial.design.simulate_lockstep import ACTIVE, DONE, NO_MTD_STOP, LockState
from cartrial.design.simulate_plan import SimPlan
from cartrial.design.table_rules import STOPS


def row_sums(x: np.ndarray) -> np.ndarray:
    """Sums over the last axis, bit for bit those of ``x.sum(axis=-1)``.

    numpy adds fewer than 8 values one after the other, so the adds are written out for such
    rows (one pass per column instead of a reduction per row, several times faster for the
    3-patient cohorts of a simulation); longer rows go to ``numpy.sum`` itself.

    Parameters
    ----------
    x : numpy.ndarray
        Float array; the last axis is summed.

    Returns
    -------
    numpy.ndarray
        ``x.sum(axis=-1)``.

    Examples
    --------
    >>> x = np.array([[0.1, 0.2, 0.3], [1e16, 1.0, -1e16]])
    >>> bool((row_sums(x) == x.sum(axis=-1)).all())
    True
    """
    m = x.shape[-1]
    if m >= 8 or m == 0:
        return x.sum(axis=-1)
    out = x[..., 0].copy()
    for i in range(1, m):
        out += x[..., i]
    return out


def trial_durations(plan: SimPlan, gaps: np.ndarray, ncoh: np.ndarray) -> np.ndarray:
    """(trials,) calendar days of each trial once the DLT window of its last cohort has closed.

    A cohort lasts the arrival of its patients (exponential gaps x ``mean_gap_days``), plus
    ``stagger_days`` when it has more than one patient, plus the DLT window; the days are added
    in cohort order up to the ``ncoh`` cohorts each trial treated (the sum the lock-step loop
    accumulates cohort by cohort, bit for bit).
    """
    total = np.zeros(gaps.shape[0])
    dur = np.zeros(gaps.shape[0])
    for c, m in enumerate(plan.cohort_sizes):
        x = row_sums(gaps[:, c, :m])
        x *= plan.mean_gap_days
        x += plan.stagger_days if m > 1 else 0.0
        x += plan.window
        total = x if c == 0 else total + x
        np.copyto(dur, total, where=ncoh == c + 1)
    return dur


def run_compiled(
    plan: SimPlan, u: np.ndarray, gaps: np.ndarray
) -> tuple[LockState, np.ndarray]:
    """Advance ``u.shape[0]`` trials of a table design through all cohorts.

    A trial that stops moves to a *sink*, dose ``n_doses + d`` for a stop at dose ``d``, whose
    DLT probability is 0 and whose decision is to stay there; stopped trials thus need no mask
    in the loop. A stop with dose 1 eliminated (lowest eliminated dose 0) has no MTD, any
    other stop is the cap; the cohorts a trial treated follow from its patients.

    Parameters
    ----------
    plan : SimPlan
        A BOIN, i3+3 or mTPI-2 plan without backfill; its rule is compiled once
        (:func:`~cartrial.design.rule_table.compile_rule`) and kept for later calls.
    u, gaps : (trials, cohorts, cohort_size) float
        The block draws (:func:`~cartrial.design.simulate_rules.block_draws`).

    Returns
    -------
    state : LockState
        Final state of every trial (int64 columns).
    duration : numpy.ndarray
        (trials,) calendar days.

    Examples
    --------
    >>> from cartrial.design.simulate_plan import make_plan
    >>> from cartrial.design.simulate_rules import block_draws
    >>> plan = make_plan({"name": "boin", "target": 0.3, "cohort_size": 3,
    ...                   "max_sample_size": 9, "dlt_window_days": 28}, [0.0, 0.0])
    >>> u, gaps = block_draws(plan, np.random.default_rng(1), 2)
    >>> s, dur = run_compiled(plan, u, gaps)
    >>> s.n.tolist()
    [[3, 6], [3, 6]]
    """
    rule, nxt, cand = _compiled(plan)
    rows, k, w = u.shape[0], plan.n_doses, rule.width
    w2 = w * w
    p = np.concatenate([plan.true_tox, np.zeros(k)])
    d = np.full(rows, plan.start_dose, dtype=np.intp)
    low1 = np.full(rows, k - 1, dtype=np.intp)  # lowest eliminated dose - 1
    pair = np.zeros(rows * 2 * k, dtype=np.int64)
    base = np.arange(rows, dtype=np.intp) * (2 * k)
    for c, m in enumerate(plan.cohort_sizes):
        flat = base + d
        new = pair[flat]
        pd = p[d]
        for i in range(m):
            new += u[:, c, i] < pd
        new += m * w
        pair[flat] = new
        idx = d * (2 * w2)
        idx += (d >= low1) * w2
        idx += new
        d = nxt[idx]
        low1 = np.minimum(low1, cand[idx])
    pair = pair.reshape(rows, 2 * k)[:, :k]
    n, y = pair // w, pair % w
    stopped = d >= k
    low = low1 + 1
    status = np.where(stopped, np.where(low == 0, NO_MTD_STOP, DONE), ACTIVE)
    ncoh = np.searchsorted(np.cumsum(plan.cohort_sizes), n.sum(axis=1), side="right")
    dur = trial_durations(plan, gaps, ncoh)
    state = LockState(
        d=np.where(stopped, d - k, d).astype(np.int64), status=status.astype(np.int64),
        sel=np.full(rows, -1, dtype=np.int64), flag=np.zeros(rows, dtype=np.int64),
        elim_low=low.astype(np.int64), ncoh=ncoh.astype(np.int64), n=n, y=y,
    )
    return state, dur


_CACHE: dict[tuple[int, int, int], tuple[object, CompiledRule, np.ndarray, np.ndarray]] = {}


def _compiled(plan: SimPlan) -> tuple[CompiledRule, np.ndarray, np.ndarray]:
    """The plan's compiled rule and sink tables, compiled once per decision tables, doses and
    cap (the cache holds the tables themselves, so their ``id`` stays theirs)."""
    tables = plan.tables
    assert tables is not None
    key = (id(tables), plan.n_doses, plan.cap)
    hit = _CACHE.get(key)
    if hit is None or hit[0] is not tables:
        if len(_CACHE) >= 64:
            _CACHE.clear()
        rule = compile_rule(tables, plan.n_doses, plan.cap)
        hit = (tables, rule, *_sink_tables(rule))
        _CACHE[key] = hit
    return hit[1], hit[2], hit[3]


def _sink_tables(rule: CompiledRule) -> tuple[np.ndarray, np.ndarray]:
    """Next dose and (eliminated dose - 1, else n_doses - 1) over doses 0..2k-1: a stop goes to
    the sink ``k + d``, which stays; sinks eliminate nothing."""
    k, w2 = rule.n_doses, rule.width * rule.width
    cells = 2 * w2
    d = np.repeat(np.arange(k), cells)
    stop = np.isin(rule.rule, STOPS)
    nxt = np.where(stop, k + d, rule.next_dose)
    cand = np.where(rule.eliminated, d - 1, k - 1)
    sink_nxt = np.repeat(np.arange(k, 2 * k), cells)
    return (np.concatenate([nxt, sink_nxt]).astype(np.intp),
            np.concatenate([cand, np.full(k * cells, k - 1)]).astype(np.intp))
