"""Calendar-time lock-step simulation of TITE-BOIN and TITE-CRM (TITEgBOIN; dfcrm ``titesim``).

Patients arrive one by one with exponential gaps (mean 30.4375 / ``patients_per_month`` days); a
cohort's dose is decided when its first patient arrives, from the data at that moment: DLTs seen
so far, patients still pending (inside the DLT window without a DLT) with their follow-up. The
other patients of the cohort get the same dose on arrival (not earlier than ``stagger_days``
after the first). TITE-BOIN may suspend accrual (more than ``max_pending_fraction`` x n pending
at the current dose, or phat > lambda_d at dose 1 with patients pending): patients arriving while
accrual is suspended are not enrolled (with backfill they go to the open backfill doses); the
decision can change only at the next DLT or window completion, or (dose-1 hold) when accruing
follow-up brings phat down to lambda_d, and the next patient arrives after a fresh exponential gap
from then on (memoryless) and triggers a new decision. DLTs occur
within the window with the true probability of the dose, at a time uniform on (0, window] or
from a Weibull(shape, scale = window) truncated to the window. At the end every patient completes
the window and the MTD is selected on complete data. Duration = last entry + window.

All trials advance cohort by cohort together; the suspension loop is vectorised over the trials
still suspended (each pass resolves at least one pending patient, so it ends).
"""

from __future__ import annotations

import math

import numpy as np

from cartrial.design.dlt_onset import titegboin_onset
from cartrial.design.simulate_crm import crm_decide, crm_rules, crm_select, make_grid
from cartrial.design.simulate_lockstep import ACTIVE, DONE, NO_MTD_STOP, completed_selection
from cartrial.design.simulate_plan import SimPlan

_ONSET = {"uniform": 0, "weibull": 1}


def tite_draws(
    plan: SimPlan,
    rng: np.random.Generator,
    size: int,
    dlt_onset: str = "uniform",
    weibull_shape: float = 2.0,
    alpha1: float = 0.5,
    alpha2: float = 0.5,
) -> tuple[np.ndarray, ...]:
    """Per patient slot: exponential gap, DLT uniform, onset time (days after entry); then the
    fresh gaps after suspensions and, with backfill, the backfill draws."""
    n_max = sum(plan.cohort_sizes)
    gaps = rng.standard_exponential((size, n_max)) * plan.mean_gap_days
    u_tox = rng.random((size, n_max))
    u_on = rng.random((size, n_max))
    w = plan.window

    def times(u: np.ndarray) -> np.ndarray:
        if dlt_onset == "uniform":
            return w * (1.0 - u)  # in (0, window]
        if dlt_onset == "titegboin":  # per dose: (..., K)
            return titegboin_onset(u, plan.true_tox, w, alpha1, alpha2)
        return w * (-np.log1p(-u * (1 - math.exp(-1.0)))) ** (1.0 / weibull_shape)

    onset = times(u_on)
    nbf = plan.n_doses * plan.spec.backfill.max_per_dose if plan.spec.backfill.enabled else 0
    extra: tuple[np.ndarray, ...] = ()
    if nbf:
        # backfill (TITE-BOIN): arrival gaps while suspended, DLT draws per backfill slot
        bgaps = rng.standard_exponential((size, 4 * nbf)) * plan.mean_gap_days
        bu = rng.random((size, nbf))
        extra = (bgaps, bu, times(rng.random((size, nbf))))
    # a fresh gap for the first arrival after each suspension (drawn last: the other streams
    # are those of a run without suspensions)
    sgaps = rng.standard_exponential((size, _suspension_slots(plan, n_max + nbf)))
    return (gaps, u_tox, onset, sgaps * plan.mean_gap_days, *extra)


def _suspension_slots(plan: SimPlan, width: int) -> int:
    """Most suspensions one trial can have: each ends at a pending patient's DLT or window end
    (at most one per patient) or at a dose-1 hold release, which recurs only after such an
    event, plus one per cohort decision."""
    return 2 * width + len(plan.cohort_sizes) + 2


