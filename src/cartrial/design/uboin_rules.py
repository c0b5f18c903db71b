"""The U-BOIN dose-assignment rule, written once for arrays of trial states.

Zhou Y, Lee JJ, Yuan Y. A utility-based Bayesian optimal interval (U-BOIN) phase I/II design to
identify the optimal biological dose for targeted and immune therapies. Stat Med
2019;38:5299-5316. The paper's summary fixes the structure implemented here: two seamlessly
connected stages; stage I is the BOIN design, exploring the doses and collecting toxicity and
efficacy; in stage II toxicity and efficacy are modelled jointly by a multinomial-Dirichlet model,
a utility scores the risk-benefit trade-off, and after each cohort the posterior mean utility of
each dose directs the assignment and, at the end, the selection of the optimal biological dose.

The rule after a cohort at the current dose ``d`` (arrays of trials; :class:`UboinParams`):

1. BOIN overdose elimination (Beta(1, 1), P(p_T > target | data) > cutoff, n >= 3) eliminates
   the dose and every higher one, permanently, in both stages; dose 1 eliminated stops the trial;
2. stage I (no dose has ``stage1_per_dose`` patients yet): the house BOIN rule of
   :mod:`cartrial.design.table_rules` (escalate / stay / de-escalate by lambda_e / lambda_d);
3. stage II (some dose has reached ``stage1_per_dose``): ``cap_per_dose`` patients at ``d`` stop
   the trial (the OBD is selected); when the highest tried dose has a DLT rate <= lambda_e and the
   next dose is neither tried nor eliminated, it is explored; otherwise the next cohort goes to
   the admissible dose with the highest posterior mean utility (ties: the lower dose), where
   admissible = tried, not eliminated, P(p_T > phi_T | data) <= c_T and P(p_E < phi_E | data) <=
   c_E under the Dirichlet posterior; no admissible dose stops the trial with no OBD.

The summary does not give stage II's exploration step, the admissibility cut-offs, the stage-I
size or the prior; they are protocol parameters here, stated with every decision (README).

:meth:`cartrial.design.uboin.Uboin.decide` runs :func:`decide_rows` on a batch of one and
:func:`cartrial.design.simulate_uboin.simulate_uboin` on many, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.special import betainc, betaincc

from cartrial.design import table_rules as T
from cartrial.design.simulate_tables import ESCALATE, DecisionTables, decision_tables

# rule codes: stage I reuses table_rules' codes 0..14; stage II codes follow
RULE_IDS: tuple[str, ...] = tuple(
    r if r.startswith("stop") else f"stage I: {r}" for r in T.RULE_IDS
) + (
    "stage II: explore next dose",
    "stage II: highest posterior utility",
    "stop: no admissible dose",
    "stop: cap per dose",
)
EXPLORE, ASSIGN, STOP_NONE, STOP_CAP = range(len(T.RULE_IDS), len(RULE_IDS))
STOP_FIRST = T.STOP_FIRST
STOPS = (STOP_FIRST, STOP_NONE, STOP_CAP)
EARLY_STOPS = (STOP_FIRST, STOP_NONE)  # stopped with no OBD
NO_OBD = -1


@dataclass(frozen=True)
class UboinParams:
    """Everything the U-BOIN rule looks at besides the data.

    ``scores`` are the utilities of (response without DLT, response with DLT, neither, DLT
    without response) on 0-100; ``prior`` the Dirichlet parameter of each of the four cells.
    """

    target: float
    phi_e: float
    scores: tuple[float, float, float, float]
    prior: float
    c_t: float
    c_e: float
    stage1_per_dose: int
    stage1_target: float
    cap_per_dose: int | None
    n_max: int

    @cached_property
    def tails(self) -> tuple[np.ndarray, np.ndarray]:
        """P(p_T > phi_T) and P(p_E < phi_E) indexed [n, count] for n <= n_max."""
        n, y = np.meshgrid(np.arange(self.n_max + 1), np.arange(self.n_max + 1), indexing="ij")
        return _tails(self, n, np.minimum(y, n), np.minimum(y, n))

    @cached_property
    def tables(self) -> DecisionTables:
        """BOIN (n, y) tables of stage I at ``stage1_target`` (elimination at ``c_t``)."""
        return decision_tables("boin", self.stage1_target, self.n_max, cutoff=self.c_t)


def cells(n: np.ndarray, yt: np.ndarray, ye: np.ndarray, yb: np.ndarray) -> np.ndarray:
    """Counts of (response no DLT, response and DLT, neither, DLT no response), last axis.

    Examples
    --------
    >>> cells(np.array([6]), np.array([2]), np.array([3]), np.array([1])).tolist()
    [[2, 1, 2, 1]]
    """
    return np.stack([ye - yb, yb, n - yt - ye + yb, yt - yb], axis=-1)


def posterior(
    p: UboinParams, n: np.ndarray, yt: np.ndarray, ye: np.ndarray, yb: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Posterior mean utility, P(p_T > phi_T | data) and P(p_E < phi_E | data) per dose.

    The four cells are Dirichlet(prior + counts); a margin of a Dirichlet is Beta (aggregation
    property), so p_T ~ Beta(a_T, A - a_T) and p_E ~ Beta(a_E, A - a_E).

    Examples
    --------
    >>> q = UboinParams(0.3, 0.2, (100, 60, 40, 0), 0.25, 0.95, 0.9, 9, 0.3, None, 30)
    >>> u, _, _ = posterior(q, np.array([0]), np.array([0]), np.array([0]), np.array([0]))
    >>> float(u[0])
    50.0
    """
    a = cells(n, yt, ye, yb) + p.prior
    mean = (a * np.asarray(p.scores, dtype=float)).sum(axis=-1) / a.sum(axis=-1)
    if int(np.max(n, initial=0)) <= p.n_max:
        over_t, futile_t = p.tails
        return mean, over_t[n, yt], futile_t[n, ye]
    return (mean, *_tails(p, n, yt, ye))


