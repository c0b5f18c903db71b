"""The ROSE selection rule and its exact operating characteristics (binomial, no simulation).

Two doses are randomised; at the end the higher dose is selected when its observed response
rate exceeds the lower dose's by MORE than the decision boundary lambda, else the lower dose
(Wang S, Yuan Y, Liu S, Biometrics 2025;81(4):ujaf124, section 2; arXiv:2505.03898). The
two-stage version looks once at an interim: the higher dose is selected early when the
interim difference exceeds lambda_1, otherwise the trial goes on to its final analysis (a tie
selects the lower dose at the end and continues at the interim).

The comparison ``x_h / n_h - x_l / n_l > lambda`` is made on integers,
``x_h n_l - x_l n_h > floor(lambda n_l n_h)``, with lambda read as the decimal it is written
as, so a difference exactly equal to the boundary never flips with floating-point rounding.
One rule, written once: :func:`select_high` serves a single decision and arrays of simulated
trials alike, and the exact probabilities below enumerate the same comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.stats import binom

from cartrial.errors import InputError


def count_cut(boundary: float, n_low: int, n_high: int) -> int:
    """floor(boundary x n_low x n_high) with ``boundary`` read as its decimal text.

    Examples
    --------
    >>> count_cut(0.3, 10, 10)  # 0.3 is not 0.29999...: the cut is exactly 30
    30
    """
    return math.floor(Fraction(str(float(boundary))) * int(n_low) * int(n_high))


def select_high(
    x_low: np.ndarray | int,
    x_high: np.ndarray | int,
    n_low: int,
    n_high: int,
    boundary: float,
) -> np.ndarray:
    """True where the higher dose is selected: x_h/n_h - x_l/n_l > boundary.

    Parameters
    ----------
    x_low, x_high : int or array of int
        Responders on the lower and the higher dose (broadcast together).
    n_low, n_high : int
        Patients evaluated on each dose.
    boundary : float
        The decision boundary lambda (rate difference).

    Returns
    -------
    numpy.ndarray of bool

    References
    ----------
    Wang S, Yuan Y, Liu S. Randomized optimal selection design for dose optimization.
    Biometrics 2025;81(4):ujaf124 (section 2, the one-stage rule).

    Examples
    --------
    >>> select_high(3, 6, 20, 20, 0.1).tolist()  # 0.30 - 0.15 = 0.15 > 0.10
    True
    >>> select_high(4, 6, 20, 20, 0.1).tolist()  # 0.10 is not > 0.10: the lower dose
    False
    """
    xl = np.asarray(x_low, dtype=np.int64)
    xh = np.asarray(x_high, dtype=np.int64)
    return xh * int(n_low) - xl * int(n_high) > count_cut(boundary, n_low, n_high)


@dataclass(frozen=True)
class RoseOc:
    """Exact probabilities of one ROSE design under true response rates ``p_low``, ``p_high``.

    ``select_high`` + ``select_low`` = 1; ``early_high`` is the part of ``select_high`` decided
    at the interim (0 for one stage); ``mean_low`` / ``mean_high`` are expected patients per arm.
    """

    p_low: float
    p_high: float
    select_low: float
    select_high: float
    early_high: float
    mean_low: float
    mean_high: float


def binomial_pmf(k: np.ndarray, n: int, p: float) -> np.ndarray:
    """Bin(n, p) probabilities of ``k``; p below 1e-300 is taken as 0 (scipy's incomplete-beta
    routine overflows on subnormal p; the probability moved is below 1e-290).

    Examples
    --------
    >>> binomial_pmf(np.arange(3), 2, 0.5).round(12).tolist()
    [0.25, 0.5, 0.25]
    >>> binomial_pmf(np.arange(3), 2, 5e-324).tolist()
    [1.0, 0.0, 0.0]
    """
    if p < 1e-300:
        return (k == 0).astype(float)
    return np.asarray(binom.pmf(k, n, p), dtype=float)


def scaled_difference(
    m_low: int, m_high: int, n_low: int, n_high: int, p_low: float, p_high: float
) -> tuple[np.ndarray, np.ndarray]:
    """Support (sorted) and probability of X_h n_l - X_l n_h, X ~ Bin(m, p) independent."""
    xl, xh = np.arange(m_low + 1), np.arange(m_high + 1)
    value = (xh[:, None] * n_low - xl[None, :] * n_high).ravel()
    mass = np.outer(binomial_pmf(xh, m_high, p_high), binomial_pmf(xl, m_low, p_low)).ravel()
    support, inverse = np.unique(value, return_inverse=True)
    return support, np.bincount(inverse, weights=mass, minlength=support.size)


def upper_tail(support: np.ndarray, mass: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """P(V > cut) for each cut (summed from the top, so small tails keep their precision)."""
    tail = np.concatenate([np.cumsum(mass[::-1])[::-1], [0.0]])
    return tail[np.searchsorted(support, cuts, side="right")]


def exact_oc(
    n_low: int,
    n_high: int,
    boundary: float,
    p_low: float,
    p_high: float,
    *,
    interim_low: int = 0,
    interim_high: int = 0,
    interim_boundary: float | None = None,
) -> RoseOc:
    """Exact selection probabilities and expected sample sizes of a one- or two-stage ROSE design.

    Parameters
    ----------
    n_low, n_high : int
        Final patients per arm (lower, higher dose).
    boundary : float
        Final decision boundary lambda.
    p_low, p_high : float
        True response probabilities.
    interim_low, interim_high : int
        Patients per arm at the interim (two-stage designs only).
    interim_boundary : float, optional
        lambda_1: the higher dose is selected early when the interim difference exceeds it.

    Returns
    -------
    RoseOc

    Raises
    ------
    InputError
        Probabilities outside [0, 1]; interim counts not strictly between 0 and the final count.

    References
    ----------
    Wang S, Yuan Y, Liu S. Biometrics 2025;81(4):ujaf124 (sections 2 and 3).

    Examples
    --------
    >>> oc = exact_oc(10, 10, 0.0, 0.5, 0.5)
    >>> round(oc.select_high, 4)  # P(X_H > X_L), two Bin(10, 0.5): (1 - P(tie)) / 2
    0.4119
    """
    _check(n_low, n_high, p_low, p_high, interim_low, interim_high, interim_boundary)
    if interim_boundary is None:
        s, m = scaled_difference(n_low, n_high, n_low, n_high, p_low, p_high)
        hi = float(upper_tail(s, m, np.array([count_cut(boundary, n_low, n_high)]))[0])
        return RoseOc(p_low, p_high, 1.0 - hi, hi, 0.0, float(n_low), float(n_high))
    il, ih = interim_low, interim_high
    a, b = np.arange(il + 1), np.arange(ih + 1)
    joint = np.outer(binomial_pmf(b, ih, p_high), binomial_pmf(a, il, p_low))
    early = select_high(a[None, :], b[:, None], il, ih, interim_boundary)
    p_early = float(joint[early].sum())
    # final statistic = stage-1 part + stage-2 part, both on the n_l x n_h scale
    stage1 = (b[:, None] * n_low - a[None, :] * n_high)[~early]
    s, m = scaled_difference(n_low - il, n_high - ih, n_low, n_high, p_low, p_high)
    hi_later = upper_tail(s, m, count_cut(boundary, n_low, n_high) - stage1)
    hi = p_early + float(joint[~early] @ hi_later)
    return RoseOc(
        p_low, p_high, 1.0 - hi, hi, p_early,
        il + (n_low - il) * (1 - p_early), ih + (n_high - ih) * (1 - p_early),
    )


def _check(
    n_low: int, n_high: int, p_low: float, p_high: float, il: int, ih: int, b1: float | None
) -> None:
    if int(n_low) < 1 or int(n_high) < 1:
        raise InputError(f"ROSE needs at least 1 patient per arm, got {n_low}, {n_high}")
    for name, p in (("p_low", p_low), ("p_high", p_high)):
        if not 0.0 <= float(p) <= 1.0:
            raise InputError(f"{name} must be a probability in [0, 1], got {p!r}")
    if b1 is not None and not (0 < il < n_low and 0 < ih < n_high):
        raise InputError(
            f"interim patients per arm ({il}, {ih}) must be between 0 and the final "
            f"({n_low}, {n_high}), exclusive"
        )