def _dose_sums(values: np.ndarray, pdose: np.ndarray, k: int) -> np.ndarray:
    """Per-trial, per-dose sums of ``values`` (R, N) by patient dose (R, N); -1 = not enrolled."""
    rows = values.shape[0]
    idx = np.arange(rows)[:, None] * k + np.maximum(pdose, 0)
    w = np.where(pdose >= 0, values, 0.0)
    return np.bincount(idx.ravel(), weights=w.ravel(), minlength=rows * k).reshape(rows, k)


def _tite_boin_decide(plan, d, elim_low, n, y_obs, c_d, f_d, bf=None):
    """Vectorised :meth:`TiteBoin.decide` (TITEgBOIN estimator): (next dose, lowest
    eliminated dose, stop no MTD, stop at cap, suspend). With ``bf = (b_e, b_d)`` (backfill),
    a dose with nothing pending uses BF-BOIN's rule (conflicting lower doses pooled)."""
    from cartrial.design import table_rules as R

    tab = plan.tables
    r = np.arange(d.shape[0])
    ni = n.astype(np.int64)
    yi = np.rint(y_obs).astype(np.int64)
    elim_low = R.eliminate_rows(tab, ni, yi, elim_low)
    nd_cur = ni[r, d]
    b = plan.boundaries
    letter, hold, _, _ = R.tite_letter(
        d, nd_cur, yi[r, d], c_d, f_d, plan.window, b.lambda_e, b.lambda_d,
        plan.spec.accrual.max_pending_fraction,
    )
    if bf is None:  # complete information at the current dose: the BOIN table
        nd, code = R.propose(tab, d, ni, yi, elim_low)
    else:  # ... or BF-BOIN's pooling of conflicting lower doses
        from cartrial.design.simulate_plan import spec_tables

        big = spec_tables(plan.spec, max(bf[0].shape[0] - 1, tab.action.shape[0] - 1))
        nd, code = R.propose(big, d, ni, yi, elim_low, pooling=True)
    nd_t, code_t = R.move(d, letter, elim_low, plan.n_doses)
    pend = c_d > 0
    nd = np.where(pend, nd_t, nd)
    code = np.where(pend, np.where(hold >= 0, hold, code_t), code)
    nd, rule = R.decide_core(d, nd_cur, elim_low, (nd, code), plan.cap)
    suspend = np.isin(rule, R.SUSPENDS)
    return nd, elim_low, rule == R.STOP_FIRST, rule == R.STOP_CAP, suspend


