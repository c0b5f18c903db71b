"""BOIN12's optimal biological dose (OBD) at the end of the trial, for arrays of trials.

Lin R, Zhou Y, Yan F, Li D, Yuan Y. JCO Precis Oncol 2020;4:1393-1402 ("Optimal biological dose
selection"), as in the authors' simulation code:

1. DLT probabilities: Beta(0.05, 0.05) posterior means (y + 0.05) / (n + 0.1), isotonic
   regression with weights n + 0.1, plus 0.001 x dose level (ties go to the lower dose);
   the MTD is the dose whose estimate is closest to phi_T;
2. response probabilities: (y + 0.05) / (n + 0.1) smoothed by unimodal isotonic regression
   (weights n + 0.5) for every possible mode, averaged with weights proportional to each fit's
   binomial likelihood, plus 0.01 x dose level;
3. utility estimate u_j = u11 pE_j + u00 (1 - pT_j); eliminated and untried doses are out;
4. OBD = the dose with the largest estimated utility at or below the MTD.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.stats import binom

from cartrial.design.simulate_select import isotonic_rows
from cartrial.design.utility import UtilityTable

NO_OBD = -1


@lru_cache(maxsize=64)
def _unimodal_sets(k: int, mode: int) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Masks of U n L for the min-max formula of a unimodal order with its top at ``mode``.

    Upper sets containing x are intervals [a, b] with a <= min(x, mode), b >= max(x, mode);
    lower sets containing x are all doses, or [0, c] u [e, k-1] with c < mode < e holding x.
    Returns the distinct masks and, per x, an index array (upper sets, lower sets) into them.
    """
    masks: dict[tuple[bool, ...], int] = {}
    per_x = []
    for x in range(k):
        uppers = [(a, b) for a in range(min(x, mode) + 1) for b in range(max(x, mode), k)]
        lowers: list[tuple[int, int] | None] = [None]
        lowers += [
            (c, e) for c in range(-1, mode) for e in range(mode + 1, k + 1) if x <= c or x >= e
        ]
        idx = np.empty((len(uppers), len(lowers)), dtype=np.int64)
        for i, (a, b) in enumerate(uppers):
            for jj, low in enumerate(lowers):
                m = np.zeros(k, dtype=bool)
                m[a : b + 1] = True
                if low is not None:
                    c, e = low
                    m &= (np.arange(k) <= c) | (np.arange(k) >= e)
                key = tuple(bool(v) for v in m)
                idx[i, jj] = masks.setdefault(key, len(masks))
        per_x.append(idx)
    return np.array(list(masks), dtype=float), tuple(per_x)


def unimodal_rows(y: np.ndarray, w: np.ndarray, mode: int) -> np.ndarray:
    """Weighted least-squares fit of each row of ``y`` non-decreasing up to ``mode`` (0-based)
    and non-increasing after it (isotonic regression on that order, by the max-min formula of
    Robertson, Wright & Dykstra, Order Restricted Statistical Inference, 1988, Theorem 1.4.4).

    Examples
    --------
    >>> unimodal_rows(np.array([[0.2, 0.6, 0.4, 0.5]]), np.ones((1, 4)), 1).round(3).tolist()
    [[0.2, 0.6, 0.45, 0.45]]
    """
    k = y.shape[1]
    sets, per_x = _unimodal_sets(k, mode)
    avg = ((w * y) @ sets.T) / (w @ sets.T)
    out = np.empty_like(y, dtype=float)
    for x in range(k):
        out[:, x] = avg[:, per_x[x]].min(axis=2).max(axis=1)
    return out


def toxicity_estimate(n: np.ndarray, yt: np.ndarray) -> np.ndarray:
    """Isotonic DLT-probability estimates of step 1 (module docstring), per row.

    Parameters
    ----------
    n, yt : (rows, doses) int
        Patients and DLTs per dose.

    Returns
    -------
    numpy.ndarray
        Estimates, increasing along each row.
    """
    n = np.asarray(n, dtype=float)
    raw = (np.asarray(yt, dtype=float) + 0.05) / (n + 0.1)
    k = raw.shape[1]
    return isotonic_rows(raw, n + 0.1) + 0.001 * np.arange(1, k + 1)


def efficacy_estimate(n: np.ndarray, ye: np.ndarray) -> np.ndarray:
    """Model-averaged unimodal response-probability estimates of step 2, per row.

    Parameters
    ----------
    n, ye : (rows, doses) int
        Patients and responses per dose.

    Returns
    -------
    numpy.ndarray
        Estimates per row and dose.
    """
    n = np.asarray(n, dtype=float)
    ye = np.asarray(ye, dtype=float)
    raw = (ye + 0.05) / (n + 0.1)
    k = raw.shape[1]
    fits = np.stack([unimodal_rows(raw, n + 0.5, m) for m in range(k)], axis=1)
    lik = binom.pmf(ye[:, None, :], n[:, None, :], fits).prod(axis=2)
    lik = lik / lik.sum(axis=1, keepdims=True)
    return np.einsum("rm,rmk->rk", lik, fits) + 0.01 * np.arange(1, k + 1)


def select_obd_rows(
    n: np.ndarray,
    yt: np.ndarray,
    ye: np.ndarray,
    elim: np.ndarray,
    phi_t: float,
    utility: UtilityTable,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """OBD per row (``NO_OBD`` when no dose at or below the MTD is tried and not eliminated).

    Parameters
    ----------
    n, yt, ye : (rows, doses) int
        Patients, DLTs and responses per dose.
    elim : (rows, doses) bool
        Doses eliminated during the trial (toxicity or futility).
    phi_t : float
        Highest acceptable DLT probability.
    utility : UtilityTable
        Outcome scores.

    Returns
    -------
    obd, mtd, p_tox, p_eff, util : arrays
        0-based OBD and MTD per row, and the estimates per row and dose (utility -100 where a
        dose is out).
    """
    pt = toxicity_estimate(n, yt)
    pe = efficacy_estimate(n, ye)
    u = np.asarray(utility.mean(pt, pe), dtype=float)
    u = np.where(elim | (np.asarray(n) == 0), -100.0, u)
    mtd = np.argmin(np.abs(pt - phi_t), axis=1)
    k = u.shape[1]
    below = np.where(np.arange(k)[None, :] <= mtd[:, None], u, -np.inf)
    obd = np.argmax(below, axis=1)
    ok = below[np.arange(u.shape[0]), obd] > -100.0
    return np.where(ok, obd, NO_OBD), mtd, pt, pe, u
