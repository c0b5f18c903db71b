"""Exact (Clopper-Pearson) binomial confidence intervals, vectorised.

ecosystem.md section 1: lower = Beta(a/2; k, n-k+1), upper = Beta(1-a/2; k+1, n-k); k = 0 gives
lower 0 and k = n upper 1. Kept here until ``cartrial.efficacy`` has one to share.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import beta

from cartrial.errors import InputError


def clopper_pearson(
    k: np.ndarray | int, n: np.ndarray | int, confidence_level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Exact CI for k successes out of n (NaN where n == 0)."""
    if not 0 < confidence_level < 1:
        raise InputError(f"confidence_level must be in (0, 1), but was {confidence_level!r}")
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    if np.any((k < 0) | (k > n)):
        raise InputError(f"need 0 <= k <= n, got k={k.tolist()!r}, n={n.tolist()!r}")
    a = 1.0 - confidence_level
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k > 0, beta.ppf(a / 2, np.maximum(k, 1), n - k + 1), 0.0)
        high = np.where(k < n, beta.ppf(1 - a / 2, k + 1, np.maximum(n - k, 1)), 1.0)
    low = np.where(n > 0, low, np.nan)
    high = np.where(n > 0, high, np.nan)
    return low, high
