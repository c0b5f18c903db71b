"""The BOIN12 dose-assignment rule, written once for arrays of trial states.

Lin R, Zhou Y, Yan F, Li D, Yuan Y. JCO Precis Oncol 2020;4:1393-1402 (BOIN12), in the order of
the authors' simulation code: after each cohort at the current dose d,

1. toxicity elimination: P(p_T > phi_T | data) > c_T (Beta(1, 1) prior, n >= 3) eliminates d and
   every higher dose; dose 1 eliminated stops the trial;
2. futility elimination: P(p_E < phi_E | data) > c_E (n >= 3) eliminates d alone;
3. every dose eliminated stops the trial; ``cap_per_dose`` patients at d ends it (OBD selected,
   whatever steps 4-7 would say);
4. observed DLT rate >= lambda_d (BOIN boundary): de-escalate to the nearest lower dose not
   eliminated (stay when there is none and d is not eliminated);
5. otherwise choose, among d, the nearest lower and the nearest higher dose not eliminated, the
   one with the highest desirability P(utility > u_b | data); the higher dose is a candidate only
   while n_d < N* or the DLT rate is <= lambda_e (the "n >= N*" rule); ties go to the higher dose;
6. the chosen dose eliminated (all candidates eliminated) stops the trial;
7. dose exploration: with n_d >= ``n_explore`` (9), no de-escalation and the next higher dose
   untried, escalate to it.

:func:`decide_rows` is used by :class:`~cartrial.design.boin12.Boin12` for one trial (a batch of
one) and by :func:`~cartrial.design.simulate_boin12.simulate_boin12` for many, so the two cannot
disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betainc

from cartrial.design.boundaries import (
    BoinBoundaries,
    deescalate_min,
    elimination_count,
    escalate_max,
)

# rule codes (index into RULE_IDS)
RULE_IDS: tuple[str, ...] = (
    "rds: escalate",
    "rds: stay",
    "rds: de-escalate",
    "de-escalate: toxicity",
    "stay: lowest dose",
    "explore: escalate",
    "stop: dose 1 too toxic",
    "stop: all doses eliminated",
    "stop: cap per dose",
)
(
    RDS_UP,
    RDS_STAY,
    RDS_DOWN,
    TOX_DOWN,
    TOX_STAY,
    EXPLORE,
    STOP_TOX_FIRST,
    STOP_ALL,
    STOP_CAP,
) = range(len(RULE_IDS))
STOPS = (STOP_TOX_FIRST, STOP_ALL, STOP_CAP)
EARLY_STOPS = (STOP_TOX_FIRST, STOP_ALL)  # stopped with no OBD


@dataclass(frozen=True)
class Boin12Tables:
    """Per-n boundaries of BOIN12 for n = 0 .. n_max (index = patients at the dose).

    ``escalate[n]`` largest DLT count with y/n <= lambda_e; ``deescalate[n]`` smallest with
    y/n >= lambda_d (capped at the elimination count); ``eliminate_tox[n]`` smallest DLT count
    eliminating (n_max + 1 = never); ``eliminate_eff[n]`` largest response count eliminating for
    futility (-1 = never). ``u_b`` is the benchmark utility (0-100).
    """

    escalate: np.ndarray
    deescalate: np.ndarray
    eliminate_tox: np.ndarray
    eliminate_eff: np.ndarray
    u_b: float

    @property
    def n_max(self) -> int:
        return int(self.escalate.shape[0] - 1)


def futility_count(n: int, phi_e: float, cutoff: float, min_n: int = 3) -> int:
    """Largest response count y with P(p_E < phi_E | y of n, Beta(1, 1)) > cutoff, or -1.

    Examples
    --------
    >>> futility_count(6, 0.25, 0.9), futility_count(9, 0.25, 0.9)
    (-1, 0)
    """
    if n < min_n:
        return -1
    ys = np.arange(n + 1)
    # Beta(ys + 1, n - ys + 1) CDF at phi_e: betainc equals scipy.stats.beta.cdf bit for bit
    hit = np.nonzero(betainc(ys + 1, n - ys + 1, phi_e) > cutoff)[0]
    return int(hit[-1]) if hit.size else -1


def build_tables(
    n_max: int, bounds: BoinBoundaries, phi_e: float, c_t: float, c_e: float, u_b: float
) -> Boin12Tables:
    """:class:`Boin12Tables` for 0..n_max patients at a dose (Lin et al. 2020, Table 2)."""
    esc, de, el_t, el_e = [], [], [], []
    for n in range(n_max + 1):
        u = elimination_count(n, bounds.target, c_t)
        d = deescalate_min(n, bounds.lambda_d) if n else 1
        esc.append(escalate_max(n, bounds.lambda_e) if n else 0)
        de.append(d if u is None else min(d, u))
        el_t.append(n_max + 1 if u is None else u)
        el_e.append(futility_count(n, phi_e, c_e))
    return Boin12Tables(*(np.asarray(a, dtype=np.int64) for a in (esc, de, el_t, el_e)), u_b)


def desirability(n: np.ndarray, x: np.ndarray, u_b: float) -> np.ndarray:
    """P(utility > u_b | data): Beta(1 + x, 1 + n - x) posterior of the utility / 100.

    Examples
    --------
    >>> round(float(desirability(np.array([0]), np.array([0.0]), 70.5)[0]), 6)
    0.295
    """
    n = np.asarray(n, dtype=float)
    return 1.0 - betainc(1.0 + x, 1.0 + n - x, u_b / 100.0)


def _nearest(open_: np.ndarray, d: np.ndarray, below: bool) -> np.ndarray:
    """Nearest dose not eliminated below (or above) d per row; -1 when there is none."""
    k = open_.shape[1]
    j = np.arange(k)[None, :]
    side = (j < d[:, None]) if below else (j > d[:, None])
    cand = open_ & side
    if below:
        idx = k - 1 - np.argmax(cand[:, ::-1], axis=1)
    else:
        idx = np.argmax(cand, axis=1)
    return np.where(cand.any(axis=1), idx, -1)


def decide_rows(
    t: Boin12Tables,
    n_star: int,
    n_explore: int | None,
    cap: int | None,
    d: np.ndarray,
    n: np.ndarray,
    yt: np.ndarray,
    ye: np.ndarray,
    x: np.ndarray,
    elim: np.ndarray,
    tie_noise: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The BOIN12 decision after a cohort at dose ``d`` for each row (trial).

    Parameters
    ----------
    t : Boin12Tables
        Boundaries, elimination counts and benchmark.
    n_star, n_explore, cap : int
        N* of the "stay" rule, the exploration count (None = no exploration rule), the per-dose
        cap (None = none).
    d : (rows,) int
        Current dose (0-based); a cohort has just been treated there (``n[r, d] >= 1``).
    n, yt, ye : (rows, doses) int
        Patients, DLTs and responses per dose.
    x : (rows, doses) float
        Utility pseudo-responses per dose (:meth:`UtilityTable.pseudo_responses`).
    elim : (rows, doses) bool
        Doses eliminated earlier (permanent).
    tie_noise : (rows, 3) float in [0, 1), optional
        Random tie-breaking as in the authors' simulation code: 1e-15 x noise is added to the
        desirability of (higher, current, lower) candidate. None: ties go to the higher dose.

    Returns
    -------
    next_dose, elim, rule : arrays
        Next dose (the current one when stopping), the updated eliminations and the rule code
        (index of :data:`RULE_IDS`); rules in :data:`STOPS` end the trial.
    """
    rows = n.shape[0]
    r = np.arange(rows)
    nd, ytd, yed = n[r, d], yt[r, d], ye[r, d]
    tox_el = ytd >= t.eliminate_tox[nd]
    return decide_core(
        n_star,
        n_explore,
        cap,
        d,
        n,
        x,
        elim,
        Verdicts(
            tox_el,
            yed <= t.eliminate_eff[nd],
            ytd >= t.deescalate[nd],
            ytd <= t.escalate[nd],
        ),
        t.u_b,
        tie_noise,
    )


