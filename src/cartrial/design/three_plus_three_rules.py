"""The 3+3 rule (Storer BE, Biometrics 1989;45:925-37), written once for arrays of trial states.

After each cohort of 3 at the current dose d, the first rule that applies:

1. a dose with >= 2 DLTs exceeds the MTD; it and every higher dose are eliminated; dose 1
   exceeding stops the trial with no MTD;
2. the maximum sample size stops the trial;
3. standing on an exceeding dose: the highest dose below the eliminated ones is the MTD when it
   already has 6 patients; otherwise it is expanded to 6 (``allow_deescalation``) or the trial
   stops (the variant without de-escalation);
4. a patient of the current dose still in the DLT window suspends accrual;
5. an untreated dose is treated; an incomplete cohort is completed; 1/3 treats 3 more;
6. 0/3 or <= 1/6 escalates unless the dose is the highest or the next one exceeds; then 0/3 is
   expanded to 6 (at the top dose only with ``expand_top_dose``) and otherwise the dose is the MTD.

:class:`~cartrial.design.three_plus_three.ThreePlusThree` calls :func:`decide_3p3` on a batch of
one; the lock-step simulator and the exact operating characteristics
(:func:`~cartrial.design.simulate_lockstep.step_3p3`) on many trials.
"""

from __future__ import annotations

import numpy as np

from cartrial.design.stopping import STOP_DOSE1_ELIMINATED, STOP_MAX_SAMPLE_SIZE

RULE_IDS: tuple[str, ...] = (
    "escalate",
    "stay: 1/3",
    "stay: expand to 6",
    "stay: incomplete cohort",
    "start",
    "de-escalate: expand lower dose",
    "suspend: follow-up",
    STOP_DOSE1_ELIMINATED,
    STOP_MAX_SAMPLE_SIZE,
    "stop: MTD found",
    "stop: no de-escalation",
)
(
    UP,
    STAY_1_3,
    STAY_EXPAND,
    STAY_INCOMPLETE,
    START,
    DOWN_EXPAND,
    SUSPEND,
    STOP_FIRST,
    STOP_MAX_N,
    STOP_MTD,
    STOP_NO_DEESCALATION,
) = range(len(RULE_IDS))
STOPS = (STOP_FIRST, STOP_MAX_N, STOP_MTD, STOP_NO_DEESCALATION)


def exceeding_low(y: np.ndarray, elim_low: np.ndarray) -> np.ndarray:
    """Lowest dose exceeding the MTD (>= 2 DLTs) or eliminated before, per trial.

    Examples
    --------
    >>> exceeding_low(np.array([[0, 1, 2], [0, 0, 0]]), np.array([3, 3])).tolist()
    [2, 3]
    """
    k = y.shape[1]
    bad = y >= 2
    return np.minimum(elim_low, np.where(bad.any(axis=1), np.argmax(bad, axis=1), k))


def decide_3p3(
    d: np.ndarray,
    n: np.ndarray,
    y: np.ndarray,
    elim_low: np.ndarray,
    *,
    allow_deescalation: bool = True,
    expand_top_dose: bool = True,
    waiting: np.ndarray | None = None,
    at_max: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 3+3 decision for each row (trial); the rules in the module's order.

    Parameters
    ----------
    d : (rows,) int
        Current dose (0-based).
    n, y : (rows, doses) int
        Patients (complete follow-up) and DLTs per dose.
    elim_low : (rows,) int
        Lowest dose eliminated before (``doses`` = none).
    allow_deescalation, expand_top_dose : bool
        The 3+3 variants (see :class:`~cartrial.design.three_plus_three.ThreePlusThree`).
    waiting : (rows,) bool, optional
        A patient at the current dose is still inside the DLT window.
    at_max : (rows,) bool, optional
        The maximum sample size is reached.

    Returns
    -------
    next_dose, elim_low, rule, mtd : numpy.ndarray
        Next dose (the current one when stopping), lowest eliminated dose, rule code (index of
        :data:`RULE_IDS`) and the MTD named by ``stop: MTD found`` (-1 otherwise).

    References
    ----------
    Storer BE. Biometrics 1989;45:925-37.

    Examples
    --------
    >>> nd, low, rule, mtd = decide_3p3(np.array([1]), np.array([[6, 3, 0]]),
    ...                                 np.array([[1, 2, 0]]), np.array([3]))
    >>> RULE_IDS[int(rule[0])], int(mtd[0])
    ('stop: MTD found', 0)
    """
    rows, k = n.shape
    r = np.arange(rows)
    low = exceeding_low(y, elim_low)
    nd_, yd = n[r, d], y[r, d]
    blocked = (d == k - 1) | (d + 1 >= low)
    expand = (nd_ == 3) & ((d != k - 1) | expand_top_dose)
    nxt = np.where(blocked, d, d + 1)
    rule = np.where(blocked, np.where(expand, STAY_EXPAND, STOP_MTD), UP)
    mtd = np.where(rule == STOP_MTD, d, -1)
    rule = np.where((nd_ == 3) & (yd == 1), STAY_1_3, rule)
    rule = np.where(nd_ % 3 != 0, STAY_INCOMPLETE, rule)
    rule = np.where(nd_ == 0, START, rule)
    if waiting is not None:
        rule = np.where(waiting, SUSPEND, rule)
    below = np.maximum(low - 1, 0)
    in_elim = d >= low
    has6 = n[r, below] >= 6
    down = np.where(has6, STOP_MTD, np.where(allow_deescalation, DOWN_EXPAND, STOP_NO_DEESCALATION))
    rule = np.where(in_elim, down, rule)
    mtd = np.where(in_elim & has6, below, np.where(in_elim, -1, mtd))
    nxt = np.where(in_elim, below, np.where(rule == UP, nxt, d))
    if at_max is not None:
        rule = np.where(at_max, STOP_MAX_N, rule)
    rule = np.where(low == 0, STOP_FIRST, rule)
    stopped = np.isin(rule, STOPS)
    mtd = np.where(rule == STOP_MTD, mtd, -1)
    return np.where(stopped, d, nxt), low, rule, mtd
