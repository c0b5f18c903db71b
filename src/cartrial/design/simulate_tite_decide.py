"""The decision step of the calendar-time TITE simulation (:mod:`cartrial.design.simulate_tite`).

At a cohort's first arrival each trial is decided from the data seen by then: DLTs observed,
patients pending with their follow-up (TITE-BOIN: the TITEgBOIN estimator and suspension rules,
Yuan Y et al., Clin Cancer Res 2018;24:4921-30; TITE-CRM: the weighted power-model likelihood,
Cheung YK & Chappell R, Biometrics 2000;56:1177-82), and, for a dose-1 hold, the time at which
accruing follow-up alone lifts it.
"""

from __future__ import annotations

import numpy as np

from cartrial.design.simulate_crm import crm_decide, crm_rules


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
    from cartrial.design.tite_rules import tite_letter

    tab = plan.tables
    r = np.arange(d.shape[0])
    ni = n.astype(np.int64)
    yi = np.rint(y_obs).astype(np.int64)
    elim_low = R.eliminate_rows(tab, ni, yi, elim_low)
    nd_cur = ni[r, d]
    b = plan.boundaries
    letter, hold, _, _ = tite_letter(
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
