"""Lock-step simulation of BOIN with backfill (BF-BOIN; Zhao, Yuan, Korn & Freidlin, Clin Cancer
Res 2024;30:673-679; BOIN: Liu S, Yuan Y, J R Stat Soc C 2015;64:507-23), with the rules of
:class:`cartrial.design.boin.Boin` (``backfill=True``).

Calendar model: while an escalation cohort is inside its DLT window, patients keep arriving
(exponential gaps, mean 30.4375 / ``patients_per_month`` days); each is backfilled to the highest
dose open to backfill (cleared, not eliminated, safe alone or pooled with the dose above, fewer
than ``backfill.max_per_dose`` patients, below the current dose). A backfilled patient's outcome
counts from the first decision after its own window has ended, i.e. at the decision after the
next escalation cohort (every cohort period lasts at least one window); at the end of the trial
every patient has completed follow-up. Backfilled patients' DLTs count for escalation decisions
(BF-BOIN conflict rule: a lower dose that disagrees with the current dose is pooled with it),
elimination and MTD selection. Mean sample size includes backfilled patients.
"""

from __future__ import annotations

import numpy as np

from cartrial.design.backfill_rules import backfill_rows
from cartrial.design.boundaries import deescalate_min, elimination_count, escalate_max
from cartrial.design.simulate_lockstep import ACTIVE, DONE, NO_MTD_STOP, completed_selection
from cartrial.design.simulate_plan import SimPlan, spec_tables
from cartrial.design.table_rules import STOP_CAP, STOP_FIRST, table_step

MAX_BACKFILL_PER_PERIOD = 24


def _bounds(plan: SimPlan, n_max: int) -> tuple[np.ndarray, np.ndarray]:
    """b_e(n) and b_d(n) (capped at the elimination count) for n = 0..n_max (Liu & Yuan 2015)."""
    b = plan.boundaries
    be = np.array([escalate_max(n, b.lambda_e) for n in range(n_max + 1)])
    bd = np.empty(n_max + 1, dtype=np.int64)
    for n in range(n_max + 1):
        e = elimination_count(n, plan.target, plan.spec.elimination_cutoff)
        dm = deescalate_min(n, b.lambda_d)
        bd[n] = dm if e is None else min(dm, e)
    return be, bd


def backfill_draws(plan: SimPlan, rng: np.random.Generator, size: int) -> tuple[np.ndarray, ...]:
    """Escalation uniforms and gaps (as BOIN), plus per period backfill arrival gaps and DLT
    uniforms for up to ``MAX_BACKFILL_PER_PERIOD`` patients."""
    ncoh = len(plan.cohort_sizes)
    cs = plan.spec.cohort_size
    u = rng.random((size, ncoh, cs))
    gaps = rng.standard_exponential((size, ncoh, cs))
    bf_gaps = rng.standard_exponential((size, ncoh, MAX_BACKFILL_PER_PERIOD))
    bf_u = rng.random((size, ncoh, MAX_BACKFILL_PER_PERIOD))
    return u, gaps, bf_gaps, bf_u


