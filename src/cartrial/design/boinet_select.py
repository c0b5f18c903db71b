"""BOIN-ET's optimal biological dose (Takeda, Taguri & Morita, Pharm Stat 2018;17:383-395).

As the boinet R package 1.5.0 (``boinet()`` after the trial loop, ``obd.select``,
``multi.iso`` and the utility functions): among the tried doses, DLT rates by isotonic
regression (unweighted PAVA); response rates observed (``obs``) or by unimodal isotonic fits
averaged with AIC weights (``multi-iso``); the OBD among the admissible tried doses by
``max-effprob`` (highest response at or below the dose whose DLT estimate is closest to phi),
``utility-weighted`` (pE - w1 pT - w2 pT 1[pT > phi2]), ``utility-truncated-linear`` or
``utility-scoring`` (outcome scores 100 / psi11 / psi00 / 0); ties go to the lowest dose. The
fractional-polynomial estimate (``fp.logistic``) is not offered.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binom

from cartrial.design.boin12_select import unimodal_rows
from cartrial.design.simulate_select import isotonic_rows

EFFICACY_ESTIMATES = ("obs", "multi-iso")
OBD_METHODS = ("max-effprob", "utility-weighted", "utility-truncated-linear", "utility-scoring")
NO_OBD = -1


def multi_iso(n: np.ndarray, ye: np.ndarray) -> np.ndarray:
    """Unimodal fits (unit weights) for every mode, averaged with weights exp(-AIC/2).

    Rows are trials whose tried doses are the first m columns (m the same for every row).
    """
    prob = ye / n
    k = prob.shape[1]
    fits = np.stack([unimodal_rows(prob, np.ones_like(prob), m) for m in range(k)], axis=1)
    lik = binom.pmf(ye[:, None, :], n[:, None, :], fits).prod(axis=2)
    w = lik / lik.sum(axis=1, keepdims=True)
    return np.einsum("rm,rmk->rk", w, fits)


def estimates(
    n: np.ndarray, yt: np.ndarray, ye: np.ndarray, estimate: str
) -> tuple[np.ndarray, np.ndarray]:
    """(DLT, response) estimates for rows whose columns are all tried doses: unweighted PAVA of
    the DLT rates; observed or :func:`multi_iso` response rates."""
    pt = isotonic_rows(yt / n, np.ones(n.shape))
    return pt, (ye / n if estimate == "obs" else multi_iso(n, ye))


def utility(method: str, pt: np.ndarray, pe: np.ndarray, opts: dict[str, float]) -> np.ndarray:
    """The OBD rule's utility (NaN for ``max-effprob``, which ranks by response)."""
    if method == "max-effprob":
        return np.full(pt.shape, np.nan)
    return _utility(method, pt, pe, opts)


def _utility(method: str, pt: np.ndarray, pe: np.ndarray, opts: dict[str, float]) -> np.ndarray:
    if method == "utility-weighted":
        return pe - opts["w1"] * pt - opts["w2"] * pt * (pt > opts["phi2"])
    if method == "utility-scoring":
        return opts["psi00"] * (1 - pe) * (1 - pt) + opts["psi11"] * pe * pt + 100 * pe * (1 - pt)
    fpe = np.clip((pe - opts["qlow"]) / (opts["qupp"] - opts["qlow"]), 0, 1)
    fpe = np.where(pe <= opts["qlow"], 0, np.where(pe >= opts["qupp"], 1, fpe))
    fpt = np.where(
        pt <= opts["plow"],
        1,
        np.where(pt >= opts["pupp"], 0, 1 - (pt - opts["plow"]) / (opts["pupp"] - opts["plow"])),
    )
    return fpe * fpt


def select_rows(
    n: np.ndarray,
    yt: np.ndarray,
    ye: np.ndarray,
    adm: np.ndarray,
    phi: float,
    estimate: str,
    method: str,
    opts: dict[str, float],
) -> np.ndarray:
    """OBD per row for trials whose tried doses are the first columns (``NO_OBD``: none).

    Parameters
    ----------
    n, yt, ye : (rows, doses) int
        Patients, DLTs and responses; untried doses (n = 0) only after the tried ones.
    adm : (rows, doses) bool
        Admissible doses at the end of the trial.
    phi : float
        Target DLT probability.
    estimate, method : str
        One of :data:`EFFICACY_ESTIMATES` and of :data:`OBD_METHODS`.
    opts : dict
        ``w1``, ``w2``, ``phi2``, ``psi00``, ``psi11``, ``plow``, ``pupp``, ``qlow``, ``qupp``.

    Returns
    -------
    numpy.ndarray
        0-based OBD per row.
    """
    rows, k = n.shape
    out = np.full(rows, NO_OBD)
    tried = (n > 0).sum(axis=1)
    for m in np.unique(tried):
        g = np.nonzero(tried == m)[0]
        if m == 0:
            continue
        nn, tt, ee, aa = n[g, :m], yt[g, :m], ye[g, :m], adm[g, :m]
        if m == 1:
            out[g] = np.where(aa[:, 0], 0, NO_OBD)
            continue
        pt, pe = estimates(nn, tt, ee, estimate)
        out[g] = _choose(pt, pe, aa, phi, method, opts)
    return out


def _choose(
    pt: np.ndarray,
    pe: np.ndarray,
    cand: np.ndarray,
    phi: float,
    method: str,
    opts: dict[str, float],
) -> np.ndarray:
    m = pt.shape[1]
    j = np.arange(m)[None, :]
    if method == "max-effprob":
        dist = np.abs(pt - phi)
        mdif = np.where(cand, dist, np.inf).min(axis=1, keepdims=True)
        mtd = m - 1 - np.argmax((dist == mdif)[:, ::-1], axis=1)
        ok = cand & (j <= mtd[:, None])
        meff = np.where(ok, pe, -np.inf).max(axis=1, keepdims=True)
        pick = cand & (pe == meff)
    else:
        u = _utility(method, pt, pe, opts)
        umax = np.where(cand, u, -np.inf).max(axis=1, keepdims=True)
        pick = cand & (u == umax)
    return np.where(pick.any(axis=1) & cand.any(axis=1), np.argmax(pick, axis=1), NO_OBD)
