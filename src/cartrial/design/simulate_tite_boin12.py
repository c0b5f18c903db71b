"""Monte Carlo operating characteristics of TITE-BOIN12 (lock-step numpy, calendar time).

Patients arrive by a Poisson process (``patients_per_month``); each patient's DLT and response
are drawn as in :func:`cartrial.design.simulate_boin12.simulate_boin12` (same uniforms, same
order, so the outcomes of trial i are those of BOIN12's trial i), and an event's onset is uniform
within its assessment window (Zhou et al., Stat Med 2022;41:1918-1931, simulation settings). The
next cohort's dose is decided when its first patient arrives, on the data known then, by
:func:`cartrial.design.tite_boin12_rules.decide_tite_rows` (the rule of
:meth:`cartrial.design.tite_boin12.TiteBoin12.decide`); while more than ``max_pending`` of the
patients at the current dose have a pending outcome, the decision waits for the outcome that
brings the fraction down (accrual suspended). After the last cohort one more decision is taken on
complete data (eliminations, early stop) and the OBD is selected as BOIN12's.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Literal

import numpy as np

from cartrial.design import boin12_rules as R
from cartrial.design import tite_boin12_rules as T
from cartrial.design.boin12_select import NO_OBD, select_obd_rows
from cartrial.design.simulate_boin12 import (
    Boin12Oc,
    _result,
    _Sums,
    check_scenario,
    gumbel_conditionals,
    true_obd_of,
)
from cartrial.design.simulate_rules import BLOCK
from cartrial.design.tite_boin12 import TiteBoin12
from cartrial.errors import InputError

DAYS_PER_MONTH = 30.4375


def _status(entry: np.ndarray, at: np.ndarray, event: np.ndarray, now: np.ndarray, win: float):
    """Status (1 / 0 / -1 pending) and follow-up fraction of every slot at time ``now``."""
    known = at <= now[:, None]
    status = np.where(known, event.astype(np.int64), T.PENDING)
    w = np.where(known, 0.0, np.clip((now[:, None] - entry) / win, 0.0, 1.0))
    return status, w


def _unsuspended(dose: np.ndarray, d: np.ndarray, at: np.ndarray, frac: float) -> np.ndarray:
    """Earliest time at which at most ``frac`` of the patients at dose d are pending."""
    here = dose == d[:, None]
    nd = here.sum(axis=1)
    q = np.floor(frac * nd + 1e-9).astype(np.int64)
    s = np.sort(np.where(here, at, -np.inf), axis=1)
    return np.take_along_axis(s, (s.shape[1] - 1 - q)[:, None], axis=1)[:, 0]


def run_tite_trials(
    g: TiteBoin12,
    p: np.ndarray,
    q1: np.ndarray,
    q0: np.ndarray,
    draws: dict[str, np.ndarray],
    start: int,
    gap_days: float,
) -> tuple[np.ndarray, ...]:
    """Advance trials in calendar time: (n, dlt, responses, both, obd, early, duration days)."""
    b = g.boin12
    ut, ue = draws["ut"], draws["ue"]
    rows, ncoh, m = ut.shape
    k, P = b.n_doses, ncoh * m
    dose = np.full((rows, P), -1, dtype=np.int64)
    entry = np.full((rows, P), np.inf)
    tox, eff = np.zeros((rows, P), bool), np.zeros((rows, P), bool)
    tat, eat = np.full((rows, P), np.inf), np.full((rows, P), np.inf)
    elim = np.zeros((rows, k), dtype=bool)
    d = np.full(rows, start, dtype=np.int64)
    active, early = np.ones(rows, bool), np.zeros(rows, bool)
    clock = np.zeros(rows)
    gaps = draws["gap"] * gap_days
    for c in range(ncoh + 1):
        a = np.nonzero(active)[0]
        if a.size == 0:
            break
        if c:
            # after the last cohort: one more decision on complete data (eliminations, stops)
            ready = clock[a] + (gaps[a, c, 0] if c < ncoh else np.inf)
            wait = np.maximum(
                _unsuspended(dose[a], d[a], tat[a], g.max_pending),
                _unsuspended(dose[a], d[a], eat[a], g.max_pending),
            )
            now = np.maximum(ready, wait)
            ts, tw = _status(entry[a], tat[a], tox[a], now, g.tox_window)
            es, ew = _status(entry[a], eat[a], eff[a], now, g.eff_window)
            nxt, el, rule = T.decide_tite_rows(b, d[a], dose[a], ts, tw, es, ew, elim[a])
            elim[a], d[a] = el, nxt
            stop = np.isin(rule, R.STOPS)
            early[a] = np.isin(rule, R.EARLY_STOPS)
            active[a[stop]] = False
            a, now = a[~stop], now[~stop]
            if c == ncoh:
                break
        else:
            now = np.zeros(a.size)
        da = d[a]
        t_in = now[:, None] + np.concatenate(
            [np.zeros((a.size, 1)), np.cumsum(gaps[a, c, 1:], axis=1)], axis=1
        )
        sl = slice(c * m, (c + 1) * m)
        tx = ut[a, c] < p[da][:, None]
        ef = ue[a, c] < np.where(tx, q1[da][:, None], q0[da][:, None])
        dose[a, sl], entry[a, sl], tox[a, sl], eff[a, sl] = da[:, None], t_in, tx, ef
        tat[a, sl] = t_in + np.where(tx, draws["ot"][a, c], 1.0) * g.tox_window
        eat[a, sl] = t_in + np.where(ef, draws["oe"][a, c], 1.0) * g.eff_window
        clock[a] = t_in[:, -1]
    at = dose[:, :, None] == np.arange(k)[None, None, :]
    n = at.sum(axis=1)
    yt, ye = (at & tox[:, :, None]).sum(axis=1), (at & eff[:, :, None]).sum(axis=1)
    yb = (at & (tox & eff)[:, :, None]).sum(axis=1)
    obd = select_obd_rows(n, yt, ye, elim, b.target, b.utility)[0]
    done = np.where(dose >= 0, np.maximum(tat, eat), 0.0).max(axis=1)
    return n, yt, ye, yb, np.where(early, NO_OBD, obd), early, done


def tite_block(
    design: TiteBoin12, p: np.ndarray, q1: np.ndarray, q0: np.ndarray,
    rng: np.random.Generator, size: int, start: int, per_month: float,
) -> tuple[np.ndarray, ...]:
    """One block of ``size`` trials drawn from ``rng``: :func:`run_tite_trials`'s result. The
    one draw order of :func:`simulate_tite_boin12` and of the escalation before a ROSE stage."""
    b = design.boin12
    shape = (size, math.ceil(int(b.max_sample_size or 0) / b.cohort_size), b.cohort_size)
    # DLT and response uniforms first, in BOIN12's order (same outcomes as its trials)
    draws = {"ut": rng.random(shape), "ue": rng.random(shape)}
    draws |= {"gap": rng.standard_exponential(shape), "ot": rng.random(shape)}
    draws["oe"] = rng.random(shape)
    return run_tite_trials(design, p, q1, q0, draws, start, DAYS_PER_MONTH / per_month)


def _run_blocks(
    design: TiteBoin12,
    p: np.ndarray,
    q1: np.ndarray,
    q0: np.ndarray,
    n_trials: int,
    seed: int,
    start: int,
    per_month: float,
) -> _Sums:
    """Blocks of :data:`BLOCK` trials, each from its child of ``SeedSequence(seed)``."""
    acc = _Sums(design.boin12.n_doses)
    for i, kid in enumerate(np.random.SeedSequence(seed).spawn(math.ceil(n_trials / BLOCK))):
        rng = np.random.default_rng(kid)
        res = tite_block(design, p, q1, q0, rng, min(BLOCK, n_trials - i * BLOCK), start,
                         per_month)
        acc.add(*res[:6])
        acc.add_duration(res[6])
    return acc


def simulate_tite_boin12(
    design: TiteBoin12,
    true_tox: Any,
    true_eff: Any,
    patients_per_month: float,
    n_trials: int = 10_000,
    seed: int = 0,
    *,
    true_obd: int | None | Literal["auto"] = "auto",
    start_dose: int = 0,
    gumbel_psi: float = 0.0,
) -> Boin12Oc:
    """Operating characteristics of TITE-BOIN12 by ``n_trials`` simulated trials.

    Parameters
    ----------
    design : TiteBoin12
        The design (its ``boin12.max_sample_size`` is required).
    true_tox, true_eff : sequence of float
        True DLT and response probability per dose.
    patients_per_month : float
        Accrual rate (Poisson process).
    n_trials, seed : int
        Number of trials; seed of ``numpy.random.SeedSequence`` (blocks of 1024 trials).
    true_obd, start_dose, gumbel_psi
        As for :func:`cartrial.design.simulate_boin12.simulate_boin12`.

    Returns
    -------
    Boin12Oc
        With ``overall["mean_duration_days"]``: time until the last patient's outcomes are
        known.

    Raises
    ------
    InputError
        Bad probabilities, no maximum sample size, accrual rate not > 0, start dose outside.

    References
    ----------
    Zhou Y, Lin R, Lee JJ, et al. Stat Med 2022;41:1918-1931.

    Examples
    --------
    >>> from cartrial.design.boin12 import Boin12
    >>> g = TiteBoin12(Boin12(n_doses=3, target=0.35, phi_e=0.25, max_sample_size=18), 30, 60)
    >>> oc = simulate_tite_boin12(g, [0.1, 0.2, 0.5], [0.3, 0.5, 0.6], 2.0, n_trials=200)
    >>> oc.true_obd
    1
    """
    b = design.boin12
    p, q = check_scenario(b, true_tox, true_eff, n_trials, seed)
    if not patients_per_month > 0:
        raise InputError(f"patients_per_month must be > 0, got {patients_per_month!r}")
    if not 0 <= int(start_dose) < b.n_doses:
        raise InputError(f"start_dose {start_dose} (0-based) is outside 0..{b.n_doses - 1}")
    tobd = true_obd_of(b, p, q) if true_obd == "auto" else true_obd
    q1, q0 = gumbel_conditionals(p, q, float(gumbel_psi))
    n_trials = int(n_trials)
    acc = _run_blocks(design, p, q1, q0, n_trials, int(seed), int(start_dose), patients_per_month)
    oc = _result(b, p, q, tobd, acc, n_trials, int(seed), float(gumbel_psi), int(start_dose))
    settings = oc.settings | {
        "design": "tite-boin12",
        "tox_window": design.tox_window,
        "eff_window": design.eff_window,
        "max_pending": design.max_pending,
        "patients_per_month": patients_per_month,
    }
    method = oc.method.replace("lock-step numpy", "lock-step numpy in calendar time (TITE)")
    return replace(oc, settings=settings, method=method)
