"""One patient as the committee reads it: clinical labels, never SDTM variable names.

Pure library code over a :class:`~cartrial.committee.workspace.Workspace` (no web). Every
subject of DM has a page, infused or not: an apheresed patient who never received CAR-T cells
shows what happened (manufacturing failure, death before infusion, withdrawal ...) from the
disposition records. The CRS / ICANS time lines and the haematotoxicity section are in
:mod:`cartrial.committee.patient_safety`; this module assembles the page.

Days are counted as the safety engine counts them: days since midnight of the infusion date
(infusion = day 0; :mod:`cartrial.safety.sdtm`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from cartrial.committee.patient_safety import (
    Table,
    crs_table,
    days_since,
    days_since_all,
    hematotox_rows,
    icaht_rows,
    icans_table,
    label,
    text,
)
from cartrial.data.dates import parse_dtc
from cartrial.data.study_parts import study_parts
from cartrial.study_reads import subject_frame

if TYPE_CHECKING:
    from cartrial.committee.workspace import Workspace

SEX = {"M": "Male", "F": "Female", "U": "Unknown", "UNDIFFERENTIATED": "Undifferentiated"}
PARTS = {"ESCALATION": "Dose escalation", "SENTINEL": "Sentinel", "BACKFILL": "Backfill",
         "EXPANSION": "Dose expansion", "RANDOMISED": "Randomised dose-optimisation stage"}
RESPONSES = {"SCR": "Stringent complete response", "CR": "Complete response",
             "VGPR": "Very good partial response", "PR": "Partial response",
             "MR": "Minimal response", "SD": "Stable disease", "PD": "Progressive disease",
             "NE": "Not evaluable", "sCR": "Stringent complete response"}


@dataclass(frozen=True)
class PatientPage:
    """Everything the patient page shows, as labelled text (``facts``: label/value pairs)."""

    usubjid: str
    infused: bool
    headline: str
    facts: tuple[tuple[str, str], ...]
    disease: tuple[tuple[str, str], ...]
    dates: tuple[tuple[str, str], ...]
    disposition: Table
    dosing: Table
    dlt: tuple[tuple[str, str], ...]
    adverse_events: Table
    crs: Table
    icans: Table
    treatments: Table
    response: tuple[tuple[str, str], ...]
    response_timeline: Table
    death: tuple[tuple[str, str], ...]
    icaht: tuple[tuple[str, str], ...]
    hematotox: tuple[tuple[str, str], ...]
    cytopenias: Table = Table((), ())
    kinetics: Table = Table((), ())
    cytokines: Table = Table((), ())
    notes: tuple[str, ...] = field(default_factory=tuple)


def _rows(df: pd.DataFrame | None, usubjid: str) -> pd.DataFrame:
    if df is None or "USUBJID" not in df:
        return pd.DataFrame()
    return df[df["USUBJID"].astype(str) == usubjid].reset_index(drop=True)


def _date(value: object) -> str:
    """An SDTM --DTC or a timestamp as an ISO date (partial dates as recorded)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)[:10]


def patient_subjects(w: Workspace) -> pd.DataFrame:
    """The patient list: every DM subject with dose level, part, cohort, infusion date and
    status (``Infused``, or why not), in DM order.

    Parameters
    ----------
    w : Workspace

    Returns
    -------
    pandas.DataFrame
        ``USUBJID``, ``DOSE`` (label of the dose received, else the planned one), ``PART``,
        ``COHORT``, ``INFUSION`` (ISO date or blank), ``STATUS``.

    Examples
    --------
    >>> patient_subjects(workspace)  # doctest: +SKIP
    """
    parts = study_parts(w.study)
    dm = w.study["DM"].assign(USUBJID=lambda d: d["USUBJID"].astype(str)).set_index("USUBJID")
    labels = {d.id: d.label for d in w.protocol.dose_levels}
    out = []
    for r in parts.itertuples():
        infused = pd.notna(r.INFUSION_DATE)
        dose = r.DOSE_LEVEL if r.DOSE_LEVEL in labels else r.ARMCD
        status = "Infused" if infused else _not_infused_reason(w, r.USUBJID, dm)
        died = _date(dm.loc[r.USUBJID].get("DTHDTC")) if r.USUBJID in dm.index else ""
        status += f"; died {died}" if died else ""
        out.append({"USUBJID": r.USUBJID, "DOSE": f"{dose} ({labels.get(dose, 'not a dose')})",
                    "PART": PARTS.get(r.PART or "", text(r.PART)) + (  # the ROSE stage's arm
                        f" (arm {r.ARMCD})" if r.PART == "RANDOMISED" else ""),
                    "COHORT": text(r.COHORT),
                    "INFUSION": _date(r.INFUSION_DATE), "STATUS": status})
    return pd.DataFrame(out, columns=["USUBJID", "DOSE", "PART", "COHORT", "INFUSION", "STATUS"])


