"""The rule of the table-driven designs (BOIN, BF-BOIN, TITE-BOIN, i3+3, mTPI-2), written once
for arrays of trial states.

Each design reduces to a letter per (n, y) at the current dose (:class:`DecisionTables`:
escalate, stay, de-escalate) plus the Beta(1, 1) overdose elimination (Liu S, Yuan Y, J R Stat
Soc C 2015;64:507-23), applied in the order of BOIN 2.7.2 ``get.oc`` (Yuan Y et al., Clin Cancer
Res 2016;22:4291-301; brockk/escalation issue #4):

1. :func:`eliminate_rows`: a dose with P(p > target | data) > cutoff (n >= 3) is eliminated with
   every higher dose, permanently; at dose 1 also the ``extrasafe`` cutoff - offset;
2. :func:`decide_core`: dose 1 eliminated stops the trial (no MTD); the maximum sample size
   stops it; standing on an eliminated dose de-escalates below it; a patient of the current dose
   still in the DLT window suspends accrual (complete-follow-up designs); an untreated current
   dose is treated first; otherwise the proposal (:func:`propose`: the letter, clamped at the
   lowest and highest dose and below eliminated doses, with the BF-BOIN pooling of conflicting
   lower doses, Zhao Y et al., Clin Cancer Res 2024;30:673-9); a proposal that keeps the dose
   with ``cap`` patients there stops the trial (``n.earlystop``).

TITE-BOIN's letter with patients pending is :func:`cartrial.design.tite_rules.tite_letter`;
BF-BOIN's doses open to backfill are :func:`cartrial.design.backfill_rules.backfill_rows`.

The single-trial :meth:`TableDesign.decide <cartrial.design._table_design.TableDesign.decide>`
is this rule on a batch of one; BF-BOIN's simulator calls it on many trials, and the Monte Carlo
simulator and the exact operating characteristics of BOIN, i3+3 and mTPI-2 look its answers up
in :func:`cartrial.design.rule_table.compile_rule` (this rule evaluated once on every state at
the current dose), so they cannot disagree.
"""

from __future__ import annotations

import numpy as np

from cartrial.design.simulate_tables import DEESCALATE, ESCALATE, STAY, DecisionTables
from cartrial.design.stopping import STOP_DOSE1_ELIMINATED, STOP_MAX_SAMPLE_SIZE

# rule codes: index into RULE_IDS (the ``Decision.rule`` of the single-trial API)
RULE_IDS: tuple[str, ...] = (
    "escalate",
    "stay",
    "de-escalate",
    "E->S top dose",
    "E->S next eliminated",
    "D->S lowest dose",
    "bf-pooled",
    "eliminate",
    "start",
    "suspend: follow-up",
    "suspend: pending",
    "suspend: hold at dose 1",
    STOP_DOSE1_ELIMINATED,
    STOP_MAX_SAMPLE_SIZE,
    "stop: cap per dose",
)
(
    UP,
    STAY_RULE,
    DOWN,
    TOP_STAY,
    NEXT_ELIM_STAY,
    LOW_STAY,
    POOLED,
    ELIMINATE,
    START,
    SUSPEND_FOLLOW_UP,
    SUSPEND_PENDING,
    SUSPEND_HOLD,
    STOP_FIRST,
    STOP_MAX_N,
    STOP_CAP,
) = range(len(RULE_IDS))
STOPS = (STOP_FIRST, STOP_MAX_N, STOP_CAP)
SUSPENDS = (SUSPEND_FOLLOW_UP, SUSPEND_PENDING, SUSPEND_HOLD)


def eliminate_rows(
    tables: DecisionTables, n: np.ndarray, y: np.ndarray, elim_low: np.ndarray
) -> np.ndarray:
    """Lowest eliminated dose per trial after looking at every dose's data.

    Parameters
    ----------
    tables : DecisionTables
        The design's (n, y) tables (``eliminate``, ``eliminate_first`` for dose 1).
    n, y : (rows, doses) int
        Patients and DLTs per dose.
    elim_low : (rows,) int
        Lowest dose eliminated before (``doses`` = none); elimination is permanent.

    Returns
    -------
    numpy.ndarray
        (rows,) lowest eliminated dose (0-based; ``doses`` = none).

    References
    ----------
    Liu S, Yuan Y. J R Stat Soc C 2015;64:507-23 (overdose control); BOIN 2.7.2 ``extrasafe``.

    Examples
    --------
    >>> from cartrial.design.simulate_tables import decision_tables
    >>> t = decision_tables("boin", 0.3, 12)
    >>> eliminate_rows(t, np.array([[3, 3]]), np.array([[0, 3]]), np.array([2])).tolist()
    [1]
    """
    k = n.shape[1]
    el = tables.eliminate[n, y]
    el[:, 0] |= tables.eliminate_first[n[:, 0], y[:, 0]]
    first = np.where(el.any(axis=1), np.argmax(el, axis=1), k)
    return np.minimum(elim_low, first)


