"""ADEX: exposure, BDS, one row per subject and parameter, from SDTM EX (the pharmaverse admiral
ADEX template's summary parameters, one per treatment): the CAR-T dose infused (``CARTDOSE``:
EXDOSE of the subject's first INVESTIGATIONAL PRODUCT record, as ADSL.DOSEA) and, for each
lymphodepleting agent a subject received, its total dose (PARAMCD = the agent's first four
characters + ``TDOS``, e.g. ``CYCLTDOS``; AVAL = sum of EXDOSE). PARCAT1 is EX.EXCAT, PARCAT2
EX.EXTRT.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam._dates import dtc_date, require
from cartrial.adam.adpp import with_subject
from cartrial.data.text import share_repeats
from cartrial.errors import InputError

IP = "INVESTIGATIONAL PRODUCT"
LD = "LYMPHODEPLETING CHEMOTHERAPY"

#: Origin and derivation of each variable this module derives (cartrial.adam.derivations).
DEFINE = {
    "PARCAT1": "Predecessor: EX.EXCAT",
    "PARCAT2": "Predecessor: EX.EXTRT",
    "PARAMCD": "Derived: CARTDOSE for the CAR-T product; the first four characters of EX.EXTRT "
               "+ TDOS for a lymphodepleting agent.",
    "PARAM": "Derived: 'CAR-T dose infused' or EX.EXTRT + ' total dose', with the unit "
             "EX.EXDOSU in parentheses.",
    "AVAL": "Derived: CARTDOSE EX.EXDOSE of the first INVESTIGATIONAL PRODUCT record (by "
            "EX.EXSTDTC, EX.EXSEQ); a lymphodepleting agent's sum of EX.EXDOSE over its records.",
    "AVALU": "Predecessor: EX.EXDOSU",
    "ASTDT": "Derived: the earliest EX.EXSTDTC of the records as a date.",
    "AENDT": "Derived: the latest EX.EXENDTC (else EX.EXSTDTC) of the records as a date.",
    "NRECS": "Derived: the number of EX records summarised (administrations).",
}
DEFINE_PARAMS = {"CARTDOSE": "EX.EXDOSE of the subject's first INVESTIGATIONAL PRODUCT record "
                             "(by EX.EXSTDTC, EX.EXSEQ): the CAR-T dose infused."}
DEFINE_PARAM = ("Sum of EX.EXDOSE over the subject's LYMPHODEPLETING CHEMOTHERAPY records of the "
                "agent of PARAMCD {code} ({param}).")


def derive_adex(ex: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """ADEX from SDTM EX and ADSL: the CAR-T dose and each lymphodepleting agent's total dose.

    Parameters
    ----------
    ex : pandas.DataFrame
        SDTM EX (USUBJID, EXSEQ, EXTRT, EXCAT, EXDOSE, EXSTDTC; EXDOSU, EXENDTC when present).
    adsl : pandas.DataFrame
        ADSL (STUDYID, TRT01A, TRT01AN per USUBJID).

    Returns
    -------
    pandas.DataFrame
        ADEX sorted by USUBJID, PARCAT1, PARAMCD.

    Raises
    ------
    InputError
        When a required variable is missing or two agents would share a PARAMCD.

    References
    ----------
    CDISC ADaMIG v1.3, section 3.2 (BDS); pharmaverse admiral ADEX template (total dose
    parameters).

    Examples
    --------
    >>> ex = pd.DataFrame({"USUBJID": "S1", "EXSEQ": [1, 2, 3],
    ...     "EXTRT": ["FLUDARABINE", "FLUDARABINE", "CT071"], "EXCAT": [LD, LD, IP],
    ...     "EXDOSE": [30.0, 30.0, 0.1], "EXDOSU": ["mg/m2", "mg/m2", "10^6 cells/kg"],
    ...     "EXSTDTC": ["2024-01-05", "2024-01-06", "2024-01-10"]})
    >>> adsl = pd.DataFrame({"USUBJID": ["S1"], "STUDYID": ["X"], "TRT01A": ["DL1"],
    ...                      "TRT01AN": [1]})
    >>> derive_adex(ex, adsl)[["PARAMCD", "AVAL", "NRECS"]].values.tolist()
    [['CARTDOSE', 0.1, 1], ['FLUDTDOS', 60.0, 2]]
    """
    require(ex, ["USUBJID", "EXSEQ", "EXTRT", "EXCAT", "EXDOSE", "EXSTDTC"], "ADEX (EX)")
    e = ex.assign(_CAT=ex["EXCAT"].astype("string").str.strip().str.upper(),
                  _TRT=ex["EXTRT"].astype("string").str.strip().str.upper(),
                  _DOSE=pd.to_numeric(ex["EXDOSE"], errors="coerce"),
                  _UNIT=ex["EXDOSU"].astype("string") if "EXDOSU" in ex else "",
                  _SEQ=pd.to_numeric(ex["EXSEQ"], errors="coerce"))
    e["_ST"], _ = dtc_date(e["EXSTDTC"])
    e["_EN"] = dtc_date(e["EXENDTC"])[0].fillna(e["_ST"]) if "EXENDTC" in e else e["_ST"]
    e = e.sort_values(["USUBJID", "_ST", "_SEQ"], kind="stable")
    ip, ld = e[e["_CAT"] == IP], e[e["_CAT"] == LD]
    first = ip.groupby("USUBJID", sort=False).head(1)
    cart = pd.DataFrame({"USUBJID": first["USUBJID"].astype(str), "PARCAT1": IP,
                         "PARCAT2": first["_TRT"], "PARAMCD": "CARTDOSE",
                         "PARAM": "CAR-T dose infused (" + first["_UNIT"].fillna("") + ")",
                         "AVAL": first["_DOSE"], "AVALU": first["_UNIT"],
                         "ASTDT": first["_ST"], "AENDT": first["_EN"], "NRECS": 1})
    g = ld.groupby(["USUBJID", "_TRT"], sort=False)
    tot = g.agg(AVAL=("_DOSE", lambda v: v.sum(min_count=1)), AVALU=("_UNIT", "first"),
                ASTDT=("_ST", "min"), AENDT=("_EN", "max"), NRECS=("_SEQ", "size")).reset_index()
    tot["PARCAT1"], tot["PARCAT2"] = LD, tot["_TRT"]
    tot["PARAMCD"] = tot["_TRT"].str.replace(r"[^A-Z0-9]", "", regex=True).str.slice(0, 4) + "TDOS"
    tot["PARAM"] = tot["_TRT"].str.capitalize() + " total dose (" + tot["AVALU"].fillna("") + ")"
    clash = tot.groupby("PARAMCD")["_TRT"].nunique()
    if (clash > 1).any():
        raise InputError(f"ADEX: lymphodepleting agents share a PARAMCD: "
                         f"{sorted(clash[clash > 1].index)} (their first four characters)")
    out = pd.concat([tot.drop(columns="_TRT"), cart], ignore_index=True)
    out["USUBJID"] = out["USUBJID"].astype(str)
    out["NRECS"] = out["NRECS"].astype(np.int64)
    out = out.sort_values(["USUBJID", "PARCAT1", "PARAMCD"], kind="stable")
    # one object per distinct text value (issue #18: memory)
    return share_repeats(with_subject(out, adsl, []))
