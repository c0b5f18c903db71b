"""Vectorised MTD selection across simulated trials (BOIN 2.7.2 ``select.mtd``).

The same rule as :func:`cartrial.design.selection.select_mtd`, for a (trials, doses) array at once:
Beta(0.05, 0.05) raw estimates, weights 1/var, isotonic regression over the admissible doses
(tried and not eliminated), closest to the target with j x 1e-10 added to the j-th admissible
estimate. The isotonic fit uses the max-min formula iso_j = max_{i<=j} min_{k>=j} avg(i..k), which
equals pool-adjacent-violators; inadmissible doses get a weight far below float resolution so that
they do not move any admissible block.
"""

from __future__ import annotations

import numpy as np

NO_MTD = -1
_TINY = 1e-200


def isotonic_rows(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted non-decreasing isotonic regression of each row of ``x`` (max-min formula).

    Kept beside :func:`~cartrial.design.selection.pava` (Busing's pool-adjacent-violators,
    one vector per call): the simulator fits tens of thousands of short rows (one per trial, a
    few doses each) at once, and a Python loop of scipy calls per trial would cost more than the
    whole simulation; the max-min formula equals pool-adjacent-violators (Barlow RE et al.,
    Statistical Inference under Order Restrictions, Wiley 1972), and the tests hold the two
    equal on random rows.
    """
    k = x.shape[1]
    wx = w * x
    # block averages avg(i..j), accumulated left to right (not by differencing cumulative sums,
    # which would lose the tiny weights of inadmissible doses)
    avg = {}
    for i in range(k):
        sw = w[:, i].copy()
        sx = wx[:, i].copy()
        avg[i, i] = sx / sw
        for j in range(i + 1, k):
            sw += w[:, j]
            sx += wx[:, j]
            avg[i, j] = sx / sw
    out = np.empty_like(x)
    for j in range(k):
        best = None
        for i in range(j + 1):
            m = avg[i, j]
            for kk in range(j + 1, k):
                m = np.minimum(m, avg[i, kk])
            best = m if best is None else np.maximum(best, m)
        out[:, j] = best
    return out


def select_rows(
    n: np.ndarray, y: np.ndarray, admissible: np.ndarray, target: float,
    bound: float | None = None, prior: float = 0.05,
) -> np.ndarray:
    """0-based selected dose per row (``NO_MTD`` when no dose is admissible); ``prior`` is a of
    the Beta(a, a) prior (BOIN 0.05, TITEgBOIN 0.005)."""
    raw, inv_var = raw_estimates(n, y, prior)
    return select_estimates(raw, inv_var, admissible, target, bound)


def raw_estimates(
    n: np.ndarray, y: np.ndarray, prior: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Beta(a, a) posterior means and inverse variances (BOIN ``select.mtd``; a = 0.05,
    or TITEgBOIN's 0.005)."""
    n = np.asarray(n, dtype=float)
    y = np.asarray(y, dtype=float)
    raw = (y + prior) / (n + 2 * prior)
    var = (y + prior) * (n - y + prior) / ((n + 2 * prior) ** 2 * (n + 2 * prior + 1))
    return raw, 1.0 / var


def select_estimates(
    raw: np.ndarray, inv_var: np.ndarray, admissible: np.ndarray, target: float,
    bound: float | None = None,
) -> np.ndarray:
    """Selection from precomputed raw estimates and weights (see :func:`select_rows`).

    ``bound`` (BOIN ``boundMTD``: lambda_d): only doses whose isotonic estimate (with the tie
    increment) is <= ``bound`` can be selected; none left = ``NO_MTD``, as ``select.mtd``.
    """
    w = np.where(admissible, inv_var, _TINY)
    # rows whose admissible raw estimates are already non-decreasing need no pooling
    masked = np.where(admissible, raw, -np.inf)
    run_max = np.maximum.accumulate(masked, axis=1)
    viol = (admissible & (raw < run_max)).any(axis=1)
    iso = raw.copy()
    if viol.any():
        iso[viol] = isotonic_rows(raw[viol], w[viol])
    rank = np.cumsum(admissible, axis=1)
    iso_t = iso + rank * 1e-10
    if bound is not None:
        admissible = admissible & (iso_t <= bound)
    dist = np.where(admissible, np.abs(iso_t - target), np.inf)
    sel = np.argmin(dist, axis=1)
    return np.where(admissible.any(axis=1), sel, NO_MTD)
