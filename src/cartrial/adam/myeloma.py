"""Myeloma baseline classifications: ISS and R-ISS stage, cytogenetic risk and prior-therapy
exposure / refractoriness (triple-class, penta-drug, BCMA-directed).

Rules, each from its paper:

* **ISS** (Greipp PR et al., J Clin Oncol 2005;23:3412-20): stage I serum beta2-microglobulin
  < 3.5 mg/L and serum albumin >= 3.5 g/dL (35 g/L); stage III beta2-microglobulin >= 5.5 mg/L;
  stage II neither I nor III.
* **R-ISS** (Palumbo A et al., J Clin Oncol 2015;33:2863-9, Table 1): stage I ISS I,
  standard-risk chromosomal abnormalities by iFISH and serum LDH not above the upper limit of
  normal; stage III ISS III and either high-risk abnormalities (del(17p) and/or t(4;14) and/or
  t(14;16)) or LDH above the upper limit of normal; stage II all others. A stage that depends on
  a missing input is left missing (not assumed normal).
* **Triple-class** exposed / refractory: at least one immunomodulatory drug (IMiD), one
  proteasome inhibitor (PI) and one anti-CD38 monoclonal antibody; **penta-drug**: at least two
  PIs, two IMiDs and one anti-CD38 antibody (Gandhi UH et al., Leukemia 2019;33:2266-75).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: drug (CMDECOD) -> class. Classes as in Gandhi et al. 2019 (IMiD, PI, anti-CD38) plus
#: BCMA-directed therapy (antibody-drug conjugate, bispecific antibody, CAR-T).
DRUG_CLASS = {
    "LENALIDOMIDE": "IMID", "POMALIDOMIDE": "IMID", "THALIDOMIDE": "IMID",
    "BORTEZOMIB": "PI", "CARFILZOMIB": "PI", "IXAZOMIB": "PI",
    "DARATUMUMAB": "ANTI-CD38", "ISATUXIMAB": "ANTI-CD38",
    "BELANTAMAB MAFODOTIN": "BCMA", "TECLISTAMAB": "BCMA", "ELRANATAMAB": "BCMA",
    "IDECABTAGENE VICLEUCEL": "BCMA", "CILTACABTAGENE AUTOLEUCEL": "BCMA",
}
#: high-risk chromosomal abnormalities of the R-ISS (Palumbo et al. 2015)
HIGH_RISK_CA = ("DEL(17P)", "T(4;14)", "T(14;16)")
B2M_LOW, B2M_HIGH, ALB_LOW = 3.5, 5.5, 35.0  # mg/L, mg/L, g/L


def iss_stage(b2m: np.ndarray, albumin: np.ndarray) -> np.ndarray:
    """ISS stage ("I", "II", "III"; "" when it cannot be decided) from serum
    beta2-microglobulin (mg/L) and albumin (g/L).

    Parameters
    ----------
    b2m : array-like of float
        Serum beta2-microglobulin, mg/L (NaN = missing).
    albumin : array-like of float
        Serum albumin, g/L (NaN = missing).

    Returns
    -------
    numpy.ndarray of str
        The stage per patient. Stage III needs only beta2-microglobulin; stage I needs both.

    References
    ----------
    Greipp PR et al. International staging system for multiple myeloma. J Clin Oncol
    2005;23:3412-20.

    Examples
    --------
    >>> iss_stage([3.4, 3.5, 5.5, 3.4], [35, 35, 20, 34.9]).tolist()
    ['I', 'II', 'III', 'II']
    """
    b = np.asarray(b2m, dtype=float)
    a = np.asarray(albumin, dtype=float)
    out = np.full(b.shape, "", dtype=object)
    stage3 = b >= B2M_HIGH
    stage1 = (b < B2M_LOW) & (a >= ALB_LOW)
    # stage II: beta2m known below 5.5 and stage I excluded (albumin known low, or beta2m >= 3.5)
    stage2 = (b < B2M_HIGH) & ~stage1 & ((b >= B2M_LOW) | (a < ALB_LOW))
    out[stage2] = "II"
    out[stage1] = "I"
    out[stage3] = "III"
    return out


def riss_stage(iss: np.ndarray, ca_high_risk: np.ndarray, ldh: np.ndarray,
               ldh_uln: np.ndarray) -> np.ndarray:
    """R-ISS stage ("I", "II", "III"; "" when a missing input could change it).

    Parameters
    ----------
    iss : array-like of str
        ISS stage from :func:`iss_stage` ("" = unknown).
    ca_high_risk : array-like
        True (high-risk abnormality detected by iFISH), False (standard risk) or None/NaN
        (not assessed).
    ldh, ldh_uln : array-like of float
        Serum LDH and its upper limit of normal in the same unit (NaN = missing).

    Returns
    -------
    numpy.ndarray of str
        The stage per patient.

    References
    ----------
    Palumbo A et al. Revised International Staging System for multiple myeloma: a report from
    International Myeloma Working Group. J Clin Oncol 2015;33:2863-9 (Table 1).

    Examples
    --------
    >>> riss_stage(["I", "I", "III", "III", "II"], [False, True, False, False, None],
    ...            [200, 200, 250, 251, 900], [250, 250, 250, 250, 250]).tolist()
    ['I', 'II', 'II', 'III', 'II']
    """
    s = np.asarray(iss, dtype=object)
    ca = pd.array(pd.Series(list(ca_high_risk), dtype=object).map(
        lambda v: None if v is None or (isinstance(v, float) and v != v) else bool(v)),
        dtype="boolean")
    hi = np.asarray(ca.fillna(False), dtype=bool)
    ca_known = ~np.asarray(ca.isna(), dtype=bool)
    ld = np.asarray(ldh, dtype=float)
    uln = np.asarray(ldh_uln, dtype=float)
    ldh_known = np.isfinite(ld) & np.isfinite(uln)
    ldh_high = ldh_known & (ld > uln)
    ldh_normal = ldh_known & (ld <= uln)
    out = np.full(s.shape, "", dtype=object)
    known = s != ""
    stage3 = (s == "III") & ((ca_known & hi) | ldh_high)
    not3 = (s != "III") | ((ca_known & ~hi) & ldh_normal)
    stage1 = (s == "I") & ca_known & ~hi & ldh_normal
    not1 = (s != "I") | (ca_known & hi) | ldh_high
    out[known & not3 & not1] = "II"
    out[stage1] = "I"
    out[stage3] = "III"
    return out


def cytogenetic_high_risk(usubjid: pd.Series, mh: pd.DataFrame | None,
                          assessed: bool = True) -> pd.Series:
    """Per subject: True when an MH CYTOGENETICS record names a high-risk abnormality of the
    R-ISS (del(17p), t(4;14), t(14;16); MHTERM, case-insensitive), False otherwise.

    Parameters
    ----------
    usubjid : pandas.Series
        The subjects.
    mh : pandas.DataFrame or None
        SDTM MH (USUBJID, MHCAT, MHTERM).
    assessed : bool
        The data-model convention: every subject had iFISH at screening and MH holds the
        abnormalities found (so no record = standard risk). False: no record = not assessed
        (missing).

    Returns
    -------
    pandas.Series
        Boolean (nullable) by position of ``usubjid``.

    Examples
    --------
    >>> mh = pd.DataFrame({"USUBJID": ["A", "B"], "MHCAT": ["CYTOGENETICS"] * 2,
    ...                    "MHTERM": ["del(17p)", "1q21 gain"]})
    >>> cytogenetic_high_risk(pd.Series(["A", "B", "C"]), mh).tolist()
    [True, False, False]
    """
    hits: set = set()
    seen: set = set()
    if mh is not None and len(mh) and "MHCAT" in mh:
        c = mh[mh["MHCAT"] == "CYTOGENETICS"]
        seen = set(c["USUBJID"])
        term = c["MHTERM"].astype(str).str.upper().str.replace(" ", "", regex=False)
        hits = set(c.loc[term.isin(HIGH_RISK_CA), "USUBJID"])
    out = usubjid.isin(hits).astype("boolean")
    if not assessed:
        out[~usubjid.isin(seen)] = pd.NA
    return out.reset_index(drop=True)


def prior_therapy_flags(cm: pd.DataFrame, refractory: pd.DataFrame | None) -> pd.DataFrame:
    """Exposure and refractoriness per subject from prior anti-myeloma therapy.

    Parameters
    ----------
    cm : pandas.DataFrame
        Prior-therapy records: USUBJID, CMDECOD, CMGRPID (line of therapy, "LINE n").
    refractory : pandas.DataFrame or None
        USUBJID, CMGRPID of the lines the disease was refractory to (IMWG: no response on the
        regimen or progression within 60 days of its last dose; Rajkumar SV et al., Blood
        2011;117:4691-5); every drug of such a line counts as refractory.

    Returns
    -------
    pandas.DataFrame
        Indexed by USUBJID: PRLINES (number of distinct lines), TCEXPFL/TCREFFL (triple-class),
        PENEXPFL/PENREFFL (penta-drug), BCMAFL (prior BCMA-directed therapy), as "Y"/"N".

    References
    ----------
    Gandhi UH et al. Outcomes of patients with multiple myeloma refractory to CD38-targeted
    monoclonal antibody therapy. Leukemia 2019;33:2266-75.

    Examples
    --------
    >>> cm = pd.DataFrame({"USUBJID": ["A"] * 3, "CMGRPID": ["LINE 1", "LINE 1", "LINE 2"],
    ...                    "CMDECOD": ["BORTEZOMIB", "LENALIDOMIDE", "DARATUMUMAB"]})
    >>> ref = pd.DataFrame({"USUBJID": ["A"], "CMGRPID": ["LINE 2"]})
    >>> f = prior_therapy_flags(cm, ref)
    >>> int(f.loc["A", "PRLINES"]), f.loc["A", "TCEXPFL"], f.loc["A", "TCREFFL"]
    (2, 'Y', 'N')
    """
    c = cm[["USUBJID", "CMDECOD", "CMGRPID"]].copy()
    c["CLASS"] = c["CMDECOD"].astype(str).str.upper().map(DRUG_CLASS)
    if refractory is not None and len(refractory):
        key = set(zip(refractory["USUBJID"], refractory["CMGRPID"], strict=True))
        c["REF"] = [k in key for k in zip(c["USUBJID"], c["CMGRPID"], strict=True)]
    else:
        c["REF"] = False
    subj = pd.Index(sorted(c["USUBJID"].unique()), name="USUBJID")
    out = pd.DataFrame(index=subj)
    out["PRLINES"] = c.groupby("USUBJID")["CMGRPID"].nunique().reindex(subj).astype(int)
    for sfx, part in (("EXP", c), ("REF", c[c["REF"]])):
        k = part.dropna(subset=["CLASS"]).drop_duplicates(["USUBJID", "CMDECOD"])
        n = k.groupby(["USUBJID", "CLASS"]).size().unstack(fill_value=0)
        n = n.reindex(index=subj, columns=["IMID", "PI", "ANTI-CD38", "BCMA"], fill_value=0)
        tc = (n["IMID"] >= 1) & (n["PI"] >= 1) & (n["ANTI-CD38"] >= 1)
        penta = (n["IMID"] >= 2) & (n["PI"] >= 2) & (n["ANTI-CD38"] >= 1)
        out[f"TC{sfx}FL"] = np.where(tc, "Y", "N")
        out[f"PEN{sfx}FL"] = np.where(penta, "Y", "N")
        if sfx == "EXP":
            out["BCMAFL"] = np.where(n["BCMA"] >= 1, "Y", "N")
    return out
