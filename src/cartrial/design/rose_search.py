"""The searches behind :func:`cartrial.design.rose.rose_design` (normal and exact binomial).

Normal one stage: the paper's closed form. Normal two stage: O'Brien-Fleming-type spending of
the scenario-L error at the interim and the smallest n whose bivariate-normal scenario-H PCS
reaches its target (Wang, Yuan & Liu, Biometrics 2025;81(4):ujaf124, section 3). Exact: the
smallest n per arm with a boundary meeting both targets under the binomial distributions.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, Decimal

import numpy as np
from scipy import integrate, optimize
from scipy.special import ndtr, ndtri

from cartrial.design.rose_rules import count_cut, exact_oc, scaled_difference, upper_tail


def sds(p: float, delta: float, ratio: float) -> tuple[float, float]:
    """Per-patient SDs (on the lower arm's n) of p_hat_H - p_hat_L in scenarios L and H."""
    s_l = math.sqrt(p * (1 - p) * (1 + 1 / ratio))
    s_h = math.sqrt((p - delta) * (1 - p + delta) + p * (1 - p) / ratio)
    return s_l, s_h


def obf_spent(alpha: float, fraction: float) -> float:
    """O'Brien-Fleming-type spending 2 - 2 Phi(z_{1-alpha/2} / sqrt(t)) at information t.

    Examples
    --------
    >>> round(obf_spent(0.05, 1.0), 6)
    0.05
    """
    return float(2 * ndtr(ndtri(alpha / 2) / math.sqrt(fraction)))


def bvn_cdf(a: float, b: float, rho: float) -> float:
    """P(Z1 <= a, Z2 <= b) for standard bivariate normal with correlation ``rho`` (quadrature).

    Examples
    --------
    >>> round(bvn_cdf(0.0, 0.0, 0.5), 6)  # 1/4 + arcsin(0.5) / (2 pi)
    0.333333
    """
    sd = math.sqrt(1 - rho * rho)
    f = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi) * ndtr((b - rho * x) / sd)  # noqa: E731
    return float(integrate.quad(f, -np.inf, a, epsabs=1e-12, epsrel=1e-12, limit=200)[0])


def boundary_text(cut: int, n_low: int, n_high: int) -> float:
    """The shortest decimal lambda >= cut / (n_low n_high) whose count cut is ``cut``.

    Examples
    --------
    >>> boundary_text(2, 23, 23)  # 2 / 529 = 0.00378...
    0.004
    """
    exact = Decimal(cut) / Decimal(n_low * n_high)
    for places in range(2, 16):
        q = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_CEILING)
        if count_cut(float(q), n_low, n_high) == cut:
            return float(q)
    raise ArithmeticError(f"no decimal boundary for cut {cut} of {n_low} x {n_high}")


def solve_final_z(first_z: float, omega: float, pcs_low: float) -> float:
    """Final critical value c_2 with P(Z1 <= c_1, Z2 <= c_2) = pcs_low, corr sqrt(omega)."""
    rho = math.sqrt(omega)
    return float(optimize.brentq(lambda z: bvn_cdf(first_z, z, rho) - pcs_low, -12, 12,
                                 xtol=1e-12))


def normal_one_stage(
    p: float, delta: float, pcs_low: float, pcs_high: float, ratio: float
) -> tuple[int, float]:
    """(n_low, lambda) of the one-stage closed form."""
    s_l, s_h = sds(p, delta, ratio)
    a, b = s_l * float(ndtri(pcs_low)), s_h * float(ndtri(pcs_high))
    n = max(1, math.ceil(round(((a + b) / delta) ** 2, 9)))
    return n, delta * a / (a + b)


