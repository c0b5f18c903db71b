"""ROSE sample size: the smallest n per arm and boundary lambda meeting two PCS targets.

The randomised optimal selection (ROSE) design of Wang, Yuan & Liu (Biometrics
2025;81(4):ujaf124; arXiv:2505.03898) compares two doses judged safe. Its two configurations,
both fixed by the high dose's response rate ``p`` and the clinically meaningful margin
``delta``:

- scenario L (the lower dose is the OBD): both doses respond with probability ``p``; the
  design must select the lower dose with probability >= ``pcs_low``;
- scenario H (the higher dose is the OBD): the lower dose responds with ``p - delta``; the
  design must select the higher dose with probability >= ``pcs_high``.

``method="normal"`` is the paper's closed form (normal approximation of the difference of the
two response rates): n = ((z_L s_L + z_H s_H) / delta)^2 rounded up, lambda = delta z_L s_L /
(z_L s_L + z_H s_H), with z = the standard normal quantile of each PCS target and s_L, s_H the
per-patient standard deviations of the difference under each scenario. The two-stage design
(an interim after a fraction ``interim_fraction`` of each arm, where the higher dose may be
selected early) spends the scenario-L error 1 - pcs_low with the O'Brien-Fleming-type
spending function of Lan & DeMets (Biometrika 1983;70:659-63) and finds the smallest n whose
bivariate-normal PCS under scenario H reaches ``pcs_high``.

``method="exact"`` searches with exact binomial probabilities instead
(:func:`cartrial.design.rose_rules.exact_oc`): the smallest n for which some boundary in
[0, delta] (and, two-stage, not above the interim boundary, itself the smallest whose exact
scenario-L early-selection probability is within the O'Brien-Fleming budget) meets both
targets; the smallest such boundary is returned. Every design carries its exact PCS, so a
normal design's attained accuracy is always shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cartrial.design import rose_search as S
from cartrial.design.rose_rules import RoseOc, exact_oc
from cartrial.errors import InputError

METHODS = ("normal", "exact")


@dataclass(frozen=True)
class RoseDesign:
    """A ROSE design and its exact accuracy under the two configurations.

    ``n_low`` / ``n_high``: final patients per arm; ``boundary``: lambda; two-stage designs have
    ``interim_low`` / ``interim_high`` > 0 and ``interim_boundary`` (lambda_1). ``pcs_low`` /
    ``pcs_high`` are the targets, ``exact_low`` / ``exact_high`` the exact binomial PCS the
    design attains in scenarios L and H.

    Attributes
    ----------
    p_high, margin : float
        Response probability of the higher dose; delta (scenario H lower-dose rate p_high - delta).
    pcs_low, pcs_high : float
        Target probabilities of correct selection in scenarios L and H.
    ratio : float
        Allocation high:low.
    method : str
        "normal" or "exact".
    n_low, n_high, boundary : int, int, float
        Final patients per arm (low / high dose); boundary lambda on the difference in response
        rates (high minus low) above which the higher dose is selected.
    interim_low, interim_high, interim_boundary : int, int, float or None
        Interim patients per arm and lambda_1 (0, 0, None for a one-stage design).
    scenario_low, scenario_high : RoseOc
        Exact operating characteristics in scenarios L and H.

    References
    ----------
    Wang S, Yuan Y, Liu S. Randomized optimal selection design for dose optimization.
    Biometrics 2025;81(4):ujaf124.

    Examples
    --------
    >>> d = rose_design(0.3, 0.1, 0.6, 0.6)
    >>> d.n_low, round(d.boundary, 4), round(d.exact_low, 3), round(d.exact_high, 3)
    (11, 0.0516, 0.592, 0.619)
    """

    p_high: float
    margin: float
    pcs_low: float
    pcs_high: float
    ratio: float
    method: str
    n_low: int
    n_high: int
    boundary: float
    interim_low: int
    interim_high: int
    interim_boundary: float | None
    scenario_low: RoseOc
    scenario_high: RoseOc

    @property
    def exact_low(self) -> float:
        """Exact P(select the lower dose) when both doses respond with ``p_high``."""
        return self.scenario_low.select_low

    @property
    def exact_high(self) -> float:
        """Exact P(select the higher dose) when the lower dose responds with p_high - margin."""
        return self.scenario_high.select_high


def _check(p: float, delta: float, al: float, ah: float, ratio: float, omega: float | None,
           method: str, max_n: int) -> None:
    if not 0 < delta <= p < 1:
        raise InputError(
            f"ROSE needs 0 < margin <= p_high < 1 (margin delta, high-dose response p), got "
            f"margin {delta!r}, p_high {p!r}"
        )
    for name, v in (("pcs_low", al), ("pcs_high", ah)):
        if not 0.5 < v < 1:
            raise InputError(f"{name} must be in (0.5, 1), got {v!r}")
    if not ratio > 0:
        raise InputError(f"allocation ratio (high:low) must be > 0, got {ratio!r}")
    if omega is not None and not 0 < omega < 1:
        raise InputError(f"interim_fraction must be in (0, 1), got {omega!r}")
    if method not in METHODS:
        raise InputError(f"method must be one of {METHODS}, got {method!r}")
    if not 1 <= int(max_n) <= 1000:
        raise InputError(f"max_n must be in 1..1000, got {max_n!r}")


def rose_design(
    p_high: float,
    margin: float,
    pcs_low: float = 0.65,
    pcs_high: float = 0.65,
    *,
    ratio: float = 1.0,
    interim_fraction: float | None = None,
    method: str = "normal",
    max_n: int = 200,
) -> RoseDesign:
    """Smallest ROSE design (n per arm, lambda) meeting ``pcs_low`` and ``pcs_high``.

    Parameters
    ----------
    p_high : float
        Response probability of the higher dose (both doses in scenario L).
    margin : float
        delta: the lower dose responds with p_high - delta in scenario H.
    pcs_low, pcs_high : float
        Target probabilities of correct selection in scenarios L and H, in (0.5, 1).
    ratio : float
        Allocation high:low (n_high = ceil(ratio x n_low)); 1 = equal randomisation.
    interim_fraction : float, optional
        Two-stage design: the interim after this fraction of each arm (None: one stage).
    method : {"normal", "exact"}
        The paper's normal-approximation closed form, or an exact binomial search.
    max_n : int
        Largest n per arm searched.

    Returns
    -------
    RoseDesign

    Raises
    ------
    InputError
        Parameters out of range, or no design within ``max_n``.

    References
    ----------
    Wang S, Yuan Y, Liu S. Randomized optimal selection design for dose optimization.
    Biometrics 2025;81(4):ujaf124 (Table 1: sample sizes of the one- and two-stage designs).
    Lan KKG, DeMets DL. Biometrika 1983;70:659-63 (spending functions).

    Examples
    --------
    >>> d = rose_design(0.3, 0.1, 0.6, 0.6)
    >>> d.n_low, d.n_high
    (11, 11)
    """
    _check(p_high, margin, pcs_low, pcs_high, ratio, interim_fraction, method, max_n)
    if method == "normal" and interim_fraction is None:
        nl, lam = S.normal_one_stage(p_high, margin, pcs_low, pcs_high, ratio)
        nh, il, ih, lam1 = math.ceil(ratio * nl), 0, 0, None
    elif method == "normal":
        nl, lam, il, lam1 = S.normal_two_stage(
            p_high, margin, pcs_low, pcs_high, ratio, float(interim_fraction or 0), max_n
        )
        nh, ih = math.ceil(ratio * nl), math.ceil(float(interim_fraction or 0) * math.ceil(
            ratio * nl))
    else:
        nl, nh, lam, il, ih, lam1 = S.exact_search(
            p_high, margin, pcs_low, pcs_high, ratio, interim_fraction, max_n
        )
    if max(nl, nh) > max_n:
        raise InputError(f"no ROSE design within {max_n} patients per arm (n = {nl}, {nh})")
    kw = {"interim_low": il, "interim_high": ih, "interim_boundary": lam1}
    low = exact_oc(nl, nh, lam, p_high, p_high, **kw)
    high = exact_oc(nl, nh, lam, p_high - margin, p_high, **kw)
    return RoseDesign(
        float(p_high), float(margin), float(pcs_low), float(pcs_high), float(ratio), method,
        nl, nh, float(lam), il, ih, lam1, low, high,
    )


def fixed_design(
    n_low: int,
    boundary: float,
    p_high: float,
    margin: float,
    pcs_low: float = 0.65,
    pcs_high: float = 0.65,
    *,
    ratio: float = 1.0,
) -> RoseDesign:
    """A one-stage ROSE design with a given n per arm and boundary, with its exact PCS.

    Raises
    ------
    InputError
        Parameters out of range.

    Examples
    --------
    >>> round(fixed_design(23, 0.044, 0.3, 0.1, 0.6, 0.6).exact_low, 4)
    0.6855
    """
    _check(p_high, margin, pcs_low, pcs_high, ratio, None, "exact", max(int(n_low), 1))
    nh = math.ceil(ratio * n_low)
    low = exact_oc(n_low, nh, boundary, p_high, p_high)
    high = exact_oc(n_low, nh, boundary, p_high - margin, p_high)
    return RoseDesign(
        float(p_high), float(margin), float(pcs_low), float(pcs_high), float(ratio), "fixed",
        int(n_low), nh, float(boundary), 0, 0, None, low, high,
    )

