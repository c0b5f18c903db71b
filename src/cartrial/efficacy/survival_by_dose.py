"""Survival comparisons across dose levels for the efficacy tables.

From the ADTTE-shaped frame of :func:`cartrial.efficacy.derive_time_to_event` (AVAL in days,
CNSR, EVNTDESC): log-rank tests across dose levels and Cox hazard ratios against the first dose
level for PFS, OS and DOR; median follow-up by reverse Kaplan-Meier on OS; cumulative incidence
of progression and of death without progression (PFS events as competing risks) at the
protocol's landmark months. Every frame states the ``days_per_month`` that turned days into
months. What cannot be estimated (one dose level, no event, a level without events) is listed in
``notes`` rather than left out silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from cartrial.efficacy.adtte_columns import (
    PFS_CAUSES,
    follow_up_from_adtte,
    pfs_incidence_from_adtte,
)
from cartrial.efficacy.cox import cox_ph
from cartrial.efficacy.rates import OVERALL
from cartrial.efficacy.survival_tests import logrank_test
from cartrial.efficacy.time_to_event import event_from_cnsr
from cartrial.errors import InputError
from cartrial.protocol.model import EndpointSettings

COMPARED = ("PFS", "OS", "DOR")
__all__ = ["COMPARED", "PFS_CAUSES", "DoseComparisons", "dose_comparisons"]


@dataclass(frozen=True)
class DoseComparisons:
    """Tidy frames of the dose-level comparisons (each with a ``days_per_month`` column).

    Attributes
    ----------
    tests : pandas.DataFrame
        One log-rank test per endpoint: endpoint, test, groups, statistic, df, p_value, method.
    hazard_ratios : pandas.DataFrame
        Cox hazard ratios of each dose level against the reference (empty when not estimable).
    follow_up : pandas.DataFrame
        Reverse-KM median follow-up (months) by dose level and overall.
    cumulative_incidence : pandas.DataFrame
        Progression and death without progression by dose level, at the landmark months.
    notes : tuple of str
        What could not be estimated, and why (for report footnotes).
    days_per_month : float
        Days in a month used for the times.

    Examples
    --------
    Hand check: one death at day 30 with 2 + 2 at risk gives O - E = 0.5, V = 0.25, so the
    log-rank chi-square is 1.0; the Cox model is not estimable (monotone likelihood).

    >>> tte = pd.DataFrame({"USUBJID": list("abcd"), "PARAMCD": "OS", "AVAL": [30, 60, 90, 120],
    ...                     "CNSR": [0, 1, 0, 1], "EVNTDESC": ["Death", None, "Death", None]})
    >>> r = dose_comparisons(tte, pd.Series([1, 1, 2, 2], index=list("abcd")))
    >>> r.tests[["endpoint", "statistic", "df"]].to_numpy().tolist(), r.hazard_ratios.empty
    ([['OS', 1.0, 1]], True)
    """

    tests: pd.DataFrame
    hazard_ratios: pd.DataFrame
    follow_up: pd.DataFrame
    cumulative_incidence: pd.DataFrame
    notes: tuple[str, ...]
    days_per_month: float


def _compare(
    ep: str, f: pd.DataFrame, order: list, s: EndpointSettings, notes: list
) -> tuple[list, list]:
    t, ev, g = f["AVAL"], event_from_cnsr(f["CNSR"]), f["_grp"]
    tests, hrs = [], []
    try:
        lr = logrank_test(t, ev, g, days_per_month=s.days_per_month, order=order, ids=f["USUBJID"])
        tests.append(
            {
                "endpoint": ep,
                "test": "log-rank",
                "groups": len(lr.table),
                "statistic": lr.statistic,
                "df": lr.df,
                "p_value": lr.p_value,
                "method": lr.method,
            }
        )
    except InputError as err:
        notes.append(f"{ep} log-rank test across dose levels not computed: {err}")
        return tests, hrs
    present = [x for x in order if x in set(g)]
    x = pd.DataFrame({"dose_level": pd.Categorical(g, categories=present)})
    try:
        cx = cox_ph(t, ev, x, confidence_level=s.confidence_level, days_per_month=s.days_per_month)
    except InputError as err:
        notes.append(f"{ep} Cox hazard ratios by dose level not computed: {err}")
        return tests, hrs
    for row in cx.table.itertuples(index=False):
        hrs.append(
            {
                "endpoint": ep,
                "group": row.term.removeprefix("dose_level"),
                "reference": present[0],
                "hr": row.hr,
                "ci_low": row.ci_low,
                "ci_high": row.ci_high,
                "p_value": row.p_value,
                "method": cx.method,
            }
        )
    return tests, hrs


def _follow_up(os_: pd.DataFrame, order: list, s: EndpointSettings) -> list[dict]:
    rows = []
    for name, f in _by_group(os_, order) if len(os_) else []:
        r = follow_up_from_adtte(f["AVAL"], f["CNSR"], s)
        rows.append(
            {
                "endpoint": "OS",
                "group": name,
                "n": r.n,
                "median": r.median,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "method": r.method,
            }
        )
    return rows


def _incidence(pfs: pd.DataFrame, order: list, s: EndpointSettings, notes: list) -> list:
    frames = []
    for name, f in _by_group(pfs, order) if len(pfs) else []:
        got = pfs_incidence_from_adtte(f, s)
        if got is None:
            notes.append(f"PFS cumulative incidence for {name}: no event")
            continue
        lm, method = got
        lm.insert(0, "group", name)
        frames.append(lm.assign(method=method))
    return frames


def _by_group(f: pd.DataFrame, order: list) -> list[tuple[str, pd.DataFrame]]:
    present = [x for x in order if x in set(f["_grp"])]
    return [(str(x), f[f["_grp"] == x]) for x in present] + [(OVERALL, f)]


def dose_comparisons(
    tte: pd.DataFrame,
    groups: pd.Series,
    order: Sequence[object] | None = None,
    settings: EndpointSettings | None = None,
) -> DoseComparisons:
    """Log-rank tests, hazard ratios, median follow-up and cumulative incidence by dose level.

    Parameters
    ----------
    tte : pandas.DataFrame
        ADTTE-shaped rows (USUBJID, PARAMCD, AVAL in days, CNSR, EVNTDESC).
    groups : pandas.Series
        Dose level per USUBJID (index).
    order : sequence, optional
        The dose levels compared, in order (default: every label, sorted); the first present
        level is the hazard ratios' reference. Subjects of other labels (e.g. not infused) are
        left out of the comparisons and counted in ``notes``.
    settings : EndpointSettings, optional
        Confidence level, KM transform, ``days_per_month`` and landmark months.

    Returns
    -------
    DoseComparisons
        Frames ``tests``, ``hazard_ratios``, ``follow_up``, ``cumulative_incidence`` and the
        ``notes`` on what could not be estimated.

    Raises
    ------
    InputError
        A PFS event that is neither progression nor death.

    References
    ----------
    Mantel N. 1966; Cox DR. 1972; Efron B. 1977; Aalen OO, Johansen S. 1978; Schemper M,
    Smith TL. Controlled Clinical Trials 1996;17:343-346 (see the modules used).

    Examples
    --------
    >>> tte = pd.DataFrame({"USUBJID": list("abcd"), "PARAMCD": "OS", "AVAL": [30, 60, 90, 120],
    ...                     "CNSR": [0, 1, 0, 1], "EVNTDESC": ["Death", None, "Death", None]})
    >>> r = dose_comparisons(tte, pd.Series([1, 1, 2, 2], index=list("abcd")))
    >>> r.tests["endpoint"].tolist()
    ['OS']
    """
    s = settings or EndpointSettings()
    t = tte.assign(_grp=tte["USUBJID"].map(groups))
    lv = list(order) if order is not None else sorted(t["_grp"].dropna().unique().tolist())
    notes: list[str] = []
    other = t.loc[~t["_grp"].isin(lv)].drop_duplicates("USUBJID")
    if len(other):
        counts = other["_grp"].fillna("no dose level").value_counts(sort=False)
        notes.append(
            "Not in the dose-level comparisons: "
            + ", ".join(f"{k} ({v} subjects)" for k, v in counts.items())
        )
        t = t[t["_grp"].isin(lv)]
    tests, hrs = [], []
    for ep in COMPARED:
        f = t[t["PARAMCD"] == ep]
        if len(f):
            a, b = _compare(ep, f, lv, s, notes)
            tests, hrs = tests + a, hrs + b
    fu = _follow_up(t[t["PARAMCD"] == "OS"], lv, s)
    ci = _incidence(t[t["PARAMCD"] == "PFS"], lv, s, notes)
    dpm = {"days_per_month": s.days_per_month}

    def frame(rows: list[dict]) -> pd.DataFrame:
        return pd.DataFrame(rows).assign(**dpm) if rows else pd.DataFrame()

    cif = pd.concat(ci, ignore_index=True).assign(**dpm) if ci else pd.DataFrame()
    return DoseComparisons(
        tests=frame(tests),
        hazard_ratios=frame(hrs),
        follow_up=frame(fu),
        cumulative_incidence=cif,
        notes=tuple(notes),
        days_per_month=s.days_per_month,
    )
