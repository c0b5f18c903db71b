"""The whole safety analysis of one study: graders, DLT adjudication and tables together.

Input: :class:`cartrial.safety.sdtm.SafetyInputs` (or frames built by hand) and the protocol;
output: a frozen :class:`SafetyAnalysis` with every result frame, the tables and the method
record (guideline versions and open-decision settings) for output metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from cartrial.data.batches import subject_batches
from cartrial.protocol.model import Protocol, SafetySettings
from cartrial.safety._frames import paramcd_memo
from cartrial.safety.baskets import basket_tables
from cartrial.safety.crs import CrsResult, grade_crs
from cartrial.safety.ctcae import grade_labs, lab_grades_long, worst_lab_grades
from cartrial.safety.ctcae_scope import graded_input
from cartrial.safety.cytopenia import cytopenia_recovery, cytopenia_table, hypogammaglobulinemia
from cartrial.safety.dlt import DltResult, adjudicate_dlt
from cartrial.safety.dlt_study import dlt_events, graded_lab_events
from cartrial.safety.grade_source import primary_ae, reconcile_syndrome_grades, syndrome_events
from cartrial.safety.guidelines import ctcae_lab_criteria
from cartrial.safety.hematotox import car_hematotox
from cartrial.safety.icaht import grade_icaht
from cartrial.safety.icaht_tables import hematotox_table, icaht_by_risk_table, icaht_table
from cartrial.safety.icans import IcansResult, grade_icans
from cartrial.safety.iec_hs import identify_iec_hs, iec_hs_table
from cartrial.safety.lab_scope import analysis_lab_scope
from cartrial.safety.reported_grades import compare_reported_grades, term_key
from cartrial.safety.sdtm import (
    CRS_TERM,
    ICANS_TERM,
    LAB_BATCH_SUBJECTS,
    SafetyInputs,
)
from cartrial.safety.tables import (
    count_rows,
    crs_table,
    deaths_table,
    dlt_table,
    icans_table,
    teae_grade_table,
    teae_table,
)


@dataclass(frozen=True)
class SafetyAnalysis:
    """Every result of one study's safety analysis (:func:`analyse_safety`).

    Attributes
    ----------
    crs, icans : CrsResult, IcansResult
        ASTCT 2019 grades per time point and per episode.
    labs, worst_labs, cytopenias : pandas.DataFrame
        CTCAE-graded lab records, worst grade per subject and term, cytopenia recovery.
    grade_disagreements : pandas.DataFrame
        Reported (AE) against derived grades where they differ (STATUS != AGREE).
    dlt : DltResult
        DLT adjudication per patient.
    tables : dict of str to pandas.DataFrame
        The safety tables by name (summary, teae, crs, icans, dlt, deaths, ...).
    method : dict
        Guideline versions and open-decision settings, for output metadata.
    syndrome_events, reconciliation : pandas.DataFrame
        Every CRS / ICANS event with reported, derived and primary grade; their reconciliation.
    icaht, hematotox, iec_hs : pandas.DataFrame
        ICAHT grade and CAR-HEMATOTOX score per subject; the IEC-HS listing.

    Examples
    --------
    Skipped: needs a whole study (see :func:`analyse_safety`).

    >>> analyse_safety(safety_inputs(study, protocol), protocol).dlt  # doctest: +SKIP
    """

    crs: CrsResult
    icans: IcansResult
    labs: pd.DataFrame                 # graded lab records (ATOXGRL / ATOXGRH ...)
    worst_labs: pd.DataFrame
    cytopenias: pd.DataFrame
    grade_disagreements: pd.DataFrame  # reported (AE) vs derived, STATUS != AGREE
    dlt: DltResult
    tables: dict[str, pd.DataFrame]
    method: dict[str, object] = field(default_factory=dict)
    # every CRS / ICANS event with reported, derived and primary grade (grade_source.py)
    syndrome_events: pd.DataFrame = field(default_factory=pd.DataFrame)
    reconciliation: pd.DataFrame = field(default_factory=pd.DataFrame)
    icaht: pd.DataFrame = field(default_factory=pd.DataFrame)      # grade_icaht per subject
    hematotox: pd.DataFrame = field(default_factory=pd.DataFrame)  # car_hematotox per subject
    iec_hs: pd.DataFrame = field(default_factory=pd.DataFrame)     # identify_iec_hs listing


@dataclass(frozen=True)
class _LabResults:
    graded: pd.DataFrame
    worst: pd.DataFrame
    cytopenias: pd.DataFrame
    events: pd.DataFrame
    hematologic_subjects: set[str]
    ctcae_version: str | None


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Per-batch results in batch order; empty batches add no rows and do not change dtypes."""
    full = [p for p in parts if len(p)]
    return pd.concat(full, ignore_index=True) if full else parts[0]


