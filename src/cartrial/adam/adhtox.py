"""ADHTOX: haematotoxicity after CAR-T, one row per subject and parameter (BDS).

Why a dataset of its own: ICAHT grades and the CAR-HEMATOTOX score are derived over a
subject's whole ANC course and baseline, one value per subject, whereas ADLB holds one record
per laboratory sample; ADaMIG keeps parameters of a different structure (here: one record per
subject and parameter, like ADTTE) in a separate BDS dataset. Name: AD + HTOX (haematotoxicity),
within the 8 characters of an XPT v5 name.

Parameters (PARAMCD <= 8 characters; AVAL numeric, AVALC the category where there is one):

========  ===========================================================  =============
PARAMCD   PARAM                                                        source column
========  ===========================================================  =============
EICAHTGR  Early ICAHT grade (day 0-30)                                 EARLY_GRADE
LICAHTGR  Late ICAHT grade (after day 30)                              LATE_GRADE
ANC500DY  Days with ANC <= 0.5 x10^9/L, day 0-30                       EARLY_DAYS_ANC_LE500
ANC100DY  Days with ANC <= 0.1 x10^9/L, day 0-30                       EARLY_DAYS_ANC_LE100
ANCNADIR  ANC nadir after infusion (10^9/L); ADAYINF its day            NADIR_ANC
ANCRECDY  Day of neutrophil recovery (ANC > 0.5 x10^9/L, >= 3 days)    RECOVERY_DAY
NEUTPHAS  Neutropenic phases (ANC <= 0.5 x10^9/L), n                   NEUTROPENIC_PHASES
HTOXSCOR  CAR-HEMATOTOX score (before lymphodepletion); AVALC risk     SCORE, RISK
========  ===========================================================  =============

and the grade >= 3 cytopenias and their recovery (PARCAT1 CYTOPENIA, PARCAT2 the CTCAE term;
:mod:`cartrial.adam.adhtox_cytopenia`).

ICAHTCFL = "Y" when the early count was observed through day 30 (else the grade is a lower
bound); ICENSDY / ICENSRS: the day and reason the count was censored (progression, subsequent
therapy, death); HTOXRISK: the subject's CAR-HEMATOTOX risk group (HTOXSCOR's AVALC) on every
record, the grouping of ICAHT by baseline risk.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam._dates import require, sorted_rows
from cartrial.adam.adhtox_cytopenia import cytopenia_rows
from cartrial.data.text import share_repeats

#: PARAMCD -> (PARAM, source column of grade_icaht / car_hematotox, AVALU)
PARAMS = {
    "EICAHTGR": ("Early ICAHT grade (day 0-30)", "EARLY_GRADE", ""),
    "LICAHTGR": ("Late ICAHT grade (after day 30)", "LATE_GRADE", ""),
    "ANC500DY": ("Days with ANC <= 0.5 x10^9/L, day 0-30", "EARLY_DAYS_ANC_LE500", "DAYS"),
    "ANC100DY": ("Days with ANC <= 0.1 x10^9/L, day 0-30", "EARLY_DAYS_ANC_LE100", "DAYS"),
    "ANCNADIR": ("ANC nadir after infusion", "NADIR_ANC", "10^9/L"),
    "ANCRECDY": ("Day of neutrophil recovery (ANC > 0.5 x10^9/L)", "RECOVERY_DAY", "DAYS"),
    "NEUTPHAS": ("Neutropenic phases (ANC <= 0.5 x10^9/L)", "NEUTROPENIC_PHASES", "n"),
}
SCORE = ("HTOXSCOR", "CAR-HEMATOTOX score (before lymphodepletion)")

_ICAHT = ("EHA/EBMT ICAHT grading of the ANC course after infusion (Rejeski et al., Blood "
          "2023;142:865-77, Table 1; cartrial.safety.icaht)")
#: Origin and derivation of each variable this module derives, as define.xml states them
#: (cartrial.adam.derivations); DEFINE_PARAMS: the value-level derivation of AVAL per PARAMCD.
DEFINE = {
    "PARCAT1": "Assigned: ICAHT, CAR-HEMATOTOX or CYTOPENIA.",
    "PARAMCD": "Assigned: the parameter code (see PARAM).",
    "PARAM": "Assigned: the description of PARAMCD.",
    "AVAL": "Derived: the parameter's value (see its method).",
    "AVALC": "Derived: 'GRADE n' for the ICAHT grades; the risk (LOW / HIGH) for HTOXSCOR.",
    "AVALU": "Assigned: the parameter's unit (DAYS, 10^9/L, n, or none).",
    "ADAYINF": "Derived: day of the ANC nadir (infusion = day 0), ANCNADIR records.",
    "ICAHTCFL": "Derived: 'Y' when the ANC count was observed through day 30, else 'N' (the "
                "early grade is then a lower bound).",
    "ICENSDY": "Derived: the day (infusion = day 0) the ANC count was censored (progression, "
               "subsequent therapy or death).",
    "ICENSRS": "Derived: the reason of ICENSDY in upper case.",
    "ATOXSCL": "Assigned: the ICAHT grading version, or 'CAR-HEMATOTOX (Rejeski 2021)'.",
    "HTOXRISK": "Derived: on every record of the subject, AVALC of its HTOXSCOR record (LOW / "
                "HIGH); missing when the score is not evaluable.",
}
DEFINE_PARAMS = {
    "EICAHTGR": f"Early ICAHT grade 0-4 from the days with ANC <= 0.5 and <= 0.1 x10^9/L in "
                f"day 0-30 ({_ICAHT}).",
    "LICAHTGR": f"Late ICAHT grade 0-4 after day 30: the lowest ANC threshold (1.5, 1.0, 0.5, "
                f"0.1 x10^9/L) met on at least two measurement days ({_ICAHT}).",
    "ANC500DY": f"Number of days 0-30 with ANC <= 0.5 x10^9/L ({_ICAHT}).",
    "ANC100DY": f"Number of days 0-30 with ANC <= 0.1 x10^9/L ({_ICAHT}).",
    "ANCNADIR": "Lowest LB ANC (NEUT, 10^9/L) after infusion; ADAYINF its day.",
    "ANCRECDY": "First day of a stable interval (>= 3 days) with ANC > 0.5 x10^9/L after the "
                f"first neutropenic day ({_ICAHT}).",
    "NEUTPHAS": f"Number of intervals with ANC <= 0.5 x10^9/L after infusion ({_ICAHT}).",
    "HTOXSCOR": "CAR-HEMATOTOX score 0-7 from ANC, haemoglobin, platelets, CRP and ferritin "
                "before lymphodepletion; AVALC LOW for 0-1, HIGH for >= 2 (Rejeski et al., Blood "
                "2021;138:2499-513).",
}


def _icaht_rows(icaht: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for code, (param, col, unit) in PARAMS.items():
        v = pd.to_numeric(icaht[col], errors="coerce").astype(float)
        grade = code.endswith("GR")
        parts.append(pd.DataFrame({
            "USUBJID": icaht["USUBJID"].astype(str).to_numpy(), "PARAMCD": code, "PARAM": param,
            "PARCAT1": "ICAHT", "AVAL": v.to_numpy(),
            "AVALC": np.where(grade & v.notna().to_numpy(),
                              "GRADE " + v.fillna(0).astype(int).astype(str), ""),
            "AVALU": unit,
            "ADAYINF": (icaht["NADIR_DAY"].astype(float).to_numpy() if code == "ANCNADIR"
                        else np.nan),
            "ICAHTCFL": np.where(icaht["EARLY_COMPLETE"].astype(bool), "Y", "N"),
            "ICENSDY": icaht["CENSOR_DAY"].astype(float).to_numpy(),
            "ICENSRS": icaht.get("CENSOR_REASON", pd.Series("", index=icaht.index)).fillna(
                "").astype(str).str.upper().to_numpy(),
            "ATOXSCL": icaht["ICAHT_VERSION"].astype(str).to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def derive_adhtox(icaht: pd.DataFrame, hematotox: pd.DataFrame, adsl: pd.DataFrame,
                  cytopenias: pd.DataFrame | None = None,
                  prolonged_day: float = 28.0) -> pd.DataFrame:
    """ADHTOX: ICAHT grades, days below the ANC thresholds, nadir, recovery and neutropenic
    phases (EHA/EBMT 2023) and the CAR-HEMATOTOX baseline score, one row per subject and
    parameter.

    Parameters
    ----------
    icaht : pandas.DataFrame
        :func:`cartrial.safety.grade_icaht` output (with CENSOR_REASON when the censoring frame
        of :func:`cartrial.safety.icaht_censor.icaht_censoring` had it).
    hematotox : pandas.DataFrame
        :func:`cartrial.safety.car_hematotox` output (USUBJID, SCORE, RISK).
    adsl : pandas.DataFrame
        ADSL (STUDYID, USUBJID, TRT01A, TRT01AN).
    cytopenias : pandas.DataFrame, optional
        :func:`cartrial.safety.cytopenia_recovery` output: the grade >= 3 cytopenias and their
        recovery (:mod:`cartrial.adam.adhtox_cytopenia`).
    prolonged_day : float
        The protocol's ``safety.prolonged_cytopenia_day``.

    Returns
    -------
    pandas.DataFrame
        STUDYID, USUBJID, ASEQ, TRT01A, TRT01AN, PARCAT1, PARCAT2, PARAMCD, PARAM, AVAL, AVALC,
        AVALU, ADAYINF, ICAHTCFL, ICENSDY, ICENSRS, ATOXSCL, HTOXRISK; sorted by USUBJID,
        PARCAT1, PARAMCD.

    Raises
    ------
    InputError
        Missing columns.

    References
    ----------
    Rejeski K et al. Blood 2023;142:865-77, Table 1 (ICAHT); Rejeski K et al. Blood
    2021;138:2499-513 (CAR-HEMATOTOX); CDISC ADaMIG v1.3, section 3.3 (BDS).

    Examples
    --------
    >>> icaht = pd.DataFrame({"USUBJID": ["P1"], "EARLY_GRADE": [3.0], "LATE_GRADE": [np.nan],
    ...     "EARLY_DAYS_ANC_LE500": [15], "EARLY_DAYS_ANC_LE100": [2], "NADIR_ANC": [0.05],
    ...     "NADIR_DAY": [7.0], "RECOVERY_DAY": [16.0], "NEUTROPENIC_PHASES": [1],
    ...     "EARLY_COMPLETE": [True], "CENSOR_DAY": [np.nan], "ICAHT_VERSION": ["EHA/EBMT"]})
    >>> ht = pd.DataFrame({"USUBJID": ["P1"], "SCORE": [2.0], "RISK": ["high"]})
    >>> sl = pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["P1"], "TRT01A": ["DL1"],
    ...                    "TRT01AN": [1]})
    >>> d = derive_adhtox(icaht, ht, sl).set_index("PARAMCD")
    >>> d.loc["EICAHTGR", "AVALC"], d.loc["HTOXSCOR", "AVALC"]
    ('GRADE 3', 'HIGH')
    """
    require(icaht, ["USUBJID", "EARLY_GRADE", "LATE_GRADE", "EARLY_COMPLETE", "CENSOR_DAY",
                    "NADIR_DAY", "ICAHT_VERSION", *[c for _p, c, _u in PARAMS.values()]],
            "ADHTOX (ICAHT)")
    require(hematotox, ["USUBJID", "SCORE", "RISK"], "ADHTOX (CAR-HEMATOTOX)")
    require(adsl, ["STUDYID", "USUBJID", "TRT01A", "TRT01AN"], "ADHTOX (ADSL)")
    score = pd.DataFrame({
        "USUBJID": hematotox["USUBJID"].astype(str).to_numpy(), "PARAMCD": SCORE[0],
        "PARAM": SCORE[1], "PARCAT1": "CAR-HEMATOTOX",
        "AVAL": pd.to_numeric(hematotox["SCORE"], errors="coerce").astype(float).to_numpy(),
        "AVALC": hematotox["RISK"].fillna("").astype(str).str.upper().to_numpy(), "AVALU": "",
        "ATOXSCL": "CAR-HEMATOTOX (Rejeski 2021)"})
    cyto = cytopenia_rows(cytopenias, prolonged_day)
    out = pd.concat([_icaht_rows(icaht), score] + ([cyto] if len(cyto) else []),
                    ignore_index=True)
    out["PARCAT2"] = out["PARCAT2"] if "PARCAT2" in out else ""
    sl = adsl.assign(USUBJID=adsl["USUBJID"].astype(str)).set_index("USUBJID")
    out = out[out["USUBJID"].isin(sl.index)]
    out.insert(0, "STUDYID", out["USUBJID"].map(sl["STUDYID"]))
    out["TRT01A"] = out["USUBJID"].map(sl["TRT01A"])
    out["TRT01AN"] = out["USUBJID"].map(sl["TRT01AN"])
    out["HTOXRISK"] = out["USUBJID"].map(score.set_index("USUBJID")["AVALC"]).fillna("")
    for c in ("ICAHTCFL", "ICENSRS", "PARCAT2"):
        out[c] = out[c].fillna("")
    out = sorted_rows(out, ["USUBJID", "PARCAT1", "PARAMCD"])
    out["ASEQ"] = out.groupby("USUBJID").cumcount() + 1
    front = ["STUDYID", "USUBJID", "ASEQ", "TRT01A", "TRT01AN", "PARCAT1", "PARCAT2", "PARAMCD",
             "PARAM",
             "AVAL", "AVALC", "AVALU", "ADAYINF", "ICAHTCFL", "ICENSDY", "ICENSRS", "ATOXSCL",
             "HTOXRISK"]
    out = out[front]
    return share_repeats(out)  # one object per distinct text value (issue #18: memory)
