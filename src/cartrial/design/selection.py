"""MTD / RD selection at the end of escalation: isotonic regression of the DLT rates.

Follows BOIN 2.7.2 ``R/select.mtd.R`` (Liu S, Yuan Y, J R Stat Soc C 2015;64:507-23): Beta(0.05,
0.05) posterior means as raw estimates, weights 1/var, weighted pool-adjacent-violators, the dose
whose isotonic estimate is closest to the target, ties broken by adding j x 1e-10 to the j-th
estimate (tied below target -> highest dose, tied above -> lowest), eliminated and untried doses
excluded, no MTD when dose 1 is eliminated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from cartrial.design.boundaries import boin_boundaries, elimination_count
from cartrial.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

PRIOR_A = 0.05  # Beta(0.05, 0.05) prior of select.mtd
PRIOR_B = 0.05


def pava(x: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Weighted isotonic (non-decreasing) regression by pool-adjacent-violators.

    Busing's O(n) algorithm, step for step as ``scipy.optimize.isotonic_regression`` runs it (so
    the fit equals scipy's bit for bit, which the tests check on random vectors with ties), in
    a Python loop over the few doses of a trial: importing ``scipy.optimize`` costs a command
    like ``cartrial decide`` more time than every fit it makes (issue #18: a verb imports only
    what it uses).

    Parameters
    ----------
    x : array of float
        Values in dose order (finite).
    weights : array of float, optional
        Positive weights (default 1).

    Returns
    -------
    numpy.ndarray
        The least-squares non-decreasing fit.

    Raises
    ------
    InputError
        Shapes differ, a value is not finite or a weight is not positive.

    References
    ----------
    Barlow RE, Bartholomew DJ, Bremner JM, Brunk HD. Statistical Inference under Order
    Restrictions. Wiley 1972 (pool-adjacent-violators); Busing FMTA. Monotone regression: a
    simple and fast O(n) PAVA implementation. J Stat Softw 2022;102(Code Snippet 1):1-25
    (Algorithm 1); BOIN 2.7.2 ``select.mtd`` (``pava``).

    Examples
    --------
    >>> pava(np.array([0.1, 0.3, 0.2, 0.4])).round(3).tolist()
    [0.1, 0.25, 0.25, 0.4]
    """
    x = np.array(x, dtype=float)
    w = np.ones_like(x) if weights is None else np.array(weights, dtype=float)
    if x.shape != w.shape:
        raise InputError(f"pava: x and weights differ in shape {x.shape} vs {w.shape}")
    if np.any(~np.isfinite(x)) or np.any(~(w > 0)):
        raise InputError("pava: values must be finite and weights positive")
    return np.array(_busing(x.tolist(), w.tolist()), dtype=float)


def _busing(x: list[float], w: list[float]) -> list[float]:
    """Busing (2022) Algorithm 1 with scipy's corrections (``>=`` in lines 11 and 22), in place."""
    n = len(x)
    if n < 2:
        return x
    r = [0] * (n + 1)
    r[1] = 1
    b = 0
    xb_prev, wb_prev = x[0], w[0]
    i = 1
    while i < n:
        b += 1
        xb, wb = x[i], w[i]
        if xb_prev >= xb:  # a down violation: pool with the previous block
            b -= 1
            sb = wb_prev * xb_prev + wb * xb
            wb += wb_prev
            xb = sb / wb
            while i < n - 1 and xb >= x[i + 1]:  # repair up violations
                i += 1
                sb += w[i] * x[i]
                wb += w[i]
                xb = sb / wb
            while b > 0 and x[b - 1] >= xb:  # repair down violations
                b -= 1
                sb += w[b] * x[b]
                wb += w[b]
                xb = sb / wb
        x[b] = xb_prev = xb
        w[b] = wb_prev = wb
        r[b + 1] = i + 1
        i += 1
    f = n - 1
    for k in range(b, -1, -1):  # expand the blocks
        for j in range(f, r[k] - 1, -1):
            x[j] = x[k]
        f = r[k] - 1
    return x


