"""ADAE: one row per adverse event (admiral ``inst/templates/ad_adae.R``; CDISC
ADaMIG v1.3).

Analysis grade: ``ATOXGR``/``ATOXGRN`` = AETOXGR (investigator; ASTCT 2019 for CRS and ICANS,
NCI CTCAE v5.0 otherwise, named in ``ATOXSCL``), except CRS / ICANS records when the protocol's
primary grade source is "derived": then the derived grade (``ATOXGRSC`` names the source).
Derived grade: ``DTOXGRN`` from the safety engine (ASTCT 2019 grading of the daily CRS/ICANS
observations) when supplied; the reported grade stays in ``AETOXGR`` (data-model AE convention).
``TRTEMFL``: onset on or after the CAR-T infusion and at most
``protocol.safety.treatment_emergent_until_day`` days after it (admiral
``derive_var_trtemfl(end_window=...)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam._dates import dtc_date, require, study_day_from, yn
from cartrial.errors import RecordError
from cartrial.protocol.model import Protocol

CRS_TERM = "Cytokine release syndrome"
ICANS_TERM = "Immune effector cell-associated neurotoxicity syndrome"
SCALE_ASTCT = "ASTCT 2019"
SCALE_CTCAE = "NCI CTCAE V5.0"

#: Origin and derivation of each variable this module derives, as define.xml states them
#: (cartrial.adam.derivations).
DEFINE = {
    "ASTDT": "Derived: AE.AESTDTC as a date, a partial date imputed to its first day (ADaMIG "
             "v1.3 section 3.1.4).",
    "ASTDTF": "Derived: imputation flag of ASTDT ('D' day, 'M' month and day imputed).",
    "AENDT": "Derived: AE.AEENDTC as a date, a partial date imputed to its last day.",
    "AENDTF": "Derived: imputation flag of AENDT ('D' day, 'M' month and day imputed).",
    "ASTDY": "Derived: ASTDT - TRTSDT + 1 when ASTDT >= TRTSDT, else ASTDT - TRTSDT (no day 0).",
    "AENDY": "Derived: AENDT - TRTSDT + 1 when AENDT >= TRTSDT, else AENDT - TRTSDT (no day 0).",
    "ADURN": "Derived: AENDT - ASTDT + 1 in days.",
    "TRTEMFL": "Derived: 'Y' when TRTSDT <= ASTDT <= TRTSDT + the protocol's "
               "safety.treatment_emergent_until_day days (admiral derive_var_trtemfl).",
    "ATOXGRN": "Derived: AE.AETOXGR as a number (1-5); for CRS / ICANS records DTOXGRN instead "
               "when the protocol's safety.crs_icans_grade_source is 'derived' and one exists.",
    "ATOXGR": "Derived: ATOXGRN as text.",
    "CRSFL": f"Derived: 'Y' when AE.AEDECOD is '{CRS_TERM}' (case-insensitive).",
    "ICANSFL": f"Derived: 'Y' when AE.AEDECOD is '{ICANS_TERM}' (case-insensitive).",
    "ATOXSCL": f"Assigned: '{SCALE_ASTCT}' (Lee et al., Biol Blood Marrow Transplant "
               f"2019;25:625-38) when CRSFL or ICANSFL = 'Y', else '{SCALE_CTCAE}'.",
    "DTOXGRN": "Derived: the ASTCT 2019 grade the safety engine derives for the CRS / ICANS "
               "record from the daily FA / QS / VS observations (0 = criteria not met).",
    "GRDDIFFL": "Derived: 'Y' when DTOXGRN is not missing and differs from AE.AETOXGR.",
    "ATOXGRSC": "Derived: DERIVED when ATOXGRN was taken from DTOXGRN, else REPORTED.",
}


def derive_vars_aedt(ae: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """ASTDT/ASTDTF (start imputed to the first day), AENDT/AENDTF (end imputed to the last
    day), ASTDY/AENDY (study day from TRTSDT, no day 0) and ADURN (days, end - start + 1)."""
    require(ae, ["USUBJID", "AESEQ", "AEDECOD", "AEBODSYS", "AETOXGR", "AESTDTC"], "ADAE (AE)")
    out = ae.copy()
    out["ASTDT"], out["ASTDTF"] = dtc_date(out["AESTDTC"], "start")
    end = out["AEENDTC"] if "AEENDTC" in out.columns else pd.Series("", index=out.index)
    out["AENDT"], out["AENDTF"] = dtc_date(end, "end")
    trt = out["USUBJID"].map(adsl.set_index("USUBJID")["TRTSDT"])
    out["ASTDY"] = study_day_from(out["ASTDT"], trt)
    out["AENDY"] = study_day_from(out["AENDT"], trt)
    out["ADURN"] = (out["AENDT"] - out["ASTDT"]).dt.days + 1.0
    out["ASTDTF"] = out["ASTDTF"].fillna("")
    out["AENDTF"] = out["AENDTF"].fillna("")
    return out


def derive_var_trtemfl(adae: pd.DataFrame, adsl: pd.DataFrame, end_window: int) -> pd.DataFrame:
    """TRTEMFL = "Y" when TRTSDT <= ASTDT <= TRTSDT + end_window (days)."""
    out = adae.copy()
    trt = out["USUBJID"].map(adsl.set_index("USUBJID")["TRTSDT"])
    days = (out["ASTDT"] - trt).dt.days
    out["TRTEMFL"] = yn((days >= 0) & (days <= end_window))
    return out


def derive_vars_atoxgr(adae: pd.DataFrame) -> pd.DataFrame:
    """ATOXGR/ATOXGRN (reported), ATOXSCL (scale), CRSFL and ICANSFL (by AEDECOD)."""
    out = adae.copy()
    g = pd.to_numeric(out["AETOXGR"], errors="coerce")
    bad = g.isna() | ~g.isin([1, 2, 3, 4, 5])
    if bad.any():
        r = out.loc[bad].iloc[0]
        raise RecordError(domain="AE", usubjid=r["USUBJID"], seq=r["AESEQ"], variable="AETOXGR",
                          value=r["AETOXGR"], rule="toxicity grade must be 1-5")
    out["ATOXGRN"] = g.astype(int)
    out["ATOXGR"] = out["ATOXGRN"].astype(str)
    crs = out["AEDECOD"].str.casefold() == CRS_TERM.casefold()
    icans = out["AEDECOD"].str.casefold() == ICANS_TERM.casefold()
    out["CRSFL"] = yn(crs)
    out["ICANSFL"] = yn(icans)
    out["ATOXSCL"] = np.where(crs | icans, SCALE_ASTCT, SCALE_CTCAE)
    return out


def derive_var_dtoxgr(adae: pd.DataFrame, derived: pd.DataFrame | None) -> pd.DataFrame:
    """DTOXGRN: grade derived by the safety engine for the same record (USUBJID, AESEQ,
    DTOXGRN), and GRDDIFFL = "Y" where it differs from the reported grade."""
    out = adae.copy()
    if derived is None:
        return out
    key = derived.set_index(["USUBJID", "AESEQ"])["DTOXGRN"]
    idx = pd.MultiIndex.from_frame(out[["USUBJID", "AESEQ"]])
    out["DTOXGRN"] = key.reindex(idx).to_numpy(dtype=float)
    out["GRDDIFFL"] = yn(out["DTOXGRN"].notna() & (out["DTOXGRN"] != out["ATOXGRN"]))
    return out


def derive_var_atoxgr_primary(adae: pd.DataFrame, source: str) -> pd.DataFrame:
    """ATOXGR/ATOXGRN of CRS / ICANS records = the protocol's primary grade
    (``safety.crs_icans_grade_source``): with "derived", DTOXGRN where the safety engine
    derived one (0 = criteria not met); ATOXGRSC names the source of every record's grade.
    The investigator's grade stays in AETOXGR."""
    out = adae.copy()
    syn = (out["CRSFL"] == "Y") | (out["ICANSFL"] == "Y")
    use = syn & out["DTOXGRN"].notna() if (
        source == "derived" and "DTOXGRN" in out.columns) else pd.Series(False, index=out.index)
    if use.any():
        out["ATOXGRN"] = np.where(use, out["DTOXGRN"], out["ATOXGRN"]).astype(int)
        out["ATOXGR"] = out["ATOXGRN"].astype(str)
    out["ATOXGRSC"] = np.where(use, "DERIVED", "REPORTED")
    return out