def _lab_results(labs: pd.DataFrame, protocol: Protocol, *, batch_subjects: int,
                 keep_labs: bool) -> _LabResults:
    """CTCAE grades, worst grades, cytopenia recovery and DLT lab events, ``batch_subjects``
    subjects at a time in USUBJID order. Every result is per subject and sorted by USUBJID
    first, so the batches put together equal one pass over all records (tested); a large trial's
    graded records (millions of rows) are never all held unless ``keep_labs``."""
    s = protocol.safety
    te_day = s.treatment_emergent_until_day
    graded, worst, cyto, events = [], [], [], []
    covered: set[str] = set()
    version = None
    criteria = ctcae_lab_criteria(s.ctcae_version)
    # without keep_labs only graded records are read (lab_grades_long): those of tests without a
    # CTCAE term are not graded (ctcae_scope); a batch keeps them when it has no other record
    needed = None if keep_labs else graded_input(labs, criteria)
    # no gc.collect() between batches: a batch leaves no cyclic garbage worth collecting (3,000
    # patients: the same peak memory within 3 MB, ~0.1 s of CPU per full collection saved)
    for rows in subject_batches(_as_str(labs["USUBJID"]), batch_subjects):
        if needed is not None and needed[rows].any():
            rows = rows[needed[rows]]
        g = grade_labs(labs.iloc[rows], treatment_emergent_until_day=te_day, criteria=criteria)
        long = lab_grades_long(g)  # once per batch: the three below read it, none changes it
        worst.append(worst_lab_grades(g, treatment_emergent_until_day=te_day, long=long))
        cyto.append(cytopenia_recovery(g, prolonged_day=s.prolonged_cytopenia_day, long=long))
        ev, cov = graded_lab_events(g, long)
        covered |= cov
        events.append(ev)
        if version is None and len(g):
            version = g["CTCAE_VERSION"].iloc[0]
        graded.append(g if keep_labs else g.iloc[:0].copy())  # a slice is a view of g
        del g, long
    return _LabResults(_concat(graded), _concat(worst), _concat(cyto), _concat(events), covered,
                       version)


def _as_str(s: pd.Series) -> pd.Series:
    """``s.astype(str)``, without its copy when ``s`` holds ``str`` values only (a large trial's
    lab records: 3.3 million at 10,000 patients)."""
    if s.dtype == object and all(type(u) is str for u in pd.unique(s)):
        return s
    return s.astype(str)