def _not_infused_reason(w: Workspace, usubjid: str, dm: pd.DataFrame) -> str:
    """Why a DM subject was not infused: the disposition event, DM.ARMNRS, or a death."""
    ds = _rows(w.study.get("DS"), usubjid)
    if len(ds) and "DSCAT" in ds:
        ev = ds[ds["DSCAT"].astype(str).str.upper() == "DISPOSITION EVENT"]
        if len(ev):
            last = ev.iloc[-1]
            return f"Not infused: {label(last.get('DSTERM'))} " \
                   f"({_date(last.get('DSSTDTC'))})"
    reason = text(dm.loc[usubjid].get("ARMNRS")) if usubjid in dm.index else ""
    return f"Not infused: {label(reason)}" if reason else "Not infused (no reason recorded)"


def patient_page(w: Workspace, usubjid: str,
                 subjects: pd.DataFrame | None = None) -> PatientPage | None:
    """The page of one DM subject, or None when the study has no such subject.

    Parameters
    ----------
    w : Workspace
        The snapshot shown.
    usubjid : str
    subjects : pandas.DataFrame, optional
        :func:`patient_subjects` of ``w`` when the caller has it (else computed here).

    Returns
    -------
    PatientPage or None

    Examples
    --------
    >>> patient_page(workspace, "CT071-001-002").headline  # doctest: +SKIP
    'DL1 (0.1 x10^6/kg) · Dose escalation, cohort C01 · infused 2023-07-24'
    """
    subjects = patient_subjects(w) if subjects is None else subjects
    row = subjects[subjects["USUBJID"] == usubjid]
    if row.empty:
        return None
    r = row.iloc[0]
    dm = _rows(w.study.get("DM"), usubjid).iloc[0]
    infusion = pd.Timestamp(r["INFUSION"]) if r["INFUSION"] else None
    headline = " · ".join(x for x in (r["DOSE"], r["PART"] + (
        f", cohort {r['COHORT']}" if r["COHORT"] else ""),
        f"infused {r['INFUSION']}" if infusion is not None else r["STATUS"]) if x)
    safety = w.safety
    return PatientPage(
        usubjid=usubjid, infused=infusion is not None, headline=headline,
        facts=_facts(dm), disease=_disease(w, usubjid), dates=_dates(w, usubjid, dm, infusion),
        disposition=_disposition(w, usubjid), dosing=_dosing(w, usubjid, infusion),
        dlt=_dlt(_rows(w.decision.patients, usubjid)),
        adverse_events=_adverse_events(w, usubjid, infusion),
        crs=crs_table(_rows(safety.crs.timepoints, usubjid), _rows(w.inputs.crs, usubjid)),
        icans=icans_table(_rows(safety.icans.timepoints, usubjid)),
        treatments=_treatments(w, usubjid, infusion),
        response=_response(w, usubjid),
        response_timeline=_response_timeline(w, usubjid, infusion),
        death=_death(w, usubjid, dm, infusion),
        icaht=icaht_rows(_rows(safety.icaht, usubjid)),
        hematotox=hematotox_rows(_rows(safety.hematotox, usubjid)),
        cytopenias=_cytopenias(_rows(safety.cytopenias, usubjid)),
        kinetics=_series(_rows(w.study.get("PC"), usubjid), "PC", infusion),
        cytokines=_series(_cytokines(_lb_rows(w, usubjid)), "LB", infusion),
        notes=() if w.response_error == "" else (
            f"Response could not be derived for this snapshot: {w.response_error}",))


