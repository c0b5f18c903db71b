"""What the committee reviews on meeting day: what is new since its last decision, the
DLT-window calendar, and the design's objections to a proposed decision.

Pure functions over a :class:`~cartrial.committee.workspace.Workspace` (no web, no database).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from cartrial.committee.workspace import Workspace
from cartrial.data import Study
from cartrial.data.dates import parse_dtc
from cartrial.data.study_parts import study_parts

NEW_COLUMNS = ["DATE", "USUBJID", "CATEGORY", "EVENT", "DETAIL"]
RESPONDED = ("PR", "VGPR", "CR", "sCR")  # IMWG 2016: partial response or better
MIN_SYNDROME_GRADE = 2


def _dates(values: pd.Series) -> pd.Series:
    return parse_dtc(values.astype("string"))["dt"].dt.normalize()


def _infusions(w: Workspace) -> pd.Series:
    """Infusion date by USUBJID (every infused subject, whatever the study part)."""
    sp = study_parts(Study(domains=w.study_domains))
    sp = sp[sp["INFUSION_DATE"].notna()]
    return sp.set_index("USUBJID")["INFUSION_DATE"].dt.normalize()


def new_since(w: Workspace, since: date | None) -> pd.DataFrame:
    """Safety and efficacy events dated after the previous decision's data cut-off.

    Parameters
    ----------
    w : Workspace
        The trial as the committee sees it (DLT calls with the committee's adjudications).
    since : date or None
        The data cut-off of the previous recorded decision; None (first meeting): everything.

    Returns
    -------
    pandas.DataFrame
        ``DATE``, ``USUBJID``, ``CATEGORY`` (``DLT``, ``CRS``, ``ICANS``, ``SAE``, ``death``,
        ``response``), ``EVENT`` and ``DETAIL``, sorted by date then subject: DLTs (onset day
        after infusion), CRS / ICANS events of grade 2 or more (the protocol's primary grade),
        serious adverse events (``AE.AESER = "Y"``), deaths (``DM.DTHDTC``), and the first
        date each patient reached each IMWG response of partial response or better (``RS``
        ``OVRLRESP`` when the study has it, else derived by the efficacy engine and dated at
        its confirmation).

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38 (ASTCT CRS and ICANS grades);
    Kumar S et al., Lancet Oncol 2016;17:e328-46 (IMWG response categories).

    Examples
    --------
    >>> new_since(workspace, date(2024, 6, 1))  # doctest: +SKIP
    """
    inf = _infusions(w)
    parts = [_dlts(w), _syndromes(w, inf), _saes(w), _deaths(w), _responses(w)]
    out = pd.concat([p for p in parts if len(p)] or [pd.DataFrame(columns=NEW_COLUMNS)],
                    ignore_index=True)[NEW_COLUMNS]
    out["DATE"] = pd.to_datetime(out["DATE"])
    if since is not None:
        out = out[out["DATE"] > pd.Timestamp(since)]
    out = out[out["DATE"] <= pd.Timestamp(w.as_of)]
    return out.sort_values(["DATE", "USUBJID", "CATEGORY"], kind="stable").reset_index(drop=True)


def _dlts(w: Workspace) -> pd.DataFrame:
    p = w.decision.patients
    p = p[p["DLT"] == "yes"]
    if p.empty:
        return p
    onset = pd.to_numeric(p["DLT_ONSET_DAY"], errors="coerce").fillna(0).astype(int)
    src = p["DLT_SOURCE"] if "DLT_SOURCE" in p else pd.Series("engine", index=p.index)
    return pd.DataFrame({
        "DATE": p["INFUSION_DATE"].dt.normalize() + pd.to_timedelta(onset, unit="D"),
        "USUBJID": p["USUBJID"], "CATEGORY": "DLT",
        "EVENT": p["DLT_TERM"].fillna("DLT (committee)").astype(str),
        "DETAIL": p["DOSE_LEVEL"].astype(str) + ", call by the " + src.astype(str)})


def _syndromes(w: Workspace, inf: pd.Series) -> pd.DataFrame:
    ev = w.safety.syndrome_events
    if ev is None or ev.empty:
        return pd.DataFrame(columns=NEW_COLUMNS)
    ev = ev[pd.to_numeric(ev["GRADE"], errors="coerce") >= MIN_SYNDROME_GRADE]
    ev = ev[ev["USUBJID"].isin(inf.index)]
    day = pd.to_numeric(ev["ONSET_DAY"], errors="coerce").fillna(0).astype(int)
    return pd.DataFrame({
        "DATE": ev["USUBJID"].map(inf) + pd.to_timedelta(day, unit="D"),
        "USUBJID": ev["USUBJID"], "CATEGORY": ev["EVENT"].astype(str),
        "EVENT": ev["EVENT"].astype(str) + " grade " + ev["GRADE"].astype(int).astype(str),
        "DETAIL": "onset day " + day.astype(str) + " (" + ev["GRADE_SOURCE"].astype(str)
        + " grade)"})


def _saes(w: Workspace) -> pd.DataFrame:
    ae = w.study_domains.get("AE")
    if ae is None or "AESER" not in ae or ae.empty:
        return pd.DataFrame(columns=NEW_COLUMNS)
    ae = ae[ae["AESER"].astype("string").str.strip().str.upper() == "Y"]
    if ae.empty:
        return pd.DataFrame(columns=NEW_COLUMNS)
    grade = ae["AETOXGR"].astype("string").fillna("?") if "AETOXGR" in ae else "?"
    return pd.DataFrame({"DATE": _dates(ae["AESTDTC"]), "USUBJID": ae["USUBJID"],
                         "CATEGORY": "SAE", "EVENT": ae["AEDECOD"].astype(str),
                         "DETAIL": "AESEQ " + _int_text(ae["AESEQ"]) + ", grade " + grade})


def _int_text(values: pd.Series) -> pd.Series:
    num = pd.to_numeric(values, errors="coerce")
    return num.map(lambda v: "" if pd.isna(v) else f"{v:g}").where(num.notna(),
                                                                    values.astype(str))


def _deaths(w: Workspace) -> pd.DataFrame:
    dm = w.study_domains.get("DM")
    if dm is None or "DTHDTC" not in dm:
        return pd.DataFrame(columns=NEW_COLUMNS)
    dm = dm[dm["DTHDTC"].astype("string").fillna("").str.strip() != ""]
    return pd.DataFrame({"DATE": _dates(dm["DTHDTC"]), "USUBJID": dm["USUBJID"],
                         "CATEGORY": "death", "EVENT": "death", "DETAIL": "DM.DTHDTC"})


def _responses(w: Workspace) -> pd.DataFrame:
    rs = w.study_domains.get("RS")
    if rs is None or rs.empty or "RSTESTCD" not in rs:
        return _derived_responses(w)
    rs = rs[rs["RSTESTCD"].astype("string") == "OVRLRESP"]
    rs = rs[rs["RSSTRESC"].astype("string").isin(RESPONDED)]
    df = pd.DataFrame({"DATE": _dates(rs["RSDTC"]), "USUBJID": rs["USUBJID"].astype(str),
                       "EVENT": rs["RSSTRESC"].astype(str)}).dropna(subset=["DATE"])
    first = df.sort_values("DATE", kind="stable").groupby(["USUBJID", "EVENT"]).head(1)
    return first.assign(CATEGORY="response", DETAIL="first IMWG " + first["EVENT"])


def _derived_responses(w: Workspace) -> pd.DataFrame:
    """Without RS: IMWG responses derived by the efficacy engine from the disease assessments,
    dated when confirmed (the second consecutive assessment, IMWG 2016); a study the engine
    cannot analyse gives one row saying why (nothing is dropped silently)."""
    from cartrial.efficacy.sdtm import efficacy_from_study
    from cartrial.errors import InputError

    try:
        study = Study(domains=w.study_domains)
        _, imwg, _ = efficacy_from_study(study, w.protocol, summaries=False)  # IMWG only
    except InputError as exc:
        return pd.DataFrame([{"DATE": pd.Timestamp(w.as_of), "USUBJID": "", "CATEGORY":
                              "response", "EVENT": "not derived", "DETAIL": str(exc)}])
    a = imwg.assessments
    a = a[(a["CONFFL"] == "Y") & a["CONFC"].isin(RESPONDED) & a["CONFADT"].notna()]
    first = a.sort_values("CONFADT", kind="stable").groupby(["USUBJID", "CONFC"]).head(1)
    if first.empty:
        return pd.DataFrame(columns=NEW_COLUMNS)
    return pd.DataFrame({
        "DATE": pd.to_datetime(first["CONFADT"]).dt.normalize(),
        "USUBJID": first["USUBJID"].astype(str), "CATEGORY": "response",
        "EVENT": first["CONFC"].astype(str),
        "DETAIL": "IMWG " + first["CONFC"].astype(str) + " derived from the assessments of "
        + pd.to_datetime(first["ADT"]).dt.strftime("%Y-%m-%d") + ", confirmed on "
        + pd.to_datetime(first["CONFADT"]).dt.strftime("%Y-%m-%d")})


def dlt_calendar(w: Workspace) -> pd.DataFrame:
    """Escalation patients still inside their DLT window on the cut-off, by closing date.

    Parameters
    ----------
    w : Workspace
        The workspace of a data snapshot (its decision's patients, the protocol, the cut-off).

    Returns
    -------
    pandas.DataFrame
        ``USUBJID``, ``DOSE_LEVEL``, ``COHORT``, ``INFUSION_DATE``, ``WINDOW_CLOSES`` (infusion
        date + the protocol's DLT window), ``DAYS_LEFT`` (from the data cut-off) and ``DLT``
        (the call so far), sorted by ``WINDOW_CLOSES``.

    Examples
    --------
    >>> dlt_calendar(workspace)["WINDOW_CLOSES"].is_monotonic_increasing  # doctest: +SKIP
    True
    """
    p = w.decision.patients
    days = float(w.protocol.design.dlt_window_days)
    cols = ["USUBJID", "DOSE_LEVEL", "COHORT", "INFUSION_DATE", "WINDOW_CLOSES", "DAYS_LEFT",
            "DLT"]
    if p.empty:
        return pd.DataFrame(columns=cols)
    closes = p["INFUSION_DATE"].dt.normalize() + pd.to_timedelta(days, unit="D")
    out = p.assign(WINDOW_CLOSES=closes,
                   DAYS_LEFT=(closes - pd.Timestamp(w.as_of)).dt.days)
    out = out[out["DAYS_LEFT"] > 0]
    return out.sort_values(["WINDOW_CLOSES", "USUBJID"], kind="stable")[cols].reset_index(
        drop=True)


def open_slots(w: Workspace) -> dict[str, object]:
    """The current cohort (that of the latest escalation infusion): its dose, how many were
    treated in it, and the open slots (the protocol's cohort size minus treated, at least 0).

    Returns
    -------
    dict
        ``cohort``, ``dose``, ``treated``, ``cohort_size`` and ``open``; ``cohort`` and ``dose``
        are None before any infusion (``open`` is then a whole cohort at the starting dose).

    Examples
    --------
    >>> open_slots(workspace)  # doctest: +SKIP
    {'cohort': 'C02', 'dose': 'DL2', 'treated': 1, 'cohort_size': 3, 'open': 2}
    """
    size = int(w.protocol.design.cohort_size)
    p = w.decision.patients
    if p.empty or w.decision.phase != "escalation":
        start = w.protocol.starting_dose if p.empty else None
        return {"cohort": None, "dose": start, "treated": 0, "cohort_size": size,
                "open": size if p.empty else 0}
    last = p.sort_values("INFUSION_DATE", kind="stable").iloc[-1]
    cohort = last["COHORT"]
    same = p[p["COHORT"] == cohort] if isinstance(cohort, str) else p.iloc[[-1]]
    same = same[same["DOSE_LEVEL"] == last["DOSE_LEVEL"]]
    return {"cohort": cohort, "dose": last["DOSE_LEVEL"], "treated": len(same),
            "cohort_size": size, "open": max(size - len(same), 0)}