def run_tite(
    plan: SimPlan,
    gaps: np.ndarray,
    u_tox: np.ndarray,
    onset: np.ndarray,
    sgaps: np.ndarray,
    *backfill: np.ndarray,
    entries: dict | None = None,
) -> tuple[np.ndarray, ...]:
    """Simulate ``gaps.shape[0]`` TITE trials; returns (n, y, selected, duration).

    ``entries``: a dict that receives ``entry`` (infusion day of each patient slot, inf when
    unused) and ``pdose`` (its dose, -1 when unused), one row per trial. Within a cohort, the
    patients after the first are infused no earlier than ``accrual.stagger_days`` after it
    (sentinel staggering).

    After a suspension the next patient arrives a fresh exponential gap (``sgaps``, one column
    per suspension) after the event that can change the decision, as in TITEgBOIN, where every
    arrival is a new ``rexp()`` draw.

    With backfill draws (TITE-BOIN with ``backfill.enabled``), patients who arrive while
    accrual is suspended are backfilled to the doses open to backfill at the suspending decision
    (highest first, up to ``max_per_dose`` per dose) instead of being turned away; their DLTs
    count once observed. The open doses are those of the suspending decision until the next
    event of a patient pending at that time (a backfilled patient's own DLT is seen at the
    next decision)."""
    rows, n_max = gaps.shape
    k = plan.n_doses
    w = plan.window
    is_crm = plan.design == "tite-crm"
    grid = make_grid(plan) if is_crm else None
    bf_on = len(backfill) == 3
    nbf = backfill[1].shape[1] if bf_on else 0
    width = n_max + nbf
    sptr = np.zeros(rows, dtype=np.int64)  # fresh post-suspension gaps used
    bptr = np.zeros(rows, dtype=np.int64)  # backfill slots used
    gptr = np.zeros(rows, dtype=np.int64)  # backfill arrival gaps used
    bf_bounds = None
    if bf_on:
        from cartrial.design.simulate_backfill import (
            _backfill_while_suspended,
            _bounds,
            backfill_open,
        )

        bf_bounds = _bounds(plan, width + 1)
    entry = np.full((rows, width), np.inf)
    pdose = np.full((rows, width), -1, dtype=np.int64)
    dlt = np.zeros((rows, width), dtype=bool)
    resolve = np.full((rows, width), np.inf)  # entry + onset (DLT) or entry + window
    n = np.zeros((rows, k), dtype=np.int64)
    d = np.full(rows, plan.start_dose)
    elim_low = np.full(rows, k)
    status = np.zeros(rows, dtype=np.int64)
    t_last = np.zeros(rows)
    r = np.arange(rows)
    p = plan.true_tox
    slot = 0
    last_slots: list[int] = []
    for c, m in enumerate(plan.cohort_sizes):
        act = status == ACTIVE
        if not act.any():
            break
        tau = np.where(act, t_last + gaps[:, slot], t_last) if c > 0 else np.zeros(rows)
        if c > 0:
            deciding = act.copy()
            for _ in range(2 * n_max + 2):
                ix = np.nonzero(deciding)[0]
                if ix.size == 0:
                    break
                if bf_on:
                    cols = np.r_[0:slot, n_max : n_max + int(bptr[ix].max())]
                    sub = (ix[:, None], cols[None, :])
                else:
                    sub = (ix, slice(0, slot))
                nd, el, stop, cap, suspend = _decide(
                    plan,
                    grid,
                    tau[ix],
                    entry[sub],
                    pdose[sub],
                    dlt[sub],
                    resolve[sub],
                    n[ix],
                    d[ix],
                    elim_low[ix],
                    last_slots,
                    bf_bounds,
                )
                upd = ~suspend
                iu = ix[upd]
                elim_low[iu] = el[upd]
                status[iu] = np.where(stop[upd], NO_MTD_STOP, np.where(cap[upd], DONE, ACTIVE))
                d[iu] = np.where(stop[upd] | cap[upd], d[iu], nd[upd])
                deciding[iu] = False
                isus = ix[suspend]
                if isus.size == 0:
                    break
                ssub = (isus[:, None], cols[None, :]) if bf_on else (isus, slice(0, slot))
                t_s = tau[isus, None]
                pending = (entry[ssub] <= t_s) & (resolve[ssub] > t_s)
                nxt = np.where(pending, resolve[ssub], np.inf).min(axis=1)
                if grid is None:
                    nxt = np.minimum(
                        nxt,
                        _hold_release(
                            plan, t_s, ssub, entry, pdose, dlt, resolve, pending, n, d, isus
                        ),
                    )
                if bf_on:
                    _backfill_while_suspended(
                        plan,
                        backfill,
                        bf_bounds[1],
                        isus,
                        tau[isus],
                        nxt,
                        ssub,
                        entry,
                        pdose,
                        dlt,
                        resolve,
                        n,
                        d,
                        el[suspend],
                        bptr,
                        gptr,
                        n_max,
                        backfill_open,
                    )
                # patients arriving while accrual is suspended are not enrolled; the decision
                # can only change at the next event, so the next patient to be enrolled is the
                # first to arrive after it: a fresh exponential gap (memoryless), never the gap
                # already drawn and turned away
                if int(sptr[isus].max()) >= sgaps.shape[1]:  # pragma: no cover - bound proven
                    raise RuntimeError("more suspensions than _suspension_slots() allows")
                tau[isus] = nxt + sgaps[isus, sptr[isus]]
                sptr[isus] += 1
            act = status == ACTIVE
        # enrol the cohort at d
        first_entry = tau
        prev = tau
        for i in range(m):
            s = slot + i
            t_i = (
                first_entry
                if i == 0
                else np.maximum(prev + gaps[:, s], first_entry + plan.stagger_days)
            )
            entry[:, s] = np.where(act, t_i, np.inf)
            pdose[:, s] = np.where(act, d, -1)
            tox = act & (u_tox[:, s] < p[d])
            dlt[:, s] = tox
            on_s = onset[r, s, d] if onset.ndim == 3 else onset[:, s]
            resolve[:, s] = np.where(act, t_i + np.where(tox, on_s, w), np.inf)
            prev = t_i
        n[r, d] += m * act
        t_last = np.where(act, prev, t_last)
        last_slots = list(range(slot, slot + m))
        slot += m
    # end: complete follow-up
    enrolled = pdose >= 0
    y = _dose_sums(dlt.astype(float), pdose, k).astype(np.int64)
    duration = np.where(enrolled, entry + w, 0.0).max(axis=1)
    if is_crm:
        plugin, p_over = grid.posterior(y.astype(float), n.astype(float))
        _, el, stop = crm_decide(
            plugin,
            p_over,
            d,
            elim_low,
            n[:, 0],
            np.full(rows, np.nan),
            plan.target,
            **crm_rules(plan),
        )
        sel = crm_select(plugin, el, plan.target)
        sel = np.where(stop | (status == NO_MTD_STOP), -1, sel)
    else:
        sel = completed_selection(plan.tables, n, y, elim_low, status, plan.target,
                                  plan.selection_bound, plan.spec.selection_prior)
    if entries is not None:
        entries.update(entry=entry, pdose=pdose)
    return n, y, sel, duration


