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
from dataclasses import dataclass

import numpy as np

from cartrial.design.dlt_onset import titegboin_onset
from cartrial.design.simulate_crm import crm_decide, crm_rules, crm_select, make_grid
from cartrial.design.simulate_lockstep import ACTIVE, DONE, NO_MTD_STOP, completed_selection
from cartrial.design.simulate_plan import SimPlan
from cartrial.design.simulate_tite_decide import _decide, _dose_sums, _hold_release

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
    run = _start(plan, gaps.shape, sgaps, backfill)
    t_last = np.zeros(rows)
    slot = 0
    last_slots: list[int] = []
    for c, m in enumerate(plan.cohort_sizes):
        act = run.status == ACTIVE
        if not act.any():
            break
        tau = np.where(act, t_last + gaps[:, slot], t_last) if c > 0 else np.zeros(rows)
        if c > 0:
            _decide_cohort(run, tau, act.copy(), slot, last_slots)
            act = run.status == ACTIVE
        prev = _enrol(run, gaps, u_tox, onset, tau, act, slot, m)
        t_last = np.where(act, prev, t_last)
        last_slots = list(range(slot, slot + m))
        slot += m
    out = _finish(run)
    if entries is not None:
        entries.update(entry=run.entry, pdose=run.pdose)
    return out


@dataclass
class _Run:
    """The trials' state while they run: one row per trial, one column per patient slot
    (escalation slots, then backfill slots); arrays are updated in place."""

    plan: SimPlan
    grid: object | None  # the TITE-CRM posterior grid; None for TITE-BOIN
    backfill: tuple[np.ndarray, ...]  # (gaps, DLT uniforms, onsets) of backfill slots, or ()
    bf_bounds: tuple | None
    sgaps: np.ndarray  # fresh post-suspension gaps
    n_max: int  # escalation slots
    entry: np.ndarray  # infusion day; inf when unused
    pdose: np.ndarray  # dose of the slot; -1 when unused
    dlt: np.ndarray
    resolve: np.ndarray  # entry + onset (DLT) or entry + window
    n: np.ndarray  # (trials, doses) patients treated
    d: np.ndarray  # current dose
    elim_low: np.ndarray  # lowest eliminated dose (n_doses: none)
    status: np.ndarray
    sptr: np.ndarray  # fresh post-suspension gaps used
    bptr: np.ndarray  # backfill slots used
    gptr: np.ndarray  # backfill arrival gaps used


def _start(plan: SimPlan, shape: tuple[int, int], sgaps: np.ndarray,
           backfill: tuple[np.ndarray, ...]) -> _Run:
    """Every trial before its first patient: at the start dose, nobody enrolled."""
    rows, n_max = shape
    k = plan.n_doses
    bf_on = len(backfill) == 3
    width = n_max + (backfill[1].shape[1] if bf_on else 0)
    bf_bounds = None
    if bf_on:
        from cartrial.design.simulate_backfill import _bounds

        bf_bounds = _bounds(plan, width + 1)
    return _Run(
        plan=plan,
        grid=make_grid(plan) if plan.design == "tite-crm" else None,
        backfill=tuple(backfill) if bf_on else (),
        bf_bounds=bf_bounds,
        sgaps=sgaps,
        n_max=n_max,
        entry=np.full((rows, width), np.inf),
        pdose=np.full((rows, width), -1, dtype=np.int64),
        dlt=np.zeros((rows, width), dtype=bool),
        resolve=np.full((rows, width), np.inf),
        n=np.zeros((rows, k), dtype=np.int64),
        d=np.full(rows, plan.start_dose),
        elim_low=np.full(rows, k),
        status=np.zeros(rows, dtype=np.int64),
        sptr=np.zeros(rows, dtype=np.int64),
        bptr=np.zeros(rows, dtype=np.int64),
        gptr=np.zeros(rows, dtype=np.int64),
    )


def _decide_cohort(run: _Run, tau: np.ndarray, deciding: np.ndarray, slot: int,
                   last_slots: list[int]) -> None:
    """Decide the next cohort's dose of every trial in ``deciding``; a suspended trial waits
    for its next event and decides again at its next arrival (``tau`` moves, in place)."""
    for _ in range(2 * run.n_max + 2):
        ix = np.nonzero(deciding)[0]
        if ix.size == 0:
            break
        if run.backfill:
            cols = np.r_[0:slot, run.n_max : run.n_max + int(run.bptr[ix].max())]
            sub = (ix[:, None], cols[None, :])
        else:
            sub = (ix, slice(0, slot))
        nd, el, stop, cap, suspend = _decide(
            run.plan, run.grid, tau[ix], run.entry[sub], run.pdose[sub], run.dlt[sub],
            run.resolve[sub], run.n[ix], run.d[ix], run.elim_low[ix], last_slots, run.bf_bounds,
        )
        upd = ~suspend
        iu = ix[upd]
        run.elim_low[iu] = el[upd]
        run.status[iu] = np.where(stop[upd], NO_MTD_STOP, np.where(cap[upd], DONE, ACTIVE))
        run.d[iu] = np.where(stop[upd] | cap[upd], run.d[iu], nd[upd])
        deciding[iu] = False
        isus = ix[suspend]
        if isus.size == 0:
            break
        ssub = (isus[:, None], cols[None, :]) if run.backfill else (isus, slice(0, slot))
        _suspend(run, tau, isus, ssub, el[suspend])


