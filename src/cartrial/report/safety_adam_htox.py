"""The haematotoxicity and IEC-HS tables' inputs read from ADaM (ADHTOX, ADAE, ADSL), in the
layout the safety engine's counting functions take (:mod:`cartrial.report.safety_adam`).

ADHTOX holds one record per patient and parameter: the grade >= 3 cytopenias (PARCAT1
CYTOPENIA, the term in PARCAT2; :mod:`cartrial.adam.adhtox_cytopenia`), the ICAHT grades and
counts (PARCAT1 ICAHT) and the CAR-HEMATOTOX score (HTOXSCOR, its risk group in HTOXRISK).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.errors import require_columns


def _wide(adhtox: pd.DataFrame, codes: list[str], by: list[str]) -> pd.DataFrame:
    """AVAL of each parameter in ``codes`` as a column, one row per ``by`` key."""
    d = adhtox[adhtox["PARAMCD"].isin(codes)]
    w = d.pivot_table(index=by, columns="PARAMCD", values="AVAL", aggfunc="first",
                      dropna=False, sort=True)
    return w.reindex(columns=codes)


def cytopenia_input(adhtox: pd.DataFrame) -> pd.DataFrame:
    """The grade >= 3 cytopenias of each patient and term from the ADHTOX CYTOPENIA parameters.

    Parameters
    ----------
    adhtox : pandas.DataFrame
        ADHTOX (USUBJID, PARCAT1, PARCAT2, PARAMCD, AVAL).

    Returns
    -------
    pandas.DataFrame
        USUBJID, TERM (PARCAT2), FIRST_DAY (xxxG3DY), RECOVERED (xxxRECV = 1), DAYS_TO_RECOVERY
        (xxxRCDY), PROLONGED (xxxPROL: 1 yes, 0 no, missing unknown), RECOVERY_DAY (FIRST_DAY +
        DAYS_TO_RECOVERY): the input of :func:`cartrial.safety.cytopenia.cytopenia_table`; one
        row per patient and term with a first day graded >= 3.

    Examples
    --------
    >>> h = pd.DataFrame({"USUBJID": "P1", "PARCAT1": "CYTOPENIA", "PARCAT2": "Anemia",
    ...     "PARAMCD": ["ANEMG3DY", "ANEMRECV", "ANEMRCDY", "ANEMPROL"],
    ...     "AVAL": [3.0, 1.0, 11.0, 0.0]})
    >>> cytopenia_input(h)[["TERM", "FIRST_DAY", "RECOVERED", "DAYS_TO_RECOVERY"]].values.tolist()
    [['Anemia', 3.0, True, 11.0]]
    """
    from cartrial.adam.adhtox_cytopenia import PREFIX

    require_columns(adhtox, ["USUBJID", "PARCAT1", "PARCAT2", "PARAMCD", "AVAL"],
                    where="ADHTOX", noun="variable")
    c = adhtox[adhtox["PARCAT1"] == "CYTOPENIA"]
    parts = []
    for term in sorted(set(c["PARCAT2"].dropna().astype(str))):
        p = PREFIX[term]
        w = _wide(c[c["PARCAT2"] == term], [p + s for s in ("G3DY", "RECV", "RCDY", "PROL")],
                  ["USUBJID"])
        w = w[w[p + "G3DY"].notna()]
        prol = w[p + "PROL"].astype(float)
        parts.append(pd.DataFrame({
            "USUBJID": w.index.astype(str), "TERM": term,
            "FIRST_DAY": w[p + "G3DY"].astype(float).to_numpy(),
            "RECOVERED": (w[p + "RECV"] == 1).to_numpy(),
            "DAYS_TO_RECOVERY": w[p + "RCDY"].astype(float).to_numpy(),
            "PROLONGED": pd.array(np.where(prol.isna(), pd.NA, prol == 1), dtype="boolean")}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["USUBJID", "TERM", "FIRST_DAY", "RECOVERED", "DAYS_TO_RECOVERY", "PROLONGED"])
    out["RECOVERY_DAY"] = out["FIRST_DAY"] + out["DAYS_TO_RECOVERY"]
    return out


def icaht_input(adhtox: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ICAHT grades and the CAR-HEMATOTOX scores from the ADHTOX parameters.

    Parameters
    ----------
    adhtox : pandas.DataFrame
        ADHTOX (USUBJID, PARCAT1, PARAMCD, AVAL, ICAHTCFL, HTOXRISK).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Per patient with an ICAHT record: USUBJID, EARLY_GRADE (EICAHTGR), LATE_GRADE
        (LICAHTGR), EARLY_DAYS_ANC_LE500 (ANC500DY), RECOVERY_DAY (ANCRECDY), BIPHASIC
        (NEUTPHAS >= 2), EARLY_COMPLETE (ICAHTCFL of EICAHTGR not 'N'); and per patient with
        an HTOXSCOR record: USUBJID, SCORE (AVAL), RISK (HTOXRISK in lower case, "" when not
        evaluable).

    Examples
    --------
    >>> h = pd.DataFrame({"USUBJID": "P1", "PARCAT1": ["ICAHT"] * 5 + ["CAR-HEMATOTOX"],
    ...     "PARAMCD": ["EICAHTGR", "LICAHTGR", "ANC500DY", "ANCRECDY", "NEUTPHAS", "HTOXSCOR"],
    ...     "AVAL": [3.0, 0.0, 15.0, 16.0, 1.0, 2.0], "ICAHTCFL": "Y", "HTOXRISK": "HIGH"})
    >>> i, s = icaht_input(h)
    >>> i[["EARLY_GRADE", "BIPHASIC", "EARLY_COMPLETE"]].values.tolist(), s["RISK"].tolist()
    ([[3.0, False, True]], ['high'])
    """
    require_columns(adhtox, ["USUBJID", "PARCAT1", "PARAMCD", "AVAL", "ICAHTCFL", "HTOXRISK"],
                    where="ADHTOX", noun="variable")
    codes = {"EICAHTGR": "EARLY_GRADE", "LICAHTGR": "LATE_GRADE",
             "ANC500DY": "EARLY_DAYS_ANC_LE500", "ANCRECDY": "RECOVERY_DAY",
             "NEUTPHAS": "NEUTROPENIC_PHASES"}
    ic = adhtox[adhtox["PARCAT1"] == "ICAHT"]
    w = _wide(ic, list(codes), ["USUBJID"]).rename(columns=codes)
    early = ic[ic["PARAMCD"] == "EICAHTGR"].set_index("USUBJID")["ICAHTCFL"]
    icaht = w.reset_index().assign(USUBJID=lambda f: f["USUBJID"].astype(str))
    icaht["BIPHASIC"] = (w["NEUTROPENIC_PHASES"].astype(float) >= 2).to_numpy()
    icaht["EARLY_COMPLETE"] = (early.reindex(w.index).fillna("") != "N").to_numpy()
    sc = adhtox[adhtox["PARAMCD"] == "HTOXSCOR"]
    scores = pd.DataFrame({"USUBJID": sc["USUBJID"].astype(str).to_numpy(),
                           "SCORE": sc["AVAL"].astype(float).to_numpy(),
                           "RISK": sc["HTOXRISK"].fillna("").astype(str).str.lower()
                           .to_numpy()})
    return icaht, scores


