"""Vectorised CRM / TITE-CRM posterior across trials and the lock-step CRM simulator.

Same model and rules as :class:`cartrial.design.crm.Crm` (O'Quigley J et al.,
Biometrics 1990;46:33-48; dfcrm): power model
p_j(a) = s_j ** exp(a), a ~ N(0, prior_sd^2), posterior by Simpson quadrature on a fixed grid over
+-10 prior SDs (here shared by all trials, so every posterior summary is one matrix product),
plug-in estimate s_j ** exp(E[a]) closest to the target, no skipping, coherence, overdose control
(P(p_j > target) > cutoff eliminates dose j and above, permanently) and the safety stop
(P(p_1 > target) > safety_stop once dose 1 has patients). P(p_j > target) uses the cumulative
trapezoid CDF of a linearly interpolated at log(log(target) / log(s_j)), as the single-trial code.
The simulator's default grid is coarser (201 points) than the single-trial default (2001); pass
``grid_points`` to match it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartrial.design.crm_rules import crm_decide, crm_select
from cartrial.design.simulate_lockstep import ACTIVE, DONE, NO_MTD_STOP
from cartrial.design.simulate_plan import SimPlan
from cartrial.errors import InputError

SIM_GRID_POINTS = 201


def plan_skeleton(plan: SimPlan) -> np.ndarray:
    """The protocol's skeleton, or the Lee & Cheung calibration (part A's ``crm_skeleton``)."""
    from cartrial.design.crm import crm_skeleton

    c = plan.spec.crm
    if c.skeleton is not None:
        sk = np.asarray(c.skeleton, dtype=float)
        if sk.size != plan.n_doses:
            raise InputError(
                f"design.crm.skeleton has {sk.size} values for {plan.n_doses} doses (true_tox)"
            )
        return sk
    if c.prior_mtd_level > plan.n_doses:
        raise InputError(
            f"design.crm.prior_mtd_level = {c.prior_mtd_level} exceeds the {plan.n_doses} doses"
        )
    return np.asarray(crm_skeleton(c.halfwidth, plan.target, c.prior_mtd_level, plan.n_doses))


@dataclass(frozen=True)
class CrmGrid:
    """Quadrature grid and the per-dose log p / log(1 - p) on it."""

    skeleton: np.ndarray
    target: float
    a: np.ndarray
    log_prior: np.ndarray
    p: np.ndarray  # (K, G)
    logp: np.ndarray
    log1mp: np.ndarray
    summary: np.ndarray  # (G, 2 + K + 1): Simpson mass, Simpson mass x a, CDF at thresholds, total
    loglik_basis: np.ndarray  # (2K, G): log p stacked over log(1 - p)

    @classmethod
    def build(cls, skeleton: np.ndarray, target: float, prior_sd: float, points: int) -> CrmGrid:
        if points < 101 or points % 2 == 0:
            raise InputError(f"crm grid_points must be odd and >= 101, got {points}")
        s = np.asarray(skeleton, dtype=float)
        if np.any(~((s > 0) & (s < 1))) or np.any(np.diff(s) <= 0):
            raise InputError(f"crm skeleton must increase strictly inside (0, 1): {s.tolist()}")
        a = np.linspace(-10 * prior_sd, 10 * prior_sd, points)
        h = a[1] - a[0]
        simpson = np.ones(points)
        simpson[1:-1:2] = 4.0
        simpson[2:-1:2] = 2.0
        wq = simpson * h / 3.0
        logp = np.exp(a)[None, :] * np.log(s)[:, None]
        p = np.exp(logp)
        k = s.size
        # cumulative trapezoid CDF at each threshold, as coefficients on the density values
        trap = np.zeros((points, points))  # trap[:, i] -> integral from a[0] to a[i]
        step = np.full(points, h / 2)
        cum = np.zeros(points)
        for i in range(1, points):
            cum = cum.copy()
            cum[i - 1] += step[i - 1]
            cum[i] += step[i]
            trap[:, i] = cum
        thr = np.log(np.log(target) / np.log(s))
        cdf_coef = np.zeros((points, k))
        for j in range(k):
            if thr[j] <= a[0]:
                continue
            if thr[j] >= a[-1]:
                cdf_coef[:, j] = trap[:, -1]
                continue
            i = int(np.searchsorted(a, thr[j], side="right"))
            f = (thr[j] - a[i - 1]) / h
            cdf_coef[:, j] = (1 - f) * trap[:, i - 1] + f * trap[:, i]
        summary = np.column_stack([wq, wq * a, cdf_coef, trap[:, -1]])
        log1mp = np.log1p(-p)
        return cls(
            s,
            target,
            a,
            -0.5 * (a / prior_sd) ** 2,
            p,
            logp,
            log1mp,
            summary,
            np.vstack([logp, log1mp]),
        )

    def posterior(
        self,
        y: np.ndarray,
        n_full: np.ndarray,
        pend_w: np.ndarray | None = None,
        pend_d: np.ndarray | None = None,
        pend_row: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(plug-in estimates (R, K), P(p_j > target) (R, K)) per trial.

        ``y`` DLTs, ``n_full`` patients with complete information (DLT or full follow-up) per
        dose; pending patients (no DLT yet) enter with weight ``pend_w`` at dose ``pend_d``
        (R, P) as log(1 - w p) (TITE-CRM linear weights).
        """
        ll = np.hstack([y, n_full - y]) @ self.loglik_basis
        if pend_row is not None and pend_row.size:
            terms = np.log1p(-pend_w[:, None] * self.p[pend_d])
            # per-row sums of consecutive entries (rows sorted): differences of a running sum
            rows, starts = np.unique(pend_row, return_index=True)
            ends = np.append(starts[1:], pend_row.size) - 1
            cum = np.cumsum(terms, axis=0)
            tot = cum[ends]
            tot[1:] -= cum[ends[:-1]]
            ll[rows] += tot
        elif pend_w is not None and pend_w.ndim == 2 and pend_w.shape[1]:
            ll += np.log1p(-pend_w[:, :, None] * self.p[pend_d]).sum(axis=1)
        ll += self.log_prior[None, :]
        ll -= ll.max(axis=1, keepdims=True)
        np.maximum(ll, -700.0, out=ll)  # no subnormals (they are slow and carry no mass)
        dens = np.exp(ll, out=ll)
        sm = dens @ self.summary
        a_mean = sm[:, 1] / sm[:, 0]
        k = self.skeleton.size
        p_over = sm[:, 2 : 2 + k] / sm[:, [2 + k]]
        plugin = self.skeleton[None, :] ** np.exp(a_mean)[:, None]
        return plugin, p_over