def analyse_safety(inputs: SafetyInputs, protocol: Protocol, *,
                   batch_subjects: int = LAB_BATCH_SUBJECTS,
                   keep_labs: bool = True, tables: bool = True) -> SafetyAnalysis:
    """Grade CRS / ICANS / labs, adjudicate DLTs and build the safety tables (issue #5).

    Laboratory records are graded ``batch_subjects`` subjects at a time; with
    ``keep_labs=False`` the graded records are not kept (``SafetyAnalysis.labs`` is empty with
    its columns): every table and the DLT adjudication are the same, and a large trial's peak
    memory is that of one batch (``cartrial analyze`` uses this; ADLB grades the records
    itself). A caller that hands its inputs over (holds no reference to them) has their CRS
    and ICANS frames freed once they are graded.

    Parameters
    ----------
    inputs : SafetyInputs
        The engine's input frames (:func:`cartrial.safety.safety_inputs`, or built by hand).
    protocol : Protocol
        The trial protocol: safety settings (CTCAE version, treatment-emergent window, open
        decisions), DLT rules and the design's DLT window.
    batch_subjects : int, default 250
        Subjects per laboratory grading batch (bounds memory; the results do not depend on it).
    keep_labs : bool, default True
        Keep the graded laboratory records in ``SafetyAnalysis.labs``.
    tables : bool, default True
        Build the safety tables (``SafetyAnalysis.tables``); ``cartrial analyze`` computes
        them from the ADaM datasets instead (:mod:`cartrial.report.safety_adam`, the same
        counting functions) and leaves them empty here.

    Returns
    -------
    SafetyAnalysis
        Every result frame, the tables and the method record.

    Raises
    ------
    InputError, RecordError
        Input that cannot be graded, named by domain, subject, record and variable.

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38 (CRS, ICANS); NCI CTCAE v5.0
    (2017) for laboratory grades.

    Examples
    --------
    Skipped: needs a whole study and its protocol.

    >>> from cartrial.data import load_study                               # doctest: +SKIP
    >>> protocol = load_protocol("ct071")                                  # doctest: +SKIP
    >>> a = analyse_safety(safety_inputs(load_study("sdtm"), protocol), protocol)  # doctest: +SKIP
    >>> a.dlt.patients[["USUBJID", "DLT"]]                                 # doctest: +SKIP
    """
    _lab_tests_read(inputs, protocol, keep_labs=keep_labs, tables=tables)
    s = protocol.safety
    # the frames taken out of the inputs, which a caller that hands them over (cartrial
    # analyze) no longer holds: the CRS and ICANS frames are freed once graded
    syndromes = {"crs": inputs.crs, "icans": inputs.icans}
    fu, ae, labs_in, notes = inputs.subjects, inputs.ae, inputs.labs, inputs.notes
    del inputs
    crs = grade_crs(syndromes.pop("crs"), masked_fever_keeps_grade1=s.masked_fever_keeps_grade1)
    icans = grade_icans(syndromes.pop("icans"))
    lab = _lab_results(labs_in, protocol, batch_subjects=batch_subjects, keep_labs=keep_labs)
    labs, worst, cyto = lab.graded, lab.worst, lab.cytopenias

    disagreements = _grade_disagreements(worst, crs, icans, ae)

    version, events = lab.ctcae_version, [dlt_events(ae, crs, icans, lab.events,
                                                      lab.hematologic_subjects)]
    del lab  # its DLT lab events are in the events now: not held twice, nor to the end
    # the events handed over (popped): adjudicate_dlt frees them once sorted
    dlt = adjudicate_dlt(events.pop(), fu, protocol.dlt,
                         window_days=protocol.design.dlt_window_days)

    subjects = fu[["USUBJID", "DOSE_LEVEL"]]
    deaths = fu[fu["DEATH_DAY"].notna()].rename(
        columns={"DEATH_CAUSE": "CAUSE"})[["USUBJID", "DEATH_DAY", "CAUSE"]] if (
        "DEATH_DAY" in fu) else pd.DataFrame(columns=["USUBJID", "DEATH_DAY", "CAUSE"])
    # ICAHT counts stop at progression, subsequent therapy or death (safety.icaht_censor)
    censor = fu if "CENSOR_DAY" in fu else fu.rename(columns={"DEATH_DAY": "CENSOR_DAY"})
    censor = censor.reindex(columns=["USUBJID", "CENSOR_DAY"] + (
        ["CENSOR_REASON"] if "CENSOR_REASON" in censor else []))
    with paramcd_memo():  # the three read the lab records' test codes: made once
        icaht = grade_icaht(labs_in, censor=censor)
        hematotox = car_hematotox(labs_in)
        iec_hs = identify_iec_hs(labs_in, crs_episodes=crs.episodes, ae=ae)
    source = s.crs_icans_grade_source
    syn = syndrome_events(ae, crs, icans, source)
    method = _method(protocol, crs, icans, version, icaht, "CENSOR_DAY" in fu, notes)
    return SafetyAnalysis(crs, icans, labs, worst, cyto, disagreements, dlt,
                          _tables(protocol, ae, syn, subjects, crs, icans, cyto, icaht,
                                  hematotox, iec_hs, dlt, deaths, labs_in) if tables else {},
                          method, syndrome_events=syn,
                          reconciliation=reconcile_syndrome_grades(syn),
                          icaht=icaht, hematotox=hematotox, iec_hs=iec_hs)


def _lab_tests_read(inputs: SafetyInputs, protocol: Protocol, *, keep_labs: bool,
                    tables: bool) -> None:
    """Refuse inputs whose lab records were read for fewer tests than this analysis reads (or
    keeps: ``keep_labs`` hands every record on), rather than leave the others out silently."""
    if inputs.lab_tests is None:
        return
    missing = analysis_lab_scope(protocol, tables=tables).tests - inputs.lab_tests
    if keep_labs or missing:
        raise ValueError("analyse_safety: the lab records were read for some tests only "
                         f"(safety_inputs' scope); this analysis reads {sorted(missing)} "
                         f"too{' and keeps every record (keep_labs)' if keep_labs else ''}")


