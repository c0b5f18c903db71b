"""ADSL subject status: death (DTHDT, DTHDTF, DTHFL, DTHCAUS), end of study (EOSSTT, EOSDT,
DCSREAS) and the last date known alive (LSTALVDT).

ADaMIG v1.3 ADSL variables, derived as admiral's ``derive_vars_dt`` / ``derive_vars_extreme_event``
do (``inst/templates/ad_adsl.R``); their define.xml derivations are in
:data:`cartrial.adam.adsl.DEFINE`. Part of :func:`cartrial.adam.adsl.derive_adsl`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam._dates import dtc_date, first_per_subject, latest_complete_date, yn
from cartrial.adam.record_chunks import record_chunks
from cartrial.data import Study


def derive_vars_dth(adsl: pd.DataFrame, dm: pd.DataFrame, ds: pd.DataFrame | None) -> pd.DataFrame:
    """DTHDT (DM.DTHDTC, start-imputed, DTHDTF), DTHFL and DTHCAUS (DS DEATH DSTERM).

    Parameters
    ----------
    adsl : pandas.DataFrame
        One row per subject (USUBJID).
    dm : pandas.DataFrame
        SDTM DM (USUBJID; DTHDTC and DTHFL when present).
    ds : pandas.DataFrame or None
        SDTM DS (DSDECOD, DSTERM) for the cause of death.

    Returns
    -------
    pandas.DataFrame
        ``adsl`` with DTHDT, DTHDTF, DTHFL and DTHCAUS.

    Examples
    --------
    >>> dm = pd.DataFrame({"USUBJID": ["S1", "S2"], "DTHDTC": ["2024-06", ""]})
    >>> ds = pd.DataFrame({"USUBJID": ["S1"], "DSDECOD": "DEATH", "DSTERM": "DISEASE PROGRESSION"})
    >>> derive_vars_dth(dm[["USUBJID"]], dm, ds)[["DTHDT", "DTHDTF", "DTHFL", "DTHCAUS"]]
           DTHDT DTHDTF DTHFL              DTHCAUS
    0 2024-06-01      D     Y  DISEASE PROGRESSION
    1        NaT
    """
    out = adsl.copy()
    d = dm.set_index("USUBJID")
    dth = d["DTHDTC"] if "DTHDTC" in d.columns else pd.Series("", index=d.index)
    dt, flag = dtc_date(dth)
    out["DTHDT"] = out["USUBJID"].map(dt)
    out["DTHDTF"] = out["USUBJID"].map(flag).fillna("")
    dthfl = d["DTHFL"].reindex(out["USUBJID"]).fillna("").to_numpy() if "DTHFL" in d.columns \
        else np.full(len(out), "")
    out["DTHFL"] = yn(out["DTHDT"].notna().to_numpy() | (dthfl == "Y"))
    cause = pd.Series("", index=out.index)
    if ds is not None and len(ds):
        dd = ds[ds["DSDECOD"] == "DEATH"].drop_duplicates("USUBJID").set_index("USUBJID")
        cause = out["USUBJID"].map(dd["DSTERM"]).fillna("")
    out["DTHCAUS"] = cause
    return out


def derive_vars_eos(adsl: pd.DataFrame, ds: pd.DataFrame | None) -> pd.DataFrame:
    """EOSSTT (ONGOING / COMPLETED / DISCONTINUED; missing -> ONGOING, admiral), EOSDT and
    DCSREAS from the DS disposition event.

    Parameters
    ----------
    adsl : pandas.DataFrame
        One row per subject (USUBJID).
    ds : pandas.DataFrame or None
        SDTM DS (USUBJID, DSCAT, DSDECOD, DSSTDTC); the last DISPOSITION EVENT counts.

    Returns
    -------
    pandas.DataFrame
        ``adsl`` with EOSSTT, EOSDT and DCSREAS.

    Examples
    --------
    >>> ds = pd.DataFrame({"USUBJID": ["S1"], "DSCAT": "DISPOSITION EVENT", "DSDECOD": "DEATH",
    ...                    "DSSTDTC": "2024-06-02"})
    >>> derive_vars_eos(pd.DataFrame({"USUBJID": ["S1", "S2"]}), ds)["EOSSTT"].tolist()
    ['DISCONTINUED', 'ONGOING']
    """
    out = adsl.copy()
    out["EOSSTT"] = "ONGOING"
    out["EOSDT"] = pd.NaT
    out["DCSREAS"] = ""
    if ds is None or ds.empty:
        return out
    d = ds[ds["DSCAT"] == "DISPOSITION EVENT"].copy()
    d["ADT"], _ = dtc_date(d["DSSTDTC"])
    last = first_per_subject(d, "ADT", ["DSDECOD"], last=True)
    dec = out["USUBJID"].map(last["DSDECOD"])
    # a subject without a disposition event has dec missing: comparisons stay boolean
    out["EOSSTT"] = np.select([(dec.isna() | (dec == "ONGOING")).fillna(True).to_numpy(bool),
                               (dec == "COMPLETED").fillna(False).to_numpy(bool)],
                              ["ONGOING", "COMPLETED"], "DISCONTINUED")
    out["EOSDT"] = out["USUBJID"].map(last["ADT"]).where(out["EOSSTT"] != "ONGOING")
    out["DCSREAS"] = np.where(out["EOSSTT"] == "DISCONTINUED", dec.fillna(""), "")
    return out


_DATED = {"AE": ["AESTDTC", "AEENDTC"], "LB": ["LBDTC"], "VS": ["VSDTC"], "PC": ["PCDTC"],
          "RS": ["RSDTC"], "IS": ["ISDTC"], "QS": ["QSDTC"], "FA": ["FADTC"], "CM": ["CMSTDTC"],
          "EX": ["EXSTDTC"], "PR": ["PRSTDTC"], "TR": ["TRDTC"]}


def derive_var_lstalvdt(adsl: pd.DataFrame, study: Study) -> pd.DataFrame:
    """LSTALVDT: last date the subject was known alive: the latest complete date on any record
    (AE, LB, VS, PC, RS, IS, QS, FA, CM, EX, PR, TR and DS other than death), never after the
    death date (admiral ``derive_vars_extreme_event`` pattern, complete dates only).

    Parameters
    ----------
    adsl : pandas.DataFrame
        One row per subject (USUBJID; DTHDT when :func:`derive_vars_dth` has run).
    study : cartrial.data.Study
        The SDTM domains; a domain that is absent or empty is skipped, and so is a date
        variable the domain does not carry.

    Returns
    -------
    pandas.DataFrame
        ``adsl`` with LSTALVDT (NaT when the subject has no complete date on record).

    References
    ----------
    CDISC ADaM Implementation Guide v1.3 (2021), section 3.2 (ADSL, variable LSTALVDT);
    admiral ``derive_vars_extreme_event()`` and its "last known alive date" example
    (pharmaverse admiral 1.0, ``inst/templates/ad_adsl.R``).

    Examples
    --------
    A partial date ("2024-05") is not a complete date and does not count; a record after the
    death date gives way to the death date:

    >>> from cartrial.data import Study
    >>> adsl = pd.DataFrame({"USUBJID": ["S1", "S2"],
    ...                      "DTHDT": pd.to_datetime([None, "2024-03-01"])})
    >>> lb = pd.DataFrame({"USUBJID": ["S1", "S1", "S2"],
    ...                    "LBDTC": ["2024-04-10", "2024-05", "2024-03-05T10:00"]})
    >>> derive_var_lstalvdt(adsl, Study({"LB": lb}))["LSTALVDT"].dt.date.tolist()
    [datetime.date(2024, 4, 10), datetime.date(2024, 3, 1)]
    """
    parts = []
    for dom, cols in _DATED.items():
        for df in record_chunks(study, dom, ["USUBJID", *cols]):  # issue #18
            parts += [latest_complete_date(df["USUBJID"], df[c]) for c in cols
                      if c in df.columns]
    ds = study.get("DS")
    if ds is not None and len(ds):
        alive = ds[ds["DSDECOD"] != "DEATH"]
        parts.append(latest_complete_date(alive["USUBJID"], alive["DSSTDTC"]))
    out = adsl.copy()
    if not parts:
        out["LSTALVDT"] = pd.NaT
        return out
    last = pd.concat(parts).groupby(level=0).max()
    lst = out["USUBJID"].map(last)
    dth = out["DTHDT"] if "DTHDT" in out.columns else pd.Series(pd.NaT, index=out.index)
    out["LSTALVDT"] = lst.where(dth.isna() | (lst <= dth), dth)
    return out
