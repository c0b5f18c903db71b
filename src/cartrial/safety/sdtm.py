"""Adapters: SDTM domains (docs/data-model.md) -> the safety engine's input frames.

Time: DAY = days since midnight of the CAR-T infusion date (day 0), plus the time of day when
the --DTC has one. The infusion date is the first ``EX`` with ``EXCAT = INVESTIGATIONAL
PRODUCT`` (else ``DM.RFSTDTC``); a --DTC that cannot be placed in time is a RecordError.

- CRS: ``VS`` TEMP + ``FA`` (FAOBJ CYTOKINE RELEASE SYNDROME: HYPOTN, VASOPN, VASOPRSN, O2DEV,
  O2FLOW, O2COMF, FEVOTH, HYPOOTH, HYPXOTH) at the same --DTC, post-infusion; therapy from ``CM``
  (CMCAT CRS/ICANS MANAGEMENT; CMCLAS: ``sdtm_base.CM_CLASSES``) flagged on the first time point
  at or after its start and while it runs; death due to CRS from the fatal ``AE`` CRS record.
- ICANS: ``QS`` (QSCAT ICE, ICE01-ICE06) + ``FA`` (LOC, SEIZURE, MOTOR, ICPOED, NEUOTH: every
  domain); age from ``DM``. Labs: ``LB`` in standard units with LBSTNRLO / LBSTNRHI; baseline =
  LBBLFL, else the last value on or before infusion; ``VS`` WEIGHT likewise (CTCAE weight loss).
- AEs: ``AE`` with AETOXGR, AEREL (RELATED / POSSIBLY RELATED = related), dates imputed
  (start: first of month / year, not before the infusion when the range holds it; end: last),
  date-only end = whole day covered. Follow-up: ``DM`` (ACTARMCD, DTHDTC), ``DS``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cartrial.data.batches import concat_consuming
from cartrial.data.dates import parse_dtc
from cartrial.data.text import upper_stripped
from cartrial.data.validate_codes import codes_memo
from cartrial.protocol.model import Protocol
from cartrial.safety._frames import fail, require_columns, text_values
from cartrial.safety.lab_scope import LabScope
from cartrial.safety.sdtm_base import (  # noqa: F401 (CM_CLASSES ... QS_ICE: their old path)
    CM_CLASSES,
    CRS_TERM,
    END_OF_DAY,
    FA_CRS,
    FA_ICANS,
    ICANS_TERM,
    LAB_BATCH_SUBJECTS,
    QS_ICE,
    _day,
    _domain,
    _pivot,
    _read,
    _text,
    infusion_dates,
    infusion_memo,
)
from cartrial.safety.sdtm_labs import lab_records, weight_records
from cartrial.safety.sdtm_subjects import adverse_events, followup

#: the FA variables the CRS and ICANS adapters read (:func:`_pivot`, :func:`_fa_value`)
FA_READ = ["DOMAIN", "USUBJID", "FASEQ", "FAOBJ", "FATESTCD", "FAORRES", "FASTRESC",
           "FASTRESN", "FADTC"]


def crs_observations(study) -> pd.DataFrame:
    """CRS flow-sheet frame (see :mod:`cartrial.safety.crs`) from VS, FA, CM, AE and DM.

    Parameters
    ----------
    study : cartrial.data.Study or dict of str to pandas.DataFrame
        SDTM domains: DM, VS, FA (CM, AE optional). A --DTC not placeable in time raises.

    Returns
    -------
    pandas.DataFrame
        One row per subject and time point from infusion on (the columns of ``grade_crs``).

    Examples
    --------
    >>> dm = pd.DataFrame({"USUBJID": ["S1"], "RFSTDTC": ["2026-03-02"]})
    >>> vs = pd.DataFrame({"USUBJID": ["S1"], "VSSEQ": [1], "VSTESTCD": ["TEMP"],
    ...                    "VSSTRESN": [38.7], "VSDTC": ["2026-03-03T08:00"]})
    >>> fa = pd.DataFrame(columns=["USUBJID", "FAOBJ", "FATESTCD", "FAORRES", "FADTC"])
    >>> crs_observations({"DM": dm, "VS": vs, "FA": fa})[["TEMP", "DAY"]].round(2).to_numpy()
    array([[38.7 ,  1.33]])
    """
    inf = infusion_dates(study)
    vs = _read(study, "VS", ["USUBJID", "VSSEQ", "VSTESTCD", "VSDTC", "VSSTRESN"],
               {"VSTESTCD": {"TEMP"}})
    fa = _read(study, "FA", FA_READ, {"FAOBJ": {"CYTOKINE RELEASE SYNDROME"}})
    require_columns(vs, ["USUBJID", "VSSEQ", "VSTESTCD", "VSDTC", "VSSTRESN"], noun="variable",
                    where="VS (standardised results: read with load_study or study_from_frames)")
    temp = vs[text_values(vs["VSTESTCD"]) == "TEMP"][["USUBJID", "VSDTC", "VSSTRESN", "VSSEQ"]]
    temp = temp.rename(columns={"VSDTC": "DTC", "VSSTRESN": "TEMP", "VSSEQ": "SEQ"})
    f = fa[text_values(fa["FAOBJ"]) == "CYTOKINE RELEASE SYNDROME"]
    wide = _pivot(f, "FATESTCD", "FADTC", _fa_value(f), FA_CRS).rename(columns={"FADTC": "DTC"})
    obs = temp.merge(wide, on=["USUBJID", "DTC"], how="outer")
    obs["USUBJID"] = obs["USUBJID"].astype(str)
    obs = obs[obs["USUBJID"].isin(inf.index)]
    obs["DAY"] = _day(obs, "DTC", inf, domain="VS", seq="SEQ")
    obs = obs[obs["DAY"] >= 0].sort_values(["USUBJID", "DAY"], kind="stable").reset_index(
        drop=True)
    obs = _flag_therapy(study, obs, inf)
    obs = _flag_deaths(study, obs, inf, term=CRS_TERM, flag="CRS_DEATH")
    return obs.drop(columns=["DTC"]).reset_index(drop=True)


def _flag_therapy(study, obs: pd.DataFrame, inf: pd.Series,
                  classes: dict[str, str] = CM_CLASSES) -> pd.DataFrame:
    for col in dict.fromkeys(classes.values()):  # in the table's order (a set's is per process)
        obs[col] = False
    cm = _domain(study, "CM", required=False)
    if cm is None or cm.empty or obs.empty:
        return obs
    cm = cm[(_text(cm["CMCAT"]) == "CRS/ICANS MANAGEMENT") & _text(cm.get(
        "CMCLAS", pd.Series("", index=cm.index))).isin(list(classes))].copy()
    cm = cm[cm["USUBJID"].astype(str).isin(inf.index)]
    if cm.empty:
        return obs
    cm["USUBJID"] = cm["USUBJID"].astype(str)
    cm["START"] = _day(cm, "CMSTDTC", inf, domain="CM", seq="CMSEQ")
    end = parse_dtc(cm["CMENDTC"])["dt"] if "CMENDTC" in cm else pd.Series(pd.NaT, index=cm.index)
    cm["END"] = ((end - cm["USUBJID"].map(inf)).dt.total_seconds() / 86400.0).to_numpy()
    cm["FLAG"] = _text(cm["CMCLAS"]).map(classes)
    pairs = obs[["USUBJID", "DAY"]].reset_index().merge(cm[["USUBJID", "START", "END", "FLAG"]],
                                                        on="USUBJID")
    running = (pairs["DAY"] >= pairs["START"]) & (pairs["DAY"] <= pairs["END"].fillna(-np.inf))
    # the first time point at or after the start
    after = pairs[pairs["DAY"] >= pairs["START"]]
    first = after.loc[after.groupby(["USUBJID", "START", "FLAG"])["DAY"].idxmin()]
    hit = pd.concat([pairs[running], first])
    for flag, idx in hit.groupby("FLAG")["index"]:
        obs.loc[idx.unique(), flag] = True
    return obs


def _as_flag(s: pd.Series) -> pd.Series:
    return s.astype("boolean").fillna(False).astype(bool)


def _fa_value(f: pd.DataFrame) -> pd.Series:
    """FA result: the standard numeric value when there is one, else the standard text."""
    val = f["FAORRES"].astype(object)
    if "FASTRESC" in f:
        val = f["FASTRESC"].astype(object).where(f["FASTRESC"].notna(), val)
    if "FASTRESN" in f:
        num = pd.to_numeric(f["FASTRESN"], errors="coerce")
        val = num.astype(object).where(num.notna(), val)
    return val


def _flag_deaths(study, obs: pd.DataFrame, inf: pd.Series, *, term: str,
                 flag: str) -> pd.DataFrame:
    """DEATH / <flag> on the time point of death (added when absent); date-only = end of day."""
    dm = _domain(study, "DM")
    ae = _domain(study, "AE", required=False)
    obs["DEATH"] = False
    obs[flag] = False
    dth = dm[dm["DTHDTC"].notna()][["USUBJID", "DTHDTC"]].copy() if "DTHDTC" in dm else dm.iloc[:0]
    dth["USUBJID"] = dth["USUBJID"].astype(str)
    dth = dth[dth["USUBJID"].isin(inf.index)]
    if dth.empty:
        return obs
    p = parse_dtc(dth["DTHDTC"])
    date_only = (p["precision"] == "day").to_numpy()
    day = ((p["dt"] - dth["USUBJID"].map(inf)).dt.total_seconds() / 86400.0).to_numpy()
    dth["DAY"] = np.where(date_only, day + END_OF_DAY, day)
    fail(dth.assign(DOMAIN="DM"), np.isnan(dth["DAY"].to_numpy()), domain="DM", variable="DTHDTC",
         rule="death date must be complete to the day")
    due = set()
    if ae is not None and len(ae):
        fatal = ae[(_text(ae["AEDECOD"]) == term.upper()) & (_text(ae.get(
            "AEOUT", pd.Series("", index=ae.index))) == "FATAL")]
        due = set(fatal["USUBJID"].astype(str))
    dth = dth[dth["USUBJID"].isin(set(obs["USUBJID"]) | due)]
    rows = pd.DataFrame({"USUBJID": dth["USUBJID"], "DAY": dth["DAY"], "DEATH": True,
                         flag: dth["USUBJID"].isin(due)})
    merged = obs.merge(rows, on=["USUBJID", "DAY"], how="outer", suffixes=("", "_D"))
    for c in ("DEATH", flag):
        merged[c] = _as_flag(merged[c]) | _as_flag(merged[f"{c}_D"])
        merged = merged.drop(columns=f"{c}_D")
    for c in CM_CLASSES.values():
        if c in merged:
            merged[c] = _as_flag(merged[c])
    return merged.sort_values(["USUBJID", "DAY"], kind="stable").reset_index(drop=True)


def icans_assessments(study) -> pd.DataFrame:
    """ICANS assessment frame (see :mod:`cartrial.safety.icans`) from QS, FA, CM, AE and DM.

    Parameters
    ----------
    study : cartrial.data.Study or dict of str to pandas.DataFrame
        SDTM DM, QS (QSCAT ICE), FA (FAOBJ ICANS); CM and AE optional.

    Returns
    -------
    pandas.DataFrame
        One row per subject and time point from infusion on (the columns of ``grade_icans``).

    Examples
    --------
    >>> dm = pd.DataFrame({"USUBJID": ["S1"], "RFSTDTC": ["2026-03-02"], "AGE": [61]})
    >>> qs = pd.DataFrame({"USUBJID": "S1", "QSSEQ": [1], "QSCAT": "ICE", "QSTESTCD": ["ICE06"],
    ...                    "QSORRES": ["7"], "QSDTC": ["2026-03-06T09:00"]})
    >>> fa = pd.DataFrame(columns=["USUBJID", "FAOBJ", "FATESTCD", "FAORRES", "FADTC"])
    >>> icans_assessments({"DM": dm, "QS": qs, "FA": fa})[["ICE_TOTAL", "DAY", "AGE"]].values
    array([[ 7.   ,  4.375, 61.   ]])
    """
    inf = infusion_dates(study)
    qs = _read(study, "QS", ["DOMAIN", "USUBJID", "QSSEQ", "QSCAT", "QSTESTCD", "QSORRES",
                             "QSSTRESN", "QSDTC"], {"QSCAT": {"ICE"}})
    fa = _read(study, "FA", FA_READ, {"FAOBJ": {ICANS_TERM.upper()}})
    q = qs[text_values(qs["QSCAT"]) == "ICE"]
    qv = _ice_values(q)
    ice = _pivot(q, "QSTESTCD", "QSDTC", qv, QS_ICE).rename(columns={"QSDTC": "DTC"})
    f = fa[text_values(fa["FAOBJ"]) == ICANS_TERM.upper()]
    wide = _pivot(f, "FATESTCD", "FADTC", _fa_value(f), FA_ICANS).rename(columns={"FADTC": "DTC"})
    a = ice.merge(wide, on=["USUBJID", "DTC"], how="outer")
    a["USUBJID"] = a["USUBJID"].astype(str)
    a = a[a["USUBJID"].isin(inf.index)]
    if "NEUOTH" in a.columns:
        for d in ("ICE", "CONSCIOUSNESS", "SEIZURE", "MOTOR", "ICP"):
            a[f"{d}_OTHER_CAUSE"] = a["NEUOTH"]
        a = a.drop(columns="NEUOTH")
    if "ICE_TOTAL" in a.columns and not {"ICE_ORIENT", "ICE_NAMING", "ICE_COMMANDS",
                                         "ICE_WRITING", "ICE_ATTENTION"} <= set(a.columns):
        a = a.drop(columns=[c for c in QS_ICE.values() if c != "ICE_TOTAL" and c in a.columns])
    a["DAY"] = _day(a, "DTC", inf, domain="QS")
    a = a[a["DAY"] >= 0].sort_values(["USUBJID", "DAY"], kind="stable").reset_index(drop=True)
    dm = _domain(study, "DM")
    if "AGE" in dm.columns:
        a["AGE"] = a["USUBJID"].map(dm.set_index(dm["USUBJID"].astype(str))["AGE"])
    a = _flag_therapy(study, a, inf, classes={"CORTICOSTEROID": "STEROID"})
    a = _flag_deaths(study, a, inf, term=ICANS_TERM, flag="ICANS_DEATH")
    return a.drop(columns=["DTC"]).reset_index(drop=True)


def _ice_values(q: pd.DataFrame) -> pd.Series:
    """The ICE scores: QSSTRESN, else QSORRES read as a number. A float QSSTRESN without a
    missing value is the answer as it is: QSORRES is not parsed (a large trial's few hundred
    thousand records as text) for a ``where`` that would keep every value."""
    qv = q["QSSTRESN"] if "QSSTRESN" in q else pd.to_numeric(q["QSORRES"], errors="coerce")
    if qv.dtype.kind == "f" and not qv.isna().any():
        return qv
    return qv.where(qv.notna(), pd.to_numeric(q["QSORRES"], errors="coerce"))


@dataclass(frozen=True)
class SafetyInputs:
    """The engine's input frames built from one study (:func:`safety_inputs`).

    Attributes
    ----------
    subjects, crs, icans, labs, ae : pandas.DataFrame
        Follow-up, CRS flow sheet, ICANS assessments, labs (with weight), adverse events.
    notes : tuple of str
        Notes on how the data were read, for footnotes.
    lab_tests : frozenset of str, optional
        The tests ``labs`` was read for (``safety_inputs(..., scope=)``): records of other
        tests may be left out; None: every test's records.

    Examples
    --------
    >>> SafetyInputs(*[pd.DataFrame()] * 5).notes
    ()
    """

    subjects: pd.DataFrame
    crs: pd.DataFrame
    icans: pd.DataFrame
    labs: pd.DataFrame
    ae: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)
    lab_tests: frozenset[str] | None = None


def _dlt_dose_level(study, protocol: Protocol, fu: pd.DataFrame) -> np.ndarray:  # noqa: ANN001
    """The level each patient counts at for DLT evaluability: ``DOSE_LEVEL`` (as treated) unless
    a product out of specification was infused at a lower level and the protocol counts it at
    the assigned one (:func:`cartrial.data.dose_counted.counted_dose`)."""
    from cartrial.data.study_parts import OUT_OF_SPEC, study_parts

    ex = _domain(study, "EX", required=False)
    out = fu["DOSE_LEVEL"].to_numpy(dtype=object)
    if ex is None or "EXADJ" not in ex or not (upper_stripped(ex["EXADJ"]) == OUT_OF_SPEC).any():
        return out
    from cartrial.data.dose_counted import counted_dose

    sp = study_parts(study).set_index("USUBJID")
    counted = counted_dose(sp, protocol)["COUNTED_INDEX"]
    ids = np.array(protocol.dose_ids, dtype=object)
    idx = fu["USUBJID"].map(counted).to_numpy(dtype=float)
    ok = np.isfinite(idx) & (idx >= 0)
    return np.where(ok, ids[np.where(ok, idx, 0).astype(int)], out)


def safety_inputs(study, protocol: Protocol, *, scope: LabScope | None = None) -> SafetyInputs:
    """All safety input frames from an SDTM study (``cartrial.data.load_study``).

    Parameters
    ----------
    study, protocol : cartrial.data.Study, Protocol
        The trial's SDTM domains (a missing required domain raises) and its protocol.
    scope : LabScope, optional
        The lab tests the caller reads (:func:`cartrial.safety.lab_scope.analysis_lab_scope`):
        records of other tests may be left out of ``labs`` (:func:`lab_records`); recorded as
        ``lab_tests``.

    Returns
    -------
    SafetyInputs
        The engine's input frames (the example is skipped: it needs a whole study).

    Examples
    --------
    >>> safety_inputs(load_study("sdtm"), load_protocol("ct071"))  # doctest: +SKIP
    """
    # a column read by several adapters is factorised once (LB USUBJID), the infusion dates
    # each adapter reads derived once
    with codes_memo(), infusion_memo():
        return _safety_inputs(study, protocol, scope)


def _safety_inputs(study, protocol: Protocol, scope: LabScope | None) -> SafetyInputs:  # noqa: ANN001
    from cartrial.safety.icaht_censor import icaht_censoring  # ICAHT count stops (RS, CM)

    fu = followup(study, protocol)
    fu["DLT_DOSE_LEVEL"] = _dlt_dose_level(study, protocol, fu)
    fu = fu.merge(icaht_censoring(study, fu), on="USUBJID", how="left")
    crs, icans = crs_observations(study), icans_assessments(study)
    ae = adverse_events(study, protocol)
    # the lab records last and joined without a second copy (millions of rows for a large trial)
    labs = concat_consuming([lab_records(study, scope=scope), weight_records(study)])
    notes = []
    if (labs["PARAMCD"] == "CA").any():
        notes.append("LB CA is graded as CTCAE corrected serum calcium as given; the data model "
                     "has no albumin-corrected calcium test code (not corrected here).")
    return SafetyInputs(subjects=fu, crs=crs, icans=icans, labs=labs, ae=ae, notes=tuple(notes),
                        lab_tests=None if scope is None else scope.tests)