def _facts(dm: pd.Series) -> tuple[tuple[str, str], ...]:
    age = text(dm.get("AGE"))
    sex = text(dm.get("SEX"))
    rows = (("Age", f"{age} years" if age else ""), ("Sex", SEX.get(sex, sex)),
            ("Race", label(dm.get("RACE"))), ("Ethnicity", label(dm.get("ETHNIC"))),
            ("Country", text(dm.get("COUNTRY"))), ("Site", text(dm.get("SITEID"))))
    return tuple((k, v or "not recorded") for k, v in rows)


def _disease(w: Workspace, usubjid: str) -> tuple[tuple[str, str], ...]:
    mh = _rows(w.study.get("MH"), usubjid)
    out = []
    for m in mh.to_dict("records"):
        cat = label(m.get("MHCAT")) or "Medical history"
        when = _date(m.get("MHSTDTC"))
        out.append((cat, text(m.get("MHTERM")) + (f" (since {when})" if when else "")))
    cm = _rows(w.study.get("CM"), usubjid)
    if len(cm) and "CMCAT" in cm:
        cat = cm["CMCAT"].astype(str).str.upper()
        for what, name in (("PRIOR ANTI-MYELOMA THERAPY", "Prior anti-myeloma therapy"),
                           ("BRIDGING THERAPY", "Bridging therapy")):
            drugs = sorted({label(t) for t in cm.loc[cat == what, "CMTRT"]})
            if drugs:
                out.append((name, ", ".join(drugs)))
    return tuple(out)


def _dates(w: Workspace, usubjid: str, dm: pd.Series,
           infusion: pd.Timestamp | None) -> tuple[tuple[str, str], ...]:
    ds = _rows(w.study.get("DS"), usubjid)
    aph = []
    if len(ds) and {"DSDECOD", "DSSTDTC"} <= set(ds.columns):
        aph = list(ds.loc[ds["DSDECOD"].astype(str).str.upper() == "LEUKAPHERESIS", "DSSTDTC"])
    pr = _rows(w.study.get("PR"), usubjid)
    if not aph and len(pr) and {"PRTRT", "PRSTDTC"} <= set(pr.columns):
        aph = list(pr.loc[pr["PRTRT"].astype(str).str.upper() == "LEUKAPHERESIS", "PRSTDTC"])
    ex = _rows(w.study.get("EX"), usubjid)
    ld = ex.loc[ex["EXCAT"].astype(str).str.upper() == "LYMPHODEPLETING CHEMOTHERAPY",
                "EXSTDTC"] if len(ex) and "EXCAT" in ex else []
    return (("Informed consent", _date(dm.get("RFICDTC")) or "not recorded"),
            ("Apheresis", _date(min(aph)) if len(aph) else "not recorded"),
            ("Lymphodepletion started", _date(min(ld)) if len(ld) else "not recorded"),
            ("CAR-T infusion", _date(infusion) if infusion is not None else "not infused"))


def _disposition(w: Workspace, usubjid: str) -> Table:
    ds = _rows(w.study.get("DS"), usubjid)
    rows = [(_date(d.get("DSSTDTC")), label(d.get("DSTERM")),
             label(d.get("DSCAT")), label(d.get("EPOCH")))
            for d in ds.to_dict("records")]
    return Table(("Date", "Event", "Kind", "Study period"), tuple(rows))