def elimination_flags(
    n: np.ndarray,
    y: np.ndarray,
    target: float,
    cutoff: float = 0.95,
    min_n: int = 3,
    extrasafe: bool = False,
    offset: float = 0.05,
) -> np.ndarray:
    """Doses eliminated by the data (Liu & Yuan 2015): P(p > target | Beta(1,1)) > cutoff at n >= 3.

    The lowest such dose and every dose above it are flagged; with ``extrasafe`` dose 1 uses
    ``cutoff - offset``.

    Parameters
    ----------
    n, y : array of int
        Patients treated and DLTs observed per dose, in dose order.
    target : float
        Target DLT probability.
    cutoff : float, default 0.95
        Posterior probability P(p > target) above which a dose is eliminated.
    min_n : int, default 3
        Fewest patients at a dose before it can be eliminated.
    extrasafe, offset : bool, float
        Use ``cutoff - offset`` for the lowest dose (BOIN ``extrasafe``).

    Returns
    -------
    numpy.ndarray of bool
        True for every eliminated dose (the lowest eliminated dose and all above it).

    References
    ----------
    Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials. J R Stat Soc
    Ser C 2015;64:507-523.

    Examples
    --------
    3 DLTs of 3 at target 0.3 eliminate the dose (BOIN: eliminate at 3/3):

    >>> elimination_flags(np.array([3, 6, 3]), np.array([0, 1, 3]), 0.3).tolist()
    [False, False, True]
    """
    n = np.asarray(n, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    # P(p > target | y of n) grows with y: a dose is eliminated iff y reaches the count
    def reaches(nj: int, yj: int, cut: float) -> bool:
        c = elimination_count(int(nj), target, cut, min_n)
        return c is not None and yj >= c

    hit = np.array([reaches(nj, yj, cutoff) for nj, yj in zip(n, y, strict=True)], dtype=bool)
    if extrasafe and n.size and reaches(n[0], y[0], cutoff - offset):
        hit[0] = True
    flags = np.zeros(n.shape, dtype=bool)
    if hit.any():
        flags[int(np.argmax(hit)) :] = True
    return flags


@dataclass(frozen=True)
class MtdSelection:
    """Selected MTD (0-based, None = no dose selected) and the per-dose estimate table.

    ``table`` columns: dose (0-based), n, y, eliminated, admissible, raw_estimate (Beta(0.05,0.05)
    posterior mean), isotonic_estimate (PAVA over treated doses), ci_low / ci_high (95%
    equal-tailed Beta(y+0.05, n-y+0.05) interval), p_over_target (PAVA of P(p > target)).

    Attributes
    ----------
    mtd : int or None
        0-based index of the selected dose; None when no dose is selected.
    target : float
        Target DLT probability.
    table : pandas.DataFrame
        One row per dose with the columns above.
    method : str
        The selection method in words.
    reason : str
        Why this dose (or none) was selected, with its citation.

    Examples
    --------
    >>> sel = select_mtd([3, 6, 3], [0, 1, 2], 0.3)
    >>> sel.mtd, sel.method
    (1, 'isotonic regression (BOIN select.mtd)')
    """

    mtd: int | None
    target: float
    table: pd.DataFrame
    method: str
    reason: str


def select_mtd(
    n: np.ndarray | list[int] | tuple[int, ...],
    y: np.ndarray | list[int] | tuple[int, ...],
    target: float,
    *,
    eliminated: tuple[int, ...] | list[int] = (),
    cutoff: float = 0.95,
    extrasafe: bool = False,
    offset: float = 0.05,
    bound_mtd: bool = False,
    phi2: float | None = None,
    confidence_level: float = 0.95,
    prior: float = PRIOR_A,
) -> MtdSelection:
    """MTD by isotonic regression (BOIN 2.7.2 ``select.mtd``).

    ``eliminated`` (0-based doses eliminated during conduct) is merged with the doses eliminated
    by the data. ``bound_mtd``: only doses with isotonic estimate <= lambda_d are eligible.
    ``prior``: a of the Beta(a, a) prior of the raw estimates and their weights (BOIN
    ``select.mtd`` 0.05; TITEgBOIN ``select_mtd_TITE_QuasiBOIN`` 0.005); the credible intervals
    and P(p > target) use Beta(0.05, 0.05) in both packages.

    Parameters
    ----------
    n, y : sequence of int
        Patients treated and DLTs observed per dose, in dose order (0 <= y <= n).
    target : float
        Target DLT probability.
    eliminated : sequence of int, default ()
        0-based doses eliminated during conduct.
    cutoff, extrasafe, offset : float, bool, float
        Overdose elimination rule, as :func:`elimination_flags`.
    bound_mtd : bool, default False
        Only doses with isotonic estimate <= lambda_d are eligible (BOIN ``boundMTD``).
    phi2 : float, optional
        Lowest overly toxic DLT probability for lambda_d (default 1.4 x target).
    confidence_level : float, default 0.95
        Level of the equal-tailed credible intervals in ``table``.
    prior : float, default 0.05
        a of the Beta(a, a) prior of the raw estimates.

    Returns
    -------
    MtdSelection
        The selected 0-based dose (or None) and the per-dose estimate table.

    Raises
    ------
    InputError
        When counts are invalid or an eliminated index is outside the doses.

    References
    ----------
    Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials. J R Stat Soc
    Ser C 2015;64:507-523.

    Examples
    --------
    The BOIN package's ``select.mtd`` help example (n = 3, 3, 15, 9, 0; y = 0, 0, 4, 4, 0)
    selects dose level 3, i.e. 0-based index 2:

    >>> sel = select_mtd([3, 3, 15, 9, 0], [0, 0, 4, 4, 0], target=0.3)
    >>> sel.mtd
    2
    """
    n_arr, y_arr = _counts(n, y, target)
    k = n_arr.size
    elim = elimination_flags(n_arr, y_arr, target, cutoff, 3, extrasafe, offset)
    for e in eliminated:
        if not 0 <= int(e) < k:
            raise InputError(f"select_mtd: eliminated dose {e} outside 0..{k - 1}")
        elim[int(e) :] = True  # doses above an eliminated dose are eliminated too (Liu & Yuan 2015)
    adm = (n_arr > 0) & ~elim
    if not 0 < prior <= 1:
        raise InputError(f"select_mtd: prior must be in (0, 1], but was {prior!r}")
    table, raw, var = _estimates(n_arr, y_arr, elim, adm, target, confidence_level, prior)
    method = "isotonic regression (BOIN select.mtd)"
    if elim[0]:
        mtd, reason = None, "dose 1 eliminated (P(p > target) > cutoff): no MTD (Liu & Yuan 2015)"
    elif not adm.any():
        mtd, reason = None, "no admissible dose was tried: no MTD (BOIN, Liu & Yuan 2015)"
    else:
        mtd, reason = _closest(raw, var, adm, target, bound_mtd, phi2)
    return MtdSelection(mtd, target, table, method, reason)


def _counts(n: Any, y: Any, target: float) -> tuple[np.ndarray, np.ndarray]:
    """n and y as equal-length int arrays with 0 <= y <= n, and a target in (0, 1)."""
    n_arr = np.asarray(n, dtype=np.int64)
    y_arr = np.asarray(y, dtype=np.int64)
    if n_arr.ndim != 1 or n_arr.shape != y_arr.shape or n_arr.size == 0:
        raise InputError(f"select_mtd: n and y must be equal-length 1-d, got {n_arr}, {y_arr}")
    if np.any(n_arr < 0) or np.any(y_arr < 0) or np.any(y_arr > n_arr):
        raise InputError(f"select_mtd: need 0 <= y <= n per dose, got n={n_arr}, y={y_arr}")
    if not 0 < target < 1:
        raise InputError(f"select_mtd: target must be in (0, 1), but was {target!r}")
    return n_arr, y_arr


def _estimates(n_arr: np.ndarray, y_arr: np.ndarray, elim: np.ndarray, adm: np.ndarray,
               target: float, confidence_level: float, prior: float
               ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """(the per-dose table of :class:`MtdSelection`, raw estimates, their variances)."""
    k = n_arr.size
    treated = n_arr > 0
    raw = (y_arr + prior) / (n_arr + 2 * prior)
    var = (y_arr + prior) * (n_arr - y_arr + prior) / ((n_arr + 2 * prior) ** 2
                                                      * (n_arr + 2 * prior + 1))
    # Beta quantiles and survival function as scipy.special's inverse / complementary regularised
    # incomplete beta (equal to scipy.stats.beta.ppf / .sf bit for bit; scipy.stats costs seconds)
    from scipy.special import betaincc, betaincinv  # here: only a selection needs them
    alpha = (1 - confidence_level) / 2
    a_post, b_post = y_arr + PRIOR_A, n_arr - y_arr + PRIOR_B
    lo = betaincinv(a_post, b_post, alpha)
    hi = betaincinv(a_post, b_post, 1 - alpha)
    p_over = betaincc(a_post, b_post, target)

    iso_all = np.full(k, np.nan)
    pov_all = np.full(k, np.nan)
    if treated.any():
        iso_all[treated] = pava(raw[treated], 1 / var[treated])
        pov_all[treated] = pava(p_over[treated])
    for arr in (raw, lo, hi):
        arr[~treated] = np.nan

    import pandas as pd  # here: the table-driven designs import this module, their tables not

    table = pd.DataFrame(
        {
            "dose": np.arange(k),
            "n": n_arr,
            "y": y_arr,
            "eliminated": elim,
            "admissible": adm,
            "raw_estimate": raw,
            "isotonic_estimate": iso_all,
            "ci_low": lo,
            "ci_high": hi,
            "p_over_target": pov_all,
        }
    )
    return table, raw, var


def _closest(raw: np.ndarray, var: np.ndarray, adm: np.ndarray, target: float, bound_mtd: bool,
             phi2: float | None) -> tuple[int | None, str]:
    """(MTD, reason): the admissible dose whose isotonic estimate is closest to the target."""
    idx = np.nonzero(adm)[0]
    iso = pava(raw[adm], 1 / var[adm])
    iso_t = iso + np.arange(1, idx.size + 1) * 1e-10  # tie rule of select.mtd
    if bound_mtd:
        lam_d = boin_boundaries(target, phi2=phi2).lambda_d
        keep = iso_t <= lam_d
        if not keep.any():
            return None, f"all admissible isotonic estimates exceed lambda_d={lam_d:.4f} (boundMTD)"
        idx, iso_t = idx[keep], iso_t[keep]
    sel = int(np.argmin(np.abs(iso_t - target)))
    mtd = int(idx[sel])
    return mtd, (
        f"isotonic estimate {iso_t[sel]:.3f} at dose {mtd + 1} is closest to the target "
        f"{target} among admissible doses (isotonic, Liu & Yuan 2015)"
    )
