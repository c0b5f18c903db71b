"""Cumulative incidence with competing risks (Aalen-Johansen), e.g. relapse vs non-relapse death.

The estimate and its standard error come from statsmodels ``CumIncidenceRight``: at each time
with events, the incidence of cause k grows by S(t-) d_k(t) / n(t), all events at a tied time
taken together (Aalen & Johansen, Scand J Stat 1978; Kalbfleisch & Prentice 2002 section 8.2);
the standard errors equal R ``survfit``'s for a multi-state status (checked against R survival
3.5-3, ``validation/r/survival_reference.R``). statsmodels gives no confidence interval: it is
computed here on the log scale as R's default (``survfit_confint``, ``conf.type = "log"``):
F exp(+- z se / F), upper limit capped at 1, none where F = 0. A naive 1 - Kaplan-Meier that
censors the competing event overestimates the incidence; this is the estimator to use instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.duration.survfunc import CumIncidenceRight

from cartrial.efficacy.survival_data import DAYS_PER_MONTH, months_and_events
from cartrial.errors import InputError

CUMINC_COLUMNS = ("cause", "time", "n_risk", "n_event", "cuminc", "std_err", "ci_low", "ci_high")


@dataclass(frozen=True)
class CumIncResult:
    """Cumulative incidence per cause (made by :func:`cumulative_incidence`).

    Attributes
    ----------
    table : pandas.DataFrame
        :data:`CUMINC_COLUMNS` (cause, time, n_risk, n_event, cuminc, std_err, ci_low,
        ci_high), one row per cause and time with an event of any cause (time in months).
    causes : tuple of str
        Cause labels, in code order.
    n : int
        Subjects.
    confidence_level, days_per_month : float
        Coverage of the CIs; days in a month used for the times.
    method : str
        One-sentence description for report footnotes.

    Examples
    --------
    Hand check: relapse 1/5 = 0.2 at 2; at 6, 0.2 + S(6-) x 1/2 = 0.2 + 0.6 x 0.5 = 0.5.

    >>> ci = cumulative_incidence([2, 4, 4, 6, 8], [1, 2, 0, 1, 0],
    ...                           {1: "relapse", 2: "death"}, days_per_month=1.0)
    >>> ci.causes, ci.table.query("cause == 'relapse'")["cuminc"].round(3).tolist()
    (('relapse', 'death'), [0.2, 0.2, 0.5, 0.5])
    """

    table: pd.DataFrame
    causes: tuple[str, ...]
    n: int
    confidence_level: float
    days_per_month: float
    method: str


def _cause_codes(cause: object, n: int, cause_labels: Mapping[int, str] | None) -> np.ndarray:
    c = np.asarray(cause, dtype=float)
    if c.shape != (n,):
        raise InputError(f"cause must have one code per time ({n}), got shape {c.shape}")
    bad = ~np.isfinite(c) | (c < 0) | (c != np.round(c))
    if bad.any():
        raise InputError(
            "cause must be 0 (censored) or a positive integer code, found "
            f"{c[bad][:5].tolist()} at position(s) {np.flatnonzero(bad)[:5].tolist()}"
        )
    codes = c.astype(int)
    if cause_labels is not None:
        unknown = sorted(set(codes[codes > 0].tolist()) - set(cause_labels))
        if unknown:
            raise InputError(f"cause codes {unknown} have no label in {dict(cause_labels)}")
    return codes


def _cause_frame(
    fit: CumIncidenceRight, k: int, codes: np.ndarray, t: np.ndarray, n_risk: np.ndarray, z: float
) -> pd.DataFrame:
    """One cause's rows: events, incidence, SE and the log-scale CI (none where F = 0)."""
    times = np.asarray(fit.times, dtype=float)
    if k <= codes.max():
        f, se = np.asarray(fit.cinc[k - 1]), np.asarray(fit.cinc_se[k - 1])
    else:  # a labelled cause that never occurs: incidence 0
        f, se = np.zeros(times.size), np.zeros(times.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = np.where(f > 0, z * se / f, np.nan)
    d = np.searchsorted(times, t[codes == k])
    return pd.DataFrame(
        {
            "time": times,
            "n_risk": n_risk,
            "n_event": np.bincount(d, minlength=times.size),
            "cuminc": f,
            "std_err": se,
            "ci_low": f * np.exp(-half),
            "ci_high": np.minimum(f * np.exp(half), 1.0),
        }
    )


def cumulative_incidence(
    time_days: Sequence[float] | np.ndarray | pd.Series,
    cause: Sequence[int] | np.ndarray | pd.Series,
    cause_labels: Mapping[int, str] | None = None,
    confidence_level: float = 0.95,
    days_per_month: float = DAYS_PER_MONTH,
) -> CumIncResult:
    """Aalen-Johansen cumulative incidence of each cause with standard errors and log-scale CIs.

    Parameters
    ----------
    time_days : array_like
        Days to the first event or censoring (>= 0).
    cause : array_like of int
        0 = censored, 1..k = the cause of the event.
    cause_labels : mapping, optional
        Code -> label (default: the code as text). Every code present needs a label; a
        labelled cause that does not occur is reported with incidence 0.
    confidence_level : float
        Level of the pointwise CIs.
    days_per_month : float
        Days in a month; times are reported in months.

    Returns
    -------
    CumIncResult
        One row per cause and event time.

    Raises
    ------
    InputError
        Invalid times or codes, an unlabelled code, or no event of any cause.

    References
    ----------
    Aalen OO, Johansen S. Scand J Stat 1978;5:141-150. R survival ``survfit`` with a factor
    status (Therneau, survival 3.5-3).

    Examples
    --------
    >>> r = cumulative_incidence([10, 20, 20, 40], [1, 2, 0, 1], {1: "relapse", 2: "NRM"})
    >>> r.table.groupby("cause")["cuminc"].max().round(3).to_dict()
    {'NRM': 0.25, 'relapse': 0.75}
    """
    if not 0.0 < confidence_level < 1.0:
        raise InputError(f"confidence_level must be in (0, 1), got {confidence_level!r}")
    t, _ = months_and_events(time_days, np.zeros(np.size(time_days), bool), days_per_month)
    codes = _cause_codes(cause, t.size, cause_labels)
    if not (codes > 0).any():
        raise InputError("cumulative incidence needs at least one event, got none")
    with np.errstate(divide="ignore", invalid="ignore"):  # n = d at the last time
        fit = CumIncidenceRight(t, codes)
    times = np.asarray(fit.times, dtype=float)
    st = np.sort(t)
    n_risk = st.size - np.searchsorted(st, times, side="left")
    z = float(norm.ppf(0.5 + confidence_level / 2.0))
    frames, names = [], []
    wanted = sorted(cause_labels) if cause_labels is not None else range(1, codes.max() + 1)
    for k in wanted:
        if cause_labels is None and not (codes == k).any():
            continue  # an unlabelled code that does not occur is no cause
        name = cause_labels[k] if cause_labels is not None else str(k)
        frames.append(_cause_frame(fit, k, codes, t, n_risk, z).assign(cause=name))
        names.append(name)
    return CumIncResult(
        table=pd.concat(frames, ignore_index=True).reindex(columns=list(CUMINC_COLUMNS)),
        causes=tuple(names),
        n=int(t.size),
        confidence_level=confidence_level,
        days_per_month=float(days_per_month),
        method=f"Aalen-Johansen cumulative incidence (statsmodels CumIncidenceRight; R survfit "
        f"multi-state); {confidence_level:.0%} CI on the log scale; months of "
        f"{days_per_month:g} days",
    )