def _hold_release(plan, t_s, ssub, entry, pdose, dlt, resolve, pending, n, d, isus):
    """Earliest time at which TITE-BOIN's dose-1 hold (phat > lambda_d with patients pending)
    lifts without any new event: phat = y / (n - c + F/T) falls as pending follow-up F grows at
    rate c per day (TITEgBOIN). Infinite where the suspension is the pending-fraction rule (it only
    changes at an event)."""
    t = t_s[:, 0]
    at_d = pdose[ssub] == d[isus, None]
    obs = dlt[ssub] & (resolve[ssub] <= t_s)
    pend_d = pending & at_d
    c = pend_d.sum(axis=1).astype(float)
    f = np.where(pend_d, np.clip(t_s - entry[ssub], 0.0, plan.window), 0.0).sum(axis=1)
    y_d = (obs & at_d).sum(axis=1).astype(float)
    n_d = n[isus, d[isus]].astype(float)
    maxpen = c > plan.spec.accrual.max_pending_fraction * n_d
    need = y_d / (plan.boundaries.lambda_d + 1e-12)  # hold while n - c + F/T < need
    dt = (plan.window * (need - n_d + c) - f) / np.maximum(c, 1.0)
    release = t + np.maximum(dt, 0.0)
    return np.where(maxpen | (c == 0), np.inf, release)


def _decide(plan, grid, tau, entry, pdose, dlt, resolve, n, d, elim_low, last_slots, bf=None):
    """Decision for the given trials at their times ``tau`` from the data seen by then
    (patient arrays restricted to the enrolled slots)."""
    k = plan.n_doses
    r = np.arange(tau.shape[0])
    t = tau[:, None]
    enrolled = entry <= t
    obs = dlt & (resolve <= t)
    pending = enrolled & ~obs & (entry + plan.window > t)
    follow = np.clip(t - entry, 0.0, plan.window)
    y_obs = _dose_sums(obs.astype(float), pdose, k)
    if grid is None:
        at_d = pdose == d[:, None]
        c_d = (pending & at_d).sum(axis=1).astype(float)
        f_d = np.where(pending & at_d, follow, 0.0).sum(axis=1)
        return _tite_boin_decide(plan, d, elim_low, n, y_obs, c_d, f_d, bf)
    c_all = _dose_sums(pending.astype(float), pdose, k)
    prow, pcol = np.nonzero(pending)
    wts = follow[prow, pcol] / plan.window
    pds = pdose[prow, pcol]
    plugin, p_over = grid.posterior(y_obs, n - c_all, wts, pds, prow)
    lm = len(last_slots)
    last_y = obs[:, last_slots].sum(axis=1) if lm else np.zeros(r.shape[0])
    last_rate = last_y / lm if lm else np.full(r.shape[0], np.nan)
    nd, el, stop = crm_decide(
        plugin,
        p_over,
        d,
        elim_low,
        n[:, 0],
        last_rate,
        plan.target,
        **crm_rules(plan),
    )
    none = np.zeros(r.shape[0], dtype=bool)
    return nd, el, stop, none, none
