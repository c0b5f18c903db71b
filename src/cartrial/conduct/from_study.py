"""`decide` on an SDTM study: the escalation patients (parts and cohorts as recorded, see
``cartrial.data.study_parts``) at the cut-off -> safety engine's DLT adjudication -> the design's
recommendation (issue #3 point 7, issue #5 point 4, issue #15 points 1 and 3)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pandas as pd

from cartrial.conduct.followup import followed_to_cutoff
from cartrial.conduct.recommend import Recommendation, recommend
from cartrial.data import Study, snapshot
from cartrial.data.dose_counted import counted_dose
from cartrial.data.study_parts import study_parts
from cartrial.errors import InputError
from cartrial.protocol import Protocol
from cartrial.study_reads import subject_frame

PATIENT_COLUMNS = ["USUBJID", "DOSE_LEVEL", "DOSE_INDEX", "INFUSION_DATE", "DLT",
                   "DLT_EVALUABLE", "FOLLOWUP_DAY", "DLT_RULE", "DLT_TERM", "DLT_ONSET_DAY",
                   "BACKFILL", "PART", "COHORT", "ASSIGNED_INDEX", "RECEIVED_DOSE",
                   "DOSE_ADJ", "COUNTED_AS"]


@dataclass(frozen=True)
class StudyDecision:
    """A recommendation with what it was made on: cut-off, patients' DLT status, data hash.

    ``phase`` is ``not started`` (no escalation patient infused by the cut-off), ``escalation``
    or ``expansion`` (the escalation has stopped); ``status`` says it in one sentence for the
    committee; ``stopped_on`` and ``selected`` are set once the escalation has stopped.

    Attributes
    ----------
    recommendation : Recommendation
        The design's decision with the per-dose table and trial state it was made on.
    patients : pandas.DataFrame
        Each escalation patient's dose level and DLT status at the cut-off
        (:func:`dlt_status`).
    as_of : datetime.date or None
        The data cut-off (None = all data).
    data_hash : str
        sha256 of the input data, so a decision can be traced to the files it was made on.
    phase, status : str
        "not started", "escalation" or "expansion", and the one-sentence status.
    stopped_on : datetime.date, optional
        Date the escalation stopped.
    selected : str, optional
        Id of the selected dose level (e.g. "DL2") once stopped.

    Examples
    --------
    Needs a whole trial on disk (SDTM as loaded by ``load_study``), so not run here:

    >>> d = decide_study(load_study("example"), load_protocol("ct071"))  # doctest: +SKIP
    >>> d.phase, d.status, d.recommendation.decision.action  # doctest: +SKIP
    """

    recommendation: Recommendation
    patients: pd.DataFrame
    as_of: date | None
    data_hash: str
    phase: str = "escalation"
    status: str = ""
    stopped_on: date | None = None
    selected: str | None = None


def escalation_subjects(study: Study, parts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Study parts (``study_parts``) of the subjects who enter the escalation decision.

    Parameters
    ----------
    study : Study
        The SDTM study.
    parts : pandas.DataFrame, optional
        ``study_parts(study)`` when already read (not read again).

    Returns
    -------
    pandas.DataFrame
        One row per escalation subject (``USUBJID``, ``ASSIGNED_LEVEL``, ``COHORT``,
        ``BACKFILL``, ``INFUSION_DATE``, ...), expansion patients left out.

    Examples
    --------
    >>> from cartrial.data import Study
    >>> from cartrial.example import simulate_trial
    >>> from cartrial.protocol import load_protocol
    >>> study = Study(simulate_trial(load_protocol("ct071"), n_patients=6).domains)
    >>> escalation_subjects(study)["ASSIGNED_LEVEL"].tolist()
    ['DL1', 'DL1', 'DL1', 'DL2', 'DL2', 'DL2']
    """
    sp = study_parts(study) if parts is None else parts
    return sp[sp["IN_ESCALATION"]].reset_index(drop=True)


def _subset(study: Study, ids: set[str]) -> Study:
    """The study restricted to the subjects ``ids`` (every domain with a USUBJID)."""
    out = {}
    for name in study.domains:  # each domain read for those subjects only (issue #18)
        if "USUBJID" in study.variables(name):
            out[name] = subject_frame(study, name, ids).reset_index(drop=True)
        else:
            out[name] = study[name]
    return replace(study, domains=out)


def _empty_patients() -> pd.DataFrame:
    cols = {c: pd.Series(dtype=object) for c in PATIENT_COLUMNS}
    cols.update(DOSE_INDEX=pd.Series(dtype=int), FOLLOWUP_DAY=pd.Series(dtype=float),
                ASSIGNED_INDEX=pd.Series(dtype=int), RECEIVED_DOSE=pd.Series(dtype=float),
                INFUSION_DATE=pd.Series(dtype="datetime64[ns]"),
                DLT_EVALUABLE=pd.Series(dtype=bool))
    return pd.DataFrame(cols)


