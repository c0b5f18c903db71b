"""ADSL variables behind the CSR disposition, baseline, exposure and death tables.

Each variable is derived from the SDTM records the data model documents (docs/data-model.md):

* disposition: ``APHFL`` (PR LEUKAPHERESIS), ``BRIDGFL`` (CM BRIDGING THERAPY), ``BRDGRSP``
  (response to bridging, :mod:`cartrial.adam.adsl_bridging`), ``LDFL`` (EX
  LYMPHODEPLETING CHEMOTHERAPY), ``MFGFFL`` (DS or DM.ARMNRS MANUFACTURING FAILURE), ``NINFRS``
  (why a leukapheresed patient was not infused: the DS disposition event);
* exposure: ``DOSEP`` (the protocol dose of the planned level DM.ARMCD), ``DOSEA`` (EXDOSE of the
  first infusion, ADSL core), ``DOSELFL`` (infused below the planned dose), ``VVDUR`` (days from
  leukapheresis to infusion, "vein-to-vein");
* baseline (last value before lymphodepletion, or before infusion without it): ``ECOGBL`` (RS
  ECOG101), ``B2MBL``, ``ALBBL``, ``LDHBL`` and ``LDHULN`` (LB, standard units), ``ISS`` and
  ``RISS`` (:mod:`cartrial.adam.myeloma`), ``HRCYTOFL`` (MH CYTOGENETICS), ``EMDFL`` (MH
  EXTRAMEDULLARY DISEASE), ``DIAGDT`` and ``DIAGDURY`` (years from diagnosis to leukapheresis);
* prior therapy (CM PRIOR ANTI-MYELOMA THERAPY + SUPPCM REFRACT): ``PRLINES``, ``TCEXPFL``,
  ``TCREFFL``, ``PENEXPFL``, ``PENREFFL``, ``BCMAFL``;
* death timing: ``DTHADY`` (days from infusion, infusion = day 0) and ``DTHTIM`` (BEFORE
  INFUSION, DAY 0-30, DAY 31-90, AFTER DAY 90).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam._dates import dtc_date, first_per_subject, yn
from cartrial.adam.myeloma import cytogenetic_high_risk, iss_stage, prior_therapy_flags, riss_stage
from cartrial.data import Study
from cartrial.protocol.model import Protocol
from cartrial.study_reads import read_frame

PRIOR = "PRIOR ANTI-MYELOMA THERAPY"
DEATH_TIMING = ("BEFORE INFUSION", "DAY 0-30", "DAY 31-90", "AFTER DAY 90")

_BL = "before LDSTDT (else TRTSDT)"
#: Origin and derivation of each variable this module derives, as define.xml states them
#: (cartrial.adam.derivations).
DEFINE = {
    "APHFL": "Derived: 'Y' when APHDT is not missing.",
    "BRIDGFL": "Derived: 'Y' when a CM record with CMCAT = BRIDGING THERAPY is on record.",
    "BRDGRSP": "Derived: for BRIDGFL = 'Y', the IMWG 2016 response category (unconfirmed) of the "
               "last disease assessment before lymphodepletion against the first (screening) "
               "one, by serum and urine M-protein and serum free light chains (Kumar S et al., "
               "Lancet Oncol 2016;17:e328-46); NE with fewer than two assessments or a missing "
               "measurement; empty without bridging therapy.",
    "LDFL": "Derived: 'Y' when LDSTDT is not missing.",
    "MFGFFL": "Derived: 'Y' when a DS disposition event has DSDECOD = MANUFACTURING FAILURE or "
              "DM.ARMNRS = MANUFACTURING FAILURE.",
    "NINFRS": "Derived: for APHFL = 'Y' and SAFFL not 'Y': MANUFACTURING FAILURE when MFGFFL = "
              "'Y', else DS.DSDECOD of the first disposition event (NOT RECORDED without one).",
    "DOSEP": "Derived: the protocol dose of the planned level DM.ARMCD.",
    "DOSELFL": "Derived: 'Y' when DOSEA < DOSEP, missing when DOSEA is missing.",
    "VVDUR": "Derived: TRTSDT - APHDT in days (vein-to-vein time).",
    "B2MBL": f"Derived: last LB.LBSTRESN with LBTESTCD = B2MICG dated {_BL}.",
    "ALBBL": f"Derived: last LB.LBSTRESN with LBTESTCD = ALB dated {_BL}.",
    "LDHBL": f"Derived: last LB.LBSTRESN with LBTESTCD = LDH dated {_BL}.",
    "LDHULN": f"Derived: LB.LBSTNRHI of the last LDH record dated {_BL}.",
    "ECOGBL": f"Derived: last RS.RSSTRESC with RSTESTCD = ECOG101 dated {_BL}, as a number.",
    "HRCYTOFL": "Derived: 'Y' when an MH record's MHTERM is del(17p), t(4;14) or t(14;16) "
                "(R-ISS high risk, Palumbo et al., J Clin Oncol 2015;33:2863-9), else 'N'.",
    "ISS": "Derived: International Staging System from B2MBL and ALBBL: I when B2M < 3.5 mg/L "
           "and albumin >= 35 g/L, III when B2M >= 5.5 mg/L, else II; missing when a missing "
           "input could change it (Greipp et al., J Clin Oncol 2005;23:3412-20).",
    "RISS": "Derived: Revised ISS from ISS, HRCYTOFL, LDHBL and LDHULN: I = ISS I with standard-"
            "risk cytogenetics and LDH <= ULN; III = ISS III with high-risk cytogenetics or LDH "
            "> ULN; else II; missing when a missing input could change it (Palumbo et al., J "
            "Clin Oncol 2015;33:2863-9).",
    "EMDFL": "Derived: 'Y' when an MH record with MHCAT = EXTRAMEDULLARY DISEASE is on record.",
    "DIAGDT": "Derived: date of MH.MHSTDTC of the PRIMARY DIAGNOSIS record.",
    "DIAGDURY": "Derived: (APHDT - DIAGDT) in days / 365.25, rounded to 2 decimals.",
    "PRLINES": "Derived: number of distinct CM.CMGRPID lines with CMCAT = PRIOR ANTI-MYELOMA "
               "THERAPY.",
    "TCEXPFL": "Derived: 'Y' when the prior lines (CM PRIOR ANTI-MYELOMA THERAPY, CMDECOD) "
               "include at least one immunomodulatory drug, one proteasome inhibitor and one "
               "anti-CD38 antibody, else 'N' (Gandhi et al., Leukemia 2019;33:2266-75).",
    "TCREFFL": "Derived: as TCEXPFL, counting only lines refractory by SUPPCM REFRACT = 'Y'.",
    "PENEXPFL": "Derived: 'Y' when the prior lines include at least two immunomodulatory "
                "drugs, two proteasome inhibitors and one anti-CD38 antibody, else 'N' (Gandhi "
                "et al., Leukemia 2019).",
    "PENREFFL": "Derived: as PENEXPFL, counting only lines refractory by SUPPCM REFRACT = 'Y'.",
    "BCMAFL": "Derived: 'Y' when a prior line includes a BCMA-directed therapy (antibody-drug "
              "conjugate, bispecific antibody or CAR-T), else 'N'.",
    "DTHADY": "Derived: DTHDT - TRTSDT in days (infusion = day 0).",
    "DTHTIM": "Derived: for DTHFL = 'Y': BEFORE INFUSION when TRTSDT is missing, DAY 0-30 when "
              "DTHADY <= 30, DAY 31-90 when <= 90, else AFTER DAY 90.",
}


def derive_vars_disposition(adsl: pd.DataFrame, study: Study) -> pd.DataFrame:
    """APHFL, BRIDGFL, LDFL, MFGFFL, NINFRS (see the module docstring).

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL so far.
    study : cartrial.data.Study
        DM (ARMNRS), DS (disposition event) and CM (bridging therapy).

    Returns
    -------
    pandas.DataFrame
        ``adsl`` with the variables added.
    """
    out = adsl.copy()
    u = out["USUBJID"]
    out["APHFL"] = yn(out["APHDT"].notna())
    cm = study.get("CM")
    bridged = set() if cm is None else set(cm.loc[cm["CMCAT"] == "BRIDGING THERAPY", "USUBJID"])
    out["BRIDGFL"] = yn(u.isin(bridged))
    out["LDFL"] = yn(out["LDSTDT"].notna())
    ds = study.get("DS")
    fail = set()
    reason = pd.Series("", index=out.index)
    if ds is not None and len(ds):
        ev = ds[ds["DSCAT"] == "DISPOSITION EVENT"]
        fail = set(ev.loc[ev["DSDECOD"] == "MANUFACTURING FAILURE", "USUBJID"])
        first = ev.drop_duplicates("USUBJID").set_index("USUBJID")["DSDECOD"]
        reason = u.map(first).fillna("NOT RECORDED")
    dm = study["DM"]
    if "ARMNRS" in dm:
        fail |= set(dm.loc[dm["ARMNRS"] == "MANUFACTURING FAILURE", "USUBJID"])
    out["MFGFFL"] = yn(u.isin(fail))
    out["NINFRS"] = np.where((out["APHFL"] == "Y") & (out["SAFFL"] != "Y"),
                             np.where(out["MFGFFL"] == "Y", "MANUFACTURING FAILURE", reason), "")
    return out


def derive_vars_exposure(adsl: pd.DataFrame, protocol: Protocol) -> pd.DataFrame:
    """DOSEP (planned dose of DM.ARMCD), DOSELFL (DOSEA below DOSEP) and VVDUR.

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL so far.
    protocol : Protocol
        The dose of each level.

    Returns
    -------
    pandas.DataFrame
        ``adsl`` with the variables added.
    """
    out = adsl.copy()
    dose = {d.id: float(d.dose) for d in protocol.dose_levels}
    out["DOSEP"] = out["ARMCD"].map(dose).astype(float)
    low = out["DOSEA"].notna() & out["DOSEP"].notna() & (
        out["DOSEA"] < out["DOSEP"] * (1 - 1e-9))
    out["DOSELFL"] = np.where(out["DOSEA"].notna(), yn(low), "")
    out["VVDUR"] = (out["TRTSDT"] - out["APHDT"]).dt.days.astype(float)
    return out


def _baseline_lab(lb: pd.DataFrame | None, adsl: pd.DataFrame, code: str,
                  col: str = "LBSTRESN") -> pd.Series:
    """The last ``code`` value dated before the reference (LDSTDT, else TRTSDT), by ADSL row."""
    if lb is None or col not in lb:
        return pd.Series(np.nan, index=adsl.index)
    r = lb.loc[lb["LBTESTCD"] == code, ["USUBJID", "LBDTC", col]].copy()
    r["ADT"], _ = dtc_date(r["LBDTC"])
    ref = adsl.set_index("USUBJID")["LDSTDT"].fillna(adsl.set_index("USUBJID")["TRTSDT"])
    r = r[r["ADT"] < r["USUBJID"].map(ref)]
    r[col] = pd.to_numeric(r[col], errors="coerce")
    r = r.dropna(subset=[col])
    last = first_per_subject(r, "ADT", [col], last=True)
    return adsl["USUBJID"].map(last[col]).astype(float)


def derive_vars_baseline(adsl: pd.DataFrame, study: Study) -> pd.DataFrame:
    """ECOGBL, B2MBL, ALBBL, LDHBL, LDHULN, ISS, RISS, HRCYTOFL, EMDFL, DIAGDT, DIAGDURY.

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL so far.
    study : cartrial.data.Study
        LB (B2MICG, ALB, LDH in standard units), RS (ECOG101), MH.

    Returns
    -------
    pandas.DataFrame
        ``adsl`` with the variables added.
    """
    out = adsl.copy()
    # the baseline tests' records only (issue #18: a large LB is not read whole)
    lb = read_frame(study, "LB", ["USUBJID", "LBTESTCD", "LBDTC", "LBSTRESN", "LBSTNRHI"],
                    where={"LBTESTCD": {"B2MICG", "ALB", "LDH"}})
    out["B2MBL"] = _baseline_lab(lb, out, "B2MICG")
    out["ALBBL"] = _baseline_lab(lb, out, "ALB")
    out["LDHBL"] = _baseline_lab(lb, out, "LDH")
    out["LDHULN"] = _baseline_lab(lb, out, "LDH", "LBSTNRHI")
    rs = study.get("RS")
    out["ECOGBL"] = np.nan
    if rs is not None and len(rs) and "RSTESTCD" in rs:
        e = rs[rs["RSTESTCD"] == "ECOG101"].copy()
        e["ADT"], _ = dtc_date(e["RSDTC"])
        e["V"] = pd.to_numeric(e["RSSTRESC"], errors="coerce")
        ref = out.set_index("USUBJID")["LDSTDT"].fillna(out.set_index("USUBJID")["TRTSDT"])
        e = e[(e["ADT"] < e["USUBJID"].map(ref)) & e["V"].notna()]
        out["ECOGBL"] = out["USUBJID"].map(first_per_subject(e, "ADT", ["V"], last=True)["V"])
    mh = study.get("MH")
    hr = cytogenetic_high_risk(out["USUBJID"], mh)
    out["HRCYTOFL"] = np.where(hr.fillna(False).to_numpy(dtype=bool), "Y", "N")
    out["ISS"] = iss_stage(out["B2MBL"], out["ALBBL"])
    out["RISS"] = riss_stage(out["ISS"], hr.astype(object).where(hr.notna(), None),
                             out["LDHBL"], out["LDHULN"])
    emd = set() if mh is None else set(mh.loc[mh["MHCAT"] == "EXTRAMEDULLARY DISEASE",
                                              "USUBJID"])
    out["EMDFL"] = yn(out["USUBJID"].isin(emd))
    out["DIAGDT"] = pd.NaT
    if mh is not None and "MHSTDTC" in mh:
        pdx = mh[mh["MHCAT"] == "PRIMARY DIAGNOSIS"].drop_duplicates("USUBJID")
        dt, _ = dtc_date(pdx["MHSTDTC"].set_axis(pdx["USUBJID"]))
        out["DIAGDT"] = out["USUBJID"].map(dt)
    out["DIAGDURY"] = ((out["APHDT"] - out["DIAGDT"]).dt.days / 365.25).round(2)
    return out


def derive_vars_prior(adsl: pd.DataFrame, study: Study) -> pd.DataFrame:
    """PRLINES, TCEXPFL, TCREFFL, PENEXPFL, PENREFFL, BCMAFL from CM and SUPPCM.

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL so far.
    study : cartrial.data.Study
        CM (PRIOR ANTI-MYELOMA THERAPY with CMGRPID) and SUPPCM (REFRACT).

    Returns
    -------
    pandas.DataFrame
        ``adsl`` with the variables added.
    """
    out = adsl.copy()
    cm = study.get("CM")
    cols = ("PRLINES", "TCEXPFL", "TCREFFL", "PENEXPFL", "PENREFFL", "BCMAFL")
    if cm is None or "CMGRPID" not in cm:
        for c in cols:
            out[c] = np.nan if c == "PRLINES" else ""
        return out
    prior = cm[cm["CMCAT"] == PRIOR].copy()
    prior["CMDECOD"] = prior["CMDECOD"].fillna(prior["CMTRT"]) if "CMDECOD" in prior \
        else prior["CMTRT"]
    supp = study.get("SUPPCM")
    ref = None
    if supp is not None and len(supp):
        r = supp[(supp["QNAM"] == "REFRACT") & (supp["QVAL"] == "Y")]
        ref = pd.DataFrame({"USUBJID": r["USUBJID"], "CMGRPID": r["IDVARVAL"]})
    flags = prior_therapy_flags(prior, ref)
    for c in cols:
        v = out["USUBJID"].map(flags[c])
        out[c] = v.astype(float) if c == "PRLINES" else v.fillna("")
    return out


def derive_vars_death_timing(adsl: pd.DataFrame) -> pd.DataFrame:
    """DTHADY (death day from infusion, infusion = day 0) and DTHTIM.

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL so far.
    Returns
    -------
    pandas.DataFrame
        ``adsl`` with the variables added.
    """
    out = adsl.copy()
    day = (out["DTHDT"] - out["TRTSDT"]).dt.days.astype(float)
    out["DTHADY"] = day
    dead = out["DTHFL"] == "Y"
    out["DTHTIM"] = np.select(
        [dead & out["TRTSDT"].isna(), dead & (day <= 30), dead & (day <= 90), dead & (day > 90)],
        list(DEATH_TIMING), "")
    return out


def derive_vars_csr(adsl: pd.DataFrame, study: Study, protocol: Protocol) -> pd.DataFrame:
    """Every variable of this module, in order (called by :func:`derive_adsl`).

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL with TRTSDT, LDSTDT, APHDT, SAFFL, DOSEA, DTHDT, DTHFL.
    study : cartrial.data.Study
        The SDTM study (DM, DS, CM, SUPPCM, EX, LB, RS, MH as present).
    protocol : cartrial.protocol.model.Protocol
        Dose levels (planned dose).

    Returns
    -------
    pandas.DataFrame
        ADSL with the variables listed in the module docstring.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"DTHDT": pd.to_datetime(["2024-02-01", None]),
    ...                   "TRTSDT": pd.to_datetime(["2024-01-01", None]), "DTHFL": ["Y", ""]})
    >>> derive_vars_death_timing(a)["DTHTIM"].tolist()
    ['DAY 31-90', '']
    """
    from cartrial.adam.adsl_bridging import derive_var_brdgrsp

    out = derive_var_brdgrsp(derive_vars_disposition(adsl, study), study)
    out = derive_vars_exposure(out, protocol)
    out = derive_vars_baseline(out, study)
    out = derive_vars_prior(out, study)
    return derive_vars_death_timing(out)
