"""ADPC: concentrations over time of the cellular kinetics assays (SDTM PC), BDS, one row per
PC record, named as in the pharmaverse admiral ADPC template: PARAMCD = PCTESTCD, AVAL =
PCSTRESN, AVALC = PCSTRESC (``<LLOQ`` kept as text, AVAL missing), AVALU = PCSTRESU, ALLOQ =
PCLLOQ, ADT / ADY, AFRLT (actual days from the CAR-T infusion, ADSL.INFDT) and NFRLT (nominal
days: the ``n`` of VISIT ``DAY n``, the infusion being day 0), FRLTU = ``DAYS``, AVISIT /
AVISITN, SRCDOM / SRCVAR / SRCSEQ for traceability to PC. An analyte measured in a specimen
other than blood gets its own parameter: PCTESTCD (first seven characters) plus a specimen tag.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam._dates import dtc_date, require, study_day_from
from cartrial.adam.adpp import SPECIMEN_TAGS, with_subject
from cartrial.adam.per_distinct import per_distinct
from cartrial.data.text import share_repeats

#: Origin and derivation of each variable this module derives, as define.xml states them
#: (cartrial.adam.derivations); DEFINE_PARAM: the value-level derivation of AVAL per PARAMCD.
DEFINE = {
    "PARCAT1": "Derived: PC.PCSPEC (the specimen).",
    "PARAMCD": "Derived: PC.PCTESTCD; for a specimen other than blood its first seven "
               "characters plus a specimen letter (M = bone marrow).",
    "PARAM": "Derived: PC.PCTEST + ' in ' + the specimen in lower case.",
    "AVAL": "Derived: PC.PCSTRESN (missing below the LLOQ: AVALC holds PC.PCSTRESC).",
    "AVALC": "Predecessor: PC.PCSTRESC",
    "AVALU": "Predecessor: PC.PCSTRESU",
    "ALLOQ": "Predecessor: PC.PCLLOQ",
    "ADT": "Derived: PC.PCDTC as a date.",
    "AFRLT": "Derived: ADT - ADSL.INFDT in days (infusion = day 0).",
    "NFRLT": "Derived: n of the nominal visit PC.VISIT 'DAY n' (infusion = day 0); missing for "
             "another visit name.",
    "FRLTU": "Assigned: DAYS.",
    "AVISIT": "Predecessor: PC.VISIT",
    "AVISITN": "Predecessor: PC.VISITNUM",
    "SRCDOM": "Assigned: PC.",
    "SRCVAR": "Assigned: SEQ.",
    "SRCSEQ": "Predecessor: PC.PCSEQ",
}
DEFINE_PARAM = "PC.PCSTRESN of the records of PARAMCD {code} ({param})."


def _paramcd(code: pd.Series, spec: pd.Series) -> pd.Series:
    tag = spec.str.upper().map(SPECIMEN_TAGS).fillna(spec.str.slice(0, 1).str.upper())
    return code.where(tag == "", code.str.slice(0, 7) + tag)


def derive_adpc(pc: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """ADPC from SDTM PC and ADSL: one row per PC record (none dropped), with actual and
    nominal time from the CAR-T infusion.

    Parameters
    ----------
    pc : pandas.DataFrame
        SDTM PC.
    adsl : pandas.DataFrame
        ADSL (STUDYID, TRT01A, TRT01AN, INFDT, TRTSDT per USUBJID).

    Returns
    -------
    pandas.DataFrame
        ADPC sorted by USUBJID, PARCAT1, PARAMCD, ADT, SRCSEQ.

    Raises
    ------
    InputError
        When a required PC variable is missing.

    References
    ----------
    CDISC ADaMIG v1.3, section 3.2 (BDS); pharmaverse admiral ADPC template (NFRLT, AFRLT).

    Examples
    --------
    >>> import pandas as pd
    >>> pc = pd.DataFrame({"USUBJID": ["S1"], "PCSEQ": [1], "PCTESTCD": ["CARTCELL"],
    ...                    "PCTEST": ["CAR+ T Cells"], "PCSPEC": ["WHOLE BLOOD"],
    ...                    "PCSTRESN": [12.5], "PCSTRESC": ["12.5"], "PCSTRESU": ["cells/uL"],
    ...                    "PCLLOQ": [0.5], "PCDTC": ["2023-07-31"], "VISIT": ["DAY 7"],
    ...                    "VISITNUM": [3]})
    >>> adsl = pd.DataFrame({"USUBJID": ["S1"], "STUDYID": ["X"], "TRT01A": ["DL1"],
    ...                      "TRT01AN": [1], "INFDT": [pd.Timestamp("2023-07-24")],
    ...                      "TRTSDT": [pd.Timestamp("2023-07-24")]})
    >>> derive_adpc(pc, adsl)[["PARAMCD", "AVAL", "AFRLT", "NFRLT", "ADY"]].values.tolist()
    [['CARTCELL', 12.5, 7.0, 7.0, 8]]
    """
    require(pc, ["USUBJID", "PCSEQ", "PCTESTCD", "PCTEST", "PCSTRESN", "PCDTC"], "ADPC (PC)")
    spec = (pc["PCSPEC"] if "PCSPEC" in pc else pd.Series("WHOLE BLOOD", index=pc.index))
    spec = spec.fillna("").astype(str)
    sl = adsl.set_index("USUBJID")
    out = pd.DataFrame({"USUBJID": pc["USUBJID"].astype(str)})
    out["PARCAT1"] = spec
    # once per distinct value, not per row (issue #18: memory)
    out["PARAMCD"] = per_distinct(_paramcd, pc["PCTESTCD"].astype(str), spec)
    out["PARAM"] = per_distinct(lambda t, s: t + " in " + s.str.lower(),
                                pc["PCTEST"].astype(str), spec)
    out["AVAL"] = pd.to_numeric(pc["PCSTRESN"], errors="coerce")
    out["AVALC"] = pc["PCSTRESC"].astype("string") if "PCSTRESC" in pc else ""
    out["AVALU"] = pc["PCSTRESU"].astype("string") if "PCSTRESU" in pc else ""
    out["ALLOQ"] = pd.to_numeric(pc["PCLLOQ"], errors="coerce") if "PCLLOQ" in pc else np.nan
    out["ADT"], _ = dtc_date(pc["PCDTC"])
    out["ADY"] = study_day_from(out["ADT"], out["USUBJID"].map(sl["TRTSDT"]))
    inf = pd.to_datetime(out["USUBJID"].map(sl["INFDT"]))
    out["AFRLT"] = (out["ADT"] - inf).dt.days.astype(float)
    visit = pc["VISIT"].astype("string") if "VISIT" in pc else pd.Series(pd.NA, index=pc.index)
    out["NFRLT"] = pd.to_numeric(visit.str.extract(r"^DAY (\d+)$")[0],
                                 errors="coerce").astype(float)
    out["FRLTU"] = "DAYS"
    out["AVISIT"] = visit
    if "VISITNUM" in pc:
        out["AVISITN"] = pd.to_numeric(pc["VISITNUM"], errors="coerce")
    out["SRCDOM"] = "PC"
    out["SRCVAR"] = "SEQ"
    out["SRCSEQ"] = pd.to_numeric(pc["PCSEQ"], errors="coerce")
    out = out.sort_values(["USUBJID", "PARCAT1", "PARAMCD", "ADT", "SRCSEQ"], kind="stable")
    out = with_subject(out, adsl, [])
    # one object per distinct text value (issue #18: memory)
    return share_repeats(out.drop(columns="PARCAT2", errors="ignore"))