def _suspend(run: _Run, tau: np.ndarray, isus: np.ndarray, ssub: tuple,
             elim_low: np.ndarray) -> None:
    """Suspended trials: (with backfill) enrol the arrivals to open backfill doses, then move
    each trial's next arrival to a fresh gap after the event that can change its decision."""
    plan = run.plan
    t_s = tau[isus, None]
    pending = (run.entry[ssub] <= t_s) & (run.resolve[ssub] > t_s)
    nxt = np.where(pending, run.resolve[ssub], np.inf).min(axis=1)
    if run.grid is None:
        nxt = np.minimum(
            nxt,
            _hold_release(plan, t_s, ssub, run.entry, run.pdose, run.dlt, run.resolve, pending,
                          run.n, run.d, isus),
        )
    if run.backfill:
        from cartrial.design.simulate_backfill import _backfill_while_suspended, backfill_open

        _backfill_while_suspended(
            plan, run.backfill, run.bf_bounds[1], isus, tau[isus], nxt, ssub, run.entry,
            run.pdose, run.dlt, run.resolve, run.n, run.d, elim_low, run.bptr, run.gptr,
            run.n_max, backfill_open,
        )
    # patients arriving while accrual is suspended are not enrolled; the decision can only
    # change at the next event, so the next patient to be enrolled is the first to arrive
    # after it: a fresh exponential gap (memoryless), never the gap already drawn and turned away
    if int(run.sptr[isus].max()) >= run.sgaps.shape[1]:  # pragma: no cover - bound proven
        raise RuntimeError("more suspensions than _suspension_slots() allows")
    tau[isus] = nxt + run.sgaps[isus, run.sptr[isus]]
    run.sptr[isus] += 1


def _enrol(run: _Run, gaps: np.ndarray, u_tox: np.ndarray, onset: np.ndarray, tau: np.ndarray,
           act: np.ndarray, slot: int, m: int) -> np.ndarray:
    """Enrol a cohort of ``m`` at each active trial's dose from ``tau`` on (staggered); returns
    the last patient's entry."""
    plan = run.plan
    r = np.arange(tau.shape[0])
    d = run.d
    first_entry = tau
    prev = tau
    for i in range(m):
        s = slot + i
        t_i = (
            first_entry
            if i == 0
            else np.maximum(prev + gaps[:, s], first_entry + plan.stagger_days)
        )
        run.entry[:, s] = np.where(act, t_i, np.inf)
        run.pdose[:, s] = np.where(act, d, -1)
        tox = act & (u_tox[:, s] < plan.true_tox[d])
        run.dlt[:, s] = tox
        on_s = onset[r, s, d] if onset.ndim == 3 else onset[:, s]
        run.resolve[:, s] = np.where(act, t_i + np.where(tox, on_s, plan.window), np.inf)
        prev = t_i
    run.n[r, d] += m * act
    return prev


def _finish(run: _Run) -> tuple[np.ndarray, ...]:
    """Every patient completes the window; the MTD on complete data: (n, y, selected, duration)."""
    plan, n, status = run.plan, run.n, run.status
    rows = n.shape[0]
    enrolled = run.pdose >= 0
    y = _dose_sums(run.dlt.astype(float), run.pdose, plan.n_doses).astype(np.int64)
    duration = np.where(enrolled, run.entry + plan.window, 0.0).max(axis=1)
    if run.grid is not None:
        plugin, p_over = run.grid.posterior(y.astype(float), n.astype(float))
        _, el, stop = crm_decide(
            plugin, p_over, run.d, run.elim_low, n[:, 0], np.full(rows, np.nan), plan.target,
            **crm_rules(plan),
        )
        sel = crm_select(plugin, el, plan.target)
        sel = np.where(stop | (status == NO_MTD_STOP), -1, sel)
    else:
        sel = completed_selection(plan.tables, n, y, run.elim_low, status,
                                  plan.target, plan.selection_bound, plan.spec.selection_prior)
    return n, y, sel, duration