def _dosing(w: Workspace, usubjid: str, infusion: pd.Timestamp | None) -> Table:
    ex = _rows(w.study.get("EX"), usubjid)
    recs = ex.to_dict("records")
    days = days_since_all([e.get("EXSTDTC") for e in recs], infusion)
    rows = [(label(e.get("EXTRT")), label(e.get("EXCAT")),
             f"{text(e.get('EXDOSE'))} {text(e.get('EXDOSU'))}".strip(),
             _date(e.get("EXSTDTC")), day) for e, day in zip(recs, days, strict=True)]
    return Table(("Treatment", "Kind", "Dose", "Date", "Day"), tuple(rows))


def _dlt(d: pd.DataFrame) -> tuple[tuple[str, str], ...]:
    if d.empty:
        return (("Dose-limiting toxicity", "not assessed (not infused, or not in escalation)"),)
    r = d.iloc[0]
    dlt = text(r.get("DLT")).lower() in ("yes", "y", "true", "1")
    rows = [("Dose-limiting toxicity", "yes" if dlt else "no"),
            ("Evaluable for DLT", "yes" if bool(r.get("DLT_EVALUABLE")) else "no"),
            ("Evaluability", text(r.get("EVALUABILITY"))),
            ("Follow-up (days)", text(r.get("FOLLOWUP_DAY"), 0))]
    if dlt:
        rows += [("DLT event", text(r.get("DLT_TERM"))), ("DLT grade", text(r.get("DLT_GRADE"))),
                 ("DLT onset (day)", text(r.get("DLT_ONSET_DAY"), 0)),
                 ("DLT criterion", text(r.get("DLT_CRITERION") or r.get("DLT_RULE")))]
    return tuple(rows)


def _adverse_events(w: Workspace, usubjid: str, infusion: pd.Timestamp | None) -> Table:
    ae = _rows(w.study.get("AE"), usubjid)
    recs = ae.to_dict("records")
    starts = parse_dtc(pd.Series([text(a.get("AESTDTC")) for a in recs], dtype="string"))["dt"]
    ends = parse_dtc(pd.Series([text(a.get("AEENDTC")) for a in recs], dtype="string"))["dt"]
    days = days_since_all([a.get("AESTDTC") for a in recs], infusion)
    rows = []
    for a, start, end, day in zip(recs, starts, ends, days, strict=True):
        dur = (f"{(end - start).days + 1}" if pd.notna(start) and pd.notna(end)
               else "no end date" if pd.isna(end) else "")
        rows.append((text(a.get("AEDECOD")) or text(a.get("AETERM")), text(a.get("AETOXGR")),
                     _date(a.get("AESTDTC")), day, dur,
                     "yes" if text(a.get("AESER")).upper() == "Y" else "no",
                     label(a.get("AEREL")), label(a.get("AEOUT"))))
    return Table(("Event", "Grade", "Onset", "Onset (day)", "Duration (days)", "Serious",
                  "Related to CAR-T", "Outcome"), tuple(rows))


def _treatments(w: Workspace, usubjid: str, infusion: pd.Timestamp | None) -> Table:
    cm = _rows(w.study.get("CM"), usubjid)
    if len(cm) and "CMCAT" in cm:
        cm = cm[cm["CMCAT"].astype(str).str.upper() == "CRS/ICANS MANAGEMENT"]
    recs = cm.to_dict("records")
    first = days_since_all([c.get("CMSTDTC") for c in recs], infusion)
    last = days_since_all([c.get("CMENDTC") for c in recs], infusion)
    rows = [(label(c.get("CMTRT")), text(c.get("CMCLAS")),
             f"{text(c.get('CMDOSE'))} {text(c.get('CMDOSU'))}".strip(), d0, d1,
             text(c.get("CMINDC"))) for c, d0, d1 in zip(recs, first, last, strict=True)]
    return Table(("Drug", "Class", "Dose", "Start (day)", "End (day)", "Given for"), tuple(rows))


def _response(w: Workspace, usubjid: str) -> tuple[tuple[str, str], ...]:
    s = _rows(None if w.response is None else w.response.subjects, usubjid)
    if s.empty:
        return (("Best confirmed response (IMWG 2016)", "not evaluable / not assessed"),)
    r = s.iloc[0]
    bor = text(r.get("BOR"))
    return (("Best confirmed response (IMWG 2016)", RESPONSES.get(bor, bor)),
            ("First response (PR or better)", _date(r.get("FRSPDT"))),
            ("First complete response", _date(r.get("FCRDT"))),
            ("Progression", _date(r.get("PDDT"))))