def htox_tables(adhtox: pd.DataFrame, subjects: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Tables 14.3.8, 14.3.9 and 14.3.9.1 (keys icaht, hematotox, icaht_by_risk) from ADHTOX.

    Parameters
    ----------
    adhtox : pandas.DataFrame
        ADHTOX (see :func:`icaht_input`).
    subjects : pandas.DataFrame
        USUBJID, DOSE_LEVEL of the safety population.

    Returns
    -------
    dict of str to pandas.DataFrame
        The tidy tables of :mod:`cartrial.safety.icaht_tables`.

    References
    ----------
    Rejeski K et al. Blood 2023;142:865-77; Rejeski K et al. Blood 2021;138:2499-513.

    Examples
    --------
    >>> h = pd.DataFrame({"USUBJID": "P1", "PARCAT1": ["ICAHT"] * 5 + ["CAR-HEMATOTOX"],
    ...     "PARAMCD": ["EICAHTGR", "LICAHTGR", "ANC500DY", "ANCRECDY", "NEUTPHAS", "HTOXSCOR"],
    ...     "AVAL": [3.0, 0.0, 15.0, 16.0, 1.0, 2.0], "ICAHTCFL": "Y", "HTOXRISK": "HIGH"})
    >>> t = htox_tables(h, pd.DataFrame({"USUBJID": ["P1"], "DOSE_LEVEL": ["DL1"]}))["icaht"]
    >>> t[(t.ROW == "Early ICAHT (day 0-30): grade 3") & (t.COLUMN == "DL1")].VALUE.item()
    '1 (100.0%)'
    """
    from cartrial.safety.icaht_tables import hematotox_table, icaht_by_risk_table, icaht_table

    icaht, scores = icaht_input(adhtox)
    return {"icaht": icaht_table(icaht, subjects),
            "hematotox": hematotox_table(scores, subjects),
            "icaht_by_risk": icaht_by_risk_table(icaht, scores)}


def iec_hs_input(adae: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """The reported IEC-HS grade and the laboratory screen of each patient.

    Parameters
    ----------
    adae : pandas.DataFrame
        ADAE (USUBJID, IECHSFL, ATOXGRN).
    adsl : pandas.DataFrame
        ADSL (USUBJID, IECSCRFL).

    Returns
    -------
    pandas.DataFrame
        USUBJID, REPORTED_GRADE (the worst ATOXGRN of the patient's IECHSFL = 'Y' records,
        missing when none) and SCREEN (IECSCRFL = 'Y'), for the patients with either: the
        input of :func:`cartrial.safety.iec_hs.iec_hs_table`.

    References
    ----------
    Hines MR et al. Transplant Cell Ther 2023;29:438.e1-16.

    Examples
    --------
    >>> ae = pd.DataFrame({"USUBJID": ["A", "A"], "IECHSFL": "Y", "ATOXGRN": [2, 3]})
    >>> sl = pd.DataFrame({"USUBJID": ["A", "B"], "IECSCRFL": ["", "Y"]})
    >>> iec_hs_input(ae, sl).values.tolist()
    [['A', 3.0, False], ['B', nan, True]]
    """
    rep = adae[adae["IECHSFL"] == "Y"]
    grade = rep.groupby(rep["USUBJID"].astype(str))["ATOXGRN"].max().astype(float)
    screen = set(adsl.loc[adsl["IECSCRFL"] == "Y", "USUBJID"].astype(str))
    ids = sorted(set(grade.index) | screen)
    return pd.DataFrame({"USUBJID": ids, "REPORTED_GRADE": grade.reindex(ids).to_numpy(),
                         "SCREEN": [u in screen for u in ids]})
