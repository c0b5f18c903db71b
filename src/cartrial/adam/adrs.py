"""ADRS: response per assessment and best response (admiralonco ``vignettes/adrs_imwg.Rmd``;
CDISC ADaMIG v1.3).

Parameters (PARAMCD):

* ``OVR``   IMWG 2016 response at each post-baseline assessment (efficacy engine, derived from
  the laboratory, marrow and imaging data), with ``PCHG`` of the subject's measurable marker;
* ``COVR``  confirmed response at the assessment (the engine's confirmation rule);
* ``CBOR``  best confirmed overall response, one row per infused subject (no assessment -> NE);
* ``INVOVR`` investigator-reported response (RS OVRLRESP) when RS is supplied;
* ``MRD``   MRD result per bone-marrow sample (AVALC POSITIVE/NEGATIVE, ``MRDSENS`` sensitivity);
* ``MRDSUST``, ``MRDNEGCR`` and the response criteria CRIT1/CRIT2 of the MRD records
  (:mod:`cartrial.adam.adrs_mrd`).

``AVAL`` codes the response as in the admiralonco example: sCR 7, CR 6, VGPR 5, PR 4, MR 3, SD 2,
PD 1, NE 8; ``AVALC`` is the response text (mixed case ``sCR``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam._dates import study_day_from, yn
from cartrial.data.batches import take_rows
from cartrial.data.text import share_repeats
from cartrial.efficacy import ImwgResult

AVAL_CODE = {"sCR": 7, "CR": 6, "VGPR": 5, "PR": 4, "MR": 3, "SD": 2, "PD": 1, "NE": 8}
PARAMS = {
    "OVR": "IMWG Overall Response (derived)",
    "COVR": "IMWG Confirmed Response (derived)",
    "CBOR": "IMWG Best Confirmed Overall Response",
    "INVOVR": "Overall Response by Investigator",
    "MRD": "MRD in Bone Marrow",
}
MARKER_PCHG = {"SERUM": "PCHG_SPEP", "URINE": "PCHG_UPEP", "FLC": "PCHG_DFLC"}

_IMWG = "IMWG 2016 criteria (Kumar et al., Lancet Oncol 2016;17:e328-46)"
#: Origin and derivation of each variable this module derives, as define.xml states them
#: (cartrial.adam.derivations); DEFINE_PARAMS: the value-level derivation of AVAL per PARAMCD.
DEFINE = {
    "PARAMCD": "Assigned: OVR, COVR, CBOR, INVOVR, MRD, MRDSUST or MRDNEGCR (see PARAM).",
    "PARAM": "Assigned: the description of PARAMCD.",
    "AVAL": "Derived: AVALC coded sCR 7, CR 6, VGPR 5, PR 4, MR 3, SD 2, PD 1, NE 8 "
            "(admiralonco); missing for MRD; 1 (Y) or 0 (N) for MRDSUST and MRDNEGCR.",
    "AVALC": "Derived: the response (see the parameter's method); POSITIVE or NEGATIVE for "
             "MRD; Y or N for MRDSUST and MRDNEGCR.",
    "ADT": "Derived: date of the assessment; for CBOR the date of the first confirmed response.",
    "MDTYPE": "Derived: the subject's measurable disease type (SERUM, URINE or FLC) by the "
              f"efficacy engine ({_IMWG}).",
    "PCHG": "Derived: percent change from baseline of the marker named by MDTYPE (serum "
            "M-protein, urine M-protein or involved-uninvolved FLC difference), OVR records.",
    "ANL01FL": "Derived: 'Y' on the assessments the efficacy engine uses (post-baseline, "
               "before new anti-myeloma therapy) and on every CBOR record.",
    "SRCSEQ": "Derived: RS.RSSEQ for INVOVR, LB.LBSEQ of the MRD record for MRD, the smallest "
              "LB.LBSEQ of the assessment's records for OVR.",
    "AVISIT": "Predecessor: LB.VISIT",
    "MRDSENS": "Predecessor: LB.LBLLOQ",
}
DEFINE_PARAMS = {
    "OVR": f"Response at each post-baseline assessment by the {_IMWG}, from the serum and urine "
           "M-protein, free light chains, immunofixation, bone-marrow plasma cells and imaging "
           "(cartrial.efficacy.imwg).",
    "COVR": "Confirmed response at the assessment: the response confirmed by the next "
            f"consecutive assessment ({_IMWG}).",
    "CBOR": "Best confirmed overall response over the subject's assessments, NE without one; "
            "one record per infused (SAFFL) subject.",
    "INVOVR": "RS.RSSTRESC of the RS records with RSTESTCD = OVRLRESP (investigator).",
    "MRD": "LB MRD result per bone-marrow sample (AVALC POSITIVE / NEGATIVE; AVAL missing).",
}


def _rows(usubjid: pd.Series, adt: pd.Series, paramcd: str, avalc: pd.Series) -> pd.DataFrame:
    a = avalc.fillna("NE").astype(str)
    return pd.DataFrame({
        "USUBJID": usubjid.to_numpy(), "PARAMCD": paramcd, "PARAM": PARAMS[paramcd],
        "AVALC": a.to_numpy(), "AVAL": a.map(AVAL_CODE).to_numpy(dtype=float),
        "ADT": pd.to_datetime(adt).to_numpy(),
    })


def derive_param_ovr(imwg: ImwgResult) -> pd.DataFrame:
    """OVR and COVR rows from the engine's per-assessment results (post-baseline only).

    Parameters
    ----------
    imwg : ImwgResult
        The efficacy engine's IMWG result; ``assessments`` (USUBJID, ADT, ABLFL, AVALC, CONFC,
        MDTYPE, PCHG_<marker>, ANL01FL) is read.

    Returns
    -------
    pandas.DataFrame
        OVR then COVR rows; AVAL coded sCR 7 ... PD 1, NE 8 (missing response -> NE).

    References
    ----------
    Kumar S et al., Lancet Oncol 2016;17:e328-46 (IMWG response criteria).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> a = pd.DataFrame({"USUBJID": "S1", "ADT": pd.to_datetime(["2024-02-05", "2024-03-05"]),
    ...                   "ABLFL": "", "AVALC": ["PR", "VGPR"], "CONFC": ["PR", None],
    ...                   "MDTYPE": "SERUM", "PCHG_SPEP": [-60.0, -92.0], "ANL01FL": "Y"})
    >>> subj = pd.DataFrame({"USUBJID": ["S1"], "BOR": "PR", "FRSPDT": pd.Timestamp("2024-02-05")})
    >>> imwg = SimpleNamespace(assessments=a, subjects=subj)  # stands in for an ImwgResult
    >>> derive_param_ovr(imwg)[["PARAMCD", "AVALC", "AVAL", "PCHG"]]
      PARAMCD AVALC  AVAL  PCHG
    0     OVR    PR   4.0 -60.0
    1     OVR  VGPR   5.0 -92.0
    2    COVR    PR   4.0   NaN
    3    COVR    NE   8.0   NaN
    """
    a = imwg.assessments
    # the post-baseline records of the variables read only (copying every variable of every
    # record, twice, was ~90 MiB at 10,000 patients for a 14 MiB result; issue #18: memory)
    read = ["USUBJID", "ADT", "AVALC", "MDTYPE", "ANL01FL", "CONFC", "SRCSEQ",
            *MARKER_PCHG.values()]
    a = take_rows(a, a["ABLFL"].ne("Y").to_numpy(dtype=bool), [c for c in read if c in a])
    ovr = _rows(a["USUBJID"], a["ADT"], "OVR", a["AVALC"])
    pchg = np.full(len(a), np.nan)
    for md, col in MARKER_PCHG.items():
        if col in a.columns:
            hit = (a["MDTYPE"] == md).to_numpy()
            pchg[hit] = a.loc[hit, col].to_numpy(dtype=float)
    ovr["MDTYPE"] = a["MDTYPE"].to_numpy()
    ovr["PCHG"] = pchg
    ovr["ANL01FL"] = a["ANL01FL"].fillna("").to_numpy()
    ovr["SRCSEQ"] = pd.to_numeric(a.get("SRCSEQ"), errors="coerce")
    covr = _rows(a["USUBJID"], a["ADT"], "COVR", a["CONFC"])
    covr["ANL01FL"] = ovr["ANL01FL"]
    return pd.concat([ovr, covr], ignore_index=True)


def derive_param_cbor(imwg: ImwgResult, adsl: pd.DataFrame) -> pd.DataFrame:
    """CBOR: one row per infused (SAFFL) subject; subjects without a response are NE.

    Parameters
    ----------
    imwg : ImwgResult
        The efficacy engine's IMWG result; ``subjects`` (USUBJID, BOR, FRSPDT) is read.
    adsl : pandas.DataFrame
        USUBJID and SAFFL.

    Returns
    -------
    pandas.DataFrame
        One CBOR row per infused subject, ADT the date of the first confirmed response.

    References
    ----------
    Kumar S et al., Lancet Oncol 2016;17:e328-46 (IMWG response criteria).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> a = pd.DataFrame({"USUBJID": "S1", "ADT": pd.to_datetime(["2024-02-05", "2024-03-05"]),
    ...                   "ABLFL": "", "AVALC": ["PR", "VGPR"], "CONFC": ["PR", None],
    ...                   "MDTYPE": "SERUM", "PCHG_SPEP": [-60.0, -92.0], "ANL01FL": "Y"})
    >>> subj = pd.DataFrame({"USUBJID": ["S1"], "BOR": "PR", "FRSPDT": pd.Timestamp("2024-02-05")})
    >>> imwg = SimpleNamespace(assessments=a, subjects=subj)  # stands in for an ImwgResult
    >>> adsl = pd.DataFrame({"STUDYID": "CT071", "USUBJID": ["S1", "S2"], "SAFFL": "Y",
    ...                      "TRT01A": "DL1", "TRT01AN": 1, "PPCLFL": "", "EFFFL": "Y",
    ...                      "TRTSDT": pd.Timestamp("2024-01-10")})
    >>> derive_param_cbor(imwg, adsl)[["USUBJID", "AVALC", "AVAL"]]
      USUBJID AVALC  AVAL
    0      S1    PR   4.0
    1      S2    NE   8.0
    """
    saf = adsl.loc[adsl["SAFFL"] == "Y", ["USUBJID"]]
    s = saf.merge(imwg.subjects[["USUBJID", "BOR", "FRSPDT"]], on="USUBJID", how="left")
    out = _rows(s["USUBJID"], s["FRSPDT"], "CBOR", s["BOR"])
    out["ANL01FL"] = "Y"
    return out


def derive_param_invovr(rs: pd.DataFrame) -> pd.DataFrame:
    """INVOVR: RS OVRLRESP records (investigator).

    Parameters
    ----------
    rs : pandas.DataFrame
        SDTM RS (USUBJID, RSSEQ, RSTESTCD, RSSTRESC, RSDTC); other tests are ignored.

    Returns
    -------
    pandas.DataFrame
        One INVOVR row per OVRLRESP record, SRCSEQ = RSSEQ.

    Examples
    --------
    >>> rs = pd.DataFrame({"USUBJID": ["S1"], "RSSEQ": [1], "RSTESTCD": "OVRLRESP",
    ...                    "RSSTRESC": "VGPR", "RSDTC": "2024-03-05T10:00"})
    >>> derive_param_invovr(rs)[["PARAMCD", "AVALC", "AVAL", "ADT", "SRCSEQ"]]
      PARAMCD AVALC  AVAL        ADT  SRCSEQ
    0  INVOVR  VGPR   5.0 2024-03-05       1
    """
    r = rs[rs["RSTESTCD"] == "OVRLRESP"]
    adt = pd.to_datetime(r["RSDTC"].astype(str).str.slice(0, 10), errors="coerce")
    out = _rows(r["USUBJID"], adt, "INVOVR", r["RSSTRESC"])
    out["SRCSEQ"] = pd.to_numeric(r["RSSEQ"], errors="coerce").to_numpy()
    return out


def derive_param_mrd(mrd: pd.DataFrame) -> pd.DataFrame:
    """MRD rows from the efficacy adapter's MRD frame (USUBJID, ADT, AVISIT, MRDRES, MRDSENS).

    Parameters
    ----------
    mrd : pandas.DataFrame
        One row per bone-marrow sample; MRDRES ``POSITIVE``/``NEGATIVE``, MRDSENS the assay
        sensitivity (fraction of cells, e.g. 1e-5); SRCSEQ (LBSEQ) optional.

    Returns
    -------
    pandas.DataFrame
        One MRD row per sample (AVAL missing).

    References
    ----------
    Kumar S et al., Lancet Oncol 2016;17:e328-46 (MRD negativity at 10^-5).

    Examples
    --------
    >>> mrd = pd.DataFrame({"USUBJID": ["S1"], "ADT": "2024-03-05", "AVISIT": "MONTH 2",
    ...                     "MRDRES": "NEGATIVE", "MRDSENS": 1e-5})
    >>> derive_param_mrd(mrd)[["PARAMCD", "AVALC", "MRDSENS"]]
      PARAMCD     AVALC  MRDSENS
    0     MRD  NEGATIVE  0.00001
    """
    out = pd.DataFrame({
        "USUBJID": mrd["USUBJID"].to_numpy(), "PARAMCD": "MRD", "PARAM": PARAMS["MRD"],
        "AVALC": mrd["MRDRES"].astype(str).to_numpy(), "AVAL": np.nan,
        "ADT": pd.to_datetime(mrd["ADT"]).to_numpy(),
        "AVISIT": mrd["AVISIT"].astype(str).to_numpy(),
        "MRDSENS": pd.to_numeric(mrd["MRDSENS"], errors="coerce").to_numpy(),
    })
    out["SRCSEQ"] = pd.to_numeric(mrd.get("SRCSEQ"), errors="coerce")
    return out


def derive_adrs(imwg: ImwgResult, adsl: pd.DataFrame, *, rs: pd.DataFrame | None = None,
                mrd: pd.DataFrame | None = None, mrd_sensitivity: float = 1e-5) -> pd.DataFrame:
    """ADRS from the efficacy engine's IMWG result (+ RS and MRD when given) and ADSL.

    Parameters
    ----------
    imwg : ImwgResult
        The efficacy engine's IMWG result.
    adsl : pandas.DataFrame
        STUDYID, USUBJID, SAFFL, TRT01A, TRT01AN, PPCLFL, EFFFL, TRTSDT.
    rs, mrd : pandas.DataFrame, optional
        SDTM RS (:func:`derive_param_invovr`) and MRD results (:func:`derive_param_mrd`;
        also MRDSUST, MRDNEGCR and the response criteria, :mod:`cartrial.adam.adrs_mrd`).
    mrd_sensitivity : float
        The protocol's MRD sensitivity (``endpoints.mrd_sensitivity``) for MRDSUST.

    Returns
    -------
    pandas.DataFrame
        ADRS (BDS), by subject and parameter (OVR, COVR, CBOR, INVOVR, MRD) then date.

    References
    ----------
    Kumar S et al., Lancet Oncol 2016;17:e328-46 (IMWG response criteria).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> a = pd.DataFrame({"USUBJID": "S1", "ADT": pd.to_datetime(["2024-02-05", "2024-03-05"]),
    ...                   "ABLFL": "", "AVALC": ["PR", "VGPR"], "CONFC": ["PR", None],
    ...                   "MDTYPE": "SERUM", "PCHG_SPEP": [-60.0, -92.0], "ANL01FL": "Y"})
    >>> subj = pd.DataFrame({"USUBJID": ["S1"], "BOR": "PR", "FRSPDT": pd.Timestamp("2024-02-05")})
    >>> imwg = SimpleNamespace(assessments=a, subjects=subj)  # stands in for an ImwgResult
    >>> adsl = pd.DataFrame({"STUDYID": "CT071", "USUBJID": ["S1", "S2"], "SAFFL": "Y",
    ...                      "TRT01A": "DL1", "TRT01AN": 1, "PPCLFL": "", "EFFFL": "Y",
    ...                      "TRTSDT": pd.Timestamp("2024-01-10")})
    >>> derive_adrs(imwg, adsl)[["USUBJID", "ASEQ", "PARAMCD", "AVALC", "ADY"]]
      USUBJID  ASEQ PARAMCD AVALC   ADY
    0      S1     1     OVR    PR  27.0
    1      S1     2     OVR  VGPR  56.0
    2      S1     3    COVR    PR  27.0
    3      S1     4    COVR    NE  56.0
    4      S1     5    CBOR    PR  27.0
    5      S2     1    CBOR    NE   NaN
    """
    parts = [derive_param_ovr(imwg), derive_param_cbor(imwg, adsl)]
    if rs is not None and len(rs):
        parts.append(derive_param_invovr(rs))
    if mrd is not None and len(mrd):
        from cartrial.adam.adrs_mrd import derive_param_mrd_subject

        parts += [derive_param_mrd(mrd), derive_param_mrd_subject(mrd, parts[1], mrd_sensitivity)]
    out = pd.concat(parts, ignore_index=True)
    sl = adsl.set_index("USUBJID")
    out.insert(0, "STUDYID", out["USUBJID"].map(sl["STUDYID"]))
    for c in ("TRT01A", "TRT01AN", "PPCLFL", "EFFFL"):
        out[c] = out["USUBJID"].map(sl[c])
    out["ADY"] = study_day_from(out["ADT"], out["USUBJID"].map(sl["TRTSDT"]))
    # the order from the keys alone, then one copy of the rows (sorting the frame copied it
    # three times over: take, drop, reset_index; issue #18: memory)
    rank = {k: i for i, k in enumerate(PARAMS)}
    keys = pd.DataFrame({"USUBJID": out["USUBJID"].to_numpy(),
                         "_P": out["PARAMCD"].map(rank).to_numpy(), "ADT": out["ADT"].to_numpy()})
    out = out.take(keys.sort_values(["USUBJID", "_P", "ADT"], kind="stable").index.to_numpy())
    out.index = pd.RangeIndex(len(out))  # as reset_index(drop=True) gives it
    out["ASEQ"] = out.groupby("USUBJID").cumcount() + 1
    out["ANL01FL"] = yn(out["ANL01FL"].fillna("").eq("Y")) if "ANL01FL" in out else ""
    if (out["PARAMCD"] == "MRD").any():
        from cartrial.adam.adrs_mrd import add_response_criteria

        add_response_criteria(out)  # on this frame of its own, not a copy (memory)
    front = ["STUDYID", "USUBJID", "ASEQ", "TRT01A", "TRT01AN", "PARAMCD", "PARAM", "AVAL",
             "AVALC", "ADT", "ADY"]
    # the columns put in order without a copy of the rows (``out[columns]`` copied them all:
    # at 10,000 patients +40 MiB at ADRS's peak; issue #18: memory)
    out = pd.DataFrame({c: out[c] for c in front + [c for c in out.columns if c not in front]},
                       copy=False)
    return share_repeats(out)  # one object per distinct text value (issue #18: memory)
