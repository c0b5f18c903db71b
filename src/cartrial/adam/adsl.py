"""ADSL: one row per subject (ADaMIG; admiral ``inst/templates/ad_adsl.R``; CDISC
ADaMIG v1.3), with the CAR-T additions APHDT, LDSTDT, INFDT and the populations of a dose-finding
trial.

Populations (flags "Y" or missing):

* ``ITTFL`` leukapheresed (the CAR-T "enrolled" set: PR LEUKAPHERESIS on record);
* ``SAFFL`` infused with the CAR-T product (EX, EXCAT = INVESTIGATIONAL PRODUCT);
* ``DLTEVLFL`` DLT-evaluable: a DLT, or follow-up through the DLT window (the safety engine's
  adjudication, ``completed_window_or_dlt``); missing when no adjudication is supplied (with
  DLTFL, DLTPNDFL and DLTCRIT: :mod:`cartrial.adam.adsl_dlt`);
* ``EFFFL`` efficacy-evaluable: infused and at least one disease assessment after infusion
  (LB with LBCAT = DISEASE ASSESSMENT, or RS);
* ``PPCLFL`` primary plasma cell leukaemia (MH PRIMARY DIAGNOSIS mapped to the protocol
  population, data-model population_terms).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial._memory import release_freed_memory
from cartrial.adam._dates import dtc_date, first_per_subject, require, yn
from cartrial.adam.adsl_pop import derive_var_popcd, derive_vars_popfl
from cartrial.adam.adsl_status import derive_var_lstalvdt, derive_vars_dth, derive_vars_eos
from cartrial.data import Study
from cartrial.errors import RecordError
from cartrial.protocol.model import Protocol

# the derivations of subject status and populations live in adsl_status / adsl_pop; these names
# stay importable from here
__all__ = ["DEFINE", "derive_adsl", "derive_adsl_base", "derive_var_aphdt", "derive_var_lstalvdt",
           "derive_var_popcd", "derive_vars_dth", "derive_vars_eos", "derive_vars_popfl",
           "derive_vars_trt", "dose_label"]

IP = "INVESTIGATIONAL PRODUCT"
LD = "LYMPHODEPLETING CHEMOTHERAPY"

#: Origin and derivation of each variable this module and adsl_status / adsl_pop derive, as
#: define.xml states them (cartrial.adam.derivations): "Derived: <rule>" or "Assigned: ...".
DEFINE = {
    "AGEGR1": "Derived: '>=65' when AGE >= 65, '<65' when AGE < 65, missing when AGE is.",
    "TRT01P": "Derived: the protocol dose level DM.ARMCD as '<level id> <dose label>'.",
    "TRT01PN": "Derived: 1-based position of DM.ARMCD among the protocol's dose levels.",
    "TRT01A": "Derived: the protocol dose level whose dose equals EX.EXDOSE of the first record "
              "with EXCAT = INVESTIGATIONAL PRODUCT, as '<level id> <dose label>' (an infused "
              "dose that is no protocol level is refused).",
    "TRT01AN": "Derived: 1-based position of TRT01A among the protocol's dose levels.",
    "TRTSDT": "Derived: date of EX.EXSTDTC of the first record with EXCAT = INVESTIGATIONAL "
              "PRODUCT.",
    "TRTEDT": "Derived: date of EX.EXSTDTC of the last record with EXCAT = INVESTIGATIONAL "
              "PRODUCT.",
    "INFDT": "Derived: equal to TRTSDT (the single CAR-T infusion).",
    "DOSEA": "Derived: EX.EXDOSE of the first INVESTIGATIONAL PRODUCT record.",
    "DOSEU": "Assigned: the unit of the protocol's dose levels when DOSEA is not missing.",
    "LDSTDT": "Derived: date of EX.EXSTDTC of the first record with EXCAT = LYMPHODEPLETING "
              "CHEMOTHERAPY.",
    "APHDT": "Derived: date of PR.PRSTDTC of the first record with PRTRT = LEUKAPHERESIS.",
    "ITTFL": "Derived: 'Y' when APHDT is not missing (a leukapheresis on record).",
    "DTHDT": "Derived: DM.DTHDTC as a date, a partial date imputed to its first day (ADaMIG "
             "v1.3 section 3.1.4).",
    "DTHDTF": "Derived: imputation flag of DTHDT ('D' day, 'M' month and day imputed).",
    "DTHFL": "Derived: 'Y' when DTHDT is not missing or DM.DTHFL = 'Y'.",
    "DTHCAUS": "Derived: DS.DSTERM of the subject's first record with DSDECOD = DEATH.",
    "EOSSTT": "Derived: from DS.DSDECOD of the last record with DSCAT = DISPOSITION EVENT: "
              "ONGOING (none, or ONGOING), COMPLETED, else DISCONTINUED.",
    "EOSDT": "Derived: date of DS.DSSTDTC of that last disposition event, when EOSSTT is not "
             "ONGOING.",
    "DCSREAS": "Derived: DS.DSDECOD of that last disposition event when EOSSTT = DISCONTINUED.",
    "LSTALVDT": "Derived: latest complete date of any AE, LB, VS, PC, RS, IS, QS, FA, CM, EX, PR, "
                "TR or DS (other than death) record of the subject, not after DTHDT.",
    "POPCD": "Derived: MH.MHDECOD of the PRIMARY DIAGNOSIS record mapped to the protocol "
             "population by the data model's population_terms.",
    "PPCLFL": "Derived: 'Y' when POPCD = PPCL (primary plasma cell leukaemia).",
    "SAFFL": "Derived: 'Y' when TRTSDT is not missing (infused with the CAR-T product).",
    "EFFFL": "Derived: 'Y' when SAFFL = 'Y' and an LB record with LBCAT = DISEASE ASSESSMENT or "
             "an RS OVRLRESP record is dated after TRTSDT.",
}


def derive_adsl_base(dm: pd.DataFrame) -> pd.DataFrame:
    """Subject-level identifiers and demographics carried from DM.

    Parameters
    ----------
    dm : pandas.DataFrame
        SDTM DM (STUDYID, USUBJID, SUBJID, SITEID, AGE in years, SEX, ARMCD, ACTARMCD).

    Returns
    -------
    pandas.DataFrame
        One row per subject, sorted by USUBJID, with AGEGR1 (``"<65"`` / ``">=65"``).

    Examples
    --------
    >>> dm = pd.DataFrame({"STUDYID": "CT071", "USUBJID": ["S2", "S1"], "SUBJID": ["2", "1"],
    ...                    "SITEID": "01", "AGE": [70, 58], "SEX": ["F", "M"], "ARMCD": "DL1",
    ...                    "ACTARMCD": "DL1"})
    >>> derive_adsl_base(dm)["AGEGR1"].tolist()
    ['<65', '>=65']
    """
    require(dm, ["STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "SEX", "ARMCD", "ACTARMCD"],
            "ADSL (DM)")
    keep = [c for c in ("STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "AGEU", "SEX", "RACE",
                        "ETHNIC", "COUNTRY", "ARMCD", "ARM", "ACTARMCD", "ACTARM",
                        "ARMNRS") if c in dm.columns]
    adsl = dm[keep].copy().sort_values("USUBJID", kind="stable").reset_index(drop=True)
    adsl["AGE"] = pd.to_numeric(adsl["AGE"], errors="coerce")
    adsl["AGEGR1"] = np.where(adsl["AGE"] >= 65, ">=65", np.where(adsl["AGE"].notna(), "<65", ""))
    return adsl


def _dose_index(doses: np.ndarray, protocol: Protocol) -> np.ndarray:
    levels = np.array([d.dose for d in protocol.dose_levels])
    hit = np.isclose(doses[:, None], levels[None, :], rtol=1e-6, atol=0)
    return np.where(hit.any(axis=1), hit.argmax(axis=1), -1)


def dose_label(protocol: Protocol) -> list[str]:
    """TRT01A text per dose level: "DL1 0.1 x10^6/kg"."""
    return [f"{d.id} {d.label}" for d in protocol.dose_levels]


def derive_vars_trt(adsl: pd.DataFrame, ex: pd.DataFrame, protocol: Protocol) -> pd.DataFrame:
    """TRT01P/TRT01PN (planned dose level, DM.ARMCD), TRT01A/TRT01AN (dose level of the first
    CAR-T infusion, EXDOSE matched to the protocol), TRTSDT/TRTEDT/INFDT (first/last infusion),
    DOSEA (EXDOSE) and LDSTDT (first lymphodepletion day). An infused dose that is not a protocol
    dose level is a :class:`RecordError` (validation rule DOSE_NOT_IN_PROTOCOL).

    Parameters
    ----------
    adsl : pandas.DataFrame
        One row per subject (USUBJID, ARMCD), as :func:`derive_adsl_base` returns it.
    ex : pandas.DataFrame
        SDTM EX (USUBJID, EXSEQ, EXCAT, EXDOSE, EXSTDTC): EXCAT INVESTIGATIONAL PRODUCT for the
        CAR-T infusion, LYMPHODEPLETING CHEMOTHERAPY for lymphodepletion.
    protocol : cartrial.protocol.Protocol
        Its ``dose_levels`` (id, dose, label, unit); an EXDOSE matches a level to a relative
        tolerance of 1e-6.

    Returns
    -------
    pandas.DataFrame
        ``adsl`` with TRT01P, TRT01PN, TRT01A, TRT01AN (1-based), TRTSDT, TRTEDT, INFDT, DOSEA,
        DOSEU and LDSTDT; the actual-treatment variables are missing for a subject not infused.

    Raises
    ------
    cartrial.errors.RecordError
        EX lacks a required variable, or an infused EXDOSE is no protocol dose level (domain EX,
        the subject, EXSEQ, EXDOSE and its value named).

    References
    ----------
    CDISC ADaMIG v1.3 (2021) section 3.2, ADSL treatment variables (TRTxxP/TRTxxA and their
    numeric codes, TRTSDT/TRTEDT: first and last exposure to study treatment).

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> adsl = pd.DataFrame({"USUBJID": ["S1", "S2"], "ARMCD": ["DL2", "DL2"]})
    >>> ex = pd.DataFrame({"USUBJID": ["S1", "S1"], "EXSEQ": [1, 2],
    ...                    "EXCAT": ["LYMPHODEPLETING CHEMOTHERAPY", "INVESTIGATIONAL PRODUCT"],
    ...                    "EXDOSE": [30, 0.3], "EXSTDTC": ["2024-01-05", "2024-01-10T09:30"]})
    >>> out = derive_vars_trt(adsl, ex, load_protocol("ct071"))
    >>> out[["TRT01P", "TRT01A", "TRT01AN", "DOSEA"]]
                 TRT01P            TRT01A  TRT01AN  DOSEA
    0  DL2 0.3 x10^6/kg  DL2 0.3 x10^6/kg      2.0    0.3
    1  DL2 0.3 x10^6/kg                        NaN    NaN
    >>> str(out.loc[0, "LDSTDT"].date()), str(out.loc[0, "INFDT"].date())
    ('2024-01-05', '2024-01-10')
    """
    require(ex, ["USUBJID", "EXSEQ", "EXCAT", "EXDOSE", "EXSTDTC"], "ADSL (EX)")
    out = adsl.copy()
    ids = [d.id for d in protocol.dose_levels]
    labels = dose_label(protocol)
    pn = pd.Series(out["ARMCD"]).map({k: i + 1 for i, k in enumerate(ids)})
    out["TRT01P"] = pn.map(lambda i: labels[int(i) - 1] if i == i else "").fillna("")
    out["TRT01PN"] = pn.astype(float)
    e = ex.copy()
    e["ASTDT"], _ = dtc_date(e["EXSTDTC"])
    ip = e[e["EXCAT"] == IP].copy()
    ip["EXDOSE"] = pd.to_numeric(ip["EXDOSE"], errors="coerce")
    idx = _dose_index(ip["EXDOSE"].to_numpy(dtype=float), protocol)
    bad = np.flatnonzero(idx < 0)
    if len(bad):
        r = ip.iloc[bad[0]]
        raise RecordError(domain="EX", usubjid=r["USUBJID"], seq=r["EXSEQ"], variable="EXDOSE",
                          value=r["EXDOSE"], rule="infused dose is not a protocol dose level",
                          hint=f"protocol doses {[d.dose for d in protocol.dose_levels]}")
    ip["_IDX"] = idx
    first = first_per_subject(ip, "ASTDT", ["_IDX", "EXDOSE"])
    last = first_per_subject(ip, "ASTDT", last=True)
    u = out["USUBJID"]
    out["TRTSDT"] = u.map(first["ASTDT"])
    out["TRTEDT"] = u.map(last["ASTDT"])
    out["INFDT"] = out["TRTSDT"]
    ai = u.map(first["_IDX"])
    out["TRT01AN"] = (ai + 1).astype(float)
    out["TRT01A"] = ai.map(lambda i: labels[int(i)] if i == i else "").fillna("")
    out["DOSEA"] = u.map(first["EXDOSE"]).astype(float)
    out["DOSEU"] = np.where(out["DOSEA"].notna(), protocol.dose_levels[0].unit, "")
    ld = first_per_subject(e[e["EXCAT"] == LD], "ASTDT")
    out["LDSTDT"] = u.map(ld["ASTDT"])
    return out


def derive_var_aphdt(adsl: pd.DataFrame, pr: pd.DataFrame) -> pd.DataFrame:
    """APHDT: date of the first leukapheresis (PR, PRTRT = LEUKAPHERESIS) and ITTFL.

    Parameters
    ----------
    adsl : pandas.DataFrame
        One row per subject (USUBJID).
    pr : pandas.DataFrame
        SDTM PR (USUBJID, PRTRT, PRSTDTC).

    Returns
    -------
    pandas.DataFrame
        ``adsl`` with APHDT and ITTFL (``"Y"`` when leukapheresed, else blank).

    Examples
    --------
    >>> pr = pd.DataFrame({"USUBJID": ["S1"], "PRTRT": "LEUKAPHERESIS", "PRSTDTC": "2024-02-01"})
    >>> derive_var_aphdt(pd.DataFrame({"USUBJID": ["S1", "S2"]}), pr)["ITTFL"].tolist()
    ['Y', '']
    """
    require(pr, ["USUBJID", "PRTRT", "PRSTDTC"], "ADSL (PR)")
    p = pr[pr["PRTRT"] == "LEUKAPHERESIS"].copy()
    p["ADT"], _ = dtc_date(p["PRSTDTC"])
    first = first_per_subject(p, "ADT")
    out = adsl.copy()
    out["APHDT"] = out["USUBJID"].map(first["ADT"])
    out["ITTFL"] = yn(out["APHDT"].notna())
    return out


def derive_adsl(study: Study, protocol: Protocol,
                dlt_patients: pd.DataFrame | None = None) -> pd.DataFrame:
    """ADSL from SDTM DM, EX, PR, MH, DS (+ every dated domain for LSTALVDT) and the protocol.

    ``dlt_patients`` is :attr:`cartrial.safety.DltResult.patients` (USUBJID, DLT,
    DLT_EVALUABLE); without it DLTEVLFL is not derived.

    Parameters
    ----------
    study, protocol : Study, Protocol
        The SDTM transfer and the trial's protocol.
    dlt_patients : pandas.DataFrame, optional
        The DLT adjudication per patient.

    Returns
    -------
    pandas.DataFrame
        ADSL, one row per subject.

    Examples
    --------
    Needs a whole trial (``cartrial demo`` writes one):

    >>> derive_adsl(load_study("sdtm"), load_protocol("ct071"))["SAFFL"]  # doctest: +SKIP
    """
    dm = study["DM"]
    adsl = derive_adsl_base(dm)
    adsl = derive_vars_trt(adsl, study["EX"], protocol)
    adsl = derive_var_aphdt(adsl, study["PR"])
    adsl = derive_vars_dth(adsl, dm, study.get("DS"))
    adsl = derive_vars_eos(adsl, study.get("DS"))
    adsl = derive_var_lstalvdt(adsl, study)
    # the pages of the reads of every dated record handed back before the next reads (a
    # large trial's study is still held: issue #18, memory)
    release_freed_memory()
    adsl = derive_var_popcd(adsl, study["MH"], protocol)
    adsl = derive_vars_popfl(adsl, study, dlt_patients)
    release_freed_memory()
    from cartrial.adam.adsl_csr import derive_vars_csr  # CSR disposition/baseline/exposure

    return derive_vars_csr(adsl, study, protocol)
