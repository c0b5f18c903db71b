"""ADAE: one row per adverse event (admiral ``inst/templates/ad_adae.R``; CDISC
ADaMIG v1.3).

Analysis grade: ``ATOXGR``/``ATOXGRN`` = AETOXGR (investigator; ASTCT 2019 for CRS and ICANS,
NCI CTCAE otherwise, the version the protocol pins (``safety.ctcae_version``), named
in ``ATOXSCL``), except CRS / ICANS records when the protocol's
primary grade source is "derived": then the derived grade (``ATOXGRSC`` names the source).
Derived grade: ``DTOXGRN`` from the safety engine (ASTCT 2019 grading of the daily CRS/ICANS
observations) when supplied; the reported grade stays in ``AETOXGR`` (data-model AE convention).
``TRTEMFL``: onset on or after the CAR-T infusion and at most
``protocol.safety.treatment_emergent_until_day`` days after it (admiral
``derive_var_trtemfl(end_window=...)``). The protocol's event baskets as OCCDS customized
queries (CQzzNAM, first onset and resolution per subject): :mod:`cartrial.adam.adae_baskets`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam._dates import dtc_date, require, study_day_from, yn
from cartrial.adam.adae_baskets import derive_vars_cq
from cartrial.adam.iec_hs import derive_var_iechsfl
from cartrial.errors import RecordError
from cartrial.protocol.model import Protocol

CRS_TERM = "Cytokine release syndrome"
ICANS_TERM = "Immune effector cell-associated neurotoxicity syndrome"
SCALE_ASTCT = "ASTCT 2019"
SCALE_CTCAE = "NCI CTCAE V{version}"  # the protocol's safety.ctcae_version: 5.0 or 6.0

#: Origin and derivation of each variable this module derives, as define.xml states them
#: (cartrial.adam.derivations).
DEFINE = {
    "ASTDT": "Derived: AE.AESTDTC as a date, a partial date imputed to its first day (ADaMIG "
             "v1.3 section 3.1.4), but not before TRTSDT when the partial date's month (or "
             "year) holds TRTSDT.",
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
               f"2019;25:625-38) when CRSFL or ICANSFL = 'Y', else 'NCI CTCAE V' and the "
               "protocol's safety.ctcae_version (5.0: 27 Nov 2017; 6.0: 22 July 2025).",
    "DTOXGRN": "Derived: the ASTCT 2019 grade the safety engine derives for the CRS / ICANS "
               "record from the daily FA / QS / VS observations (0 = criteria not met).",
    "GRDDIFFL": "Derived: 'Y' when DTOXGRN is not missing and differs from AE.AETOXGR.",
    "ATOXGRSC": "Derived: DERIVED when ATOXGRN was taken from DTOXGRN, else REPORTED.",
}


def derive_vars_aedt(ae: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """ASTDT/ASTDTF (start imputed to the first day, or to TRTSDT when the partial date's
    range holds it), AENDT/AENDTF (end imputed to the last day), ASTDY/AENDY (study day from
    TRTSDT, no day 0) and ADURN (days, end - start + 1).

    Parameters
    ----------
    ae : pandas.DataFrame
        SDTM AE (USUBJID, AESEQ, AEDECOD, AEBODSYS, AETOXGR, AESTDTC; AEENDTC optional).
    adsl : pandas.DataFrame
        USUBJID and TRTSDT (infusion date).

    Returns
    -------
    pandas.DataFrame
        The AE records with the analysis dates, flags (``"D"``/``"M"``/blank), days, ADURN.

    Raises
    ------
    InputError
        When a required AE variable is missing.

    References
    ----------
    CDISC ADaM Implementation Guide v1.3, 2021 (ASTDT, ASTDTF, ASTDY).

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["S1"], "TRTSDT": pd.to_datetime(["2024-03-10"])})
    >>> ae = pd.DataFrame({"USUBJID": ["S1", "S1"], "AESEQ": [1, 2], "AEDECOD": ["CRS", "Anaemia"],
    ...                    "AEBODSYS": ["Immune", "Blood"], "AETOXGR": ["2", "3"],
    ...                    "AESTDTC": ["2024-03-11", "2024-02"], "AEENDTC": ["2024-03-14", ""]})
    >>> derive_vars_aedt(ae, adsl)[["ASTDT", "ASTDTF", "ASTDY", "ADURN"]]
           ASTDT ASTDTF  ASTDY  ADURN
    0 2024-03-11             2    4.0
    1 2024-02-01      D    -38    NaN
    >>> ae.loc[1, "AESTDTC"] = "2024-03"  # the infusion's month: not before the infusion
    >>> derive_vars_aedt(ae, adsl).loc[1, ["ASTDT", "ASTDTF", "ASTDY"]].tolist()
    [Timestamp('2024-03-10 00:00:00'), 'D', np.int64(1)]
    """
    require(ae, ["USUBJID", "AESEQ", "AEDECOD", "AEBODSYS", "AETOXGR", "AESTDTC"], "ADAE (AE)")
    out = ae.copy()
    trt = out["USUBJID"].map(adsl.set_index("USUBJID")["TRTSDT"])
    # a partial start whose range holds the infusion date starts on it (admiral's min_dates)
    out["ASTDT"], out["ASTDTF"] = dtc_date(out["AESTDTC"], "start", min_dates=trt)
    end = out["AEENDTC"] if "AEENDTC" in out.columns else pd.Series("", index=out.index)
    out["AENDT"], out["AENDTF"] = dtc_date(end, "end")
    out["ASTDY"] = study_day_from(out["ASTDT"], trt)
    out["AENDY"] = study_day_from(out["AENDT"], trt)
    out["ADURN"] = (out["AENDT"] - out["ASTDT"]).dt.days + 1.0
    out["ASTDTF"] = out["ASTDTF"].fillna("")
    out["AENDTF"] = out["AENDTF"].fillna("")
    return out


def derive_var_trtemfl(adae: pd.DataFrame, adsl: pd.DataFrame, end_window: int) -> pd.DataFrame:
    """TRTEMFL = "Y" when TRTSDT <= ASTDT <= TRTSDT + end_window (days).

    Parameters
    ----------
    adae : pandas.DataFrame
        AE records with USUBJID and ASTDT (analysis start date, see :func:`derive_vars_aedt`).
    adsl : pandas.DataFrame
        One row per subject with USUBJID and TRTSDT (date of the CAR-T infusion).
    end_window : int
        Days after the infusion during which an AE is treatment-emergent.

    Returns
    -------
    pandas.DataFrame
        ``adae`` with TRTEMFL (``"Y"`` or blank).

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["S1"], "TRTSDT": pd.to_datetime(["2024-03-10"])})
    >>> adae = pd.DataFrame({"USUBJID": ["S1"] * 3,
    ...                      "ASTDT": pd.to_datetime(["2024-03-01", "2024-03-11", "2024-07-01"])})
    >>> derive_var_trtemfl(adae, adsl, end_window=90)["TRTEMFL"].tolist()
    ['', 'Y', '']
    """
    out = adae.copy()
    trt = out["USUBJID"].map(adsl.set_index("USUBJID")["TRTSDT"])
    days = (out["ASTDT"] - trt).dt.days
    out["TRTEMFL"] = yn((days >= 0) & (days <= end_window))
    return out


def derive_vars_atoxgr(adae: pd.DataFrame, ctcae_version: str = "5.0") -> pd.DataFrame:
    """ATOXGR/ATOXGRN (reported), ATOXSCL (scale), CRSFL and ICANSFL (by AEDECOD).

    Parameters
    ----------
    adae : pandas.DataFrame
        AE records with USUBJID, AESEQ, AEDECOD and AETOXGR (reported grade, 1-5).
    ctcae_version : {"5.0", "6.0"}, default "5.0"
        The NCI CTCAE version the investigators graded by (the protocol's
        ``safety.ctcae_version``), named in ATOXSCL.

    Returns
    -------
    pandas.DataFrame
        ``adae`` with the grade columns; CRS and ICANS are graded on the ASTCT 2019 scale,
        everything else on NCI CTCAE (``ctcae_version``).

    Raises
    ------
    RecordError
        When a grade is missing or not 1-5 (names the subject and AESEQ).

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38 (ASTCT consensus grading).

    Examples
    --------
    >>> ae = pd.DataFrame({"USUBJID": ["S1", "S1"], "AESEQ": [1, 2], "AETOXGR": ["2", "3"],
    ...                    "AEDECOD": ["Cytokine release syndrome", "Anaemia"]})
    >>> out = derive_vars_atoxgr(ae)
    >>> out["ATOXSCL"].tolist(), out["CRSFL"].tolist()
    (['ASTCT 2019', 'NCI CTCAE V5.0'], ['Y', ''])
    >>> derive_vars_atoxgr(ae, ctcae_version="6.0")["ATOXSCL"].tolist()
    ['ASTCT 2019', 'NCI CTCAE V6.0']
    >>> derive_vars_atoxgr(ae.assign(AETOXGR=["2", "6"]))
    Traceback (most recent call last):
    ...
    cartrial.errors.RecordError: ERROR AE USUBJID=S1 AESEQ=2 AETOXGR='6': toxicity grade ...
    """
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
    out["ATOXSCL"] = np.where(crs | icans, SCALE_ASTCT, SCALE_CTCAE.format(version=ctcae_version))
    return out


def derive_var_dtoxgr(adae: pd.DataFrame, derived: pd.DataFrame | None) -> pd.DataFrame:
    """DTOXGRN: grade derived by the safety engine for the same record (USUBJID, AESEQ,
    DTOXGRN), and GRDDIFFL = "Y" where it differs from the reported grade.

    Parameters
    ----------
    adae : pandas.DataFrame
        AE records with USUBJID, AESEQ and ATOXGRN (see :func:`derive_vars_atoxgr`).
    derived : pandas.DataFrame or None
        USUBJID, AESEQ, DTOXGRN (:func:`derived_ae_grades`); None leaves ``adae`` unchanged.

    Returns
    -------
    pandas.DataFrame
        ``adae`` with DTOXGRN (NaN where nothing was derived) and GRDDIFFL.

    Examples
    --------
    >>> adae = pd.DataFrame({"USUBJID": ["S1", "S1"], "AESEQ": [1, 2], "ATOXGRN": [2, 3]})
    >>> derived = pd.DataFrame({"USUBJID": ["S1"], "AESEQ": [1], "DTOXGRN": [3.0]})
    >>> out = derive_var_dtoxgr(adae, derived)
    >>> out["DTOXGRN"].tolist(), out["GRDDIFFL"].tolist()
    ([3.0, nan], ['Y', ''])
    """
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
    """ADAE from SDTM AE and ADSL (TRT01A/TRT01AN, SAFFL, TRTSDT merged in).

    Parameters
    ----------
    ae : pandas.DataFrame
        SDTM AE.
    adsl : pandas.DataFrame
        USUBJID, TRTSDT, TRT01A, TRT01AN and SAFFL per subject.
    protocol : Protocol
        Gives the treatment-emergent window (days), the source of the CRS / ICANS grade and
        the event baskets (customized queries).
    derived_grades : pandas.DataFrame, optional
        USUBJID, AESEQ, DTOXGRN from the safety engine (:func:`derived_ae_grades`).

    Returns
    -------
    pandas.DataFrame
        One row per AE record, sorted by subject and start date, ASEQ numbered from 1.

    Raises
    ------
    InputError
        When a required AE variable is missing.
    RecordError
        When a reported grade is not 1-5.

    References
    ----------
    CDISC ADaM Occurrence Data Structure (OCCDS) v1.1, 2021.

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> adsl = pd.DataFrame({"USUBJID": ["S1"], "TRTSDT": pd.to_datetime(["2024-03-10"]),
    ...                      "TRT01A": ["DL1"], "TRT01AN": [1], "SAFFL": ["Y"]})
    >>> ae = pd.DataFrame({"USUBJID": "S1", "AESEQ": [1, 2], "AETOXGR": ["2", "3"],
    ...                    "AEDECOD": ["Cytokine release syndrome", "Anaemia"],
    ...                    "AEBODSYS": "X", "AESTDTC": ["2024-03-11", "2024-03-20"]})
    >>> derive_adae(ae, adsl, load_protocol("ct071"))[["ASEQ", "TRTEMFL", "ATOXGRN", "ATOXSCL"]]
       ASEQ TRTEMFL  ATOXGRN         ATOXSCL
    0     1       Y        2      ASTCT 2019
    1     2       Y        3  NCI CTCAE V5.0
    """
    out = derive_vars_aedt(ae, adsl)
    out = derive_var_trtemfl(out, adsl, protocol.safety.treatment_emergent_until_day)
    out = derive_vars_atoxgr(out, protocol.safety.ctcae_version)
    out = derive_var_dtoxgr(out, derived_grades)
    out = derive_var_atoxgr_primary(out, protocol.safety.crs_icans_grade_source)
    sl = adsl.set_index("USUBJID")
    for c in ("TRT01A", "TRT01AN", "SAFFL", "TRTSDT"):
        out[c] = out["USUBJID"].map(sl[c])
    out = out.sort_values(["USUBJID", "ASTDT", "AESEQ"], kind="stable").reset_index(drop=True)
    out["ASEQ"] = out.groupby("USUBJID").cumcount() + 1
    out = derive_vars_cq(out, protocol.safety.baskets)  # event baskets (adae_baskets)
    out = derive_var_iechsfl(out)  # IEC-HS reported (cartrial.adam.iec_hs)
    front = ["STUDYID", "USUBJID", "ASEQ", "AESEQ", "TRT01A", "TRT01AN", "SAFFL", "TRTSDT"]
    return out[[c for c in front if c in out.columns]
               + [c for c in out.columns if c not in front and c != "DOMAIN"]]