def bf_boin_decide(
    plan: SimPlan,
    be: np.ndarray,
    bd: np.ndarray,
    d: np.ndarray,
    n: np.ndarray,
    y: np.ndarray,
    elim_low: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised :meth:`Boin.decide` with backfill: (next dose, lowest eliminated dose, stop with
    no MTD, stop at the cap). Elimination is checked at every dose (backfill adds data below)."""
    # pooled counts reach beyond one dose's patients: tables as long as the boundaries given
    tables = spec_tables(plan.spec, max(be.shape[0] - 1, plan.tables.action.shape[0] - 1))
    nd, elim_low, rule = table_step(tables, d, n, y, elim_low, plan.cap, pooling=True)
    return nd, elim_low, rule == STOP_FIRST, rule == STOP_CAP


def backfill_open(
    plan: SimPlan,
    bd: np.ndarray,
    nd: np.ndarray,
    n: np.ndarray,
    y: np.ndarray,
    elim_low: np.ndarray,
) -> np.ndarray:
    """(R, K) doses open to backfill below ``nd`` (:meth:`Boin.backfill_open`): cleared, not
    eliminated, under the cap, safe alone or pooled with the dose above; a dose above an unsafe
    dose is closed."""
    size = bd.shape[0] - 1  # the run's bound on patients; two doses pooled never exceed it
    if 2 * int(n.max(initial=0)) > size:
        size = 1 << (2 * int(n.max())).bit_length()
    tables = spec_tables(plan.spec, size)
    return backfill_rows(tables, nd, n, y, elim_low, plan.spec.backfill.max_per_dose)


def run_backfill(
    plan: SimPlan, u: np.ndarray, gaps: np.ndarray, bf_gaps: np.ndarray, bf_u: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Simulate BOIN with backfill; returns (n, y, selected, duration) (n, y include backfill)."""
    rows, k = u.shape[0], plan.n_doses
    p = plan.true_tox
    n_cap = sum(plan.cohort_sizes) + MAX_BACKFILL_PER_PERIOD * len(plan.cohort_sizes) + 1
    be, bd = _bounds(plan, n_cap)
    n = np.zeros((rows, k), dtype=np.int64)
    y = np.zeros((rows, k), dtype=np.int64)
    nb = np.zeros((rows, k), dtype=np.int64)  # backfilled, outcome not yet counted
    yb = np.zeros((rows, k), dtype=np.int64)
    d = np.full(rows, plan.start_dose)
    elim_low = np.full(rows, k)
    status = np.zeros(rows, dtype=np.int64)
    dur = np.zeros(rows)
    r = np.arange(rows)
    open_ = np.zeros((rows, k), dtype=bool)
    window_arrivals = plan.window / plan.mean_gap_days
    for c, m in enumerate(plan.cohort_sizes):
        act = status == ACTIVE
        if not act.any():
            break
        a = act.astype(np.int64)
        tox = (u[:, c, :m] < p[d][:, None]).sum(axis=1) * a
        span = gaps[:, c, :m].sum(axis=1) * plan.mean_gap_days
        dur += act * (span + (plan.stagger_days if m > 1 else 0.0) + plan.window)
        # backfill arrivals during this cohort's window go to the highest open doses
        arrived = (np.cumsum(bf_gaps[:, c, :], axis=1) <= window_arrivals).sum(axis=1) * a
        new_nb = np.zeros((rows, k), dtype=np.int64)
        new_yb = np.zeros((rows, k), dtype=np.int64)
        start = np.zeros(rows, dtype=np.int64)
        left = arrived
        for j in range(k - 1, -1, -1):
            room = np.maximum(plan.spec.backfill.max_per_dose - n[:, j] - nb[:, j], 0)
            take = np.where(open_[:, j], np.minimum(left, room), 0)
            hits = np.cumsum(bf_u[:, c, :] < p[j], axis=1)
            hits = np.concatenate([np.zeros((rows, 1), dtype=np.int64), hits], axis=1)
            new_nb[:, j] = take
            new_yb[:, j] = hits[r, start + take] - hits[r, start]
            start = start + take
            left = left - take
        # outcomes: this cohort, and the backfill of the previous period
        n[r, d] += m * a
        y[r, d] += tox
        n += nb * a[:, None]
        y += yb * a[:, None]
        nb = np.where(act[:, None], new_nb, nb)
        yb = np.where(act[:, None], new_yb, yb)
        nd, el, stop, cap = bf_boin_decide(plan, be, bd, d, n, y, elim_low)
        elim_low = np.where(act, el, elim_low)
        status = np.where(act & stop, NO_MTD_STOP, np.where(act & cap, DONE, status))
        d = np.where(act & ~stop & ~cap, nd, d)
        open_ = backfill_open(plan, bd, d, n + nb, y, elim_low)
    # end: every patient completes follow-up
    n += nb
    y += yb
    sel = completed_selection(plan.tables, n, y, elim_low, status, plan.target,
                              plan.selection_bound, plan.spec.selection_prior)
    return n, y, sel, dur


def _backfill_while_suspended(
    plan,
    draws,
    bd,
    isus,
    tau,
    until,
    ssub,
    entry,
    pdose,
    dlt,
    resolve,
    n,
    d,
    elim_low,
    bptr,
    gptr,
    n_max,
    backfill_open,
):
    """TITE-BOIN with backfill: enrol the patients arriving in [tau, until) of each suspended
    trial to its open backfill doses (highest first, up to ``max_per_dose``), in place."""
    bgaps, bu, bon = draws
    k = plan.n_doses
    cap_per = plan.spec.backfill.max_per_dose
    t_s = tau[:, None]
    obs = dlt[ssub] & (resolve[ssub] <= t_s)
    from cartrial.design.simulate_tite_decide import _dose_sums

    y_obs = np.rint(_dose_sums(obs.astype(float), pdose[ssub], k)).astype(np.int64)
    open_ = backfill_open(plan, bd, d[isus], n[isus], y_obs, elim_low)
    room = np.where(open_, np.maximum(cap_per - n[isus], 0), 0)
    free = bu.shape[1] - bptr[isus]
    capacity = np.minimum(room.sum(axis=1), free)
    jmax = int(capacity.max()) if capacity.size else 0
    if jmax == 0:
        return
    # arrival times: the arrival at tau, then successive backfill gaps
    idx = gptr[isus, None] + np.arange(jmax - 1)[None, :]
    ok = idx < bgaps.shape[1]
    g = np.where(ok, bgaps[isus[:, None], np.minimum(idx, bgaps.shape[1] - 1)], np.inf)
    times = t_s + np.concatenate([np.zeros((isus.size, 1)), np.cumsum(g, axis=1)], axis=1)
    arrived = (times < until[:, None]).sum(axis=1)
    take = np.minimum(arrived, capacity)
    gptr[isus] += np.maximum(arrived - 1, 0)
    # dose of the j-th backfilled patient: highest open dose with room left
    cum = np.cumsum(room[:, ::-1], axis=1)  # (S, K), highest dose first
    j = np.arange(jmax)[None, :]
    dose = k - 1 - (cum[:, None, :] <= j[:, :, None]).sum(axis=2)
    use = j < take[:, None]
    rr, jj = np.nonzero(use)
    rows_g = isus[rr]
    dd = dose[rr, jj]
    bslot = bptr[rows_g] + jj
    col = n_max + bslot
    t_in = times[rr, jj]
    tox = bu[rows_g, bslot] < plan.true_tox[dd]
    entry[rows_g, col] = t_in
    pdose[rows_g, col] = dd
    dlt[rows_g, col] = tox
    on = bon[rows_g, bslot, dd] if bon.ndim == 3 else bon[rows_g, bslot]
    resolve[rows_g, col] = t_in + np.where(tox, on, plan.window)
    np.add.at(n, (rows_g, dd), 1)
    bptr[isus] += take
