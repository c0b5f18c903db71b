"""The efficacy endpoint tables: rates, MRD, time-to-event summaries (IMWG 2016; FDA 2018).

Everything comes back as tidy data frames (one statistic per row, ready for a report) inside a
frozen :class:`EfficacyResult`, with the methods stated in ``footnotes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cartrial.efficacy.imwg import ImwgResult
from cartrial.efficacy.km import KmResult, kaplan_meier, km_landmark, numbers_at_risk
from cartrial.efficacy.mrd import (
    DEFINITIONS,
    FDA_POP,
    SUSTAINED_DEFINITION,
    classify_mrd,
    mrd_rates,
)
from cartrial.efficacy.rates import OVERALL, response_rates
from cartrial.efficacy.time_to_event import derive_time_to_event, event_from_cnsr
from cartrial.protocol.model import EndpointSettings

TTE_SUMMARY_COLUMNS = [
    "group",
    "endpoint",
    "N",
    "events",
    "censored",
    "median",
    "ci_low",
    "ci_high",
    "min",
    "max",
    "unit",
    "method",
]


@dataclass(frozen=True)
class EfficacyResult:
    """All efficacy outputs of one analysis (tidy frames + the KM fits behind them).

    Attributes
    ----------
    criteria : str
        Response criteria ("IMWG 2016").
    rates : pandas.DataFrame or None
        :func:`response_rates` rows by dose level and overall (None when
        :func:`efficacy_endpoints` was asked for no summaries, as ``at_risk``).
    mrd : pandas.DataFrame or None
        MRD-negative rates (None without MRD data, or without summaries).
    tte, tte_summary, landmarks, at_risk : pandas.DataFrame
        ADTTE-shaped rows, :func:`tte_summary` medians, landmark rates, :func:`risk_table`.
    km : dict
        (PARAMCD, group) -> :class:`KmResult` (times in months).
    subjects : pandas.DataFrame
        The analysis population with the IMWG per-subject columns.
    footnotes : tuple of str
        The methods, stated for the report.

    Examples
    --------
    >>> from cartrial.efficacy import derive_imwg_response
    >>> a = pd.DataFrame({"USUBJID": "01", "ABLFL": ["Y", None, None, None],
    ...                   "ADT": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01",
    ...                                          "2026-04-01"]), "SPEP": [2.0, 0.8, 0.15, 0.1]})
    >>> subjects = pd.DataFrame({"USUBJID": ["01"], "DOSE": "DL1", "DTHDT": pd.NaT,
    ...                          "APHDT": pd.to_datetime(["2025-12-10"]),
    ...                          "INFDT": pd.to_datetime(["2026-01-05"]),
    ...                          "LSTALVDT": pd.to_datetime(["2026-05-01"])})
    >>> imwg = derive_imwg_response(a)
    >>> result = efficacy_endpoints(imwg, subjects)
    >>> result.criteria, sorted(result.km)[:2]
    ('IMWG 2016', [('DOR', 'DL1'), ('DOR', 'Overall')])
    """

    criteria: str
    rates: pd.DataFrame | None
    mrd: pd.DataFrame | None
    tte: pd.DataFrame
    tte_summary: pd.DataFrame
    landmarks: pd.DataFrame
    at_risk: pd.DataFrame | None
    km: dict[tuple[str, str], KmResult] = field(repr=False)
    subjects: pd.DataFrame = field(repr=False)
    footnotes: tuple[str, ...] = ()


def tte_summary(
    tte: pd.DataFrame,
    groups: pd.Series | None = None,
    order: list[str] | None = None,
    settings: EndpointSettings | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[tuple[str, str], KmResult]]:
    """KM median (months) with Brookmeyer-Crowley CI, landmark rates and the fits.

    PFS, OS and DOR get Kaplan-Meier estimates; TTR (responders, no censoring) gets its median
    and range.

    Parameters
    ----------
    tte : pandas.DataFrame
        ADTTE-shaped rows (:func:`derive_time_to_event`): USUBJID, PARAMCD (PFS, OS, DOR,
        TTR), AVAL (days) and CNSR (0 = event).
    groups : pandas.Series, optional
        USUBJID -> group label (e.g. the dose level); "Overall" is always added.
    order : list of str, optional
        Order of the groups; default sorted.
    settings : EndpointSettings, optional
        ``protocol.endpoints`` (days per month, landmarks, CI level and transform).

    Returns
    -------
    tuple
        (summary with :data:`TTE_SUMMARY_COLUMNS`, landmark rates, fits keyed by (PARAMCD,
        group)); an endpoint without patients has a row with method "no patients".

    Examples
    --------
    S = 0.5 from day 200 to 400: R's median is the midpoint, 300 days = 9.86 months.

    >>> tte = pd.DataFrame({"USUBJID": ["01", "02", "03", "04"], "PARAMCD": "OS",
    ...                     "AVAL": [100, 200, 300, 400], "CNSR": [0, 0, 1, 0]})
    >>> summary, landmarks, fits = tte_summary(tte)
    >>> summary.query("endpoint == 'OS'")[["N", "events", "median", "ci_low"]].round(2)
       N  events  median  ci_low
    1  4       3    9.86   3.29
    >>> list(fits)
    [('OS', 'Overall')]
    """
    s = settings or EndpointSettings()
    dpm = s.days_per_month
    t = tte.copy()
    t["_grp"] = t["USUBJID"].map(groups) if groups is not None else None
    keys = order if order is not None else sorted(t["_grp"].dropna().unique().tolist())
    rows, lms, fits = [], [], {}
    for param in ("PFS", "OS", "DOR", "TTR"):
        pt = t[t["PARAMCD"] == param]
        for g in [*map(str, keys), OVERALL]:
            f = pt if g == OVERALL else pt[pt["_grp"].astype(str) == g]
            months = f["AVAL"].to_numpy(dtype=float) / dpm
            ev = event_from_cnsr(f["CNSR"])
            base = {
                "group": g,
                "endpoint": param,
                "N": len(f),
                "events": int(ev.sum()),
                "censored": int((~ev).sum()),
                "unit": "months",
            }
            if len(f) == 0:
                rows.append({**base, "method": "no patients"})
                continue
            rng = {"min": float(months.min()), "max": float(months.max())}
            if param == "TTR":
                rows.append(
                    {
                        **base,
                        **rng,
                        "median": float(np.median(months)),
                        "method": "median and range of responders (no censoring)",
                    }
                )
                continue
            km = kaplan_meier(months, ev, s.confidence_level, s.km_ci_transform)
            fits[(param, g)] = km
            rows.append(
                {
                    **base,
                    **rng,
                    "median": km.median,
                    "ci_low": km.median_ci[0],
                    "ci_high": km.median_ci[1],
                    "method": km.method,
                }
            )
            lm = km_landmark(km, s.landmarks_months)
            lm.insert(0, "endpoint", param)
            lm.insert(0, "group", g)
            lms.append(lm.rename(columns={"time": "month"}))
    summary = pd.DataFrame(rows).reindex(columns=TTE_SUMMARY_COLUMNS)
    landmarks = pd.concat(lms, ignore_index=True) if lms else pd.DataFrame()
    return summary, landmarks, fits


def risk_table(fits: dict[tuple[str, str], KmResult], step_months: float = 3.0) -> pd.DataFrame:
    """Numbers at risk every ``step_months`` (0 to the last observed time) for each fit.

    Parameters
    ----------
    fits : dict
        (PARAMCD, group) -> :class:`KmResult` with times in months (from :func:`tte_summary`).
    step_months : float, default 3.0
        Spacing of the time points.

    Returns
    -------
    pandas.DataFrame
        Columns endpoint, group, month, n_risk (as printed under a KM plot).

    Examples
    --------
    >>> tte = pd.DataFrame({"USUBJID": ["01", "02", "03", "04"], "PARAMCD": "OS",
    ...                     "AVAL": [100, 200, 300, 400], "CNSR": [0, 0, 1, 0]})
    >>> summary, landmarks, fits = tte_summary(tte)
    >>> risk_table(fits)["n_risk"].tolist()
    [4, 4, 3, 2, 1]
    """
    frames = []
    for (param, group), km in fits.items():
        end = float(km.table["time"].max())
        times = np.arange(0.0, end + step_months, step_months)
        times = times[times <= end] if end > 0 else np.array([0.0])
        nar = numbers_at_risk(km, times).rename(columns={"time": "month"})
        nar.insert(0, "group", group)
        nar.insert(0, "endpoint", param)
        frames.append(nar)
    cols = ["endpoint", "group", "month", "n_risk"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def efficacy_endpoints(
    imwg: ImwgResult,
    subjects: pd.DataFrame,
    settings: EndpointSettings | None = None,
    mrd: pd.DataFrame | None = None,
    by: str | None = "DOSE",
    order: list[str] | None = None,
    schedule_days: Sequence[int] | None = None,
    window_days: int = 0,
    summaries: bool = True,
) -> EfficacyResult:
    """Response rates, MRD rates and PFS / OS / DOR / TTR for the analysis population.

    ``subjects``: one row per subject of the analysis population (USUBJID, APHDT, INFDT, DTHDT,
    LSTALVDT, NACTDT and the grouping column ``by``). Subjects absent from the IMWG result
    count as NE (non-responders).

    Parameters
    ----------
    imwg : ImwgResult
        The derived responses (:func:`derive_imwg_response`).
    subjects : pandas.DataFrame
        The analysis population, as above.
    settings : EndpointSettings, optional
        ``protocol.endpoints``; defaults when omitted.
    mrd : pandas.DataFrame, optional
        MRD results (:func:`classify_mrd` input); no MRD table without them.
    by : str or None, default "DOSE"
        Grouping column of ``subjects``; None for overall only.
    order : list of str, optional
        Order of the groups.
    schedule_days, window_days
        As in :func:`derive_time_to_event`.
    summaries : bool, default True
        False: no response or MRD rates and no numbers at risk (``rates``, ``mrd`` and
        ``at_risk`` are None); the time-to-event rows, the Kaplan-Meier fits and their
        medians are kept. ``cartrial analyze`` computes its tables from ADaM.

    Returns
    -------
    EfficacyResult

    Examples
    --------
    One patient, VGPR confirmed: ORR 1/1 with the exact CI (0.025, 1), Clopper-Pearson.

    >>> from cartrial.efficacy import derive_imwg_response
    >>> a = pd.DataFrame({"USUBJID": "01", "ABLFL": ["Y", None, None, None],
    ...                   "ADT": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01",
    ...                                          "2026-04-01"]), "SPEP": [2.0, 0.8, 0.15, 0.1]})
    >>> subjects = pd.DataFrame({"USUBJID": ["01"], "DOSE": "DL1", "DTHDT": pd.NaT,
    ...                          "APHDT": pd.to_datetime(["2025-12-10"]),
    ...                          "INFDT": pd.to_datetime(["2026-01-05"]),
    ...                          "LSTALVDT": pd.to_datetime(["2026-05-01"])})
    >>> imwg = derive_imwg_response(a)
    >>> r = efficacy_endpoints(imwg, subjects).rates
    >>> r.query("group == 'Overall' and endpoint == 'ORR'")[["n", "N", "ci_low", "ci_high"]]
        n  N  ci_low  ci_high
    11  1  1  0.025    1.0
    """
    s = settings or EndpointSettings()
    bor = subjects[["USUBJID"] + ([by] if by else [])].merge(
        imwg.subjects[["USUBJID", "BOR"]], on="USUBJID", how="left"
    )
    bor["BOR"] = bor["BOR"].fillna("NE")
    rates = response_rates(bor, by, order, s.confidence_level) if summaries else None
    mrd_table = None
    if summaries and mrd is not None and len(mrd):
        classified = classify_mrd(mrd, s.mrd_sensitivity)
        classified = classified[classified["USUBJID"].isin(subjects["USUBJID"])]
        treated = bor
        if "INFDT" in subjects:  # MRD denominators are treated (infused) patients
            treated = bor[bor["USUBJID"].isin(subjects.loc[subjects["INFDT"].notna(), "USUBJID"])]
        mrd_order = None if order is None else [g for g in order if g in set(treated[by])]
        mrd_table = mrd_rates(
            classified, treated, by, mrd_order, s.confidence_level, s.mrd_sensitivity
        )
    tte = derive_time_to_event(subjects, imwg, s, schedule_days, window_days)
    groups = subjects.set_index("USUBJID")[by] if by else None
    summary, landmarks, fits = tte_summary(tte, groups, order, s)
    at_risk = risk_table(fits) if summaries else None
    subj = subjects.merge(imwg.subjects, on="USUBJID", how="left", suffixes=("", "_IMWG"))
    notes = (
        f"Response by {imwg.criteria} derived from laboratory, marrow and imaging data: "
        f"{imwg.method}.",
        "ORR = best confirmed response PR or better (MR excluded); non-evaluable patients are "
        "non-responders; CIs are exact (Clopper-Pearson).",
        f"Time to event from {s.time_origin}; days = date - origin + 1; months = days / "
        f"{s.days_per_month}. Kaplan-Meier median with {s.confidence_level:.0%} CI by "
        f"Brookmeyer-Crowley, {s.km_ci_transform} transform.",
        "PFS/DOR censoring: new anti-myeloma therapy -> last adequate assessment before it"
        f" ({'on' if s.censor_on_new_therapy else 'off'}); event after >= "
        f"{s.missed_assessments_censor} missed assessments -> last adequate assessment"
        f"{' (sensitivity: counted as event)' if s.missed_assessments_as_event else ''}; no "
        "adequate assessment -> origin.",
        f"MRD negativity at {s.mrd_sensitivity:.0e}; registration denominator: VGPR or better. "
        f"{DEFINITIONS[FDA_POP]} {SUSTAINED_DEFINITION}",
    )
    return EfficacyResult(
        criteria=imwg.criteria,
        rates=rates,
        mrd=mrd_table,
        tte=tte,
        tte_summary=summary,
        landmarks=landmarks,
        at_risk=at_risk,
        km=fits,
        subjects=subj,
        footnotes=notes,
    )