def crm_rules(plan: SimPlan) -> dict[str, object]:
    """:func:`crm_decide` keyword arguments from the plan's ``crm`` settings.

    Parameters
    ----------
    plan
        The simulation plan (its ``spec.crm`` and ``spec.elimination_cutoff``).

    Returns
    -------
    dict
        ``overdose_cutoff`` (None when ``crm.overdose_control`` is off), ``safety_stop``,
        ``coherence`` and ``no_skipping``.

    References
    ----------
    Cheung YK. Dose Finding by the Continual Reassessment Method. CRC Press 2011 (restrictions);
    R package dfcrm 0.2-2.1, ``crmsim(restrict = TRUE)``.

    Examples
    --------
    >>> from cartrial.design.simulate_plan import make_plan
    >>> spec = {"name": "crm", "target": 0.25, "cohort_size": 3, "max_sample_size": 18,
    ...         "dlt_window_days": 28, "crm": {"preset": "dfcrm", "prior_mtd_level": 2}}
    >>> crm_rules(make_plan(spec, [0.1, 0.25, 0.4]))["overdose_cutoff"] is None
    True
    """
    c = plan.spec.crm
    return {
        "overdose_cutoff": plan.spec.elimination_cutoff if c.overdose_control else None,
        "safety_stop": c.safety_stop_probability,
        "coherence": c.coherence,
        "no_skipping": c.no_skipping,
    }


def make_grid(plan: SimPlan, points: int = SIM_GRID_POINTS) -> CrmGrid:
    return CrmGrid.build(plan_skeleton(plan), plan.target, plan.spec.crm.prior_sd, points)


def crm_draws(plan: SimPlan, rng: np.random.Generator, size: int) -> tuple[np.ndarray, ...]:
    from cartrial.design.simulate_rules import block_draws

    return block_draws(plan, rng, size)


def run_crm(
    plan: SimPlan, u: np.ndarray, gaps: np.ndarray, grid: CrmGrid | None = None
) -> tuple[np.ndarray, ...]:
    """Lock-step CRM (complete follow-up before each decision): (n, y, selected, duration).

    After each cohort the posterior is updated and the rules applied; the trial stops at the
    safety stop / dose 1 eliminated (no MTD) or after the last cohort (MTD = ``crm_select``).
    """
    grid = grid or make_grid(plan)
    rows, k = u.shape[0], plan.n_doses
    n = np.zeros((rows, k), dtype=np.int64)
    y = np.zeros((rows, k), dtype=np.int64)
    d = np.full(rows, plan.start_dose)
    elim_low = np.full(rows, k)
    status = np.zeros(rows, dtype=np.int64)
    dur = np.zeros(rows)
    r = np.arange(rows)
    p = plan.true_tox
    rules = crm_rules(plan)
    for c, m in enumerate(plan.cohort_sizes):
        act = status == ACTIVE
        if not act.any():
            break
        tox = (u[:, c, :m] < p[d][:, None]).sum(axis=1) * act
        n[r, d] += m * act
        y[r, d] += tox
        span = gaps[:, c, :m].sum(axis=1) * plan.mean_gap_days
        dur += act * (span + (plan.stagger_days if m > 1 else 0.0) + plan.window)
        plugin, p_over = grid.posterior(y.astype(float), n.astype(float))
        nd, el, stop = crm_decide(
            plugin,
            p_over,
            d,
            elim_low,
            n[:, 0],
            tox / m,
            plan.target,
            **rules,
        )
        elim_low = np.where(act, el, elim_low)
        status = np.where(act & stop, NO_MTD_STOP, status)
        d = np.where(act & ~stop, nd, d)
    status = np.where(status == ACTIVE, DONE, status)
    plugin, _ = grid.posterior(y.astype(float), n.astype(float))
    sel = crm_select(plugin, elim_low, plan.target)
    sel = np.where(status == NO_MTD_STOP, -1, sel)
    return n, y, sel, dur
