"""ADSL variables of the DLT adjudication (the safety engine's ``DltResult.patients``).

* ``DLTEVLFL`` DLT-evaluable: infused, and a DLT or follow-up through the DLT window
  (``completed_window_or_dlt``);
* ``DLTFL`` a dose-limiting toxicity was adjudicated;
* ``DLTPNDFL`` the adjudication is pending at the data cut-off: no DLT, and a protocol rule
  still pending or the patient inside the DLT window (neither died nor withdrew);
* ``DLTCRIT`` the protocol's DLT criterion the patient met, in the protocol's words
  (``DltDefinition.criteria()``; the earliest onset, ties by rule order).
"""

from __future__ import annotations

import pandas as pd

from cartrial.adam._dates import yn

#: Origin and derivation of each variable this module derives, as define.xml states them
#: (cartrial.adam.derivations).
DEFINE = {
    "DLTEVLFL": "Derived: 'Y' when SAFFL = 'Y' and the safety engine's DLT adjudication finds "
                "a DLT or follow-up through the protocol's DLT window.",
    "DLTFL": "Derived: 'Y' when the safety engine's DLT adjudication finds a dose-limiting "
             "toxicity (protocol DLT rules).",
    "DLTPNDFL": "Derived: 'Y' when the safety engine's DLT adjudication is pending at the data "
                "cut-off: no DLT, and a protocol DLT rule still pending or the patient within "
                "the DLT window without death or withdrawal.",
    "DLTCRIT": "Derived: for DLTFL = 'Y', the protocol's words (design DLT rule description) of "
               "the DLT rule met first (earliest onset, ties by the protocol's rule order).",
}


def derive_vars_dlt(adsl: pd.DataFrame, dlt_patients: pd.DataFrame | None) -> pd.DataFrame:
    """DLTEVLFL, DLTFL, DLTPNDFL and DLTCRIT from the DLT adjudication.

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL with USUBJID and SAFFL.
    dlt_patients : pandas.DataFrame or None
        :attr:`cartrial.safety.DltResult.patients` (USUBJID, DLT yes / no / pending,
        DLT_EVALUABLE, DLT_CRITERION); None leaves ``adsl`` unchanged.

    Returns
    -------
    pandas.DataFrame
        ``adsl`` with the four variables (flags "Y" or missing).

    References
    ----------
    CDISC ADaM Implementation Guide v1.3, 2021 (subject-level population flags).

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["A", "B", "C"], "SAFFL": "Y"})
    >>> p = pd.DataFrame({"USUBJID": ["A", "B", "C"], "DLT": ["yes", "pending", "no"],
    ...     "DLT_EVALUABLE": [True, False, True], "DLT_CRITERION": ["Grade 4 CRS", None, None]})
    >>> derive_vars_dlt(adsl, p)[["DLTEVLFL", "DLTFL", "DLTPNDFL", "DLTCRIT"]].values.tolist()
    [['Y', 'Y', '', 'Grade 4 CRS'], ['', '', 'Y', ''], ['Y', '', '', '']]
    """
    out = adsl.copy()
    if dlt_patients is None:
        return out
    p = dlt_patients.set_index("USUBJID")
    dl = out["USUBJID"].map(p["DLT"])
    out["DLTEVLFL"] = yn(out["USUBJID"].map(p["DLT_EVALUABLE"].astype(bool)).eq(True)
                         & (out["SAFFL"] == "Y"))
    out["DLTFL"] = yn(dl.eq("yes"))
    out["DLTPNDFL"] = yn(dl.eq("pending"))
    crit = out["USUBJID"].map(p["DLT_CRITERION"]) if "DLT_CRITERION" in p else None
    out["DLTCRIT"] = crit.where(dl.eq("yes")).fillna("").astype(str) if crit is not None \
        else ""
    return out
