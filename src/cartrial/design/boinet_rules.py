"""The BOIN-ET rule (Takeda, Taguri & Morita, Pharm Stat 2018;17:383-395), once, for arrays.

As in the boinet R package (Yamaguchi & Takeda, version 1.5.0, ``boinet()``): the boundaries
lambda1, lambda2 (toxicity) and eta1 (efficacy) minimise the probability of an incorrect decision
over a 0.01 grid (:func:`boundaries`); after each cohort at dose d, with observed rates pT, pE:

1. pT <= lambda1 and pE <= eta1: escalate; pT < lambda2 and pE > eta1: stay; pT >= lambda2:
   de-escalate;
2. lambda1 < pT < lambda2 and pE <= eta1: the next dose if untried, else the one of d - 1, d,
   d + 1 with the highest observed response rate (ties: lower dose, or at random as the package);
3. a dose is admissible while P(p_T > phi) <= 0.95 and P(p_E < delta1) <= 0.99 (beta(1, 1));
   no admissible dose stops the trial; a proposal that is not admissible moves to the nearest
   admissible dose beyond it (upwards: stay when there is none; downwards: stop when there is
   none); de-escalating from dose 1 stops unless dose 1 is admissible; 'escalating' from the top
   dose stays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import beta, binom

RULE_IDS: tuple[str, ...] = (
    "escalate",
    "stay",
    "de-escalate",
    "efficacy: highest response rate",
    "efficacy: next dose untried",
    "stop: no admissible dose",
    "stop: cap per dose",
)
ESC, STAY, DOWN, EFF_BEST, EFF_NEW, STOP_NONE, STOP_CAP = range(len(RULE_IDS))
STOPS = (STOP_NONE, STOP_CAP)


@dataclass(frozen=True)
class EtBoundaries:
    """lambda1, lambda2, eta1 and the phi1, phi2, delta1 that produced them."""

    lambda1: float
    lambda2: float
    eta1: float
    phi1: float
    phi2: float
    delta1: float


def _grid(lo: float, hi: float) -> np.ndarray:
    # R's seq(lo, hi, by = 0.01): lo + (0:n) * 0.01, n = floor((hi - lo) / 0.01 + 1e-10)
    n = int(np.floor((hi - lo) / 0.01 + 1e-10))
    return lo + np.arange(n + 1) * 0.01


def boundaries(
    phi: float, phi1: float, phi2: float, delta: float, delta1: float, n: int = 100
) -> EtBoundaries:
    """Boundaries minimising the mean probability of an incorrect decision (Takeda et al. 2018,
    section 2.2; equal prior weights of the six hypotheses, as ``boinet::gridoptim``).

    Examples
    --------
    >>> b = boundaries(0.3, 0.03, 0.42, 0.6, 0.36)
    >>> round(b.lambda1, 2), round(b.lambda2, 2), round(b.eta1, 2)
    (0.14, 0.35, 0.48)
    """
    l1, l2, e1 = _grid(phi1, phi), _grid(phi, phi2), _grid(delta1, delta)
    a, b, c = np.meshgrid(l1, l2, e1, indexing="ij")
    p = 1 / 6

    def cdf(q: np.ndarray, prob: float) -> np.ndarray:  # R's pbinom: floor(q + 1e-7)
        return binom.cdf(np.floor(q + 1e-7), n, prob)

    l1p, l1p1, l1p2 = cdf(n * a, phi), cdf(n * a, phi1), cdf(n * a, phi2)
    l2p, l2p1, l2p2 = cdf(n * b - 1, phi), cdf(n * b - 1, phi1), cdf(n * b - 1, phi2)
    e1d, e1d1 = cdf(n * c, delta), cdf(n * c, delta1)
    val = p * (
        (l1p1 * (1 - e1d1) + 2 / 3 * (l2p1 - l1p1) * e1d1 + (l2p1 - l1p1) * (1 - e1d1) + 1 - l2p1)
        + (l1p1 * e1d + 2 / 3 * (l2p1 - l1p1) * e1d + 1 - l2p1)
        + (l1p * e1d + 2 / 3 * (l2p - l1p1) * e1d + 1 - l2p)
        + (
            l1p2 * e1d1
            + l1p2 * (1 - e1d1)
            + 2 / 3 * (l2p2 - l1p2) * e1d1
            + (l2p2 - l1p2) * (1 - e1d1)
        )
        + (l1p2 * e1d + l1p2 * (1 - e1d) + 2 / 3 * (l2p2 - l1p2) * e1d + (l2p2 - l1p2) * (1 - e1d))
    )
    hits = np.argwhere(val == val.min())  # R's which(arr.ind = TRUE)[1, ]: column-major first
    i, j, k = (int(v) for v in hits[np.lexsort((hits[:, 0], hits[:, 1], hits[:, 2]))[0]])
    return EtBoundaries(float(l1[i]), float(l2[j]), float(e1[k]), phi1, phi2, delta1)


def admissible(
    n: np.ndarray,
    yt: np.ndarray,
    ye: np.ndarray,
    phi: float,
    delta1: float,
    stop_t: float,
    stop_e: float,
) -> np.ndarray:
    """P(p_T <= phi) >= 1 - stop_t and P(p_E > delta1) >= 1 - stop_e (beta(1, 1) priors)."""
    over, futile = tails(n, yt, ye, phi, delta1)
    return ~((1 - futile < 1 - stop_e) | (1 - over < 1 - stop_t))


def tails(n: np.ndarray, yt: np.ndarray, ye: np.ndarray, phi: float, delta1: float
          ) -> tuple[np.ndarray, np.ndarray]:
    """(P(p_T > phi | data), P(p_E < delta1 | data)) under beta(1, 1) priors: the two
    probabilities admissibility compares with its cut-offs.

    Examples
    --------
    >>> over, futile = tails(np.array([3]), np.array([3]), np.array([0]), 0.3, 0.36)
    >>> round(float(over[0]), 4), round(float(futile[0]), 4)  # 1 - 0.3^4, 1 - 0.64^4
    (0.9919, 0.8322)
    """
    return (1 - beta.cdf(phi, 1 + yt, 1 + n - yt), beta.cdf(delta1, 1 + ye, 1 + n - ye))


def _best_rate(
    pe: np.ndarray,
    d: np.ndarray,
    cands: list[np.ndarray],
    valid: list[np.ndarray],
    noise: np.ndarray | None,
) -> np.ndarray:
    """Candidate (list ordered low to high) with the highest response rate; ties: the lowest,
    or at random with ``noise`` (rows, 3) in [0, 1)."""
    r = np.arange(d.shape[0])
    best, score = d.copy(), np.full(d.shape, -np.inf)
    for i, (c, ok) in enumerate(zip(cands, valid, strict=True)):
        s = np.where(ok, pe[r, np.clip(c, 0, pe.shape[1] - 1)], -np.inf)
        if noise is not None:
            s = s + 1e-12 * noise[:, i] * ok
        better = s > score
        best, score = np.where(better, c, best), np.where(better, s, score)
    return best


def decide_rows(
    b: EtBoundaries,
    phi: float,
    stop_t: float,
    stop_e: float,
    cap: int | None,
    d: np.ndarray,
    n: np.ndarray,
    yt: np.ndarray,
    ye: np.ndarray,
    tie_noise: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BOIN-ET decision after a cohort at ``d`` per row: (next dose, rule code, admissible).

    ``n``, ``yt``, ``ye`` are (rows, doses) patients, DLTs and responses; rows whose rule is in
    :data:`STOPS` end (the next dose is then the current one).
    """
    rows, k = n.shape
    r = np.arange(rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        pt_all = np.where(n > 0, yt / np.maximum(n, 1), 0.0)
        pe_all = np.where(n > 0, ye / np.maximum(n, 1), 0.0)
    pt, pe = pt_all[r, d], pe_all[r, d]
    top = k - 1
    esc = (pt <= b.lambda1) & (pe <= b.eta1)
    stay = ~esc & (pt < b.lambda2) & (pe > b.eta1)
    down = ~esc & ~stay & (pt >= b.lambda2)
    eff = ~esc & ~stay & ~down
    up_untried = (d < top) & (n[r, np.minimum(d + 1, top)] == 0)
    cands = [d - 1, d, d + 1]
    valid = [d > 0, np.ones(rows, bool), d < top]
    best = _best_rate(pe_all, d, cands, valid, tie_noise)
    prop = np.where(
        esc, d + 1, np.where(stay, d, np.where(down, d - 1, np.where(up_untried, d + 1, best)))
    )
    rule = np.select([esc, stay, down, eff & up_untried], [ESC, STAY, DOWN, EFF_NEW], EFF_BEST)
    adm = admissible(n, yt, ye, phi, b.delta1, stop_t, stop_e)
    nxt, stop = _move(prop, d, adm, k)
    capped = (n >= cap).any(axis=1) if cap is not None else np.zeros(rows, bool)
    none = ~adm.any(axis=1)
    rule = np.where(none | (~capped & stop), STOP_NONE, np.where(capped, STOP_CAP, rule))
    ended = np.isin(rule, STOPS)
    return np.where(ended, d, nxt), rule, adm


def _move(prop: np.ndarray, d: np.ndarray, adm: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """Proposal -> dose given, as the boinet package does (module docstring, item 3)."""
    r = np.arange(prop.shape[0])
    j = np.arange(k)[None, :]
    p = np.clip(prop, 0, k - 1)
    ok = adm[r, p]
    above = adm & (j >= prop[:, None])
    below = adm & (j <= prop[:, None])
    first_above = np.where(above.any(axis=1), np.argmax(above, axis=1), -1)
    last_below = np.where(below.any(axis=1), k - 1 - np.argmax(below[:, ::-1], axis=1), -1)
    nxt = np.where(
        prop < 0,
        0,
        np.where(
            prop > k - 1,
            k - 1,
            np.where(
                ok, prop, np.where(d < prop, np.where(first_above >= 0, first_above, d), last_below)
            ),
        ),
    )
    stop = ((prop < 0) & ~adm[:, 0]) | (
        (prop >= 0) & (prop <= k - 1) & ~ok & (d >= prop) & (last_below < 0)
    )
    return nxt, stop