def normal_two_stage(
    p: float, delta: float, pcs_low: float, pcs_high: float, ratio: float, omega: float,
    max_n: int,
) -> tuple[int, float, int, float]:
    """(n_low, lambda, interim n_low, lambda_1) of the two-stage normal design.

    Z_k = (p_hat_H - p_hat_L) / (s_L / sqrt(n_k)) at the interim (n_1 = omega n) and the end;
    c_1 spends the O'Brien-Fleming share of 1 - pcs_low at omega, c_2 completes pcs_low; n is
    the smallest with P_H(select high) = 1 - Phi2(u_1, u_2; sqrt(omega)) >= pcs_high, where
    u_k = (c_k s_L - delta sqrt(n_k)) / s_H. lambda_k = c_k s_L / sqrt(n_k) at the rounded n_k.
    """
    s_l, s_h = sds(p, delta, ratio)
    spent = obf_spent(1 - pcs_low, omega)
    c1 = float(-ndtri(spent))
    c2 = solve_final_z(c1, omega, pcs_low)
    rho = math.sqrt(omega)
    for n in range(2, max_n + 1):
        u1 = (c1 * s_l - delta * math.sqrt(omega * n)) / s_h
        u2 = (c2 * s_l - delta * math.sqrt(n)) / s_h
        if 1 - bvn_cdf(u1, u2, rho) >= pcs_high:
            n1 = max(1, math.ceil(omega * n))
            return n, c2 * s_l / math.sqrt(n), n1, min(1.0, c1 * s_l / math.sqrt(n1))
    return max_n + 1, 0.0, 0, None  # type: ignore[return-value]


def _interim_cut(il: int, ih: int, p: float, spent: float) -> int | None:
    """Smallest count cut c_1 >= 0 with P_L(interim statistic > c_1) <= spent (None: none)."""
    s, m = scaled_difference(il, ih, il, ih, p, p)
    cuts = s[s >= 0]
    ok = np.nonzero(upper_tail(s, m, cuts) <= spent)[0]
    return int(cuts[ok[0]]) if ok.size else None


def exact_search(
    p: float, delta: float, pcs_low: float, pcs_high: float, ratio: float,
    omega: float | None, max_n: int,
) -> tuple[int, int, float, int, int, float | None]:
    """(n_low, n_high, lambda, interim n_low, interim n_high, lambda_1) of the exact search."""
    spent = None if omega is None else obf_spent(1 - pcs_low, omega)
    for nl in range(1, max_n + 1):
        nh = math.ceil(ratio * nl)
        il, ih, lam1 = 0, 0, None
        top = count_cut(delta, nl, nh)
        if omega is not None and spent is not None:
            il, ih = math.ceil(omega * nl), math.ceil(omega * nh)
            if not (0 < il < nl and 0 < ih < nh):
                continue
            c1 = _interim_cut(il, ih, p, spent)
            if c1 is None:
                continue
            lam1 = boundary_text(c1, il, ih)
            top = min(top, count_cut(lam1, nl, nh))
        cut = _smallest_cut(nl, nh, il, ih, lam1, p, pcs_low, top)
        if cut is None:
            continue
        lam = boundary_text(cut, nl, nh)
        kw = {"interim_low": il, "interim_high": ih, "interim_boundary": lam1}
        if exact_oc(nl, nh, lam, p - delta, p, **kw).select_high >= pcs_high:
            return nl, nh, lam, il, ih, lam1
    return max_n + 1, max_n + 1, 0.0, 0, 0, None


def _smallest_cut(
    nl: int, nh: int, il: int, ih: int, lam1: float | None, p: float, pcs_low: float, top: int
) -> int | None:
    """Smallest count cut in [0, top] whose exact scenario-L PCS reaches pcs_low (bisection:
    P(select low) does not decrease with the cut)."""
    kw = {"interim_low": il, "interim_high": ih, "interim_boundary": lam1}

    def ok(c: int) -> bool:
        return exact_oc(nl, nh, boundary_text(c, nl, nh), p, p, **kw).select_low >= pcs_low

    if top < 0 or not ok(top):
        return None
    lo, hi = 0, top
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo
