"""The CRM / TITE-CRM dose-assignment rule, written once for arrays of trial states.

Given each trial's posterior summaries of the one-parameter power model (plug-in estimates
s_j ** exp(E[a | data]) and P(p_j > target | data); O'Quigley J, Pepe M, Fisher L, Biometrics
1990;46:33-48; Cheung YK, Chappell R, Biometrics 2000;56:1177-82 for TITE-CRM), the first rule
that applies:

1. safety stop: P(p_1 > target | data) > ``safety_stop`` once dose 1 has patients (no MTD);
2. overdose control: the lowest dose with P(p_j > target | data) > ``overdose_cutoff`` and every
   dose above are eliminated, permanently; dose 1 eliminated stops the trial;
3. the maximum sample size stops the trial;
4. a patient of the current dose still in the DLT window suspends accrual (plain CRM);
5. an untreated current dose is treated first;
6. otherwise the non-eliminated dose whose plug-in estimate is closest to the target (the lowest
   on ties), at most one level above the current dose (``no_skipping``) and not above it right
   after a cohort at the current dose with a DLT rate >= target (``coherence``; both are dfcrm's
   ``restrict = TRUE``).

:meth:`Crm.decide <cartrial.design.crm.Crm.decide>` calls :func:`crm_core` on a batch of one;
the simulators call it (through :func:`crm_decide`) on many trials.
"""

from __future__ import annotations

import numpy as np

from cartrial.design.stopping import STOP_DOSE1_ELIMINATED, STOP_MAX_SAMPLE_SIZE

RULE_IDS: tuple[str, ...] = (
    "closest",
    "no skipping",
    "coherence",
    "start",
    "suspend: follow-up",
    "stop: safety",
    STOP_DOSE1_ELIMINATED,
    STOP_MAX_SAMPLE_SIZE,
)
CLOSEST, NO_SKIPPING, COHERENCE, START, SUSPEND, STOP_SAFETY, STOP_FIRST, STOP_MAX_N = range(
    len(RULE_IDS)
)
STOPS = (STOP_SAFETY, STOP_FIRST, STOP_MAX_N)


