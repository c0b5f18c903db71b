"""BOIN escalation / de-escalation boundaries and the overdose-elimination count.

Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials. JRSS-C
2015;64:507-523; as implemented in the R package BOIN 2.7.2 (``R/get.boundary.R``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cartrial.errors import InputError


@dataclass(frozen=True)
class BoinBoundaries:
    """lambda_e / lambda_d for a target, with the phi1 / phi2 that produced them.

    Attributes
    ----------
    target : float
        Target DLT probability phi (0.05-0.6).
    phi1, phi2 : float
        Highest DLT probability deemed sub-therapeutic / lowest deemed overly toxic.
    lambda_e, lambda_d : float
        Escalate while the observed DLT rate y/n <= lambda_e; de-escalate when y/n > lambda_d.

    References
    ----------
    Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials. J R Stat Soc
    Ser C 2015;64:507-523.

    Examples
    --------
    >>> b = boin_boundaries(0.3)
    >>> (b.phi1, b.phi2)
    (0.18, 0.42)
    """

    target: float
    phi1: float
    phi2: float
    lambda_e: float
    lambda_d: float


def boin_boundaries(
    target: float, phi1: float | None = None, phi2: float | None = None
) -> BoinBoundaries:
    """BOIN boundaries (Liu & Yuan 2015): phi1 = 0.6 phi, phi2 = 1.4 phi unless given.

    lambda_e = log((1-phi1)/(1-phi)) / log(phi(1-phi1) / (phi1(1-phi)))
    lambda_d = log((1-phi)/(1-phi2)) / log(phi2(1-phi) / (phi(1-phi2)))

    Parameters
    ----------
    target : float
        Target DLT probability phi, in [0.05, 0.6].
    phi1 : float, optional
        Highest DLT probability deemed sub-therapeutic; default 0.6 x target.
    phi2 : float, optional
        Lowest DLT probability deemed overly toxic; default 1.4 x target.

    Returns
    -------
    BoinBoundaries
        The escalation (lambda_e) and de-escalation (lambda_d) boundaries on the DLT rate.

    Raises
    ------
    InputError
        When target is outside [0.05, 0.6], phi1 < target < phi2 fails, or phi1 / phi2 lie
        within 10% of the target (the BOIN package's input checks).

    References
    ----------
    Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials. J R Stat Soc
    Ser C 2015;64:507-523 (Table 1: 0.236 / 0.358 for target 0.3).

    Examples
    --------
    >>> b = boin_boundaries(0.3)
    >>> round(b.lambda_e, 4), round(b.lambda_d, 4)
    (0.2365, 0.3585)
    """
    if not 0.05 <= target <= 0.6:
        raise InputError(f"target must be in [0.05, 0.6] (BOIN get.boundary), but was {target!r}")
    p1 = 0.6 * target if phi1 is None else phi1
    p2 = 1.4 * target if phi2 is None else phi2
    if not (0 < p1 < target < p2 < 1):
        raise InputError(f"need 0 < phi1 < target < phi2 < 1, but got {p1!r}, {target!r}, {p2!r}")
    if target - p1 < 0.1 * target - 1e-12:
        raise InputError(f"phi1 ({p1!r}) must be at most 0.9 x target (BOIN input check)")
    if p2 - target < 0.1 * target - 1e-12:
        raise InputError(f"phi2 ({p2!r}) must be at least 1.1 x target (BOIN input check)")
    lam_e = math.log((1 - p1) / (1 - target)) / math.log(target * (1 - p1) / (p1 * (1 - target)))
    lam_d = math.log((1 - target) / (1 - p2)) / math.log(p2 * (1 - target) / (target * (1 - p2)))
    return BoinBoundaries(target, p1, p2, lam_e, lam_d)


def elimination_count(n: int, target: float, cutoff: float = 0.95, min_n: int = 3) -> int | None:
    """Smallest y with P(p > target | y of n, Beta(1,1)) > cutoff, or None (BOIN ``cutoff.eli``).

    Below ``min_n`` patients no dose is eliminated (BOIN: n >= 3).

    Parameters
    ----------
    n : int
        Patients treated (and evaluable) at the dose.
    target : float
        Target DLT probability phi.
    cutoff : float, default 0.95
        Posterior probability above which the dose is eliminated.
    min_n : int, default 3
        Fewest patients at which elimination is considered.

    Returns
    -------
    int or None
        The smallest DLT count y (0..n) that eliminates the dose; None when n < min_n or no y
        reaches the cutoff.

    References
    ----------
    Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials. J R Stat Soc
    Ser C 2015;64:507-523.

    Examples
    --------
    BOIN's table for target 0.3 eliminates at 3/3 and at 4 of 6:

    >>> [elimination_count(n, 0.3) for n in (2, 3, 6)]
    [None, 3, 4]
    """
    if n < min_n:
        return None
    post = np.cumsum(_binomial_pmf(n + 1, target)[: n + 1])
    hit = np.nonzero(post > cutoff)[0]
    return int(hit[0]) if hit.size else None


def _binomial_pmf(m: int, p: float) -> np.ndarray:
    """P(Binomial(m, p) = j), j = 0..m, in closed form.

    With a Beta(1, 1) prior, P(p > target | y of n) = P(Beta(y + 1, n - y + 1) > target)
    = P(Binomial(n + 1, target) <= y) (the Beta-binomial identity of the regularised incomplete
    Beta function, Abramowitz M, Stegun IA, Handbook of Mathematical Functions 1964, 26.5.24),
    so the elimination count needs no scipy (whose import costs a command's start-up). Agrees
    with ``scipy.special.betaincc`` to 1e-14 (tests/design/test_boundaries.py).
    """
    j = np.arange(m + 1)
    if m <= 1000:  # exact binomial coefficients as floats (C(1000, 500) ~ 2.7e299)
        comb = np.array([float(math.comb(m, int(v))) for v in j])
        return comb * p**j * (1 - p) ** (m - j)
    log_comb = np.array([math.lgamma(m + 1) - math.lgamma(v + 1) - math.lgamma(m - v + 1)
                         for v in j])
    return np.exp(log_comb + j * math.log(p) + (m - j) * math.log1p(-p))


def escalate_max(n: int, lambda_e: float) -> int:
    """Largest y that still escalates at n patients: y <= floor(lambda_e n) (y/n <= lambda_e).

    Parameters
    ----------
    n : int
        Patients treated at the current dose.
    lambda_e : float
        Escalation boundary on the DLT rate (:func:`boin_boundaries`).

    Returns
    -------
    int
        Largest DLT count that escalates (0 means escalate only with no DLT).

    Examples
    --------
    BOIN's table for target 0.3 escalates at 0/3 and at 1 of 6:

    >>> lam_e = boin_boundaries(0.3).lambda_e
    >>> escalate_max(3, lam_e), escalate_max(6, lam_e)
    (0, 1)
    """
    return int(math.floor(lambda_e * n + 1e-12))


def deescalate_min(n: int, lambda_d: float) -> int:
    """Smallest y that de-escalates at n patients: y/n > lambda_d (the package's strict rule).

    Parameters
    ----------
    n : int
        Patients treated at the current dose.
    lambda_d : float
        De-escalation boundary on the DLT rate (:func:`boin_boundaries`).

    Returns
    -------
    int
        Smallest DLT count that de-escalates.

    Examples
    --------
    BOIN's table for target 0.3 de-escalates at 2 of 3 and at 3 of 6:

    >>> lam_d = boin_boundaries(0.3).lambda_d
    >>> deescalate_min(3, lam_d), deescalate_min(6, lam_d)
    (2, 3)
    """
    x = lambda_d * n
    c = math.ceil(x - 1e-12)
    return c + 1 if abs(c - x) < 1e-12 else c
