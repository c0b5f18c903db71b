"""DLT adjudication of a study without the safety tables: the path trial conduct takes.

``cartrial decide`` and the escalation history need, at each decision date, only each patient's
DLT status. :func:`adjudicate_study_dlt` grades what the protocol's DLT rules read (CRS and
ICANS, ASTCT 2019: Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38; the CTCAE
laboratory grades, NCI CTCAE v5.0 / v6.0) and adjudicates; it builds none of the tables,
baskets, ICAHT, CAR-HEMATOTOX or IEC-HS results of :func:`cartrial.safety.analyse_safety`,
whose DLT result it equals (both put their events together with :func:`dlt_events`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.batches import subject_batches, take_rows
from cartrial.protocol.model import Protocol
from cartrial.safety.crs import CrsResult, grade_crs
from cartrial.safety.ctcae import grade_labs, lab_grades_long
from cartrial.safety.dlt import DltResult, adjudicate_dlt, crs_events, lab_events
from cartrial.safety.guidelines import ctcae_lab_criteria
from cartrial.safety.icans import IcansResult, grade_icans
from cartrial.safety.sdtm import LAB_BATCH_SUBJECTS, SafetyInputs
from cartrial.safety.sdtm_base import HEMATOLOGIC_TERMS, ICANS_TERM

_HEME = frozenset(t.upper() for t in HEMATOLOGIC_TERMS)


def ae_dlt_events(ae: pd.DataFrame, covered: dict[str, set[str]]) -> pd.DataFrame:
    """AE records as DLT events; CRS / ICANS AEs only for subjects without graded time points."""
    keep = np.ones(len(ae), dtype=bool)
    for cat, subjects in covered.items():
        keep &= ~((ae["CATEGORY"] == cat) & ae["USUBJID"].isin(subjects)).to_numpy()
    a = ae[keep]
    return pd.DataFrame({
        "USUBJID": a["USUBJID"], "EVENT_ID": "AE-" + a["SEQ"].astype(str),
        "CATEGORY": a["CATEGORY"], "TERM": a["AEDECOD"], "DAY": a["START_DAY"],
        "GRADE": a["GRADE"], "END_DAY": a["END_DAY"], "RELATED": a["RELATED"]})


def graded_lab_events(graded: pd.DataFrame, long: pd.DataFrame | None = None,
                      ) -> tuple[pd.DataFrame, set[str]]:
    """(DLT events of graded laboratory records, subjects with a graded haematology record);
    ``long`` is ``lab_grades_long(graded)`` when the caller has it already."""
    long = lab_grades_long(graded) if long is None else long
    terms = long["TERM"]  # a few dozen distinct terms over many records: upper-cased once each
    heme = [t for t in pd.unique(terms) if isinstance(t, str) and t.upper() in _HEME]
    covered = set(long.loc[terms.isin(heme), "USUBJID"])
    return lab_events(long), covered


def dlt_events(ae: pd.DataFrame, crs: CrsResult, icans: IcansResult,
               labs: pd.DataFrame, hematologic_subjects: set[str]) -> pd.DataFrame:
    """Every DLT event: graded CRS / ICANS time points, laboratory events, then AE records.

    Graded observations are the source wherever they exist: an AE record carries its worst
    grade over its whole span, which would overstate how long grade 4 lasted.
    """
    covered = {"CRS": set(crs.timepoints["USUBJID"]), "ICANS": set(icans.timepoints["USUBJID"]),
               "HEMATOLOGIC": hematologic_subjects}
    return pd.concat([
        crs_events(crs.timepoints),
        crs_events(icans.timepoints, category="ICANS", term=ICANS_TERM),
        labs,
        ae_dlt_events(ae, covered),
    ], ignore_index=True)


def adjudicate_study_dlt(inputs: SafetyInputs, protocol: Protocol, *,
                         batch_subjects: int = LAB_BATCH_SUBJECTS,
                         graded_labs: pd.DataFrame | None = None) -> DltResult:
    """Each infused patient's DLT status from the safety inputs, grading only what DLT rules read.

    Parameters
    ----------
    inputs : SafetyInputs
        The engine's input frames (:func:`cartrial.safety.safety_inputs`).
    protocol : Protocol
        DLT rules (``protocol.dlt``), DLT window, CTCAE version, masked-fever setting.
    batch_subjects : int
        Laboratory records are graded this many subjects at a time.
    graded_labs : pandas.DataFrame, optional
        ``grade_labs`` of all of ``inputs.labs`` with the protocol's CTCAE version and
        treatment-emergent window, already done (:class:`cartrial.safety.graded_once.GradedLabs`
        cuts it from the whole study's grading); each batch then takes its subjects' rows
        instead of grading them (subjects are independent in ``grade_labs``).

    Returns
    -------
    DltResult
        The same result as ``analyse_safety(inputs, protocol).dlt``.

    Raises
    ------
    RecordError
        A record the graders or the adjudication cannot use (as ``analyse_safety``).

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38 (ASTCT CRS and ICANS grading);
    NCI Common Terminology Criteria for Adverse Events v5.0 (2017).

    Examples
    --------
    >>> from cartrial.safety import safety_inputs                 # doctest: +SKIP
    >>> adjudicate_study_dlt(safety_inputs(study, protocol), protocol).patients  # doctest: +SKIP
    """
    s = protocol.safety
    crs = grade_crs(inputs.crs, masked_fever_keeps_grade1=s.masked_fever_keeps_grade1)
    icans = grade_icans(inputs.icans)
    criteria = ctcae_lab_criteria(s.ctcae_version)
    events, covered = [], set()
    labs = inputs.labs
    subj = labs["USUBJID"].astype(str)
    for rows in subject_batches(subj, batch_subjects):
        if graded_labs is None:
            g = grade_labs(labs.iloc[rows], criteria=criteria,
                           treatment_emergent_until_day=s.treatment_emergent_until_day)
        else:  # sorted by USUBJID as grade_labs sorts: the batch's subjects' rows, in order
            mine = graded_labs["USUBJID"].isin(subj.iloc[rows].unique()).to_numpy()
            g = take_rows(graded_labs, mine)
        ev, cov = graded_lab_events(g)
        events.append(ev)
        covered |= cov
    full = [e for e in events if len(e)]  # subject_batches gives at least one batch
    lab_ev = pd.concat(full, ignore_index=True) if full else events[0]
    ev = dlt_events(inputs.ae, crs, icans, lab_ev, covered)
    return adjudicate_dlt(ev, inputs.subjects, protocol.dlt,
                          window_days=protocol.design.dlt_window_days)