def _tails(
    p: UboinParams, n: np.ndarray, yt: np.ndarray, ye: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Beta tails of the Dirichlet margins: P(p_T > phi_T), P(p_E < phi_E)."""
    total = n + 4 * p.prior
    a_t = yt + 2 * p.prior
    a_e = ye + 2 * p.prior
    return betaincc(a_t, total - a_t, p.target), betainc(a_e, total - a_e, p.phi_e)


def admissible(
    p: UboinParams,
    n: np.ndarray,
    yt: np.ndarray,
    ye: np.ndarray,
    yb: np.ndarray,
    elim_low: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Admissible doses and posterior mean utilities.

    Parameters
    ----------
    p : UboinParams
        Design parameters.
    n, yt, ye, yb : (rows, doses) int
        Patients, DLTs, responses and patients with both per dose.
    elim_low : (rows,) int
        Lowest eliminated dose (``doses`` = none).

    Returns
    -------
    ok, mean : (rows, doses) arrays
        Admissible (tried, not eliminated, P(p_T > phi_T) <= c_T, P(p_E < phi_E) <= c_E) and
        the posterior mean utility.
    """
    mean, over, futile = posterior(p, n, yt, ye, yb)
    j = np.arange(n.shape[1])[None, :]
    ok = (n > 0) & (j < elim_low[:, None]) & (over <= p.c_t) & (futile <= p.c_e)
    return ok, mean


def best(ok: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Admissible dose with the highest posterior mean utility (lowest on ties); -1 if none.

    Parameters
    ----------
    ok, mean : (rows, doses) arrays
        From :func:`admissible`.

    Returns
    -------
    numpy.ndarray
        (rows,) 0-based dose or :data:`NO_OBD`.

    Examples
    --------
    >>> best(np.array([[True, True, False]]), np.array([[50.0, 50.0, 90.0]])).tolist()
    [0]
    """
    score = np.where(ok, mean, -np.inf)
    return np.where(ok.any(axis=1), np.argmax(score, axis=1), NO_OBD)


def decide_rows(
    p: UboinParams,
    d: np.ndarray,
    n: np.ndarray,
    yt: np.ndarray,
    ye: np.ndarray,
    yb: np.ndarray,
    elim_low: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The U-BOIN decision after a cohort at dose ``d`` for each row (trial).

    Parameters
    ----------
    p : UboinParams
        Design parameters and stage-I tables.
    d : (rows,) int
        Current dose (0-based); a cohort has just been treated there.
    n, yt, ye, yb : (rows, doses) int
        Patients, DLTs, responses and patients with both per dose.
    elim_low : (rows,) int
        Lowest dose eliminated before (``doses`` = none); elimination is permanent.

    Returns
    -------
    next_dose, elim_low, rule : arrays
        Next dose (the current one when stopping), the lowest eliminated dose and the rule code
        (index of :data:`RULE_IDS`); codes in :data:`STOPS` end the trial.

    References
    ----------
    Zhou Y, Lee JJ, Yuan Y. Stat Med 2019;38:5299-5316; Liu S, Yuan Y. J R Stat Soc C
    2015;64:507-23 (BOIN).
    """
    rows, k = n.shape
    r = np.arange(rows)
    t = p.tables
    elim_low = T.eliminate_rows(t, n, yt, elim_low)
    stage1 = T.decide_core(d, n[r, d], elim_low, T.propose(t, d, n, yt, elim_low), None)
    nxt, rule = stage1
    two = n.max(axis=1) >= p.stage1_per_dose
    if not two.any():
        return nxt, elim_low, rule
    ok, mean = admissible(p, n, yt, ye, yb, elim_low)
    top = k - 1 - np.argmax((n > 0)[:, ::-1], axis=1)
    low_tox = T.letters(t, n[r, top], yt[r, top]) == ESCALATE
    up = top + 1
    explore = low_tox & (up < k) & (up < elim_low)
    pick = best(ok, mean)
    nxt2 = np.where(explore, up, np.where(pick >= 0, pick, d))
    rule2 = np.where(explore, EXPLORE, np.where(pick >= 0, ASSIGN, STOP_NONE))
    if p.cap_per_dose is not None:
        rule2 = np.where(n[r, d] >= p.cap_per_dose, STOP_CAP, rule2)
    rule2 = np.where(elim_low == 0, STOP_FIRST, rule2)
    nxt2 = np.where(np.isin(rule2, STOPS), d, nxt2)
    return np.where(two, nxt2, nxt), elim_low, np.where(two, rule2, rule)


def select_rows(
    p: UboinParams,
    n: np.ndarray,
    yt: np.ndarray,
    ye: np.ndarray,
    yb: np.ndarray,
    elim_low: np.ndarray,
) -> np.ndarray:
    """OBD per row: the admissible dose with the highest posterior mean utility, or -1.

    Examples
    --------
    >>> q = UboinParams(0.3, 0.2, (100, 60, 40, 0), 0.25, 0.95, 0.9, 9, 0.3, None, 30)
    >>> n, z = np.array([[6, 6]]), np.array([[0, 0]])
    >>> select_rows(q, n, np.array([[0, 1]]), np.array([[2, 4]]), z, np.array([2])).tolist()
    [1]
    """
    ok, mean = admissible(p, n, yt, ye, yb, elim_low)
    return best(ok, mean)
