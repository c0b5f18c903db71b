"""ADTTE: PFS, OS, DOR and TTR per subject (CDISC ADaMIG v1.3; admiral
``derive_param_tte``; censoring rules of :mod:`cartrial.efficacy.time_to_event`).

``CNSR`` is 0 for an event and >= 1 for a censored time, as in ADaM; estimators take
``event`` (True = event), converted in one place: :func:`event_from_cnsr` (ADaM BDS-TTE v1.0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam._dates import require
from cartrial.data.text import share_repeats
from cartrial.efficacy.time_to_event import event_from_cnsr

__all__ = ["derive_adtte", "event_from_cnsr"]

SOURCE = {"Disease progression": ("ADRS", "ADT"), "Death": ("ADSL", "DTHDT"),
          "Last known alive": ("ADSL", "LSTALVDT")}

_FDA = ("FDA, Clinical Trial Endpoints for the Approval of Cancer Drugs and Biologics, "
        "guidance for industry, 2018: PFS censoring conventions")
#: Origin and derivation of each variable (cartrial.efficacy.time_to_event and this module),
#: as define.xml states them (cartrial.adam.derivations); DEFINE_PARAMS: per PARAMCD.
DEFINE = {
    "PARAMCD": "Assigned: PFS, OS, DOR or TTR (see PARAM).",
    "PARAM": "Assigned: the description of PARAMCD, naming its origin.",
    "STARTDT": "Derived: ADSL.APHDT when the protocol's endpoints.time_origin is 'apheresis' "
               "(CT071), else ADSL.INFDT; for DOR the date of the first PR or better.",
    "ADT": "Derived: the event or censoring date (see the parameter's method).",
    "AVAL": "Derived: ADT - STARTDT + 1 in days (admiral derive_vars_duration).",
    "AVALU": "Assigned: DAYS.",
    "AVALM": "Derived: AVAL / 30.4375 (months).",
    "CNSR": "Derived: 0 for an event, 1 when censored.",
    "EVNTDESC": "Derived: 'Disease progression' or 'Death' (PFS, DOR), 'Death' (OS), 'First "
                "assessment confirming PR or better' (TTR); missing when censored.",
    "CNSDTDSC": "Derived: the censoring rule that applied (see the parameter's method).",
    "NMISSASS": "Derived: number of the protocol's scheduled response assessments (nominal "
                "day +/- window) strictly between the last adequate assessment and the event "
                "(PFS, DOR).",
    "SRCDOM": "Derived: ADSL for a death (DTHDT) or last-known-alive date (LSTALVDT), else ADRS.",
    "SRCVAR": "Derived: DTHDT, LSTALVDT or ADT, the variable ADT was taken from.",
}
DEFINE_PARAMS = {
    "PFS": "Event: confirmed progressive disease (date of the first of the confirming "
           "assessments) or death, whichever first. Censored (CNSR = 1): at the last adequate "
           "assessment (evaluable IMWG response, not NE) before new anti-myeloma therapy "
           "started before the event; at the last adequate assessment before an event that "
           "follows the protocol's endpoints.missed_assessments_censor or more missed "
           "assessments (unless endpoints.missed_assessments_as_event); at the last adequate "
           "assessment without an event; at STARTDT without an adequate post-baseline "
           f"assessment ({_FDA}). AVAL = ADT - STARTDT + 1 days.",
    "OS": "Event: death from any cause (ADSL.DTHDT); censored at ADSL.LSTALVDT. "
          "AVAL = ADT - STARTDT + 1 days.",
    "DOR": "Responders (PR or better): ADT and CNSR as for PFS; STARTDT = first assessment "
           "confirming PR or better; AVAL = ADT - STARTDT + 1 days.",
    "TTR": "Responders: ADT = first assessment confirming PR or better, CNSR = 0; "
           "AVAL = ADT - STARTDT + 1 days.",
}


def derive_adtte(tte: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """ADTTE from the efficacy engine's ADTTE-shaped rows (USUBJID, PARAMCD, PARAM, STARTDT,
    ADT, AVAL (days), CNSR, EVNTDESC, CNSDTDSC) with ADSL treatment variables, AVALU, SRCDOM,
    SRCVAR and the analysis value in months (AVALM, days / 30.4375).

    Parameters
    ----------
    tte : pandas.DataFrame
        One row per subject and parameter; AVAL in days from STARTDT, CNSR 0 = event, 1-3 =
        censoring codes; EVNTDESC / CNSDTDSC describe the event or censoring date.
    adsl : pandas.DataFrame
        STUDYID, USUBJID, TRT01A, TRT01AN, PPCLFL and SAFFL per subject.

    Returns
    -------
    pandas.DataFrame
        ADTTE (BDS time-to-event), sorted by subject and parameter, ASEQ numbered from 1.

    Raises
    ------
    InputError
        When a required variable of ``tte`` is missing.
    RecordError
        When CNSR is not 0-3.

    References
    ----------
    CDISC ADaM Basic Data Structure for Time-to-Event Analyses v1.0, 2012.

    Examples
    --------
    >>> tte = pd.DataFrame({"USUBJID": ["S1", "S2"], "PARAMCD": "PFS", "PARAM": "PFS",
    ...                     "STARTDT": pd.Timestamp("2024-01-01"), "ADT": pd.NaT,
    ...                     "AVAL": [182.0, 91.0], "CNSR": [0, 1], "EVNTDESC": ["PD", None],
    ...                     "CNSDTDSC": [None, "LAST ASSESSMENT"]})
    >>> adsl = pd.DataFrame({"STUDYID": "CT071", "USUBJID": ["S1", "S2"], "TRT01A": "DL1",
    ...                      "TRT01AN": 1, "PPCLFL": "", "SAFFL": "Y"})
    >>> derive_adtte(tte, adsl)[["USUBJID", "AVAL", "AVALM", "CNSR"]].round(2)
      USUBJID   AVAL  AVALM  CNSR
    0      S1  182.0   5.98     0
    1      S2   91.0   2.99     1
    """
    require(tte, ["USUBJID", "PARAMCD", "PARAM", "STARTDT", "ADT", "AVAL", "CNSR"], "ADTTE")
    require(adsl, ["USUBJID", "STUDYID", "TRT01A", "TRT01AN", "PPCLFL", "SAFFL"], "ADSL")
    out = tte.copy()
    for c in ("EVNTDESC", "CNSDTDSC"):  # optional descriptions: blank when not given
        if c not in out:
            out[c] = pd.Series(None, index=out.index, dtype=object)
    bad = ~out["CNSR"].isin([0, 1, 2, 3])
    if bad.any():
        r = out[bad].iloc[0]
        from cartrial.errors import RecordError
        raise RecordError(domain="ADTTE", usubjid=r["USUBJID"], variable="CNSR", value=r["CNSR"],
                          rule="CNSR must be 0 (event) or a censoring code 1, 2 or 3")
    sl = adsl.set_index("USUBJID")
    out.insert(0, "STUDYID", out["USUBJID"].map(sl["STUDYID"]))
    for c in ("TRT01A", "TRT01AN", "PPCLFL", "SAFFL"):
        out[c] = out["USUBJID"].map(sl[c])
    out["AVALU"] = "DAYS"
    out["AVALM"] = out["AVAL"].astype(float) / 30.4375
    # where, not fillna: an all-missing object column is not downcast (pandas FutureWarning)
    desc = out["EVNTDESC"].where(out["EVNTDESC"].notna(), out["CNSDTDSC"]).fillna("")
    out["SRCDOM"] = desc.map(lambda d: SOURCE.get(d, ("ADRS", "ADT"))[0])
    out["SRCVAR"] = desc.map(lambda d: SOURCE.get(d, ("ADRS", "ADT"))[1])
    out["EVNTDESC"] = out["EVNTDESC"].fillna("")
    out["CNSDTDSC"] = out["CNSDTDSC"].fillna("")
    out = out.sort_values(["USUBJID", "PARAMCD"], kind="stable").reset_index(drop=True)
    out["ASEQ"] = out.groupby("USUBJID").cumcount() + 1
    out["CNSR"] = out["CNSR"].astype(int)
    if "NMISSED" in out:
        out = out.rename(columns={"NMISSED": "NMISSASS"})
    front = ["STUDYID", "USUBJID", "ASEQ", "TRT01A", "TRT01AN", "PARAMCD", "PARAM", "STARTDT",
             "ADT", "AVAL", "AVALU", "AVALM", "CNSR", "EVNTDESC", "CNSDTDSC"]
    out = out[front + [c for c in out.columns if c not in front]]
    return share_repeats(out)  # one object per distinct text value (issue #18: memory)


def km_inputs(adtte: pd.DataFrame, paramcd: str) -> tuple[np.ndarray, np.ndarray]:
    """(time in months, event) of one parameter for a Kaplan-Meier estimator.

    Parameters
    ----------
    adtte : pandas.DataFrame
        ADTTE as :func:`derive_adtte` returns it (PARAMCD, AVALM, CNSR).
    paramcd : str
        The parameter, e.g. ``"PFS"``.

    Returns
    -------
    tuple of numpy.ndarray
        Times in months and the event indicator (True = event, i.e. CNSR 0).

    Examples
    --------
    >>> tte = pd.DataFrame({"USUBJID": ["S1", "S2"], "PARAMCD": "PFS", "PARAM": "PFS",
    ...                     "STARTDT": pd.Timestamp("2024-01-01"), "ADT": pd.NaT,
    ...                     "AVAL": [182.0, 91.0], "CNSR": [0, 1], "EVNTDESC": ["PD", None],
    ...                     "CNSDTDSC": [None, "LAST ASSESSMENT"]})
    >>> adsl = pd.DataFrame({"STUDYID": "CT071", "USUBJID": ["S1", "S2"], "TRT01A": "DL1",
    ...                      "TRT01AN": 1, "PPCLFL": "", "SAFFL": "Y"})
    >>> months, event = km_inputs(derive_adtte(tte, adsl), "PFS")
    >>> months.round(2), event
    (array([5.98, 2.99]), array([ True, False]))
    """
    p = adtte[adtte["PARAMCD"] == paramcd]
    return p["AVALM"].to_numpy(dtype=float), event_from_cnsr(p["CNSR"])