def letters(tables: DecisionTables, n: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Letter (``ESCALATE`` / ``STAY`` / ``DEESCALATE``) of every cell; an untried dose escalates.

    Examples
    --------
    >>> from cartrial.design.simulate_tables import decision_tables
    >>> letters(decision_tables("boin", 0.3, 6), np.array([0, 3, 3]), np.array([0, 0, 2]))
    array([ 1,  1, -1])
    """
    return np.where(n == 0, ESCALATE, tables.action[n, y]).astype(np.int64)


def move(
    d: np.ndarray, letter: np.ndarray, elim_low: np.ndarray, n_doses: int
) -> tuple[np.ndarray, np.ndarray]:
    """A letter at the current dose clamped to the dose range and below eliminated doses.

    Returns (next dose, rule code): escalation at the top dose or into an eliminated dose stays
    (``TOP_STAY`` / ``NEXT_ELIM_STAY``), de-escalation at dose 1 stays (``LOW_STAY``).

    Examples
    --------
    >>> move(np.array([0, 2, 1]), np.array([-1, 1, 1]), np.array([3, 3, 2]), 3)
    (array([0, 2, 1]), array([5, 3, 4]))
    """
    top = d == n_doses - 1
    nxt_el = d + 1 >= elim_low
    up = letter == ESCALATE
    dn = letter == DEESCALATE
    nd = d + (up & ~top & ~nxt_el) - (dn & (d > 0))
    rule = np.where(
        up,
        np.where(top, TOP_STAY, np.where(nxt_el, NEXT_ELIM_STAY, UP)),
        np.where(dn, np.where(d > 0, DOWN, LOW_STAY), STAY_RULE),
    )
    return nd, rule


def propose(
    tables: DecisionTables,
    d: np.ndarray,
    n: np.ndarray,
    y: np.ndarray,
    elim_low: np.ndarray,
    pooling: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """The design's move from the current dose's letter; BF-BOIN pools conflicting lower doses.

    With ``pooling``: a lower dose that disagrees with the current one (the current dose
    escalates and a lower one does not, or a lower one de-escalates) is pooled with every dose up
    to the current one; the pooled counts decide, and a pooled de-escalation goes to the highest
    dose whose cumulative counts from the conflicting dose do not de-escalate (below it when there
    is none; Zhao Y, Yuan Y, Korn EL, Freidlin B, Clin Cancer Res 2024;30:673-9).

    Returns
    -------
    tuple of numpy.ndarray
        (next dose, rule code), each (rows,).

    Examples
    --------
    >>> from cartrial.design.simulate_tables import decision_tables
    >>> t = decision_tables("boin", 0.3, 12)
    >>> propose(t, np.array([1]), np.array([[3, 3]]), np.array([[0, 0]]), np.array([2]))
    (array([1]), array([3]))
    """
    rows, k = n.shape
    r = np.arange(rows)
    cur = letters(tables, n[r, d], y[r, d])
    nd, rule = move(d, cur, elim_low, k)
    if not pooling:
        return nd, rule
    let = letters(tables, n, y)
    j = np.arange(k)[None, :]
    below = j < d[:, None]
    conflict = below & np.where((cur == ESCALATE)[:, None], let != ESCALATE, let == DEESCALATE)
    has_c = conflict.any(axis=1) & (d > 0)
    b = np.where(has_c, k - 1 - np.argmax(conflict[:, ::-1], axis=1), 0)
    in_pool = (j >= b[:, None]) & (j <= d[:, None])
    np_ = (n * in_pool).sum(axis=1)
    yp = (y * in_pool).sum(axis=1)
    pooled = letters(tables, np_, yp)
    nd_p, rule_p = move(d, pooled, elim_low, k)
    cn = np.cumsum(n * in_pool, axis=1)
    cy = np.cumsum(y * in_pool, axis=1)
    safe = in_pool & (tables.action[cn, cy] != DEESCALATE)
    hi_safe = np.where(safe.any(axis=1), k - 1 - np.argmax(safe[:, ::-1], axis=1), -1)
    p_down = pooled == DEESCALATE
    nd_p = np.where(p_down, np.where(hi_safe >= 0, hi_safe, np.maximum(b - 1, 0)), nd_p)
    rule_p = np.where(p_down, np.where(hi_safe >= 0, POOLED, DOWN), rule_p)
    return np.where(has_c, nd_p, nd), np.where(has_c, rule_p, rule)


def decide_core(
    d: np.ndarray,
    n_here: np.ndarray,
    elim_low: np.ndarray,
    proposal: tuple[np.ndarray, np.ndarray],
    cap: int | None,
    *,
    waiting: np.ndarray | None = None,
    at_max: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Steps of the rule in their order (see the module), given the eliminations and proposal.

    Parameters
    ----------
    d : (rows,) int
        Current dose (0-based).
    n_here : (rows,) int
        Patients at the current dose (start rule and cap).
    elim_low : (rows,) int
        Lowest eliminated dose after :func:`eliminate_rows`.
    proposal : (next dose, rule code)
        From :func:`propose` (or a time-to-event letter through :func:`move`); a suspension
        code in the proposal suspends accrual.
    cap : int or None
        Patients per dose that stop the trial when the proposal keeps the dose.
    waiting : (rows,) bool, optional
        A patient at the current dose is still in the DLT window (complete-follow-up designs).
    at_max : (rows,) bool, optional
        The maximum sample size is reached.

    Returns
    -------
    tuple of numpy.ndarray
        (next dose, rule code); for stops the next dose is the current dose.

    References
    ----------
    Yuan Y, Hess KR, Hilsenbeck SG, Gilbert MR. Clin Cancer Res 2016;22:4291-301; BOIN 2.7.2
    ``get.oc``.

    Examples
    --------
    >>> decide_core(np.array([1]), np.array([6]), np.array([1]),
    ...             (np.array([1]), np.array([STAY_RULE])), None)
    (array([0]), array([7]))
    """
    nd, rule = proposal
    nd = np.where(nd >= elim_low, elim_low - 1, nd)  # never into an eliminated dose
    capped = np.zeros(d.shape, dtype=bool) if cap is None else (nd == d) & (n_here >= cap)
    rule = np.where(capped & ~np.isin(rule, SUSPENDS), STOP_CAP, rule)
    rule = np.where(n_here == 0, START, rule)
    nd = np.where(n_here == 0, d, nd)
    if waiting is not None:
        rule = np.where(waiting, SUSPEND_FOLLOW_UP, rule)
        nd = np.where(waiting, d, nd)
    in_elim = d >= elim_low
    rule = np.where(in_elim, ELIMINATE, rule)
    nd = np.where(in_elim, elim_low - 1, nd)
    if at_max is not None:
        rule = np.where(at_max, STOP_MAX_N, rule)
    rule = np.where(elim_low == 0, STOP_FIRST, rule)
    stopped = np.isin(rule, STOPS)
    return np.where(stopped, d, nd), rule


def table_step(
    tables: DecisionTables,
    d: np.ndarray,
    n: np.ndarray,
    y: np.ndarray,
    elim_low: np.ndarray,
    cap: int | None,
    pooling: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eliminations, proposal and rule order for trials with complete follow-up.

    Returns
    -------
    tuple of numpy.ndarray
        (next dose, lowest eliminated dose, rule code), each (rows,).

    Examples
    --------
    >>> from cartrial.design.simulate_tables import decision_tables
    >>> t = decision_tables("boin", 0.3, 12)
    >>> nd, low, rule = table_step(t, np.array([0]), np.array([[3, 0]]), np.array([[0, 0]]),
    ...                            np.array([2]), None)
    >>> int(nd[0]), RULE_IDS[int(rule[0])]
    (1, 'escalate')
    """
    rows = n.shape[0]
    el = eliminate_rows(tables, n, y, elim_low)
    prop = propose(tables, d, n, y, el, pooling)
    nd, rule = decide_core(d, n[np.arange(rows), d], el, prop, cap)
    return nd, el, rule


__all__ = ["RULE_IDS", "STAY", "decide_core", "eliminate_rows", "letters", "move", "propose",
           "table_step"]
