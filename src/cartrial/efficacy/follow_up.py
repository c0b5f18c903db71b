"""Median follow-up by the reverse Kaplan-Meier method (Schemper & Smith 1996).

The censoring indicator is reversed (censored = "event", event = censored) and the median of
that Kaplan-Meier curve is the median potential follow-up: unlike the median of observed times
it is not shortened by early events. Same estimator and CI as
:func:`cartrial.efficacy.km.kaplan_meier` (R: ``survfit(Surv(t, 1 - status) ~ 1)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartrial.efficacy.km import CiTransform, KmResult, kaplan_meier
from cartrial.efficacy.survival_data import DAYS_PER_MONTH, months_and_events


@dataclass(frozen=True)
class FollowUp:
    """Median follow-up in months with its CI (NaN = not reached) and the reverse KM fit.

    Attributes
    ----------
    median, ci_low, ci_high : float
        Median follow-up and its Brookmeyer-Crowley limits, months; NaN = not reached.
    n, n_censored : int
        Subjects, and censored subjects (the events of the reverse curve).
    fit : KmResult
        The reverse Kaplan-Meier curve (times in months).
    days_per_month : float
        Days in a month used to convert the input days.
    method : str
        One-sentence description for report footnotes.

    Examples
    --------
    >>> f = median_follow_up([3, 6, 9, 12], [1, 0, 0, 0], days_per_month=1.0)
    >>> f.median, f.ci_low, f.n, f.n_censored
    (9.0, 6.0, 4, 3)
    """

    median: float
    ci_low: float
    ci_high: float
    n: int
    n_censored: int
    fit: KmResult
    days_per_month: float
    method: str


def median_follow_up(
    time_days: Sequence[float] | np.ndarray | pd.Series,
    event: Sequence[bool] | np.ndarray | pd.Series,
    confidence_level: float = 0.95,
    ci_transform: CiTransform = "log-log",
    days_per_month: float = DAYS_PER_MONTH,
) -> FollowUp:
    """Median follow-up by reverse Kaplan-Meier, with its Brookmeyer-Crowley CI.

    Parameters
    ----------
    time_days : array_like
        Days to event or censoring (>= 0), e.g. OS times.
    event : array_like
        True / 1 = event (e.g. death), False / 0 = censored (alive at last contact).
    confidence_level : float
        Level of the CI.
    ci_transform : {"log-log", "log", "plain"}
        Scale of the pointwise bands.
    days_per_month : float
        Days in a month; the result is in months.

    Returns
    -------
    FollowUp
        Median, CI, number of subjects and of censored subjects (the reverse curve's events).

    Raises
    ------
    InputError
        Invalid times or events.

    References
    ----------
    Schemper M, Smith TL. Controlled Clinical Trials 1996;17:343-346.

    Examples
    --------
    >>> median_follow_up([3, 6, 9, 12], [1, 0, 0, 0], days_per_month=1.0).median
    9.0
    """
    t, ev = months_and_events(time_days, event, days_per_month)
    km = kaplan_meier(t, ~ev, confidence_level, ci_transform)
    return FollowUp(
        median=km.median,
        ci_low=km.median_ci[0],
        ci_high=km.median_ci[1],
        n=km.n,
        n_censored=km.n_events,
        fit=km,
        days_per_month=float(days_per_month),
        method=f"reverse Kaplan-Meier (Schemper & Smith 1996); {km.method}; months of "
        f"{days_per_month:g} days",
    )
