"""CRM and TITE-CRM with the one-parameter power ("empiric") model (O'Quigley J et al.,
Biometrics 1990;46:33-48; Cheung YK, Chappell R, Biometrics 2000;56:1177-82; dfcrm).

p_j(a) = s_j ** exp(a), prior a ~ N(0, sigma^2) with sigma = sqrt(1.34) (dfcrm default); the
posterior is computed by deterministic quadrature (composite Simpson rule on a fixed grid of
a over +-10 prior SDs, where the likelihood is bounded by 1 so the prior tails bound the error).
The next dose is the one whose plug-in estimate s_j ** exp(E[a | data]) is closest to the target
(dfcrm ``crm``), within the restrictions of :class:`Crm`; :class:`TiteCrm` weights pending patients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from cartrial.design import crm_rules as C
from cartrial.design.selection import MtdSelection
from cartrial.design.state import Decision, TrialState, move
from cartrial.design.stopping import max_sample_size_stop, reached_max_sample_size
from cartrial.errors import InputError

DFCRM_PRIOR_SD = math.sqrt(1.34)


def crm_skeleton(halfwidth: float, target: float, nu: int, n_levels: int) -> tuple[float, ...]:
    """Skeleton by the indifference-interval method of Lee & Cheung (Clin Trials 2009;6:227-238),
    as dfcrm ``getprior(halfwidth, target, nu, nlevel)`` for the empiric model.

    ``nu`` is the 1-based prior MTD level. s_nu = target; below, b_k = log(log(target + delta) /
    log(s_k)), s_{k-1} = exp(log(target - delta) / exp(b_k)); above, b_{k+1} = log(log(target -
    delta) / log(s_k)), s_{k+1} = exp(log(target + delta) / exp(b_{k+1})).

    Parameters
    ----------
    halfwidth, target, nu, n_levels : float, float, int, int
        Half-width delta in (0, min(target, 1 - target)); target DLT probability; 1-based prior
        MTD level (1..n_levels); number of dose levels.

    Returns
    -------
    tuple of float
        The increasing skeleton (prior DLT probability per dose), s_nu = target.

    Examples
    --------
    >>> [round(v, 5) for v in crm_skeleton(0.05, 0.25, 3, 5)][1:3]  # by hand s_2 = 0.15674
    [0.15674, 0.25]
    """
    if not 0 < target < 1:
        raise InputError(f"crm_skeleton: target must be in (0, 1), but was {target!r}")
    if not 0 < halfwidth < min(target, 1 - target):
        raise InputError(
            f"crm_skeleton: halfwidth must be in (0, min(target, 1 - target)), was {halfwidth!r}"
        )
    if n_levels < 1 or not 1 <= nu <= n_levels:
        raise InputError(f"crm_skeleton: need 1 <= nu ({nu!r}) <= n_levels ({n_levels!r})")
    s = [math.nan] * n_levels
    s[nu - 1] = target
    for k in range(nu - 1, 0, -1):  # 0-based k: fill s[k-1] from s[k]
        b = math.log(math.log(target + halfwidth) / math.log(s[k]))
        s[k - 1] = math.exp(math.log(target - halfwidth) / math.exp(b))
    for k in range(nu - 1, n_levels - 1):
        b = math.log(math.log(target - halfwidth) / math.log(s[k]))
        s[k + 1] = math.exp(math.log(target + halfwidth) / math.exp(b))
    return tuple(s)


@dataclass(frozen=True)
class CrmPosterior:
    """Posterior summaries of the power model (per dose, 0-based).

    Attributes
    ----------
    a_mean, a_sd : float
        Posterior mean / SD of the model parameter a (p_j = s_j ** exp(a)).
    plugin, mean, p_over_target, ci_low, ci_high : numpy.ndarray
        Per dose: s_j ** exp(E[a]) (dfcrm ``ptox``), E[p_j], P(p_j > target), credible limits.

    Examples
    --------
    >>> c = Crm(n_doses=3, target=0.25, skeleton=(0.15, 0.25, 0.35))  # no data: the skeleton
    >>> c.posterior(TrialState.empty(3)).plugin.round(2).tolist()
    [0.15, 0.25, 0.35]
    """

    a_mean: float
    a_sd: float
    plugin: np.ndarray  # s_j ** exp(E[a])   (dfcrm "ptox")
    mean: np.ndarray  # E[p_j | data]
    p_over_target: np.ndarray  # P(p_j > target | data)
    ci_low: np.ndarray
    ci_high: np.ndarray


@dataclass(frozen=True)
class Crm:
    """Power-model CRM, p_j = s_j ** exp(a) (O'Quigley J et al., Biometrics 1990;46:33-48).

    Parameters
    ----------
    n_doses, target, skeleton : int, float, tuple of float
        Number of doses (0-based indices); target DLT probability; prior DLT probability s_j.
    cohort_size, prior_sd : int, float
        Patients per cohort; SD of the N(0, prior_sd^2) prior of a (dfcrm: sqrt(1.34)).
    safety_stop, overdose_cutoff : float or None, default 0.90, 0.95
        Stop when P(p_1 > target | data) > safety_stop (dfcrm has none); eliminate doses with
        P(p_j > target | data) > overdose_cutoff and all doses above.
    coherence, no_skipping : bool, default True
        No escalation right after a cohort with DLT rate >= target; at most one level above
        the current dose (together dfcrm's ``restrict = TRUE``).
    max_sample_size, grid_points, confidence_level : int or None, int, float
        Trial size cap; odd Simpson grid size on a (+-10 prior SDs); credible-interval level.

    Examples
    --------
    >>> c = Crm(n_doses=5, target=0.25, skeleton=crm_skeleton(0.05, 0.25, 3, 5))
    >>> c.decide(TrialState.empty(5).add_cohort(0, 3, 0)).next_dose
    1
    """

    n_doses: int
    target: float
    skeleton: tuple[float, ...]
    cohort_size: int = 3
    prior_sd: float = DFCRM_PRIOR_SD
    safety_stop: float | None = 0.90
    overdose_cutoff: float | None = 0.95
    coherence: bool = True
    no_skipping: bool = True
    max_sample_size: int | None = None
    grid_points: int = 2001
    confidence_level: float = 0.95
    name = "crm"
    time_to_event = False
    weights: str = field(default="none", init=False)

    def __post_init__(self) -> None:
        sk = tuple(float(v) for v in self.skeleton)
        object.__setattr__(self, "skeleton", sk)
        if len(sk) != self.n_doses:
            raise InputError(f"{self.name}: skeleton has {len(sk)} values for {self.n_doses} doses")
        if any(not 0 < v < 1 for v in sk) or any(b <= a for a, b in zip(sk, sk[1:], strict=False)):
            raise InputError(f"{self.name}: skeleton must increase strictly inside (0, 1): {sk}")
        if not 0 < self.target < 1:
            raise InputError(f"{self.name}: target must be in (0, 1), but was {self.target!r}")
        if not self.prior_sd > 0:
            raise InputError(f"{self.name}: prior_sd must be > 0, but was {self.prior_sd!r}")
        for nm in ("safety_stop", "overdose_cutoff"):
            v = getattr(self, nm)
            if v is not None and not 0 < v < 1:
                raise InputError(f"{self.name}: {nm} must be in (0, 1) or None, was {v!r}")
        if self.grid_points < 101 or self.grid_points % 2 == 0:
            raise InputError(f"{self.name}: grid_points must be odd and >= 101")

    # ---------------------------------------------------------------- quadrature
    @cached_property
    def _grid(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a = np.linspace(-10 * self.prior_sd, 10 * self.prior_sd, self.grid_points)
        h = a[1] - a[0]
        simpson = np.ones(self.grid_points)
        simpson[1:-1:2] = 4.0
        simpson[2:-1:2] = 2.0
        log_prior = -0.5 * (a / self.prior_sd) ** 2
        return a, simpson * h / 3.0, log_prior

    def _pending_weights(self, state: TrialState) -> list[tuple[int, float]]:
        return []

    def log_likelihood(self, state: TrialState, a: np.ndarray) -> np.ndarray:
        """Log-likelihood on a grid of a: DLTs contribute p, completed non-DLT 1 - p, pending
        patients 1 - w p (TITE-CRM; w = 1 for plain CRM, where pending are treated as complete)."""
        s = np.asarray(self.skeleton)
        ea = np.exp(a)[:, None]
        logp = ea * np.log(s)[None, :]  # log p_j(a), shape (grid, doses)
        p = np.exp(logp)
        n = state.n_array
        y = state.y_array
        pend = self._pending_weights(state)
        c = np.bincount([d for d, _ in pend], minlength=self.n_doses) if pend else 0
        ll = (y * logp).sum(axis=1) + ((n - y - c) * np.log1p(-p)).sum(axis=1)
        for d, w in pend:
            ll = ll + np.log1p(-w * p[:, d])
        return ll

    def posterior(self, state: TrialState) -> CrmPosterior:
        """Posterior of a and of every p_j by quadrature (as dfcrm)."""
        a, wq, log_prior = self._grid
        lp = log_prior + self.log_likelihood(state, a)
        dens = np.exp(lp - lp.max())
        post = dens * wq / float(dens @ wq)  # Simpson weights: quadrature masses summing to 1
        s = np.asarray(self.skeleton)
        a_mean = float(post @ a)
        a_sd = float(np.sqrt(max(post @ (a - a_mean) ** 2, 0.0)))
        p_grid = s[None, :] ** np.exp(a)[:, None]
        mean = post @ p_grid
        # posterior CDF of a by the cumulative trapezoid rule on the same grid
        cdf = np.concatenate([[0.0], np.cumsum((dens[1:] + dens[:-1]) / 2 * np.diff(a))])
        cdf /= cdf[-1]
        # p_j > target  <=>  a < log(log(target) / log(s_j))
        thr = np.log(np.log(self.target) / np.log(s))
        p_over = np.interp(thr, a, cdf, left=0.0, right=1.0)
        alpha = (1 - self.confidence_level) / 2
        # p_j is decreasing in a: quantiles of p_j come from the opposite quantiles of a
        a_lo, a_hi = np.interp([alpha, 1 - alpha], cdf, a)
        ci_low = s ** np.exp(a_hi)
        ci_high = s ** np.exp(a_lo)
        return CrmPosterior(a_mean, a_sd, s ** np.exp(a_mean), mean, p_over, ci_low, ci_high)

    # ---------------------------------------------------------------- decisions
    def _check(self, state: TrialState) -> None:
        if state.n_doses != self.n_doses:
            raise InputError(
                f"{self.name}: state has {state.n_doses} doses, design has {self.n_doses}"
            )

    def eliminated(self, state: TrialState, post: CrmPosterior | None = None) -> tuple[int, ...]:
        """Overdose control: doses with P(p_j > target) > overdose_cutoff and all above; the
        safety stop eliminates every dose; plus the state's permanent eliminations."""
        post = post or self.posterior(state)
        lowest = self.n_doses
        if state.eliminated:
            lowest = min(state.eliminated)
        if self.overdose_cutoff is not None:
            hit = np.nonzero(post.p_over_target > self.overdose_cutoff)[0]
            if hit.size:
                lowest = min(lowest, int(hit[0]))
        if self._safety_stop(state, post):
            lowest = 0
        return tuple(range(lowest, self.n_doses))

    def _safety_stop(self, state: TrialState, post: CrmPosterior) -> bool:
        return (
            self.safety_stop is not None
            and state.n[0] > 0
            and bool(post.p_over_target[0] > self.safety_stop)
        )

    def decide(self, state: TrialState) -> Decision:
        """Next dose by :func:`crm_rules.crm_core` (closest plug-in estimate and the restrictions);
        plain CRM suspends accrual while a patient at the current dose is in the DLT window.

        Parameters
        ----------
        state : TrialState
            Counts per dose, the current dose, the last cohort, pending patients (TITE-CRM).

        Returns
        -------
        Decision
            The rule id is one of :data:`crm_rules.RULE_IDS`.

        Raises
        ------
        InputError
            Another number of doses, or pending follow-up on another DLT window (TITE-CRM).

        Examples
        --------
        >>> crm = Crm(n_doses=3, target=0.25, skeleton=(0.1, 0.25, 0.4))
        >>> dec = crm.decide(TrialState((3, 0, 0), (0, 0, 0), last_cohort=(0, 3, 0)))
        >>> dec.action, dec.next_dose, dec.rule
        ('escalate', 1, 'no skipping')
        """
        self._check(state)
        full = state
        if not self.time_to_event:
            state = state.completed()
        post = self.posterior(state)
        d = state.current
        last = state.last_cohort
        rate = last[2] / last[1] if last is not None and last[0] == d and last[1] > 0 else np.nan
        nxt, low, rule = C.crm_core(
            post.plugin[None, :], post.p_over_target[None, :], np.array([d]),
            np.array([min(state.eliminated, default=self.n_doses)]), np.array([state.n[0]]),
            np.array([rate]), self.target, self.overdose_cutoff, self.safety_stop,
            self.coherence, self.no_skipping, n_here=np.array([state.n[d]]),
            waiting=np.array([not self.time_to_event and full.pending_count(d) > 0]),
            at_max=np.array([reached_max_sample_size(self.max_sample_size, full.total_n)]),
        )
        code, nd = int(rule[0]), int(nxt[0])
        elim = tuple(range(0 if code == C.STOP_SAFETY else int(low[0]), self.n_doses))
        if code == C.STOP_MAX_N:
            return max_sample_size_stop(self.max_sample_size, elim)  # type: ignore[arg-type]
        why = self._why(state, full, post, code, nd, int(low[0]))
        action = (
            "stop" if code in C.STOPS else "suspend" if code == C.SUSPEND
            else move(d, nd)
        )
        return Decision(
            action, None if action == "stop" else nd, elim, why, C.RULE_IDS[code]  # type: ignore[arg-type]
        )

    def _why(
        self, state: TrialState, full: TrialState, post: CrmPosterior, code: int, nd: int,
        low: int,
    ) -> str:
        """The reason of rule ``code`` in words."""
        d = state.current
        if code == C.STOP_SAFETY:
            return (
                f"{self.name}: P(p_1 > {self.target} | data) = "
                f"{post.p_over_target[0]:.3f} > {self.safety_stop}: safety stop"
            )
        if code == C.STOP_FIRST:
            return f"{self.name}: dose 1 eliminated (overdose control): stop"
        if code == C.SUSPEND:
            return (
                f"{self.name}: {full.pending_count(d)} patient(s) at dose {d + 1} still inside "
                "the DLT window: accrual waits for complete follow-up (use tite-crm to go on)"
            )
        if code == C.START:
            return f"{self.name}: no patient at dose {d + 1} yet: treat the next cohort there"
        est = post.plugin
        best = min(range(low), key=lambda j: (abs(est[j] - self.target), j))
        why = (
            f"{self.name}: plug-in estimates {np.round(est, 3).tolist()} (E[a] = "
            f"{post.a_mean:.3f}); dose {best + 1} is closest to {self.target}"
        )
        if code == C.NO_SKIPPING:
            why += f"; no skipping: dose {nd + 1}"
        if code == C.COHERENCE:
            ld, lm, lt = state.last_cohort  # type: ignore[misc]
            if best > d + 1 and self.no_skipping:
                why += f"; no skipping: dose {d + 2}"
            why += (
                f"; coherence: last cohort had {lt}/{lm} DLT >= target, "
                f"no escalation (stay at dose {d + 1})"
            )
        return why + " (O'Quigley J et al., Biometrics 1990;46:33-48)"

    def select(self, state: TrialState) -> MtdSelection:
        """MTD: non-eliminated dose with plug-in estimate closest to the target (dfcrm)."""
        self._check(state)
        if not self.time_to_event:
            state = state.completed()
        post = self.posterior(state)
        elim = self.eliminated(state, post)
        allowed = [j for j in range(self.n_doses) if j not in elim]
        table = pd.DataFrame(
            {
                "dose": np.arange(self.n_doses),
                "n": state.n_array,
                "y": state.y_array,
                "eliminated": [j in elim for j in range(self.n_doses)],
                "admissible": [j not in elim for j in range(self.n_doses)],
                "skeleton": self.skeleton,
                "model_estimate": post.plugin,
                "posterior_mean": post.mean,
                "ci_low": post.ci_low,
                "ci_high": post.ci_high,
                "p_over_target": post.p_over_target,
            }
        )
        method = f"{self.name} power model, plug-in estimate closest to target (dfcrm)"
        if not allowed:
            return MtdSelection(None, self.target, table, method, "every dose eliminated")
        mtd = min(allowed, key=lambda j: (abs(post.plugin[j] - self.target), j))
        return MtdSelection(
            mtd,
            self.target,
            table,
            method,
            f"dose {mtd + 1}: plug-in estimate {post.plugin[mtd]:.3f} closest to "
            f"the target {self.target} (O'Quigley J et al., Biometrics 1990;46:33-48)",
        )


@dataclass(frozen=True)
class TiteCrm(Crm):
    """TITE-CRM, weights w = min(follow-up / window, 1) (Cheung YK, Chappell R, Biometrics
    2000;56:1177-82).

    Parameters
    ----------
    dlt_window : float, default 28.0
        DLT window in days; **crm_options: every parameter of :class:`Crm`.

    Examples
    --------
    >>> TiteCrm(n_doses=3, target=0.25, skeleton=(0.15, 0.25, 0.35), dlt_window=28).weights
    'linear'
    """

    dlt_window: float = 28.0
    name = "tite-crm"
    time_to_event = True

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "weights", "linear")
        if not self.dlt_window > 0:
            raise InputError(f"tite-crm: dlt_window must be > 0 days, was {self.dlt_window!r}")

    def _pending_weights(self, state: TrialState) -> list[tuple[int, float]]:
        state.check_window(self.dlt_window, self.name)
        return [(p.dose, min(p.follow_up / self.dlt_window, 1.0)) for p in state.pending]