def _tables(protocol: Protocol, ae, syn, subjects, crs, icans, cyto, icaht, hematotox, iec_hs,
            dlt, deaths, labs) -> dict[str, pd.DataFrame]:
    """The safety tables by name from the engine's frames (``SafetyAnalysis.tables``)."""
    s = protocol.safety
    hypo, label = _hypogammaglobulinaemia(labs, s)
    ae_primary = primary_ae(ae, syn)  # one grade per CRS / ICANS event in every table
    return {
        "teae": teae_table(ae_primary, subjects),
        "teae_grade": teae_grade_table(ae_primary, subjects),
        "crs": crs_table(crs.episodes, subjects, syn[syn["EVENT"] == "CRS"]),
        "icans": icans_table(icans.episodes, subjects, syn[syn["EVENT"] == "ICANS"]),
        "cytopenias": cytopenia_table(cyto, subjects, prolonged_day=s.prolonged_cytopenia_day),
        **basket_tables(ae_primary, subjects, s.baskets),   # protocol baskets ("gprc5d": GPRC5D)
        "icaht": icaht_table(icaht, subjects),
        "hematotox": hematotox_table(hematotox, subjects),
        "icaht_by_risk": icaht_by_risk_table(icaht, hematotox),
        "iec_hs": iec_hs_table(iec_hs, subjects),
        "dlt": dlt_table(dlt.patients, protocol.dlt.criteria()),
        "deaths": deaths_table(deaths, subjects),
        "hypogammaglobulinemia": count_rows(hypo.assign(ROW=label), subjects,
                                            table="Hypogammaglobulinaemia", rows=[(label, 0)]),
    }


def _grade_disagreements(worst: pd.DataFrame, crs: CrsResult, icans: IcansResult,
                         ae: pd.DataFrame) -> pd.DataFrame:
    """Reported (AE) against derived grades where they differ: the worst lab grades and the
    worst CRS / ICANS grade per subject (:func:`compare_reported_grades`)."""
    derived = [worst[["USUBJID", "TERM", "WORST_GRADE", "WORST_DAY"]]]
    for res, term in ((crs, CRS_TERM), (icans, ICANS_TERM)):
        ep = res.episodes
        if len(ep):
            w = ep.groupby("USUBJID", as_index=False).agg(WORST_GRADE=("MAX_GRADE", "max"),
                                                          WORST_DAY=("ONSET_DAY", "min"))
            derived.append(w.assign(TERM=term))
    derived_all = pd.concat(derived, ignore_index=True)
    graded_terms = set(term_key(pd.Series([*derived_all["TERM"], CRS_TERM, ICANS_TERM])))
    reported = ae[term_key(ae["AEDECOD"]).isin(graded_terms)].rename(columns={"AEDECOD": "TERM"})
    cmp = compare_reported_grades(derived_all, reported[["USUBJID", "TERM", "GRADE"]])
    return cmp[cmp["STATUS"] != "AGREE"].reset_index(drop=True)


def _hypogammaglobulinaemia(labs: pd.DataFrame, s: SafetySettings) -> tuple[pd.DataFrame, str]:
    """(post-infusion IgG records below the protocol's threshold, the table row label)."""
    hypo = hypogammaglobulinemia(labs,
                                 threshold_g_per_l=s.hypogammaglobulinemia_igg_g_per_l)
    hypo = hypo[(hypo["DAY"] > 0) & hypo["HYPOGAM"].astype("boolean").fillna(False).astype(bool)]
    label = f"IgG < {s.hypogammaglobulinemia_igg_g_per_l:g} g/L after infusion (protocol flag)"
    return hypo, label


def _method(protocol: Protocol, crs: CrsResult, icans: IcansResult, ctcae_version: str | None,
            icaht: pd.DataFrame, censored: bool, notes: tuple[str, ...]) -> dict[str, object]:
    """The method record: guideline versions and the protocol's open-decision settings
    (``ctcae_version``: the graded records', None when none was graded; ``censored``: the
    subjects have CENSOR_DAY; ``notes``: the inputs')."""
    s = protocol.safety
    source = s.crs_icans_grade_source
    return {
        "ctcae_version": ctcae_version or s.ctcae_version,
        "crs_criteria": crs.method.criteria,
        "crs_icans_grade_source": source,
        "icans_criteria": icans.method.criteria,
        "masked_fever_keeps_grade1": s.masked_fever_keeps_grade1,
        "treatment_emergent_until_day": s.treatment_emergent_until_day,
        "prolonged_cytopenia_day": s.prolonged_cytopenia_day,
        "hypogammaglobulinemia_igg_g_per_l": s.hypogammaglobulinemia_igg_g_per_l,
        "dlt_window_days": protocol.design.dlt_window_days,
        "day_convention": "days since midnight of the infusion date (infusion = day 0)",
        "icaht_criteria": icaht["ICAHT_VERSION"].iloc[0] if len(icaht) else None,
        "icaht_censoring": ("first of progression (RS PD), subsequent anti-myeloma therapy (CM) "
                            "and death" if censored else "death only"),
        "notes": list(notes),
    }