def _response_timeline(w: Workspace, usubjid: str, infusion: pd.Timestamp | None) -> Table:
    a = _rows(None if w.response is None else w.response.assessments, usubjid)
    recs = a.to_dict("records")
    days = days_since_all([_date(x.get("ADT")) for x in recs], infusion)
    rows = [(_date(x.get("ADT")), day,
             RESPONSES.get(text(x.get("AVALC")), text(x.get("AVALC"))),
             RESPONSES.get(text(x.get("CONFC")), text(x.get("CONFC"))))
            for x, day in zip(recs, days, strict=True)]
    return Table(("Assessment date", "Day", "Response at the assessment",
                  "Confirmed response"), tuple(rows))


def _death(w: Workspace, usubjid: str, dm: pd.Series,
           infusion: pd.Timestamp | None) -> tuple[tuple[str, str], ...]:
    when = _date(dm.get("DTHDTC"))
    if not when:
        return ()
    ds = _rows(w.study.get("DS"), usubjid)
    cause = ""
    if len(ds) and {"DSDECOD", "DSTERM"} <= set(ds.columns):
        dead = ds[ds["DSDECOD"].astype(str).str.upper() == "DEATH"]
        cause = label(dead["DSTERM"].iloc[0]) if len(dead) else ""
    ae = _rows(w.study.get("AE"), usubjid)
    if not cause and len(ae) and "AESDTH" in ae:
        fatal = ae[ae["AESDTH"].astype(str).str.upper() == "Y"]
        cause = text(fatal["AEDECOD"].iloc[0]) if len(fatal) else ""
    return (("Date of death", when), ("Day since infusion", days_since(when, infusion)),
            ("Cause", cause or "not recorded"))


def _cytopenias(c: pd.DataFrame) -> Table:
    """CTCAE cytopenias after infusion: worst grade, recovery, prolonged beyond the protocol's
    day (:func:`cartrial.safety.cytopenia_recovery`)."""
    rows = [(text(r.get("TERM")), text(r.get("WORST_GRADE")), text(r.get("FIRST_DAY"), 0),
             "yes" if r.get("RECOVERED") is True else "no",
             text(r.get("RECOVERY_DAY"), 0), "yes" if r.get("PROLONGED") is True else "no")
            for r in c.to_dict("records")]
    return Table(("Cytopenia", "Worst CTCAE grade", "First day", "Recovered",
                  "Recovery (day)", "Prolonged"), tuple(rows))


def _lb_rows(w: Workspace, usubjid: str) -> pd.DataFrame:
    """``_rows`` of LB, read for the patient only (issue #18: a large LB is not read whole)."""
    lb = subject_frame(w.study, "LB", {usubjid})
    return pd.DataFrame() if lb is None or "USUBJID" not in lb else lb.reset_index(drop=True)


def _cytokines(lb: pd.DataFrame) -> pd.DataFrame:
    if lb.empty or "LBCAT" not in lb:
        return lb.iloc[:0]
    return lb[lb["LBCAT"].astype(str).str.upper() == "CYTOKINES"]


def _series(df: pd.DataFrame, dom: str, infusion: pd.Timestamp | None) -> Table:
    """Measurements over time (CAR-T kinetics from PC, cytokines from LB) as recorded."""
    recs = df.to_dict("records")
    days = days_since_all([r.get(f"{dom}DTC") for r in recs], infusion)
    rows = [(text(r.get(f"{dom}TEST")), _date(r.get(f"{dom}DTC")), day,
             text(r.get(f"{dom}ORRES")), text(r.get(f"{dom}ORRESU")))
            for r, day in zip(recs, days, strict=True)]
    return Table(("Test", "Date", "Day", "Result", "Unit"), tuple(rows))