def derive_adae(ae: pd.DataFrame, adsl: pd.DataFrame, protocol: Protocol,
                derived_grades: pd.DataFrame | None = None) -> pd.DataFrame:
    """ADAE from SDTM AE and ADSL (TRT01A/TRT01AN, SAFFL, TRTSDT merged in)."""
    out = derive_vars_aedt(ae, adsl)
    out = derive_var_trtemfl(out, adsl, protocol.safety.treatment_emergent_until_day)
    out = derive_vars_atoxgr(out)
    out = derive_var_dtoxgr(out, derived_grades)
    out = derive_var_atoxgr_primary(out, protocol.safety.crs_icans_grade_source)
    sl = adsl.set_index("USUBJID")
    for c in ("TRT01A", "TRT01AN", "SAFFL", "TRTSDT"):
        out[c] = out["USUBJID"].map(sl[c])
    out = out.sort_values(["USUBJID", "ASTDT", "AESEQ"], kind="stable").reset_index(drop=True)
    out["ASEQ"] = out.groupby("USUBJID").cumcount() + 1
    front = ["STUDYID", "USUBJID", "ASEQ", "AESEQ", "TRT01A", "TRT01AN", "SAFFL", "TRTSDT"]
    return out[[c for c in front if c in out.columns]
               + [c for c in out.columns if c not in front and c != "DOMAIN"]]
