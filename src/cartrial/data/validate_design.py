"""Validation of the study structure against the protocol: arms, dose given, parts, cohorts.

Rules (issue #14 point 3, issue #15 point 1), each finding naming domain, subject, variable,
value and rule:

- ``ARM_NOT_IN_PROTOCOL``: ``DM.ARMCD`` / ``ACTARMCD`` is not a protocol dose-level id
  (``ACTARMCD`` may also be ``NOTTRT``, ``SCRNFAIL`` or ``NOTASSGN``).
- ``ARM_DOSE_MISMATCH``: ``ACTARMCD`` disagrees with the CAR-T dose given in ``EX`` (the dose
  level whose dose equals ``EXDOSE`` within the protocol's tolerance,
  ``Protocol.dose_index``), or names a dose level for a subject ``EX`` shows never infused, or
  ``NOTTRT`` for a subject ``EX`` shows infused, or an infused ``ACTARMCD`` that differs from
  the planned ``ARMCD`` unless ``EX.EXADJ = PRODUCT OUT OF SPECIFICATION`` documents a product
  infused at a lower level (the protocol's ``conduct.count_dose_as`` then says where the
  patient counts); ``EXADJ`` on a patient treated at the planned level is a mismatch too.
- ``PART_MISSING`` / ``PART_UNKNOWN`` / ``PART_NOT_IN_DESIGN``: ``SUPPDM`` ``PART`` absent for an
  infused subject (a warning when the study records no part at all: every infused patient is
  then taken as dose escalation), outside the parts of the data model, or a part the protocol's
  design does not have (backfill without ``design.backfill.enabled``, expansion without
  ``design.expansion``, randomised without ``design.randomised_stage``).
- ``COHORT_MISSING`` / ``COHORT_MIXED`` / ``COHORT_TOO_LARGE``: an escalation patient without a
  cohort, a cohort mixing dose levels or parts, an escalation cohort with more infused patients
  than the protocol's ``design.cohort_size``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from cartrial.data.domains import Domains
from cartrial.data.load import Study
from cartrial.data.report_frame import COLUMNS as _COLUMNS
from cartrial.data.study_parts import (
    IP_CAT,
    NOT_TREATED,
    OUT_OF_SPEC,
    PARTS,
    has_parts,
    study_parts,
)
from cartrial.protocol import Protocol


def _rows(rows: list[tuple], severity: str = "error") -> pd.DataFrame:
    """(rule_id, domain, usubjid, variable, value, rule) tuples as a findings frame."""
    return pd.DataFrame([(severity, r[0], r[1], r[2], None, r[3], r[4], r[5]) for r in rows],
                        columns=_COLUMNS)


def design_findings(study: Study, protocol: Protocol) -> list[pd.DataFrame]:
    """Findings of the study-structure rules (module docstring) for one study.

    Parameters
    ----------
    study : Study
        The loaded study (DM required; SUPPDM and EX when present).
    protocol : Protocol
        The protocol the trial is conducted with (dose levels, design, cohort size).

    Returns
    -------
    list of pandas.DataFrame
        Findings frames (columns of ``cartrial.data.validate.COLUMNS``); empty list when DM
        lacks the variables these rules read (``VAR_MISSING`` reports that).

    Raises
    ------
    None
        Every problem is a finding.

    References
    ----------
    CDISC SDTMIG 3.4, sections 5.2 (DM: ARMCD, ACTARMCD, ARMNRS) and 8.4 (supplemental
    qualifiers, SUPP--).

    Examples
    --------
    >>> from cartrial.data import load_study                      # doctest: +SKIP
    >>> from cartrial.protocol import load_protocol                # doctest: +SKIP
    >>> design_findings(load_study("sdtm"), load_protocol("ct071"))  # doctest: +SKIP
    """
    dm = study.get("DM")
    if dm is None or not {"USUBJID", "ARMCD", "ACTARMCD"} <= set(dm.columns):
        return []
    if dm["USUBJID"].duplicated().any():
        # a subject recorded twice in DM is an error of its own (KEY_DUPLICATE, named with
        # both records); the rules here read one record per subject: the first
        domains = Domains(study.domains)  # the others as held: nothing decoded
        domains["DM"] = dm.drop_duplicates("USUBJID", keep="first")
        study = replace(study, domains=domains)
    sp = study_parts(study)
    out = [_arms(sp, protocol), _dose_given(study, sp, protocol)]
    out += _parts(study, sp, protocol)
    out.append(_cohorts(sp, protocol, has_parts(study)))
    return [f for f in out if len(f)]


def _arms(sp: pd.DataFrame, protocol: Protocol) -> pd.DataFrame:
    ids = protocol.dose_ids
    rows = []
    for r in sp.itertuples(index=False):
        if r.ARMCD is not None and r.ARMCD not in ids and r.ARMCD not in NOT_TREATED[1:]:
            rows.append(("ARM_NOT_IN_PROTOCOL", "DM", r.USUBJID, "ARMCD", r.ARMCD,
                         f"planned arm is not a dose level of protocol {protocol.study_id} "
                         f"{ids}"))
        if r.DOSE_LEVEL is not None and r.DOSE_LEVEL not in ids \
                and r.DOSE_LEVEL not in NOT_TREATED:
            rows.append(("ARM_NOT_IN_PROTOCOL", "DM", r.USUBJID, "ACTARMCD", r.DOSE_LEVEL,
                         f"actual arm is not a dose level of protocol {protocol.study_id} "
                         f"{ids} (nor {', '.join(NOT_TREATED)})"))
    return _rows(rows)


def _dose_given(study: Study, sp: pd.DataFrame, protocol: Protocol) -> pd.DataFrame:
    """ACTARMCD against the first CAR-T infusion recorded in EX."""
    ex = study.get("EX")
    given = pd.Series(dtype=float)
    infused_in_ex: set[str] = set()
    if ex is not None and {"USUBJID", "EXCAT", "EXDOSE"} <= set(ex.columns):
        ip = ex[(ex["EXCAT"] == IP_CAT).fillna(False).to_numpy(dtype=bool)]
        infused_in_ex = set(ip["USUBJID"].astype(str))
        first = ip.sort_values("EXSTDTC", kind="stable") if "EXSTDTC" in ip else ip
        given = pd.to_numeric(first.groupby(first["USUBJID"].astype(str))["EXDOSE"].first(),
                              errors="coerce")
    rows = []
    ids = protocol.dose_ids
    for r in sp.itertuples(index=False):
        infused = r.USUBJID in infused_in_ex or not pd.isna(r.INFUSION_DATE)
        if r.DOSE_LEVEL in NOT_TREATED and infused:
            rows.append(("ARM_DOSE_MISMATCH", "DM", r.USUBJID, "ACTARMCD", r.DOSE_LEVEL,
                         "subject is recorded as not treated but has a CAR-T infusion "
                         "(EX / DM.RFSTDTC)"))
        elif r.DOSE_LEVEL in ids and not infused:
            rows.append(("ARM_DOSE_MISMATCH", "DM", r.USUBJID, "ACTARMCD", r.DOSE_LEVEL,
                         "actual arm names a dose level but the subject has no CAR-T infusion "
                         "(EX with EXCAT = INVESTIGATIONAL PRODUCT); use NOTTRT with ARMNRS"))
        elif r.DOSE_LEVEL in ids and r.USUBJID in given.index:
            rows += _dose_rows(r, float(given[r.USUBJID]), protocol)
    return _rows(rows)


def _dose_rows(r, dose: float, protocol: Protocol) -> list[tuple]:  # noqa: ANN001
    """ACTARMCD against EXDOSE, and ARMCD against ACTARMCD: an infused patient is treated at the
    planned level unless ``EXADJ`` documents a product out of specification infused at a lower
    level (docs/data-model.md)."""
    ids = protocol.dose_ids
    j = protocol.dose_index(dose) if np.isfinite(dose) else None
    if j is not None and ids[j] != r.DOSE_LEVEL:
        return [("ARM_DOSE_MISMATCH", "DM", r.USUBJID, "ACTARMCD", r.DOSE_LEVEL,
                 f"actual arm disagrees with the dose given in EX (EXDOSE {dose:g} is dose "
                 f"level {ids[j]})")]
    if r.ARMCD not in ids or r.ARMCD == r.DOSE_LEVEL:
        if r.DOSE_ADJ == OUT_OF_SPEC:
            return [("ARM_DOSE_MISMATCH", "EX", r.USUBJID, "EXADJ", r.DOSE_ADJ,
                     f"EXADJ documents a product out of specification but the patient was "
                     f"treated at the planned level (ARMCD = ACTARMCD = {r.DOSE_LEVEL})")]
        return []
    lower = ids.index(r.DOSE_LEVEL) < ids.index(r.ARMCD)
    if r.DOSE_ADJ == OUT_OF_SPEC and lower:
        return []  # a documented out-of-specification product infused at a lower level
    why = ("EXADJ documents a product out of specification but the level received is not "
           "below the planned one") if r.DOSE_ADJ == OUT_OF_SPEC else (
        f"planned arm {r.ARMCD} differs from the actual arm and EXADJ does not document a "
        f"product out of specification ({OUT_OF_SPEC!r})")
    return [("ARM_DOSE_MISMATCH", "DM", r.USUBJID, "ACTARMCD", r.DOSE_LEVEL, why)]


def _parts(study: Study, sp: pd.DataFrame, protocol: Protocol) -> list[pd.DataFrame]:
    infused = sp["INFUSION_DATE"].notna()
    if not has_parts(study):
        if infused.any():
            return [_rows([("PART_MISSING", "SUPPDM", None, "QNAM", "PART",
                            "no study part recorded (SUPPDM QNAM = PART): every infused "
                            "patient is taken as dose escalation")], severity="warning")]
        return []
    allowed = {"ESCALATION", "SENTINEL", "EXPANSION", "BACKFILL", "RANDOMISED"}
    if protocol.design.randomised_stage is None:
        allowed.discard("RANDOMISED")
    if not protocol.design.backfill.enabled:
        allowed.discard("BACKFILL")
    if protocol.design.expansion is None:
        allowed.discard("EXPANSION")
    rows = []
    for r in sp.itertuples(index=False):
        if r.PART is None:
            if not pd.isna(r.INFUSION_DATE):
                rows.append(("PART_MISSING", "SUPPDM", r.USUBJID, "QNAM", "PART",
                             "infused subject without a study part (SUPPDM QNAM = PART)"))
        elif r.PART not in PARTS:
            rows.append(("PART_UNKNOWN", "SUPPDM", r.USUBJID, "QVAL", r.PART,
                         f"study part must be one of {sorted(PARTS)}"))
        elif r.PART not in allowed:
            rows.append(("PART_NOT_IN_DESIGN", "SUPPDM", r.USUBJID, "QVAL", r.PART,
                         f"protocol {protocol.study_id} design has no {r.PART.lower()} part"))
    return [_rows(rows)]


def _cohorts(sp: pd.DataFrame, protocol: Protocol, recorded: bool) -> pd.DataFrame:
    rows = []
    esc = sp[sp["IN_ESCALATION"] & sp["INFUSION_DATE"].notna() & recorded]
    for r in esc[esc["COHORT"].isna()].itertuples(index=False):
        rows.append(("COHORT_MISSING", "SUPPDM", r.USUBJID, "QNAM", "COHORT",
                     f"{r.PART.lower()} patient without a cohort (SUPPDM QNAM = COHORT)"))
    treated = sp[sp["INFUSION_DATE"].notna() & sp["COHORT"].notna()]
    size = protocol.design.cohort_size
    for cid, g in treated.groupby("COHORT", sort=True):
        kinds = set(g["PART"].replace({"SENTINEL": "ESCALATION"}).dropna())
        if g["ASSIGNED_LEVEL"].nunique() > 1 or len(kinds) > 1:  # as assigned (study_parts)
            rows.append(("COHORT_MIXED", "SUPPDM", g["USUBJID"].iloc[0], "QVAL", cid,
                         f"cohort {cid} mixes dose levels {sorted(g['ASSIGNED_LEVEL'].unique())} "
                         f"or parts {sorted(kinds)}"))
        if kinds == {"ESCALATION"} and len(g) > size:
            g = g.sort_values("INFUSION_DATE", kind="stable")
            rows.append(("COHORT_TOO_LARGE", "SUPPDM", g["USUBJID"].iloc[size], "QVAL", cid,
                         f"escalation cohort {cid} has {len(g)} infused patients; protocol "
                         f"{protocol.study_id} allows cohort_size = {size}"))
    return _rows(rows)
