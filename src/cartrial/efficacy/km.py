"""Kaplan-Meier estimator, median with Brookmeyer-Crowley CI, landmarks and numbers at risk.

Kaplan EL, Meier P, J Am Stat Assoc 1958;53:457-81: S(t) = prod(1 - d/n) over event times <= t,
Greenwood variance, pointwise bands on the plain, log or log-log scale (R survival
``survfit_confint``; no band where S = 0, as R, so a limit the band never reaches before the
curve hits 0 is "not reached"). The median and its CI (Brookmeyer & Crowley, Biometrics 1982)
are those R ``print.survfit`` prints (``survmean``: first time the curve, or its lower / upper
band, is <= 0.5; midpoint when the curve is exactly 0.5 on a flat segment that later drops);
:func:`km_quantile` follows R ``quantile.survfit`` (``findq``: also the midpoint of a flat at the
curve's end, and for a band that is not monotone the point whose value is nearest above the
target). Both are tested against R's output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import ndtri  # the normal quantile, as scipy.stats.norm.ppf, bit for bit

from cartrial.errors import InputError

CiTransform = Literal["log-log", "log", "plain"]
_TRANSFORMS = ("log-log", "log", "plain")
_TOL = float(np.sqrt(np.finfo(float).eps))  # R: sqrt(.Machine$double.eps)


@dataclass(frozen=True)
class KmResult:
    """A fitted Kaplan-Meier curve (made by :func:`kaplan_meier`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per distinct observed time: time, n_risk, n_event, n_censor, surv, std_err
        (Greenwood standard error of S, as R's ``summary.survfit`` prints it; NaN where S = 0),
        std_err_log (standard error of log S, R's ``survfit()$std.err``), ci_low, ci_high
        (pointwise band; NaN where S = 0, as R ``survfit_confint``).
    n, n_events : int
        Number of patients, of events.
    median : float
        Median time to event, in the unit of the input times; NaN when not reached.
    median_ci : tuple of float
        Brookmeyer-Crowley (lower, upper) limits of the median; NaN means "not reached".
    confidence_level, ci_transform : float, {"log-log", "log", "plain"}
        Coverage and scale of the pointwise band and of ``median_ci``.
    method : str
        One-sentence description of the estimator, for report footnotes.

    Examples
    --------
    >>> km = kaplan_meier([2, 3, 3, 5], [True, True, False, True])
    >>> km.n, km.n_events, km.median  # S = 0.5 on [3, 5): R's midpoint rule
    (4, 3, 4.0)
    """

    table: pd.DataFrame
    n: int
    n_events: int
    median: float
    median_ci: tuple[float, float]
    confidence_level: float
    ci_transform: CiTransform
    method: str


def _check_inputs(time: object, event: object) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(time, dtype=float)
    e = np.asarray(event)
    if t.ndim != 1 or e.ndim != 1 or t.shape != e.shape:
        raise InputError(
            f"time and event must be 1-D and of equal length, got shapes {t.shape} and {e.shape}"
        )
    if t.size == 0:
        raise InputError("kaplan_meier needs at least one observation, got none")
    if np.isnan(t).any():
        raise InputError(f"time has {int(np.isnan(t).sum())} missing value(s); drop or impute them")
    if (t < 0).any():
        raise InputError(f"time must be >= 0, found {t[t < 0][:5].tolist()}")
    if e.dtype == bool:
        ev = e
    else:
        ev_f = np.asarray(e, dtype=float)
        bad = ~np.isin(ev_f, (0.0, 1.0))
        if bad.any():
            raise InputError(
                f"event must be True/False or 1/0 (1 = event; never pass ADaM CNSR), "
                f"found {ev_f[bad][:5].tolist()}"
            )
        ev = ev_f == 1.0
    return t, ev


def _bands(
    surv: np.ndarray, se_log: np.ndarray, z: float, transform: str
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise confidence band for S(t) (R survival ``survfit_confint``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if transform == "plain":
            half = z * se_log * surv
            lower = np.clip(surv - half, 0.0, 1.0)
            upper = np.clip(surv + half, 0.0, 1.0)
        elif transform == "log":
            lower = surv * np.exp(-z * se_log)
            upper = np.minimum(surv * np.exp(z * se_log), 1.0)
        else:  # log-log
            ll = np.log(-np.log(surv))
            # log S < 0, so adding z * se / log S lowers log(-log S) and raises S
            upper = np.exp(-np.exp(ll + z * se_log / np.log(surv)))
            lower = np.exp(-np.exp(ll - z * se_log / np.log(surv)))
            one = surv >= 1.0
            lower = np.where(one, 1.0, lower)
            upper = np.where(one, 1.0, upper)
    # R: no band where S = 0 (Greenwood's SE is infinite there; NA, not [0, 0])
    zero = surv <= 0.0
    lower = np.where(zero, np.nan, lower)
    upper = np.where(zero, np.nan, upper)
    return lower, upper


def _print_rule(times: np.ndarray, y: np.ndarray, p: float = 0.5) -> float:
    """R ``print.survfit`` (``survmean``'s ``minmin``): first time y < p + tol, missing points
    skipped; if y is p there (within tol) and later drops below it, the midpoint with the first
    such time. NaN when never reached."""
    keep = ~np.isnan(y) & (y < p + _TOL)
    if not keep.any():
        return float("nan")
    x, yk = times[keep], y[keep]
    lower = yk < yk[0]
    if abs(yk[0] - p) < _TOL and lower.any():
        return float((x[0] + x[np.argmax(lower)]) / 2.0)
    return float(x[0])


def _findq(times: np.ndarray, y: np.ndarray, p: float) -> float:
    """R ``quantile.survfit`` (``findq``): time where the curve ``y`` drops to ``p``.

    First time with y <= p; the midpoint of a flat segment at exactly p (with the curve's last
    time when the flat is the curve's end); NaN when not reached. Missing points (a band where
    S = 0) are skipped as R's ``approx`` skips them, so a band that only ever reaches p at a
    missing point gives NaN ("not reached").
    """
    x = np.concatenate(([0.0], np.asarray(times, dtype=float)))
    q = np.concatenate(([0.0], 1.0 - np.asarray(y, dtype=float)))  # R works on 1 - S
    target = 1.0 - p
    # (R first returns NA when max(1 - S) < min(probs) without tolerance; with its default
    # probs c(0.25, 0.5, 0.75) that never applies to the median, so it is not copied here)
    xmax = x[-1]
    keep = ~pd.Series(q).duplicated().to_numpy()  # censor rows repeat the value
    x, q = x[keep], q[keep]

    def knot(shift: float) -> int | None:
        # R approx(q + shift, 1:n, target, "constant", f = 1) after sorting by q (a band need
        # not be monotone): the point with the smallest q + shift >= target; NaN skipped
        ok = np.flatnonzero(q + shift >= target)
        return int(ok[np.argmin(q[ok])]) if ok.size else None

    i1, i2 = knot(_TOL), knot(-_TOL)
    if i1 is not None and not np.isnan(q[-1]) and abs(target - q[-1]) < _TOL:
        return float((x[i1] + xmax) / 2.0)
    if i1 is None or i2 is None:
        return float("nan")
    return float((x[i1] + x[i2]) / 2.0)


def kaplan_meier(
    time: Sequence[float] | np.ndarray | pd.Series,
    event: Sequence[bool] | np.ndarray | pd.Series,
    confidence_level: float = 0.95,
    ci_transform: CiTransform = "log-log",
) -> KmResult:
    """Kaplan-Meier estimate with Greenwood bands and the median with its Brookmeyer-Crowley CI.

    Ties: events precede censorings at the same time (the usual convention; Kaplan & Meier
    1958).

    Parameters
    ----------
    time : sequence of float
        Time to event or censoring for each patient, >= 0, in any unit (days, months); no NaN.
    event : sequence of bool or {0, 1}
        True (1) for an event, False (0) for censored; never ADaM ``CNSR`` (use
        :func:`event_from_cnsr`).
    confidence_level : float, default 0.95
        Coverage of the pointwise band and of the median's CI, in (0, 1).
    ci_transform : {"log-log", "log", "plain"}, default "log-log"
        Scale of the pointwise band (R ``conf.type``).

    Returns
    -------
    KmResult
        The curve table, median and its CI.

    Raises
    ------
    InputError
        When time and event differ in length or are empty, a time is missing or negative, an
        event is not True/False/1/0, or confidence_level / ci_transform is out of range.

    References
    ----------
    Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat Assoc
    1958;53:457-81.
    Brookmeyer R, Crowley J. A confidence interval for the median survival time. Biometrics
    1982;38:29-41.
    Freireich EJ, et al. Blood 1963;21:699-716 (the 6-MP remission data of the example).

    Examples
    --------
    The 6-MP arm of Freireich et al. (1963), weeks of remission: S = 0.857, 0.807, 0.753 at
    6, 7, 10 weeks, median 23 weeks, as published.

    >>> t = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
    >>> e = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    >>> km = kaplan_meier(t, e)
    >>> km.table["surv"].round(3).tolist()[:4]
    [0.857, 0.807, 0.807, 0.753]
    >>> km.median, km.median_ci
    (23.0, (13.0, nan))
    """
    if ci_transform not in _TRANSFORMS:
        raise InputError(f"ci_transform must be one of {_TRANSFORMS}, got {ci_transform!r}")
    if not 0.0 < confidence_level < 1.0:
        raise InputError(f"confidence_level must be in (0, 1), got {confidence_level!r}")
    t, ev = _check_inputs(time, event)
    times, inverse = np.unique(t, return_inverse=True)
    n_event = np.bincount(inverse, weights=ev.astype(float), minlength=times.size)
    n_total = np.bincount(inverse, minlength=times.size).astype(float)
    n_censor = n_total - n_event
    n_risk = t.size - np.concatenate(([0.0], np.cumsum(n_total)[:-1]))
    surv = np.cumprod((n_risk - n_event) / n_risk)  # R survfitkm.c: km *= (n - d) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        inc = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
    se_log = np.sqrt(np.cumsum(inc))
    z = float(ndtri(0.5 + confidence_level / 2.0))
    lower, upper = _bands(surv, se_log, z, ci_transform)
    with np.errstate(invalid="ignore"):
        se_surv = surv * se_log  # 0 * inf = NaN where S = 0, as R's summary prints
    table = pd.DataFrame(
        {
            "time": times,
            "n_risk": n_risk.astype(int),
            "n_event": n_event.astype(int),
            "n_censor": n_censor.astype(int),
            "surv": surv,
            "std_err": se_surv,
            "std_err_log": se_log,
            "ci_low": lower,
            "ci_high": upper,
        }
    )
    median = _print_rule(times, surv)
    ci = (_print_rule(times, lower), _print_rule(times, upper))
    method = (
        f"Kaplan-Meier; Greenwood variance; {confidence_level:.0%} CI for the median by "
        f"Brookmeyer-Crowley with the {ci_transform} transform; median by R's rule "
        "(midpoint of a flat segment at 0.5)"
    )
    return KmResult(
        table=table,
        n=int(t.size),
        n_events=int(ev.sum()),
        median=median,
        median_ci=ci,
        confidence_level=confidence_level,
        ci_transform=ci_transform,
        method=method,
    )


def km_quantile(km: KmResult, p: float) -> tuple[float, float, float]:
    """Time by which a fraction ``p`` has had the event (S(t) <= 1 - p), with its CI.

    R ``quantile.survfit`` (Brookmeyer-Crowley limits from the pointwise band); it can differ
    from the printed median (``KmResult.median``) where R's two functions differ: a flat at
    exactly 1 - p at the curve's end, a band that is not monotone.

    Parameters
    ----------
    km : KmResult
        A curve from :func:`kaplan_meier`.
    p : float
        Fraction with the event, in (0, 1): 0.5 for the median, 0.25 for the first quartile.

    Returns
    -------
    tuple of float
        (estimate, lower, upper) in the unit of the curve's times; NaN = not reached.

    Raises
    ------
    InputError
        When ``p`` is outside (0, 1).

    References
    ----------
    Brookmeyer R, Crowley J. A confidence interval for the median survival time. Biometrics
    1982;38:29-41.

    Examples
    --------
    >>> # the 6-MP arm of Freireich et al. (Blood 1963;21:699-716)
    >>> t = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
    >>> e = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    >>> km = kaplan_meier(t, e)
    >>> km_quantile(km, 0.25)
    (13.0, 6.0, 22.0)
    """
    if not 0.0 < p < 1.0:
        raise InputError(f"p must be in (0, 1), got {p!r}")
    tb = km.table
    x = tb["time"].to_numpy()
    target = 1.0 - p
    return (
        _findq(x, tb["surv"].to_numpy(), target),
        _findq(x, tb["ci_low"].to_numpy(), target),
        _findq(x, tb["ci_high"].to_numpy(), target),
    )


def km_landmark(km: KmResult, times: Sequence[float] | np.ndarray) -> pd.DataFrame:
    """Survival and pointwise CI at landmark times (step function, right-continuous).

    Parameters
    ----------
    km : KmResult
        A curve from :func:`kaplan_meier`.
    times : sequence of float
        Landmark times, in the unit of the curve's times (e.g. 6 and 12 months).

    Returns
    -------
    pandas.DataFrame
        One row per landmark: time, n_risk, surv, ci_low, ci_high. A landmark after the last
        observed time is NaN (the curve is not estimable there).

    Examples
    --------
    >>> # the 6-MP arm of Freireich et al. (Blood 1963;21:699-716): S(12 weeks) = 0.753
    >>> t = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
    >>> e = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    >>> km = kaplan_meier(t, e)
    >>> km_landmark(km, [12, 40]).round(3)
       time  n_risk   surv  ci_low  ci_high
    0  12.0      12  0.753  0.503  0.889
    1  40.0       0    NaN    NaN    NaN
    """
    tl = np.asarray(times, dtype=float)
    tb = km.table
    x = tb["time"].to_numpy()
    idx = np.searchsorted(x, tl, side="right") - 1
    beyond = tl > x[-1]
    safe = np.clip(idx, 0, None)

    def pick(col: str, before: float) -> np.ndarray:
        v = np.where(idx >= 0, tb[col].to_numpy()[safe], before)
        return np.where(beyond, np.nan, v)

    return pd.DataFrame(
        {
            "time": tl,
            "n_risk": numbers_at_risk(km, tl)["n_risk"].to_numpy(),
            "surv": pick("surv", 1.0),
            "ci_low": pick("ci_low", 1.0),
            "ci_high": pick("ci_high", 1.0),
        }
    )


def numbers_at_risk(km: KmResult, times: Sequence[float] | np.ndarray) -> pd.DataFrame:
    """Patients still at risk (time >= t) at each time, as printed under a KM plot.

    Parameters
    ----------
    km : KmResult
        A curve from :func:`kaplan_meier`.
    times : sequence of float
        Times at which to count, in the unit of the curve's times.

    Returns
    -------
    pandas.DataFrame
        Columns time and n_risk (patients whose time is >= t).

    Examples
    --------
    >>> km = kaplan_meier([2, 3, 3, 5], [True, True, False, True])
    >>> numbers_at_risk(km, [0, 3, 6])["n_risk"].tolist()
    [4, 3, 0]
    """
    tl = np.asarray(times, dtype=float)
    tb = km.table
    x = tb["time"].to_numpy()
    # at risk at t = total minus everyone whose time is < t
    counts = tb["n_event"].to_numpy() + tb["n_censor"].to_numpy()
    before = np.concatenate(([0], np.cumsum(counts)))[np.searchsorted(x, tl, side="left")]
    return pd.DataFrame({"time": tl, "n_risk": (km.n - before).astype(int)})