def dlt_status(study: Study, protocol: Protocol, as_of: date | str | None = None) -> pd.DataFrame:
    """Per escalation patient infused by ``as_of``: dose, infusion date, DLT status, part, cohort.

    Parameters
    ----------
    study : Study
        The study (validated: ``cartrial.data.validate_study`` has no errors).
    protocol : Protocol
        Dose levels, DLT definition and window.
    as_of : date or str, optional
        Data cut-off: only what was recorded by then is used. A patient who neither died nor
        withdrew before it is followed up to the cut-off (the data are taken as complete on that
        date). None: all data.

    Returns
    -------
    pandas.DataFrame
        One row per infused escalation / sentinel / backfill patient (expansion patients never
        enter the escalation decision): the safety engine's DLT adjudication (``DLT`` yes / no /
        pending, ``DLT_EVALUABLE``, ``FOLLOWUP_DAY``, ``DLT_RULE``...) with ``DOSE_INDEX`` and
        ``DOSE_LEVEL`` (the level the patient counts at, ``conduct.dose_counted``),
        ``ASSIGNED_INDEX`` (the level assigned), ``RECEIVED_DOSE`` (``EX.EXDOSE``),
        ``DOSE_ADJ`` (``EX.EXADJ``), ``COUNTED_AS``,
        ``INFUSION_DATE``, ``BACKFILL``, ``PART`` and ``COHORT``. Empty (with these columns) when
        no such patient was infused by ``as_of``.

    Raises
    ------
    InputError
        An infused subject whose ``DM.ACTARMCD`` is not a protocol dose level.

    Examples
    --------
    >>> dlt_status(load_study("sdtm"), load_protocol("ct071"), "2024-03-01")  # doctest: +SKIP
    """
    from cartrial.conduct.known_on import active
    from cartrial.safety.dlt_study import adjudicate_study_dlt
    from cartrial.safety.sdtm import safety_inputs

    known = active(study, protocol)  # inputs built once (the history: cut per date)
    esc = known.escalation(study) if known is not None else escalation_subjects(study)
    cut = None if as_of is None else pd.Timestamp(as_of).normalize()
    treated = esc["INFUSION_DATE"].notna()
    if cut is not None:
        treated &= esc["INFUSION_DATE"] <= cut
    if not treated.any():
        return _empty_patients()
    esc = esc[treated].set_index("USUBJID")
    inputs = (known.inputs(set(esc.index), cut)
              if known is not None and (cut is None or known.cutting) else None)
    graded = known.graded_labs(inputs) if inputs is not None else None  # graded once
    if inputs is None:
        snap = _subset(study, set(esc.index))
        snap = snapshot(snap, as_of) if as_of is not None else snap
        inputs = safety_inputs(snap, protocol)
    if cut is not None:  # followed to the cut-off (conduct.followup)
        subj = followed_to_cutoff(inputs.subjects, esc["INFUSION_DATE"], cut)
        inputs = replace(inputs, subjects=subj)
    res = adjudicate_study_dlt(inputs, protocol, graded_labs=graded).patients.copy()
    ids = protocol.dose_ids
    unknown = ~res["DOSE_LEVEL"].isin(ids)
    if unknown.any():
        r = res.loc[unknown].iloc[0]
        raise InputError(f"DM USUBJID={r['USUBJID']} ACTARMCD={r['DOSE_LEVEL']!r}: infused "
                         f"subject whose arm is not a protocol dose level {ids}")
    counted = counted_dose(esc, protocol)  # protocol conduct.count_dose_as
    res["ASSIGNED_INDEX"] = res["USUBJID"].map(counted["ASSIGNED_INDEX"]).astype(int)
    res["DOSE_INDEX"] = res["USUBJID"].map(counted["COUNTED_INDEX"]).astype(int)
    res["DOSE_LEVEL"] = [ids[i] for i in res["DOSE_INDEX"]]
    res["COUNTED_AS"] = res["USUBJID"].map(counted["COUNTED_AS"])
    for col in ("INFUSION_DATE", "BACKFILL", "PART", "COHORT", "RECEIVED_DOSE", "DOSE_ADJ"):
        res[col] = res["USUBJID"].map(esc[col])
    from cartrial.conduct.dose_efficacy import with_efficacy
    from cartrial.conduct.uboin_inputs import EFFICACY_DESIGNS

    if protocol.design.name in EFFICACY_DESIGNS:  # response enters the decision (issue #20)
        res = with_efficacy(res, study, protocol, as_of)
    return res


