"""PFS, OS, DOR and TTR per subject with the censoring rule that applied (ADTTE-shaped).

FDA, Clinical Trial Endpoints for the Approval of Cancer Drugs and Biologics (2018); admiral
``derive_vars_duration``: days = end - start + 1). Censoring conventions:

1. PFS / DOR event = confirmed PD (first of the confirming assessments) or death, whichever first.
2. New anti-myeloma therapy before the event (``censor_on_new_therapy``): censored at the last
   adequate assessment before the new therapy.
3. An event after ``missed_assessments_censor`` or more missed scheduled assessments: censored at
   the last adequate assessment before the event (``missed_assessments_as_event`` = sensitivity
   analysis that keeps the event). A scheduled assessment is missed when its nominal day (relative
   to infusion, +/- the window) falls strictly between the last adequate assessment (or the
   infusion) and the event.
4. Otherwise censored at the last adequate assessment; without any post-baseline assessment,
   censored at the origin (day 1).
5. OS: death from any cause, else censored at the last date known alive.

An adequate assessment is one with an evaluable IMWG response (not NE) before new therapy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cartrial.efficacy.imwg import ImwgResult
from cartrial.efficacy.imwg_rules import RESPONSE_ORDER
from cartrial.errors import RecordError
from cartrial.protocol.model import EndpointSettings

TTE_COLUMNS = [
    "USUBJID",
    "PARAMCD",
    "PARAM",
    "STARTDT",
    "ADT",
    "AVAL",
    "CNSR",
    "EVNTDESC",
    "CNSDTDSC",
]


def event_from_cnsr(cnsr: pd.Series) -> np.ndarray:
    """ADaM CNSR (0 = event, >= 1 = censored) to an estimator's ``event`` (True = event).

    The one place CNSR is turned round (CONTRIBUTING.md glossary).

    Parameters
    ----------
    cnsr : pandas.Series
        ADaM ADTTE ``CNSR``: 0 for an event, a positive integer for a censoring reason.

    Returns
    -------
    numpy.ndarray of bool
        True where CNSR is 0.

    References
    ----------
    CDISC ADaM Basic Data Structure for Time-to-Event Analyses, version 1.0 (2012).

    Examples
    --------
    >>> event_from_cnsr(pd.Series([0, 1, 2]))
    array([ True, False, False])
    """
    return cnsr.eq(0).to_numpy()


def _days(end: pd.Series, start: pd.Series) -> pd.Series:
    return (end - start).dt.days + 1


def _last_before(adt: pd.DataFrame, limit: pd.Series) -> pd.Series:
    """Per subject, the latest assessment date strictly before ``limit`` (indexed by USUBJID)."""
    lim = limit.rename("_lim").rename_axis("USUBJID").reset_index()
    m = adt.merge(lim, on="USUBJID")
    m = m[m["ADT"] < m["_lim"]]
    return m.groupby("USUBJID")["ADT"].max().reindex(limit.index)


def derive_time_to_event(
    subjects: pd.DataFrame,
    imwg: ImwgResult,
    settings: EndpointSettings | None = None,
    schedule_days: Sequence[int] | None = None,
    window_days: int = 0,
) -> pd.DataFrame:
    """ADTTE-shaped rows (PFS, OS, DOR, TTR) per subject with AVAL in days.

    ``subjects``: USUBJID, APHDT (apheresis), INFDT (infusion), DTHDT (death), LSTALVDT (last
    known alive), NACTDT (new anti-myeloma therapy; optional). ``schedule_days``: nominal days of
    the response assessments relative to infusion (protocol ``schedule.response.days``), used for
    the missed-assessment rule; None switches that rule off. Subjects without an origin date
    (e.g. never infused when the origin is infusion) are not in the analysis.

    Parameters
    ----------
    subjects : pandas.DataFrame
        One row per subject with the dates above (datetime64).
    imwg : ImwgResult
        The derived responses (:func:`derive_imwg_response`).
    settings : EndpointSettings, optional
        ``protocol.endpoints`` (time origin, censoring rules); defaults when omitted.
    schedule_days : sequence of int, optional
        Nominal assessment days after infusion; None switches the missed-assessment rule off.
    window_days : int, default 0
        Allowed window around each nominal day.

    Returns
    -------
    pandas.DataFrame
        ADTTE-shaped rows: USUBJID, PARAMCD, PARAM, STARTDT, ADT, AVAL (days = ADT - STARTDT
        + 1), CNSR (0 = event), EVNTDESC, CNSDTDSC, NMISSED.

    References
    ----------
    U.S. FDA. Clinical Trial Endpoints for the Approval of Cancer Drugs and Biologics:
    Guidance for Industry, December 2018 (PFS and DOR censoring).

    Examples
    --------
    From apheresis (2025-12-10): PFS censored at the last adequate assessment, 2026-04-01 =
    day 113; TTR to the first response, 2026-02-01 = day 54.

    >>> from cartrial.efficacy import derive_imwg_response
    >>> a = pd.DataFrame({"USUBJID": "01", "ABLFL": ["Y", None, None, None],
    ...                   "ADT": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01",
    ...                                          "2026-04-01"]), "SPEP": [2.0, 0.8, 0.15, 0.1]})
    >>> subjects = pd.DataFrame({"USUBJID": ["01"], "DOSE": "DL1", "DTHDT": pd.NaT,
    ...                          "APHDT": pd.to_datetime(["2025-12-10"]),
    ...                          "INFDT": pd.to_datetime(["2026-01-05"]),
    ...                          "LSTALVDT": pd.to_datetime(["2026-05-01"])})
    >>> imwg = derive_imwg_response(a)
    >>> tte = derive_time_to_event(subjects, imwg)
    >>> tte[["PARAMCD", "AVAL", "CNSR"]].to_numpy().tolist()
    [['PFS', 113, 1], ['OS', 143, 1], ['DOR', 60, 1], ['TTR', 54, 0]]
    """
    s = settings or EndpointSettings()
    sub = _with_origin(subjects, s)
    summ = imwg.subjects.set_index("USUBJID").reindex(sub.index)
    a = imwg.assessments
    # the two variables read, copied for the adequate rows only (not the assessments' 66)
    adeq = a.loc[a["ANL01FL"].eq("Y") & (a["AVALN"] != RESPONSE_ORDER["NE"]), ["USUBJID", "ADT"]]
    adeq = adeq[adeq["USUBJID"].isin(sub.index)]
    origin_label = "apheresis" if s.time_origin == "apheresis" else "infusion"
    pfs, missed = _pfs(sub, summ, adeq, s, schedule_days, window_days, origin_label)
    os_ = _os(sub, origin_label)
    frsp = summ["FRSPDT"]
    resp = frsp.notna().to_numpy()
    dor = pfs[resp].copy()
    dor["PARAMCD"] = "DOR"
    dor["PARAM"] = "Duration of response (days from first PR or better)"
    dor["STARTDT"] = frsp[resp].to_numpy()
    dor["AVAL"] = _days(dor["ADT"], dor["STARTDT"])
    ttr = pd.DataFrame(
        {
            "USUBJID": sub.index[resp],
            "PARAMCD": "TTR",
            "PARAM": f"Time to response (days from {origin_label}; responders)",
            "STARTDT": sub["_ORIGIN"][resp].to_numpy(),
            "ADT": frsp[resp].to_numpy(),
            "CNSR": 0,
            "EVNTDESC": "First assessment confirming PR or better",
            "CNSDTDSC": None,
        }
    )
    ttr["AVAL"] = _days(ttr["ADT"], ttr["STARTDT"])
    out = pd.concat([pfs, os_, dor, ttr], ignore_index=True)[TTE_COLUMNS]
    bad = out["AVAL"] < 1
    if bad.any():
        r = out[bad].iloc[0]
        raise RecordError(
            domain="DM" if r["EVNTDESC"] == "Death" else "DS",
            usubjid=str(r["USUBJID"]),
            variable="ADT",
            value=str(pd.Timestamp(r["ADT"]).date()),
            rule=f"{r['PARAMCD']} date before its origin ({pd.Timestamp(r['STARTDT']).date()})",
        )
    out["NMISSED"] = out["USUBJID"].map(missed).where(out["PARAMCD"].isin(["PFS", "DOR"]))
    return out


def _with_origin(subjects: pd.DataFrame, s: EndpointSettings) -> pd.DataFrame:
    """Subjects with an origin date (``_ORIGIN``), dates parsed; each must be censorable for OS."""
    sub = subjects.set_index("USUBJID").copy()
    for c in ("APHDT", "INFDT", "DTHDT", "LSTALVDT", "NACTDT"):
        sub[c] = pd.to_datetime(sub[c]) if c in sub else pd.NaT
    origin_col = "APHDT" if s.time_origin == "apheresis" else "INFDT"
    sub = sub[sub[origin_col].notna()]
    for uid, d, lst in zip(sub.index, sub["DTHDT"], sub["LSTALVDT"], strict=True):
        if pd.isna(d) and pd.isna(lst):
            raise RecordError(
                domain="DS",
                usubjid=str(uid),
                variable="LSTALVDT",
                value=None,
                rule="subject alive without a last-known-alive date (OS cannot be censored)",
            )
    return sub.assign(_ORIGIN=sub[origin_col])


def _missed(sub: pd.DataFrame, la_ev: pd.Series, ev_date: pd.Series,
            schedule_days: Sequence[int] | None, window_days: int) -> pd.Series:
    """Scheduled assessments missed between the last adequate assessment and the event."""
    missed = pd.Series(0, index=sub.index)
    if schedule_days is not None and len(schedule_days):
        sched = np.asarray(schedule_days, dtype=float)[None, :]
        inf = sub["INFDT"]
        last_day = ((la_ev - inf).dt.days).fillna(0.0).to_numpy()[:, None]
        ev_day = ((ev_date - inf).dt.days).to_numpy(dtype=float)[:, None]
        between = (sched > last_day + window_days) & (sched < ev_day - window_days)
        missed = pd.Series(np.where(np.isnan(ev_day[:, 0]), 0, between.sum(axis=1)), sub.index)
    return missed


def _pfs(sub: pd.DataFrame, summ: pd.DataFrame, adeq: pd.DataFrame, s: EndpointSettings,
         schedule_days: Sequence[int] | None, window_days: int, origin_label: str
         ) -> tuple[pd.DataFrame, pd.Series]:
    """PFS rows by the censoring rules 1-4 of the module docstring, and the missed counts."""
    o = sub["_ORIGIN"]
    pddt = summ["PDDT"]
    dth = sub["DTHDT"]
    ev_date = pd.concat([pddt, dth], axis=1).min(axis=1)
    ev_is_pd = pddt.notna() & (pddt <= dth.fillna(pd.Timestamp.max))
    nact = sub["NACTDT"] if s.censor_on_new_therapy else pd.Series(pd.NaT, index=sub.index)
    la_all = adeq.groupby("USUBJID")["ADT"].max().reindex(sub.index)
    la_ev = _last_before(adeq, ev_date.fillna(pd.Timestamp.max))
    la_ev = la_ev.where(ev_date.notna())
    missed = _missed(sub, la_ev, ev_date, schedule_days, window_days)
    before_nact = nact.isna() | (ev_date < nact)
    has_event = ev_date.notna() & before_nact
    too_many_missed = (missed >= s.missed_assessments_censor) & ~s.missed_assessments_as_event
    event = has_event & ~too_many_missed
    cens_nact = ~has_event & nact.notna() & (ev_date.isna() | (ev_date >= nact))
    adt = np.where(
        event,
        ev_date,
        np.where(has_event & too_many_missed, la_ev.fillna(o), la_all.fillna(o)),
    )
    adt = pd.to_datetime(pd.Series(adt, index=sub.index))
    evntdesc = np.where(event, np.where(ev_is_pd, "Disease progression", "Death"), None)
    cnsdesc = np.select(
        [
            event,
            has_event & too_many_missed,
            cens_nact & la_all.notna(),
            cens_nact,
            la_all.notna(),
        ],
        [
            None,
            f"Event after >= {s.missed_assessments_censor} missed assessments: last adequate "
            "assessment",
            "New anti-myeloma therapy: last adequate assessment before it",
            "New anti-myeloma therapy before any adequate assessment: origin",
            "Last adequate assessment",
        ],
        "No adequate post-baseline assessment: origin",
    )
    pfs = pd.DataFrame(
        {
            "USUBJID": sub.index,
            "PARAMCD": "PFS",
            "PARAM": f"Progression-free survival (days from {origin_label})",
            "STARTDT": o.to_numpy(),
            "ADT": adt.to_numpy(),
            "CNSR": np.where(event, 0, 1),
            "EVNTDESC": evntdesc,
            "CNSDTDSC": cnsdesc,
        }
    )
    pfs["AVAL"] = _days(pfs["ADT"], pfs["STARTDT"])
    return pfs, missed


def _os(sub: pd.DataFrame, origin_label: str) -> pd.DataFrame:
    """OS rows: death from any cause, else censored at the last date known alive."""
    dth = sub["DTHDT"]
    died = dth.notna()
    os_ = pd.DataFrame(
        {
            "USUBJID": sub.index,
            "PARAMCD": "OS",
            "PARAM": f"Overall survival (days from {origin_label})",
            "STARTDT": sub["_ORIGIN"].to_numpy(),
            "ADT": np.where(died, dth, sub["LSTALVDT"]),
            "CNSR": np.where(died, 0, 1),
            "EVNTDESC": np.where(died, "Death", None),
            "CNSDTDSC": np.where(died, None, "Last known alive"),
        }
    )
    os_["ADT"] = pd.to_datetime(os_["ADT"])
    os_["AVAL"] = _days(os_["ADT"], os_["STARTDT"])
    return os_