def crm_core(
    plugin: np.ndarray,
    p_over: np.ndarray,
    d: np.ndarray,
    elim_low: np.ndarray,
    n0: np.ndarray,
    last_rate: np.ndarray,
    target: float,
    overdose_cutoff: float | None,
    safety_stop: float | None,
    coherence: bool = True,
    no_skipping: bool = True,
    *,
    n_here: np.ndarray | None = None,
    waiting: np.ndarray | None = None,
    at_max: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The CRM decision for each row (trial), in the module's rule order.

    Parameters
    ----------
    plugin, p_over : (rows, doses) float
        Plug-in estimates and P(p_j > target | data).
    d : (rows,) int
        Current dose (0-based).
    elim_low : (rows,) int
        Lowest dose eliminated before (``doses`` = none).
    n0 : (rows,) int
        Patients at dose 1 (the safety stop needs some).
    last_rate : (rows,) float
        DLT rate of the last cohort when it was at the current dose (NaN otherwise).
    target : float
        Target DLT probability.
    overdose_cutoff, safety_stop : float or None
        Overdose-control and safety-stop probabilities (None: not used).
    coherence, no_skipping : bool
        dfcrm's restrictions.
    n_here : (rows,) int, optional
        Patients at the current dose (the start rule; None: not checked).
    waiting, at_max : (rows,) bool, optional
        Pending patients at the current dose (plain CRM); maximum sample size reached.

    Returns
    -------
    next_dose, elim_low, rule : numpy.ndarray
        Next dose (the current one when stopping), lowest dose eliminated by overdose control
        (a safety stop closes every dose, whatever this says) and the rule code (index of
        :data:`RULE_IDS`).

    References
    ----------
    O'Quigley J, Pepe M, Fisher L. Biometrics 1990;46:33-48; R package dfcrm 0.2-2.1 ``crm``.

    Examples
    --------
    >>> nd, low, rule = crm_core(np.array([[0.1, 0.26, 0.4]]), np.array([[0.0, 0.3, 0.6]]),
    ...                          np.array([0]), np.array([3]), np.array([3]),
    ...                          np.array([0.0]), 0.25, 0.95, 0.9)
    >>> int(nd[0]), RULE_IDS[int(rule[0])]
    (1, 'closest')
    """
    k = plugin.shape[1]
    if overdose_cutoff is not None:
        hit = p_over > overdose_cutoff
        elim_low = np.minimum(elim_low, np.where(hit.any(axis=1), np.argmax(hit, axis=1), k))
    safety = (
        (n0 > 0) & (p_over[:, 0] > safety_stop)
        if safety_stop is not None
        else np.zeros(d.shape, bool)
    )
    nd, rule = _closest(plugin, d, elim_low, last_rate, target, coherence, no_skipping)
    free = d < elim_low
    if n_here is not None:
        start = free & (n_here == 0)
        rule = np.where(start, START, rule)
        nd = np.where(start, d, nd)
    if waiting is not None:
        rule = np.where(free & waiting, SUSPEND, rule)
        nd = np.where(free & waiting, d, nd)
    if at_max is not None:
        rule = np.where(at_max, STOP_MAX_N, rule)
    rule = np.where(elim_low == 0, STOP_FIRST, rule)
    rule = np.where(safety, STOP_SAFETY, rule)
    stopped = np.isin(rule, STOPS)
    return np.where(stopped, d, nd), elim_low, rule


def _closest(
    plugin: np.ndarray,
    d: np.ndarray,
    elim_low: np.ndarray,
    last_rate: np.ndarray,
    target: float,
    coherence: bool,
    no_skipping: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Rule 6 of the module: (next dose, rule code) among the doses below ``elim_low``."""
    k = plugin.shape[1]
    dist = np.where(np.arange(k)[None, :] < elim_low[:, None], np.abs(plugin - target), np.inf)
    nd = np.argmin(dist, axis=1)
    rule = np.full(d.shape, CLOSEST)
    if no_skipping:
        rule = np.where(nd > d + 1, NO_SKIPPING, rule)
        nd = np.minimum(nd, d + 1)
    if coherence:
        coh = (nd > d) & (last_rate >= target)
        rule = np.where(coh, COHERENCE, rule)
        nd = np.where(coh, d, nd)
    return nd, rule


def crm_decide(
    plugin: np.ndarray,
    p_over: np.ndarray,
    d: np.ndarray,
    elim_low: np.ndarray,
    n0: np.ndarray,
    last_rate: np.ndarray,
    target: float,
    overdose_cutoff: float | None,
    safety_stop: float | None,
    coherence: bool = True,
    no_skipping: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`crm_core` for the simulators: (next dose, lowest eliminated dose, stop with no MTD).

    Examples
    --------
    >>> nd, low, stop = crm_decide(np.array([[0.1, 0.26, 0.4]]), np.array([[0.0, 0.3, 0.99]]),
    ...                            np.array([1]), np.array([3]), np.array([3]),
    ...                            np.array([np.nan]), 0.25, 0.95, 0.9)
    >>> int(nd[0]), int(low[0]), bool(stop[0])
    (1, 2, False)
    """
    nd, low, rule = crm_core(
        plugin, p_over, d, elim_low, n0, last_rate, target, overdose_cutoff, safety_stop,
        coherence, no_skipping,
    )
    return nd, low, np.isin(rule, STOPS)


def crm_select(plugin: np.ndarray, elim_low: np.ndarray, target: float) -> np.ndarray:
    """MTD per trial: the non-eliminated dose with the plug-in estimate closest to the target
    (-1 when every dose is eliminated; dfcrm).

    Examples
    --------
    >>> crm_select(np.array([[0.1, 0.2, 0.4]]), np.array([2]), 0.3).tolist()
    [1]
    """
    k = plugin.shape[1]
    dist = np.where(np.arange(k)[None, :] < elim_low[:, None], np.abs(plugin - target), np.inf)
    return np.where(elim_low > 0, np.argmin(dist, axis=1), -1)