@dataclass(frozen=True)
class Verdicts:
    """What the data at the current dose say, one bool per row (trial).

    ``tox_out``: P(p_T > phi_T | data) > c_T (with enough patients); ``futile``: P(p_E < phi_E |
    data) > c_E; ``too_toxic``: DLT rate >= lambda_d (or ``tox_out``); ``low_tox``: DLT rate <=
    lambda_e. BOIN12 takes them from its count tables; TITE-BOIN12 from effective sample sizes.
    """

    tox_out: np.ndarray
    futile: np.ndarray
    too_toxic: np.ndarray
    low_tox: np.ndarray


def decide_core(
    n_star: int,
    n_explore: int | None,
    cap: int | None,
    d: np.ndarray,
    n: np.ndarray,
    x: np.ndarray,
    elim: np.ndarray,
    v: Verdicts,
    u_b: float,
    tie_noise: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps 1-7 of the BOIN12 rule given the verdicts at the current dose (see the module).

    Parameters
    ----------
    n_star, n_explore, cap : int
        As for :func:`decide_rows`.
    d : (rows,) int
        Current dose (0-based).
    n : (rows, doses) int
        Patients treated per dose (N* rule, exploration, cap).
    x : (rows, doses) float
        Utility pseudo-responses; desirability is Beta(1 + x, 1 + n - x) above ``u_b``.
    elim : (rows, doses) bool
        Doses eliminated earlier.
    v : Verdicts
        Elimination and escalation verdicts at ``d``.
    u_b : float
        Benchmark utility (0-100).
    tie_noise : (rows, 3) float, optional
        As for :func:`decide_rows`.

    Returns
    -------
    next_dose, elim, rule : arrays
        As for :func:`decide_rows`.
    """
    rows, k = n.shape
    r = np.arange(rows)
    nd = n[r, d]
    j = np.arange(k)[None, :]
    tox_el = v.tox_out
    elim = elim | (tox_el[:, None] & (j >= d[:, None]))
    elim[r, d] |= v.futile
    open_ = ~elim
    score = np.where(open_, desirability(n, x, u_b), -1.0)
    lower = _nearest(open_, d, below=True)
    upper = _nearest(open_, d, below=False)
    down = v.too_toxic
    up_ok = (upper >= 0) & ((nd < n_star) | v.low_tox)
    # RDS choice among (upper, d, lower): ties go to the higher dose
    s_up = np.where(up_ok, score[r, np.maximum(upper, 0)], -np.inf)
    s_d = score[r, d]
    s_lo = np.where(lower >= 0, score[r, np.maximum(lower, 0)], -np.inf)
    if tie_noise is not None:
        s_up, s_d, s_lo = (s + 1e-15 * tie_noise[:, i] for i, s in enumerate((s_up, s_d, s_lo)))
    pick = np.where((s_up >= s_d) & (s_up >= s_lo), upper, np.where(s_d >= s_lo, d, lower))
    rule = np.where(pick > d, RDS_UP, np.where(pick == d, RDS_STAY, RDS_DOWN))
    tox_pick = np.where(lower >= 0, lower, d)
    nxt = np.where(down, tox_pick, pick)
    rule = np.where(down, np.where(lower >= 0, TOX_DOWN, TOX_STAY), rule)
    if n_explore is not None:
        untried = (upper >= 0) & (n[r, np.maximum(upper, 0)] == 0)
        explore = ~down & untried & (nd >= n_explore) & open_[r, nxt]
        nxt = np.where(explore, upper, nxt)
        rule = np.where(explore, EXPLORE, rule)
    all_out = elim.all(axis=1)
    capped = ~all_out & (nd >= cap) if cap is not None else np.zeros(rows, dtype=bool)
    rule = np.where(all_out | (~capped & elim[r, nxt]), STOP_ALL, rule)
    rule = np.where(capped, STOP_CAP, rule)
    rule = np.where(tox_el & (d == 0), STOP_TOX_FIRST, rule)
    stopped = np.isin(rule, STOPS)
    return np.where(stopped, d, nxt), elim, rule
