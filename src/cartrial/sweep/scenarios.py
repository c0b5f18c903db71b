"""Random dose-toxicity scenarios for design calibration (Paoletti et al. 2004, as used by BOIN).

Method (Paoletti, O'Quigley & Maccario, Comput Stat Data Anal 2004;45:197-214; the variant
described in Liu & Yuan, JRSS-C 2015;64:507-523, section 3.2, for BOIN's random scenarios), on the
probit scale ``z = Phi^-1(p)`` for ``K`` doses and target ``phi``:

1. the MTD position ``M`` is drawn uniformly from the ``K`` doses;
2. ``z_M ~ N(Phi^-1(phi), sigma0^2)``;
3. below the MTD ``z_j = z_{j+1} - e_j^2`` and above it ``z_j = z_{j-1} + e_j^2``, with
   ``e_j ~ N(mu, sigma1^2)`` (squares keep the curve increasing);
4. the curve is kept only if ``p_M`` is strictly the closest to ``phi`` (so ``M`` is the true MTD
   under the "closest to target" definition); otherwise steps 2-3 are redrawn with ``M`` fixed, so
   the MTD position stays uniform.

The defaults of ``sigma0``, ``mu`` and ``sigma1`` are cartrial's choice (the published values
could not be confirmed here; mu=0.4, sigma1=0.3 give a mean gap of about 0.10 around the MTD for
5 doses and target 0.3); each scenario reports its mean probability gap around the MTD so a
user can calibrate them. Scenario ``i`` draws from ``SeedSequence(seed, spawn_key=(i,))``, so it
does not depend on ``count``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from cartrial.errors import InputError

RANDOM_METHODS = ("paoletti",)
_BATCH = 64
_MAX_BATCHES = 1600


@dataclass(frozen=True)
class RandomScenario:
    """One generated curve: ``true_tox`` per dose, ``mtd`` (0-based position drawn in step 1) and
    ``gap`` = mean |p_M - p_neighbour| over the existing neighbours of the MTD.

    Parameters
    ----------
    index : int
        0-based scenario number (its draws come from ``SeedSequence(seed, spawn_key=(index,))``).
    true_tox : tuple of float
        True DLT probability per dose, increasing, lowest dose first.
    mtd : int
        0-based index of the true MTD (the dose closest to the target).
    gap : float
        Mean absolute probability difference between the MTD and its neighbouring doses.

    Examples
    --------
    >>> s = paoletti_scenarios(5, 0.3, count=1, seed=7)[0]
    >>> s.mtd, [round(p, 3) for p in s.true_tox], round(s.gap, 3)
    (1, [0.273, 0.292, 0.433, 0.438, 0.453], 0.08)
    """

    index: int
    true_tox: tuple[float, ...]
    mtd: int
    gap: float


def _one_curve(
    rng: np.random.Generator, k: int, target: float, sigma0: float, mu: float, sigma1: float
) -> tuple[np.ndarray, int]:
    m = int(rng.integers(k))
    z0 = float(ndtri(target))
    for _ in range(_MAX_BATCHES):
        zm = rng.normal(z0, sigma0, size=_BATCH)
        steps = rng.normal(mu, sigma1, size=(_BATCH, k)) ** 2
        # offsets from z_M: cumulative steps down (doses < M) and up (doses > M)
        z = np.empty((_BATCH, k))
        z[:, m] = zm
        if m > 0:
            down = np.cumsum(steps[:, :m][:, ::-1], axis=1)  # step for dose m-1, m-2, ...
            z[:, :m] = zm[:, None] - down[:, ::-1]
        if m < k - 1:
            up = np.cumsum(steps[:, m + 1 :], axis=1)
            z[:, m + 1 :] = zm[:, None] + up
        p = ndtr(z)
        dist = np.abs(p - target)
        others = np.delete(dist, m, axis=1)
        ok = (others > dist[:, [m]]).all(axis=1) if k > 1 else np.ones(_BATCH, bool)
        if ok.any():
            return p[int(np.argmax(ok))], m
    raise InputError(
        f"random scenarios: no curve met the closest-to-target constraint in "
        f"{_BATCH * _MAX_BATCHES} draws (target={target}, sigma0={sigma0}, mu={mu}, "
        f"sigma1={sigma1}); widen mu or sigma1"
    )


def paoletti_scenarios(
    n_doses: int,
    target: float,
    count: int,
    seed: int,
    *,
    sigma0: float = 0.05,
    mu: float = 0.4,
    sigma1: float = 0.3,
) -> list[RandomScenario]:
    """``count`` random increasing dose-toxicity curves over ``n_doses`` doses whose true MTD
    (dose closest to ``target``) is uniform over the doses (Paoletti et al. 2004; Liu & Yuan 2015
    section 3.2). Deterministic in ``seed``; scenario ``i`` is the same for any ``count > i``.

    Parameters
    ----------
    n_doses : int
        Number of dose levels K (>= 2).
    target : float
        Target DLT probability phi, in (0, 1).
    count : int
        Number of curves (>= 1).
    seed : int
        Non-negative base seed.
    sigma0, mu, sigma1 : float, optional
        Spread of the MTD's probit around ``Phi^-1(target)`` (sigma0 > 0), and mean and
        standard deviation of the probit steps' roots (mu, sigma1 > 0); see the module text.

    Returns
    -------
    list of RandomScenario
        ``count`` curves, scenario ``i`` at position ``i``.

    Raises
    ------
    InputError
        An argument out of range, or no curve meets the closest-to-target constraint.

    References
    ----------
    Paoletti X, O'Quigley J, Maccario J. Comput Stat Data Anal 2004;45:197-214.
    Liu S, Yuan Y. J R Stat Soc C 2015;64:507-23.

    Examples
    --------
    >>> [s.mtd for s in paoletti_scenarios(5, 0.3, count=2, seed=7)]
    [1, 3]
    >>> paoletti_scenarios(1, 0.3, count=2, seed=7)
    Traceback (most recent call last):
    cartrial.errors.InputError: random scenarios: n_doses must be >= 2, got 1
    """
    if int(n_doses) < 2:
        raise InputError(f"random scenarios: n_doses must be >= 2, got {n_doses!r}")
    if not 0 < float(target) < 1:
        raise InputError(f"random scenarios: target must lie in (0, 1), got {target!r}")
    if int(count) < 1:
        raise InputError(f"random scenarios: count must be >= 1, got {count!r}")
    if int(seed) < 0:
        raise InputError(f"random scenarios: seed must be a non-negative integer, got {seed!r}")
    for name, v in (("sigma0", sigma0), ("sigma1", sigma1)):
        if not float(v) > 0:
            raise InputError(f"random scenarios: {name} must be > 0, got {v!r}")
    out = []
    for i in range(int(count)):
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(i,)))
        p, m = _one_curve(rng, int(n_doses), float(target), float(sigma0), float(mu), float(sigma1))
        nb = [abs(p[j] - p[m]) for j in (m - 1, m + 1) if 0 <= j < n_doses]
        out.append(RandomScenario(i, tuple(float(v) for v in p), m, float(np.mean(nb))))
    return out