def decide_study(study: Study, protocol: Protocol,
                 as_of: date | str | None = None, *,
                 adjudications: pd.DataFrame | None = None) -> StudyDecision:
    """The design's recommendation on the escalation as known at ``as_of`` (default: all data).

    Parameters
    ----------
    study : Study
        The study (validated first by the caller: errors there stop ``cartrial decide``).
    protocol : Protocol
        The protocol the trial is conducted with.
    as_of : date or str, optional
        Data cut-off (any date: before the first infusion, during or after the escalation).
    adjudications : pandas.DataFrame, optional
        The committee's DLT calls (``USUBJID``, ``DLT``, ``RATIONALE``, ``ADJ_DATE``; see
        ``cartrial.conduct.adjudication``): those dated by ``as_of`` replace the engine's call.

    Returns
    -------
    StudyDecision
        Recommendation, patients, and the phase of the trial: before any infusion the design's
        start ("no patient treated yet: treat the first cohort at DL1"); after the escalation
        stopped, the stop date and the selected dose (``conduct.history``).

    Raises
    ------
    InputError
        Data the engines cannot use (see ``dlt_status``).

    Examples
    --------
    >>> decide_study(load_study("sdtm"), load_protocol("ct071"), "2023-07-01").status
    ... # doctest: +SKIP
    'no patient treated yet: treat the first cohort at DL1'
    """
    from cartrial.conduct.known_on import KnownOn, active, known_on

    if active(study, protocol) is not None:
        return _decide(study, protocol, as_of, adjudications)
    with known_on(KnownOn(study, protocol)):  # the history shares the whole study's inputs
        return _decide(study, protocol, as_of, adjudications)


def _decide(study: Study, protocol: Protocol, as_of: date | str | None,
            adjudications: pd.DataFrame | None) -> StudyDecision:
    from cartrial.conduct.adjudication import apply_adjudications
    from cartrial.conduct.history import escalation_history
    from cartrial.conduct.known_on import active

    cut = pd.Timestamp(as_of).date() if as_of is not None else None

    patients = dlt_status(study, protocol, as_of)
    if adjudications is not None and len(adjudications):
        patients = apply_adjudications(patients, adjudications,
                                       protocol.design.dlt_window_days, as_of)
    rec = recommend(patients, protocol)
    start = protocol.starting_dose
    if patients.empty:
        return StudyDecision(rec, patients, cut, study.data_hash, "not started",
                             f"no patient treated yet: treat the first cohort at {start}")
    known = active(study, protocol)  # read once: who is in which part, and when
    sp = known.parts if known is not None and study is known.source else study_parts(study)
    if rec.decision.action != "stop" and not _expansion_started(sp, cut):
        return StudyDecision(rec, patients, cut, study.data_hash,
                             status=_sentinel(patients, protocol, cut))
    hist = escalation_history(study, protocol, until=cut)
    stop = hist[hist["action"] == "stop"]
    if rec.decision.action != "stop" and stop.empty:
        first = _expansion_started(sp, cut, first=True)
        status = (f"expansion started on {first} while the design's escalation decision on "
                  f"the data is {rec.decision.action.upper()}")
        return StudyDecision(rec, patients, cut, study.data_hash, "escalation", status)
    on = pd.Timestamp(stop["date"].iloc[0]).date() if len(stop) else cut
    sel_rows = hist[hist["action"] == "select"]
    sel = sel_rows["next_dose"].iloc[0] if len(sel_rows) else None
    if sel is None:
        s = rec.selection
        from cartrial.conduct.phase12_history import selected_index  # the OBD for BOIN12

        sel = None if s is None or selected_index(s) is None else protocol.dose_ids[
            selected_index(s)]
    where = "now in expansion" if _expansion_started(sp, cut) else "no expansion patient yet"
    if protocol.design.randomised_stage is not None and where != "now in expansion":  # ROSE
        where = ("now in the randomised dose-optimisation stage" if _expansion_started(
            sp, cut, part="RANDOMISED") else "randomised dose-optimisation stage not started")
    when = f"on {on}" if on is not None else "on the data"
    status = (f"escalation stopped {when}: {sel or 'no dose'} selected; {where}")
    return StudyDecision(rec, patients, cut, study.data_hash, "expansion", status, on, sel)


def _sentinel(patients: pd.DataFrame, protocol: Protocol, cut: date | None) -> str:
    """"sentinel: next infusion not before DATE" while the latest escalation cohort has only
    its first patient infused and ``design.accrual.stagger_days`` have not passed since (the
    rule the example's conduct and the TITE simulators follow); else ""."""
    n = protocol.design.accrual.stagger_days
    esc = patients[patients["BACKFILL"] != "Y"]
    if not n or cut is None or esc.empty or protocol.design.cohort_size < 2:
        return ""
    last = esc.sort_values("INFUSION_DATE", kind="stable").iloc[-1]
    cohort = esc[esc["COHORT"] == last["COHORT"]] if pd.notna(last["COHORT"]) else esc.iloc[-1:]
    release = (cohort["INFUSION_DATE"].min() + pd.Timedelta(days=n)).date()
    if len(cohort) == 1 and cut < release:
        return f"sentinel: next infusion not before {release}"
    return ""


def _expansion_started(sp: pd.DataFrame, cut: date | None, first: bool = False,
                       part: str = "EXPANSION"):
    """Whether an expansion patient (or one of ``part``) consented (or was infused) by ``cut``;
    with ``first``, the date the first one did; ``sp`` is ``study_parts(study)``."""
    exp = sp[sp["PART"] == part]
    when = exp["CONSENT_DATE"].fillna(exp["INFUSION_DATE"])
    if cut is not None:
        when = when[when <= pd.Timestamp(cut)]
    if first:
        return when.min().date() if len(when.dropna()) else None
    return bool(len(when.dropna()))
