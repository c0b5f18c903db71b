"""Kaplan-Meier curves of several groups (dose levels, strata) in one call.

Each group is fitted by :func:`cartrial.efficacy.km.kaplan_meier` (R ``survfit(Surv(t, e) ~ g)``
fits the groups separately in the same way); times are converted from days to months once, with
the ``days_per_month`` stated in the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartrial.efficacy.km import CiTransform, KmResult, kaplan_meier
from cartrial.efficacy.survival_data import (
    DAYS_PER_MONTH,
    labels,
    months_and_events,
    ordered_levels,
)


@dataclass(frozen=True)
class KmByGroup:
    """Kaplan-Meier fits by group (made by :func:`km_by_group`).

    Attributes
    ----------
    table : pandas.DataFrame
        The fits' tables stacked with a leading ``group`` column (times in months).
    summary : pandas.DataFrame
        One row per group: group, n, events, median, ci_low, ci_high (NaN = not reached).
    fits : dict
        Group label -> its :class:`KmResult`.
    confidence_level, ci_transform : float, {"log-log", "log", "plain"}
        Coverage and scale of the bands and median CIs.
    days_per_month : float
        Days in a month used to convert the input days.
    method : str
        One-sentence description for report footnotes.

    Examples
    --------
    The data of Freireich EJ, et al. Blood 1963;21:699-716: medians 23 and 8 weeks.

    >>> t = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35,
    ...      1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
    >>> e = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0] + [1] * 21
    >>> g = ["6-MP"] * 21 + ["placebo"] * 21
    >>> k = km_by_group(t, e, g, days_per_month=1.0)
    >>> k.summary
         group   n  events  median  ci_low  ci_high
    0     6-MP  21       9    23.0   13.0    NaN
    1  placebo  21      21     8.0    4.0   11.0
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    fits: dict[object, KmResult]
    confidence_level: float
    ci_transform: CiTransform
    days_per_month: float
    method: str


def km_by_group(
    time_days: Sequence[float] | np.ndarray | pd.Series,
    event: Sequence[bool] | np.ndarray | pd.Series,
    group: Sequence[object] | np.ndarray | pd.Series,
    confidence_level: float = 0.95,
    ci_transform: CiTransform = "log-log",
    days_per_month: float = DAYS_PER_MONTH,
    order: Sequence[object] | None = None,
    ids: Sequence[object] | None = None,
) -> KmByGroup:
    """Kaplan-Meier estimate, median and Brookmeyer-Crowley CI for every group at once.

    Parameters
    ----------
    time_days : array_like
        Days to event or censoring (>= 0).
    event : array_like
        True / 1 = event, False / 0 = censored.
    group : array_like
        Group label per subject (dose level, stratum).
    confidence_level : float
        Level of the pointwise bands and of the median's CI.
    ci_transform : {"log-log", "log", "plain"}
        Scale of the pointwise bands (R ``conf.type``).
    days_per_month : float
        Days in a month; times are reported in months.
    order : sequence, optional
        Group order (default: sorted labels).
    ids : sequence, optional
        Subject identifiers, named in error messages.

    Returns
    -------
    KmByGroup
        Stacked tables, one summary row per group, and the fits.

    Raises
    ------
    InputError
        Invalid times or events, or a missing group label.

    References
    ----------
    Kaplan EL, Meier P. JASA 1958;53:457-481. Brookmeyer R, Crowley J. Biometrics
    1982;38:29-41. R survival ``survfit`` (Therneau, survival 3.5-3).

    Examples
    --------
    >>> r = km_by_group([5, 8, 12, 20, 7, 30, 40, 45], [1, 1, 1, 0, 1, 0, 1, 0],
    ...                 ["a"] * 4 + ["b"] * 4, days_per_month=1.0)
    >>> r.summary["median"].tolist()
    [10.0, 40.0]
    """
    t, ev = months_and_events(time_days, event, days_per_month)
    g = labels(group, t.size, "group", ids)
    fits, tables, rows = {}, [], []
    for lev in ordered_levels(g, order):
        m = g == lev
        km = kaplan_meier(t[m], ev[m], confidence_level, ci_transform)
        fits[lev] = km
        tables.append(km.table.assign(group=lev))
        lo, hi = km.median_ci
        rows.append(
            dict(group=lev, n=km.n, events=km.n_events, median=km.median, ci_low=lo, ci_high=hi)
        )
    table = pd.concat(tables, ignore_index=True)
    table = table[["group", *[c for c in table.columns if c != "group"]]]
    first = next(iter(fits.values()))
    return KmByGroup(
        table=table,
        summary=pd.DataFrame(rows),
        fits=fits,
        confidence_level=confidence_level,
        ci_transform=ci_transform,
        days_per_month=float(days_per_month),
        method=f"{first.method}; by group; months of {days_per_month:g} days",
    )
