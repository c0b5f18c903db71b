"""Study structure from the SDTM: each subject's dose level, study part and cohort.

The one documented place (docs/data-model.md, "Dose level, part and cohort"):

- the **dose level** of a subject is ``DM.ACTARMCD`` (the protocol's dose-level id, ``NOTTRT``
  when never infused); ``DM.ARMCD`` is the planned dose level. ``cartrial validate`` checks both
  against the protocol and ``ACTARMCD`` against the dose actually given in ``EX``
  (:mod:`cartrial.data.validate_design`);
- the **part** is ``SUPPDM`` ``QNAM = PART`` (``ESCALATION``, ``SENTINEL``, ``BACKFILL``,
  ``EXPANSION``) and the **cohort** ``SUPPDM`` ``QNAM = COHORT`` (a cohort identifier such as
  ``C01``; one identifier per cohort, shared by every subject enrolled in it, replaced subjects
  included), the supplemental-qualifier structure of SDTMIG 3.4 section 8.4.

Only ``ESCALATION`` and ``SENTINEL`` (and ``BACKFILL``, when the design has backfill) patients
enter the escalation decision; ``EXPANSION`` patients never do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.dates import parse_dtc
from cartrial.data.load import Study

#: SUPPDM QNAM values read by cartrial
PART_QNAM = "PART"
COHORT_QNAM = "COHORT"
#: the study parts and whether their patients enter the escalation decision
PARTS = {"ESCALATION": True, "SENTINEL": True, "BACKFILL": True, "EXPANSION": False}
#: the part taken when a study records no PART at all (reported by validation as a warning)
DEFAULT_PART = "ESCALATION"
NOT_TREATED = ("NOTTRT", "SCRNFAIL", "NOTASSGN")
IP_CAT = "INVESTIGATIONAL PRODUCT"


def _supp(study: Study, qnam: str) -> pd.Series:
    """SUPPDM QVAL per USUBJID for one QNAM (first record when repeated; validation reports it)."""
    supp = study.get("SUPPDM")
    if supp is None or not {"USUBJID", "QNAM", "QVAL"} <= set(supp.columns):
        return pd.Series(dtype=object)
    rows = supp[(supp["QNAM"].astype(str).str.strip() == qnam) & supp["USUBJID"].notna()]
    val = rows["QVAL"].astype(object).where(rows["QVAL"].notna(), None)
    s = pd.Series(val.to_numpy(), index=rows["USUBJID"].astype(str).to_numpy(), dtype=object)
    return s[~s.index.duplicated(keep="first")]


def has_parts(study: Study) -> bool:
    """True when the study records a PART for at least one subject (SUPPDM QNAM=PART)."""
    return len(_supp(study, PART_QNAM)) > 0


def study_parts(study: Study) -> pd.DataFrame:
    """One row per DM subject: where the subject sits in the study and when it was treated.

    Parameters
    ----------
    study : Study
        A loaded study with ``DM`` (``USUBJID``, ``ARMCD``, ``ACTARMCD``) and, when recorded,
        ``SUPPDM`` (``PART``, ``COHORT``) and ``EX`` (the CAR-T infusion).

    Returns
    -------
    pandas.DataFrame
        ``USUBJID``, ``ARMCD`` (planned dose level), ``DOSE_LEVEL`` (``DM.ACTARMCD``),
        ``PART`` (``DEFAULT_PART`` for every subject when the study records no part at all),
        ``COHORT`` (None when not recorded), ``IN_ESCALATION`` (the patient enters the
        escalation decision), ``BACKFILL`` (``Y``/``N``), ``CONSENT_DATE`` (``DM.RFICDTC``)
        and ``INFUSION_DATE`` (first ``EX`` CAR-T infusion, else ``DM.RFSTDTC``; NaT when not
        infused). Subjects are in ``DM`` order.

    Raises
    ------
    KeyError
        Never for a study that passed validation; a missing ``DM`` column is a validation error
        (``VAR_MISSING``), checked before this is called.

    Examples
    --------
    >>> from cartrial.data import load_study                     # doctest: +SKIP
    >>> study_parts(load_study("sdtm"))[["USUBJID", "PART", "COHORT"]]  # doctest: +SKIP
    """
    dm = study["DM"]
    ids = dm["USUBJID"].astype(str)
    out = pd.DataFrame({"USUBJID": ids.to_numpy()})
    out["ARMCD"] = _text(dm, "ARMCD")
    out["DOSE_LEVEL"] = _text(dm, "ACTARMCD")
    parts = _supp(study, PART_QNAM)
    if len(parts):
        out["PART"] = ids.map(parts).to_numpy()
        out["PART"] = out["PART"].map(lambda v: v.strip().upper() if isinstance(v, str) else None)
    else:
        out["PART"] = DEFAULT_PART
    out["COHORT"] = ids.map(_supp(study, COHORT_QNAM)).to_numpy()
    out["COHORT"] = out["COHORT"].map(lambda v: v.strip() if isinstance(v, str) else None)
    out["IN_ESCALATION"] = out["PART"].map(lambda v: PARTS.get(v, False)).astype(bool)
    out["BACKFILL"] = np.where(out["PART"] == "BACKFILL", "Y", "N")
    rfic = parse_dtc(dm["RFICDTC"])["dt"] if "RFICDTC" in dm else pd.Series(pd.NaT, index=dm.index)
    out["CONSENT_DATE"] = rfic.dt.normalize().to_numpy()
    out["INFUSION_DATE"] = ids.map(infusion_dates(study)).to_numpy()
    return out


def infusion_dates(study: Study) -> pd.Series:
    """First CAR-T infusion date (``EX``, else ``DM.RFSTDTC``) per USUBJID; NaT-free."""
    dm = study["DM"]
    ex = study.get("EX")
    out = pd.Series(dtype="datetime64[ns]")
    if ex is not None and {"EXCAT", "EXSTDTC", "USUBJID"} <= set(ex.columns) and len(ex):
        ip = ex[(ex["EXCAT"] == IP_CAT).fillna(False).to_numpy(dtype=bool)]
        d = parse_dtc(ip["EXSTDTC"])["dt"]
        out = pd.Series(d.to_numpy(), index=ip["USUBJID"].astype(str).to_numpy()).dropna()
        out = out.groupby(level=0).min()
    if "RFSTDTC" in dm:
        rf = parse_dtc(dm["RFSTDTC"])["dt"]
        rf = pd.Series(rf.to_numpy(), index=dm["USUBJID"].astype(str).to_numpy()).dropna()
        out = out.combine_first(rf)
    return out.dt.normalize()


def _text(df: pd.DataFrame, var: str) -> np.ndarray:
    if var not in df:
        return np.full(len(df), None, dtype=object)
    s = df[var].astype(object)
    return s.where(s.notna(), None).map(lambda v: v.strip() if isinstance(v, str) else v
                                        ).to_numpy()
