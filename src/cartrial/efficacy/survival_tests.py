"""Log-rank and stratified log-rank tests of survival curves between groups (e.g. dose levels).

The chi-square statistic and p-value come from statsmodels ``duration.survdiff`` (Mantel 1966;
Peto & Peto 1972; stratified: observed minus expected and its variance summed over strata, as R
``survival::survdiff(... + strata(s))``). statsmodels returns only the statistic and p-value, so
the per-group observed and expected numbers of events that a report tabulates (R ``survdiff``
``obs`` / ``exp``) are computed here from the risk sets. Checked against R survival 3.5-3
(``validation/r/survival_reference.R``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import survdiff

from cartrial.efficacy.survival_data import (
    DAYS_PER_MONTH,
    labels,
    months_and_events,
    ordered_levels,
)
from cartrial.errors import InputError


@dataclass(frozen=True)
class LogrankResult:
    """A log-rank test (made by :func:`logrank_test`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per group: group, n, observed, expected (events, summed over strata).
    statistic : float
        Chi-square statistic, with ``df`` = groups - 1 degrees of freedom.
    df : int
        Degrees of freedom.
    p_value : float
        Upper-tail chi-square p-value.
    stratified : bool
        Whether strata were given.
    days_per_month : float
        Stated time unit (the test does not depend on it).
    method : str
        One-sentence description for report footnotes.

    References
    ----------
    Freireich EJ, et al. Blood 1963;21:699-716 (the 6-MP vs placebo data below: chi-square
    16.79 on 1 df, observed 9 and 21, expected 19.25 and 10.75, as published analyses give).

    Examples
    --------
    >>> t = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35,
    ...      1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
    >>> e = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0] + [1] * 21
    >>> g = ["6-MP"] * 21 + ["placebo"] * 21
    >>> r = logrank_test(t, e, g)
    >>> round(r.statistic, 2), r.df, r.table["expected"].round(2).tolist()
    (16.79, 1, [19.25, 10.75])
    """

    table: pd.DataFrame
    statistic: float
    df: int
    p_value: float
    stratified: bool
    days_per_month: float
    method: str


def _observed_expected(
    t: np.ndarray, ev: np.ndarray, code: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Observed and expected events per group code (one stratum), from the risk sets."""
    times = np.unique(t[ev])
    at_risk = np.empty((k, times.size))
    for g in range(k):
        tg = np.sort(t[code == g])
        at_risk[g] = tg.size - np.searchsorted(tg, times, side="left")
    idx = np.searchsorted(times, t[ev])
    d = np.zeros((k, times.size))
    np.add.at(d, (code[ev], idx), 1.0)
    n_total = at_risk.sum(axis=0)
    expected = (at_risk * (d.sum(axis=0) / n_total)).sum(axis=1)
    return d.sum(axis=1), expected


def _chisq(
    t: np.ndarray, ev: np.ndarray, code: np.ndarray, s: np.ndarray | None, levels: list, exp
) -> tuple[float, float]:
    """statsmodels survdiff; a singular variance (a group never at risk) is an InputError."""
    try:
        return survdiff(t, ev.astype(float), code, strata=None if s is None else s.astype(str))
    except np.linalg.LinAlgError:
        empty = [lv for lv, e in zip(levels, exp, strict=True) if e == 0.0]
        raise InputError(
            f"the log-rank variance is singular: group(s) {empty or levels} have no one at risk "
            "at any event time (within strata), so they cannot be compared"
        ) from None


def logrank_test(
    time_days: Sequence[float] | np.ndarray | pd.Series,
    event: Sequence[bool] | np.ndarray | pd.Series,
    group: Sequence[object] | np.ndarray | pd.Series,
    strata: Sequence[object] | np.ndarray | pd.Series | None = None,
    days_per_month: float = DAYS_PER_MONTH,
    order: Sequence[object] | None = None,
    ids: Sequence[object] | None = None,
) -> LogrankResult:
    """Log-rank test (stratified when ``strata`` is given) of equal survival across groups.

    Parameters
    ----------
    time_days : array_like
        Days to event or censoring (>= 0).
    event : array_like
        True / 1 = event, False / 0 = censored.
    group : array_like
        Group label per subject (e.g. dose level); at least two groups.
    strata : array_like, optional
        Stratum label per subject; the test then compares groups within strata.
    days_per_month : float
        Stated in the result (the test does not depend on the time unit).
    order : sequence, optional
        Order of the groups in the table (default: sorted).
    ids : sequence, optional
        Subject identifiers, named in error messages.

    Returns
    -------
    LogrankResult
        Per-group observed and expected events, chi-square, degrees of freedom, p-value.

    Raises
    ------
    InputError
        Invalid times or events, a missing label, fewer than two groups, or no event.

    References
    ----------
    Mantel N. Cancer Chemotherapy Reports 1966;50:163-170. Peto R, Peto J. J R Stat Soc A
    1972;135:185-207. R survival ``survdiff`` (Therneau, survival 3.5-3).

    Examples
    --------
    >>> r = logrank_test([5, 8, 12, 20, 7, 30, 40, 45], [1, 1, 1, 0, 1, 0, 1, 0],
    ...                  ["a"] * 4 + ["b"] * 4)
    >>> r.table["observed"].tolist()
    [3.0, 2.0]
    """
    t, ev = months_and_events(time_days, event, days_per_month)
    g = labels(group, t.size, "group", ids)
    levels = ordered_levels(g, order)
    if len(levels) < 2:
        raise InputError(f"the log-rank test needs at least two groups, got {levels}")
    if not ev.any():
        raise InputError("the log-rank test needs at least one event, got none")
    code = np.asarray(pd.Categorical(g, categories=levels).codes)
    s = None if strata is None else labels(strata, t.size, "strata", ids)
    obs, exp = np.zeros(len(levels)), np.zeros(len(levels))
    for st in [None] if s is None else ordered_levels(s):
        m = np.ones(t.size, bool) if st is None else s == st
        o, e = _observed_expected(t[m], ev[m], code[m], len(levels))
        obs, exp = obs + o, exp + e
    chisq, p = _chisq(t, ev, code, s, levels, exp)
    n = np.bincount(code, minlength=len(levels))
    kind = "stratified log-rank" if s is not None else "log-rank"
    return LogrankResult(
        table=pd.DataFrame({"group": levels, "n": n, "observed": obs, "expected": exp}),
        statistic=float(chisq),
        df=len(levels) - 1,
        p_value=float(p),
        stratified=s is not None,
        days_per_month=float(days_per_month),
        method=f"{kind} test (statsmodels survdiff; R survival survdiff); chi-square with "
        f"{len(levels) - 1} df; times in months of {days_per_month:g} days",
    )
