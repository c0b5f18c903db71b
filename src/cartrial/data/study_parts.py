"""Study structure from the SDTM: each subject's dose level, study part and cohort.

The one documented place (docs/data-model.md, "Dose level, part and cohort"):

- the **dose level** of a subject is ``DM.ACTARMCD`` (the protocol's dose-level id, ``NOTTRT``
  when never infused); ``DM.ARMCD`` is the planned dose level. A CAR-T product out of
  specification infused at a lower dose level is ``ARMCD`` the assigned level, ``ACTARMCD`` and
  ``EX.EXDOSE`` the level received, ``EX.EXADJ = PRODUCT OUT OF SPECIFICATION``.
  ``cartrial validate`` checks both against the protocol and ``ACTARMCD`` against the dose
  actually given in ``EX``
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
PARTS = {"ESCALATION": True, "SENTINEL": True, "BACKFILL": True, "EXPANSION": False,
         "RANDOMISED": False}  # RANDOMISED: the ROSE stage (protocol design.randomised_stage)
#: the part taken when a study records no PART at all (reported by validation as a warning)
DEFAULT_PART = "ESCALATION"
NOT_TREATED = ("NOTTRT", "SCRNFAIL", "NOTASSGN")
IP_CAT = "INVESTIGATIONAL PRODUCT"
#: EX.EXADJ of a CAR-T product out of specification infused below the assigned dose
OUT_OF_SPEC = "PRODUCT OUT OF SPECIFICATION"


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
        ``INFUSION_DATE`` (first ``EX`` CAR-T infusion, else ``DM.RFSTDTC``; NaT when not
        infused), ``RECEIVED_DOSE`` (``EX.EXDOSE`` of that infusion; NaN without one) and
        ``DOSE_ADJ`` (its ``EX.EXADJ``, e.g. ``OUT_OF_SPEC``; None when empty) and
        ``ASSIGNED_LEVEL`` (the level the design assigned: ``ARMCD`` for a product out of
        specification infused at a lower level, else ``DOSE_LEVEL``). Subjects are in ``DM``
        order.

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
    given = infused_dose(study)
    out["RECEIVED_DOSE"] = ids.map(given["EXDOSE"]).to_numpy(dtype=float)
    out["DOSE_ADJ"] = ids.map(given["EXADJ"]).to_numpy()
    out["DOSE_ADJ"] = out["DOSE_ADJ"].where(out["DOSE_ADJ"].notna(), None)
    # the dose level the design assigned: ARMCD for a documented out-of-specification product
    # infused at a lower level, else the actual arm
    oos = (out["DOSE_ADJ"] == OUT_OF_SPEC).to_numpy(dtype=bool)
    out["ASSIGNED_LEVEL"] = np.where(oos, out["ARMCD"], out["DOSE_LEVEL"])
    return out


def infused_dose(study: Study) -> pd.DataFrame:
    """``EXDOSE`` and ``EXADJ`` (upper case, None when empty) of each subject's first CAR-T
    infusion (``EX`` with ``EXCAT = INVESTIGATIONAL PRODUCT``), indexed by USUBJID."""
    ex = study.get("EX")
    cols = ["EXDOSE", "EXADJ"]
    if ex is None or not {"EXCAT", "EXSTDTC", "USUBJID", "EXDOSE"} <= set(ex.columns):
        return pd.DataFrame(columns=cols, dtype=object)
    ip = ex[(ex["EXCAT"] == IP_CAT).fillna(False).to_numpy(dtype=bool)]
    out = pd.DataFrame({
        "USUBJID": ip["USUBJID"].astype(str).to_numpy(),
        "WHEN": parse_dtc(ip["EXSTDTC"])["dt"].to_numpy(),
        "EXDOSE": pd.to_numeric(ip["EXDOSE"], errors="coerce").to_numpy(dtype=float),
        "EXADJ": (ip["EXADJ"].map(lambda v: v.strip().upper() if isinstance(v, str) and
                                  v.strip() else None).to_numpy()
                  if "EXADJ" in ip else np.full(len(ip), None, dtype=object)),
    })
    out = out.sort_values(["USUBJID", "WHEN"], kind="stable", na_position="last")
    return out.drop_duplicates("USUBJID").set_index("USUBJID")[cols]


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
