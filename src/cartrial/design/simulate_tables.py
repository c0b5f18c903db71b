"""Decision tables on (n, y) for the table-driven designs: BOIN, i3+3, mTPI-2.

Every table-driven design reduces to a lookup on (patients, DLTs) at the current dose
(BOIN: Liu S, Yuan Y, J R Stat Soc C 2015;64:507-23; mTPI-2: Guo W et al., Contemp Clin Trials
2017;58:23-33; i3+3: Liu M et al., J Biopharm Stat 2020;30:294-304), so the lock-step simulator
and the exact-OC dynamic programme both advance trials by indexing these tables.

``action[n, y]``: +1 escalate, 0 stay, -1 de-escalate (before the clamps the engines apply: no
escalation into an eliminated dose or above the top, no de-escalation below dose 1);
``eliminate[n, y]``: the dose and all higher doses are eliminated (P(p > target | Beta(1, 1)) >
cutoff with n >= 3, Liu & Yuan 2015).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartrial.design.boundaries import (
    boin_boundaries,
    deescalate_min,
    elimination_count,
    escalate_max,
)
from cartrial.errors import InputError

ESCALATE, STAY, DEESCALATE = 1, 0, -1
TABLE_DESIGNS = ("boin", "tite-boin", "i3+3", "mtpi2")


@dataclass(frozen=True)
class DecisionTables:
    """(n, y) lookup tables, indexed ``[n, y]`` for 0 <= y <= n <= n_max (other cells unused)."""

    design: str
    target: float
    action: np.ndarray  # int8 (n_max + 1, n_max + 1)
    eliminate: np.ndarray  # bool, same shape
    eliminate_first: np.ndarray  # bool: stop at dose 1 (elimination, or extrasafe cutoff - offset)
    method: str
    letter: np.ndarray | None = None  # int8: the design's own letter, before elimination


def _elimination_table(n_max: int, target: float, cutoff: float) -> np.ndarray:
    el = np.zeros((n_max + 1, n_max + 1), dtype=bool)
    for n in range(n_max + 1):
        c = elimination_count(n, target, cutoff)
        if c is not None:
            el[n, c : n + 1] = True
    return el


def _boin_action(n_max: int, target: float, phi1: float | None, phi2: float | None) -> np.ndarray:
    b = boin_boundaries(target, phi1, phi2)
    act = np.zeros((n_max + 1, n_max + 1), dtype=np.int8)
    ys = np.arange(n_max + 1)
    for n in range(1, n_max + 1):
        act[n, ys <= escalate_max(n, b.lambda_e)] = ESCALATE
        act[n, ys >= deescalate_min(n, b.lambda_d)] = DEESCALATE
    return act


def _i3p3_action(n_max: int, target: float, e1: float, e2: float) -> np.ndarray:
    """i3+3 (J Biopharm Stat 2020;30:294-304): below EI escalate, in EI stay, above EI
    de-escalate unless (y - 1)/n is below the EI (then stay)."""
    act = np.zeros((n_max + 1, n_max + 1), dtype=np.int8)
    lo, hi = target - e1, target + e2
    for n in range(1, n_max + 1):
        for y in range(n + 1):
            r = y / n
            if r < lo - 1e-12:
                act[n, y] = ESCALATE
            elif r <= hi + 1e-12:
                act[n, y] = STAY
            else:
                act[n, y] = STAY if (y - 1) / n < lo - 1e-12 else DEESCALATE
    return act


def mtpi2_intervals(
    target: float, epsilon_low: float, epsilon_high: float
) -> tuple[np.ndarray, int]:
    """Interval edges of mTPI-2 (Guo et al. 2017): the EI and equal-width intervals below and
    above it, truncated at 0 and 1. Returns (edges, index of the EI).

    Parameters
    ----------
    target : float
        Target DLT probability.
    epsilon_low, epsilon_high : float
        EI = [target - epsilon_low, target + epsilon_high]; every interval has this width.

    Returns
    -------
    edges : numpy.ndarray
        Increasing interval edges from 0 to 1.
    ei : int
        Index of the EI among the intervals (``edges[ei]``, ``edges[ei + 1]``).

    References
    ----------
    Guo W, Wang SJ, Yang S, Lynn H, Ji Y. A Bayesian interval dose-finding design addressing
    Ockham's razor: mTPI-2. Contemp Clin Trials 2017;58:23-33.

    Examples
    --------
    >>> edges, ei = mtpi2_intervals(0.3, 0.05, 0.05)
    >>> edges[:5].round(2).tolist(), ei, edges[ei:ei + 2].round(2).tolist()
    ([0.0, 0.05, 0.15, 0.25, 0.35], 3, [0.25, 0.35])
    """
    w = epsilon_low + epsilon_high
    lo, hi = target - epsilon_low, target + epsilon_high
    below = [lo]
    while below[-1] > 1e-12:
        below.append(max(below[-1] - w, 0.0))
    above = [hi]
    while above[-1] < 1 - 1e-12:
        above.append(min(above[-1] + w, 1.0))
    edges = np.array(sorted(below) + above)
    return edges, len(below) - 1


def _mtpi2_action(n_max: int, target: float, e1: float, e2: float) -> np.ndarray:
    """mTPI-2: largest unit probability mass (posterior mass / interval length, Beta(1, 1) prior)
    below the EI -> escalate, in the EI -> stay, above -> de-escalate (Guo et al. 2017)."""
    from scipy.special import betainc  # Beta CDF, imported only for mTPI-2 (start-up)

    edges, ei = mtpi2_intervals(target, e1, e2)
    act = np.zeros((n_max + 1, n_max + 1), dtype=np.int8)
    width = np.diff(edges)
    for n in range(1, n_max + 1):
        ys = np.arange(n + 1)[:, None]
        cdf = betainc(ys + 1, n - ys + 1, edges[None, :])
        upm = np.diff(cdf, axis=1) / width[None, :]
        best = np.argmax(upm, axis=1)
        act[n, : n + 1] = np.where(best < ei, ESCALATE, np.where(best == ei, STAY, DEESCALATE))
    return act


def decision_tables(
    design: str,
    target: float,
    n_max: int,
    *,
    cutoff: float = 0.95,
    extrasafe: bool = False,
    offset: float = 0.05,
    phi1: float | None = None,
    phi2: float | None = None,
    epsilon_low: float = 0.05,
    epsilon_high: float = 0.05,
) -> DecisionTables:
    """Tables for one design (``boin``/``tite-boin``, ``i3+3``, ``mtpi2``) up to ``n_max`` patients.

    BOIN: escalate if y <= floor(lambda_e n), de-escalate if y/n > lambda_d, with the de-escalation
    count capped at the elimination count (BOIN 2.7.2). Eliminated cells always de-escalate. With
    ``extrasafe`` dose 1 stops at cutoff - offset (BOIN ``extrasafe``).
    """
    if n_max < 1:
        raise InputError(f"decision_tables: n_max must be >= 1, got {n_max}")
    if design in ("boin", "tite-boin"):
        act = _boin_action(n_max, target, phi1, phi2)
        method = "BOIN (Liu & Yuan 2015; BOIN 2.7.2 get.boundary)"
    elif design == "i3+3":
        act = _i3p3_action(n_max, target, epsilon_low, epsilon_high)
        method = f"i3+3 (Liu, Wang & Ji 2020), EI [{target - epsilon_low}, {target + epsilon_high}]"
    elif design == "mtpi2":
        act = _mtpi2_action(n_max, target, epsilon_low, epsilon_high)
        method = f"mTPI-2 (Guo et al. 2017), EI [{target - epsilon_low}, {target + epsilon_high}]"
    else:
        raise InputError(
            f"decision_tables: {design!r} is not table-driven; use one of {TABLE_DESIGNS}"
        )
    el = _elimination_table(n_max, target, cutoff)
    raw = act
    act = np.where(el, DEESCALATE, act).astype(np.int8)
    el1 = el.copy()
    if extrasafe:
        el1 |= _elimination_table(n_max, target, cutoff - offset)
    return DecisionTables(design, target, act, el, el1, method, raw)
