"""IMWG 2016 response per assessment, confirmation, best confirmed response and event dates.

Rules: IMWG 2016 (Kumar et al., Lancet Oncol 2016;
17:e328-e346) and, for the pPCL population, the IMWG 2013 PCL consensus (Fernandez de
Larrea et al., Leukemia 2013;27:780-91). Confirmation logic follows pharmaverse admiralonco
``vignettes/adrs_imwg.Rmd``. Open decisions are fields of :class:`ImwgSettings`.

One step per module: input checks (:mod:`~cartrial.efficacy.imwg_input`), response categories
and caps (:mod:`~cartrial.efficacy.imwg_levels`), progression from the nadir
(:mod:`~cartrial.efficacy.imwg_progression`), confirmation (:mod:`~cartrial.efficacy.imwg_confirm`);
this module chains them and summarises each subject.

Input: one row per subject and assessment (the baseline row flagged ``ABLFL == "Y"``), columns

============  ==========================================================================
USUBJID       subject
ADT           assessment date (datetime64)
ABLFL         "Y" on the one baseline row per subject
SPEP          serum M-protein, g/dL
UPEP          24 h urine M-protein, mg/24 h
KAPPA LAMBDA  serum free light chains, mg/dL (SDTM mg/L divided by 10)
FLCRATIO      kappa/lambda ratio if reported (checked against KAPPA/LAMBDA)
SIFE UIFE     serum / urine immunofixation "POSITIVE" / "NEGATIVE" (missing = not done)
IFEINTF       True when a positive IFE is attributed to a therapeutic antibody
BMPC          bone-marrow plasma cells, % (aspirate)
BMCLONAL      True when clonal plasma cells are found (IHC / flow; for sCR)
SPD           plasmacytoma sum of products of diameters, mm^2 (0 = none left)
NEWLES        True when a new bone lesion or plasmacytoma is found
PBPC          peripheral-blood plasma cells, % (pPCL)
SRCDOM SRCSEQ source domain and record number, used in error messages
============  ==========================================================================

Every measurement column is optional (absent = not done). ``subjects`` (optional) gives per
subject ``POPCD`` ("PPCL" switches on the PCL rules) and ``NACTDT`` (start of new anti-myeloma
therapy: assessments on or after it are not used).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartrial.efficacy.imwg_confirm import confirm_responses
from cartrial.efficacy.imwg_input import prepare_assessments
from cartrial.efficacy.imwg_levels import (
    DiseaseType,
    apply_caps,
    measurable_disease,
    not_evaluable,
    reductions,
    response_category,
)
from cartrial.efficacy.imwg_progression import progression
from cartrial.efficacy.imwg_rules import IMWG_2016, RESPONSE_ORDER, RESPONSES, ImwgThresholds
from cartrial.errors import InputError
from cartrial.protocol.model import ImwgSettings

__all__ = ["ImwgResult", "classify_assessments", "confirm_responses", "derive_imwg_response",
           "measurable_disease", "summarise_subjects"]

_R = RESPONSE_ORDER
#: the variables :func:`summarise_subjects` reads
_SUMMARY_READS = frozenset(("USUBJID", "ADT", "ANL01FL", "AVALN", "CONFN", "CONFADT", "PPCLFL",
                            "BMPC", "SIFE", "UIFE", "SPEP", "UPEP", "PBPC", "MDTYPE", "POPCD",
                            "NACTDT"))


@dataclass(frozen=True)
class ImwgResult:
    """Derived IMWG responses (made by :func:`derive_imwg_response`).

    Attributes
    ----------
    assessments : pandas.DataFrame
        One row per post-baseline assessment with AVALC (response at the assessment), CONFC
        (confirmed response at it), PDTYPE, CONFFL, ANL01FL and the inputs used.
    subjects : pandas.DataFrame
        One row per subject with MDTYPE, POPCD, BOR (best confirmed response), FRSPDT (first
        of the assessments confirming PR or better), FCRDT (first confirmed CR or better),
        PDDT (first of the assessments confirming PD), RELCRDT (relapse from CR), LSTADT
        (last adequate assessment before new therapy) and NACTDT.
    settings : ImwgSettings
        The settings used.
    criteria, method : str
        Name of the criteria ("IMWG 2016") and a description of the choices, for footnotes.

    Examples
    --------
    >>> a = pd.DataFrame({"USUBJID": "01", "ABLFL": ["Y", None, None, None],
    ...                   "ADT": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01",
    ...                                          "2026-04-01"]),
    ...                   "SPEP": [2.0, 0.8, 0.15, 0.1]})
    >>> r = derive_imwg_response(a)
    >>> r.criteria, r.subjects.loc[0, "BOR"]
    ('IMWG 2016', 'VGPR')
    """

    assessments: pd.DataFrame
    subjects: pd.DataFrame
    settings: ImwgSettings
    criteria: str
    method: str


def classify_assessments(
    assessments: pd.DataFrame,
    subjects: pd.DataFrame | None = None,
    settings: ImwgSettings | None = None,
    thresholds: ImwgThresholds | None = None,
) -> pd.DataFrame:
    """Response at each post-baseline assessment (unconfirmed), IMWG 2016 tables 4.2-4.3.

    Adds MDTYPE, POPCD, ANL01FL ("Y" = before new therapy, used), AVALC, PDTYPE ("LAB",
    "MARROW", "IMAGING" or missing), NEEDCONF (confirmation needed), IFEINTFL and reduction /
    nadir columns. Missing data needed for a level downgrade the response (4.2).

    Parameters
    ----------
    assessments : pandas.DataFrame
        One baseline row (ABLFL "Y") and one row per later assessment date per subject, with
        the measurement columns of the module docstring (SPEP g/dL, UPEP mg/24 h, KAPPA,
        LAMBDA mg/dL, BMPC %, SPD mm^2, PBPC %, SIFE / UIFE, ...); absent ones are not done.
    subjects : pandas.DataFrame, optional
        Per subject POPCD, NACTDT, DTHDT, DTHPDFL.
    settings : ImwgSettings, optional
        ``protocol.imwg``; the IMWG 2016 defaults when omitted.
    thresholds : ImwgThresholds, optional
        The IMWG 2016 numbers when omitted.

    Returns
    -------
    pandas.DataFrame
        The post-baseline rows with the columns above.

    Raises
    ------
    RecordError
        When a value is not usable (names the source domain, subject, record and rule).

    References
    ----------
    Kumar S, et al. International Myeloma Working Group consensus criteria for response and
    minimal residual disease assessment in multiple myeloma. Lancet Oncol 2016;17:e328-46.

    Examples
    --------
    Serum M-protein 2.0 -> 0.8 g/dL is a 60 % reduction (PR, >= 50 %); -> 0.15 g/dL is
    92.5 % (VGPR, >= 90 %).

    >>> a = pd.DataFrame({"USUBJID": "01", "ABLFL": ["Y", None, None, None],
    ...                   "ADT": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01",
    ...                                          "2026-04-01"]),
    ...                   "SPEP": [2.0, 0.8, 0.15, 0.1]})
    >>> classify_assessments(a)["AVALC"].tolist()
    ['PR', 'VGPR', 'VGPR']
    """
    s = settings or ImwgSettings()
    t = thresholds or IMWG_2016
    df = prepare_assessments(assessments)
    base = measurable_disease(df[df["_BL"]], t)
    p = _with_subject_data(df[~df["_BL"]].merge(base, on="USUBJID", how="left"), subjects)
    # rows not used (after new therapy) are classified but ignored later
    if s.carry_forward_marrow:
        for c in ("BMPC", "BMCLONAL"):
            p[c + "_USED"] = p.groupby("USUBJID")[c].ffill()
    else:
        p["BMPC_USED"] = p["BMPC"]
        p["BMCLONAL_USED"] = p["BMCLONAL"]
    ppcl = p["POPCD"].fillna("").eq("PPCL")
    kind = DiseaseType.of(p["MDTYPE"])
    red = reductions(p)
    level, interf = response_category(p, red, kind, ppcl, s, t)
    p["IFEINTFL"] = np.where(
        interf & (s.ife_interference == "cap_vgpr") & (level >= _R["VGPR"]), "Y", None
    )
    level = apply_caps(p, red, kind, ppcl, level, s, t)
    level = np.where(not_evaluable(p, kind), _R["NE"], level)
    prog = progression(p, kind, ppcl, s, t)
    level = np.where(prog.any, _R["PD"], level)
    p["AVALC"] = np.asarray(RESPONSES, dtype=object)[level]
    p["AVALN"] = level
    # imaging and marrow-only progression, and marrow or plasmacytoma disease, need no second
    # assessment
    p["NEEDCONF"] = np.where(
        prog.any, ~(prog.imaging | (prog.marrow & ~prog.lab)), ~(kind.marrow | kind.plasmacytoma)
    ) & (level != _R["NE"])
    p["PPCLFL"] = np.where(ppcl, "Y", None)
    return p.drop(columns=["_BL"])


def _with_subject_data(post: pd.DataFrame, subjects: pd.DataFrame | None) -> pd.DataFrame:
    """POPCD, NACTDT, DTHDT and DTHPDFL from ``subjects``; ANL01FL (before new therapy)."""
    if subjects is not None and len(subjects):
        if subjects["USUBJID"].duplicated().any():
            dup = subjects.loc[subjects["USUBJID"].duplicated(), "USUBJID"].iloc[0]
            raise InputError(f"subjects must have one row per USUBJID; {dup!r} appears twice")
        sub = subjects.set_index("USUBJID")
        post["POPCD"] = post["USUBJID"].map(sub["POPCD"]) if "POPCD" in sub else None
        post["NACTDT"] = post["USUBJID"].map(sub["NACTDT"]) if "NACTDT" in sub else pd.NaT
        post["DTHDT"] = post["USUBJID"].map(sub["DTHDT"]) if "DTHDT" in sub else pd.NaT
        post["DTHPDFL"] = post["USUBJID"].map(sub["DTHPDFL"]) if "DTHPDFL" in sub else None
    else:
        post["POPCD"] = None
        post["NACTDT"] = pd.NaT
        post["DTHDT"] = pd.NaT
        post["DTHPDFL"] = None
    post["NACTDT"] = pd.to_datetime(post["NACTDT"])
    post["DTHDT"] = pd.to_datetime(post["DTHDT"])
    anl = post["NACTDT"].isna() | (post["ADT"] < post["NACTDT"])
    post["ANL01FL"] = np.where(anl, "Y", None)
    # a merge's result is numbered 0..n-1 already: not copied again (93,071 x 60 at 10,000)
    ix = post.index
    numbered = isinstance(ix, pd.RangeIndex) and ix.start == 0 and ix.step == 1
    return post if numbered else post.reset_index(drop=True)


def summarise_subjects(
    confirmed: pd.DataFrame,
    thresholds: ImwgThresholds | None = None,
    settings: ImwgSettings | None = None,
) -> pd.DataFrame:
    """Per subject: best confirmed response and event dates (4.4-4.5).

    PDDT is the first of the assessments confirming PD (``pd_date = "first"``, default) or the
    date of the confirming assessment (``"confirming"``).
    """
    t = thresholds or IMWG_2016
    s = settings or ImwgSettings()
    # only the variables read: the rows kept below are copies (issue #18: memory)
    p = confirmed[[c for c in confirmed.columns if c in _SUMMARY_READS]]
    used = p[p["ANL01FL"].eq("Y")]
    pd_rows = used[used["CONFN"] == _R["PD"]]
    first_pd = pd_rows.groupby("USUBJID")["ADT"].min()
    if s.pd_date == "first":
        pddt = first_pd
    else:
        first = pd_rows.sort_values("ADT").groupby("USUBJID").head(1).set_index("USUBJID")
        pddt = first["CONFADT"]
    upto = used[used["ADT"] <= used["USUBJID"].map(first_pd).fillna(pd.Timestamp.max)]
    bor_n = upto.groupby("USUBJID")["CONFN"].max()
    rsp = upto[upto["CONFN"] >= _R["PR"]].groupby("USUBJID")["ADT"].min()
    crs = upto[upto["CONFN"] >= _R["CR"]].groupby("USUBJID")["ADT"].min()
    evaluable = used[used["AVALN"] != _R["NE"]]
    lstadt = evaluable.groupby("USUBJID")["ADT"].max()
    # relapse from CR (4.5): after the first confirmed CR, IFE or M-protein reappears,
    # marrow plasma cells >= 5% (pPCL: > 10%, or any blood plasma cells), or PD
    after = used[used["ADT"] > used["USUBJID"].map(crs)]
    ppcl = after["PPCLFL"].eq("Y")
    marrow = np.where(
        ppcl,
        after["BMPC"] > t.ppcl_relapse_cr_marrow_pct,
        after["BMPC"] >= t.relapse_cr_marrow_pct,
    )
    rel = (
        after["SIFE"].eq("POSITIVE")
        | after["UIFE"].eq("POSITIVE")
        | (after["SPEP"] > 0)
        | (after["UPEP"] > 0)
        | marrow
        | (ppcl & (after["PBPC"] > 0))
        | (after["AVALN"] == _R["PD"])
    )
    relcrdt = after[rel].groupby("USUBJID")["ADT"].min()
    first = p.groupby("USUBJID", sort=True).first()
    out = pd.DataFrame(index=first.index)
    out["MDTYPE"] = first["MDTYPE"]
    out["POPCD"] = first["POPCD"]
    bor = bor_n.reindex(out.index).fillna(_R["NE"]).astype(int)
    out["BORN"] = bor
    out["BOR"] = np.asarray(RESPONSES, dtype=object)[bor.to_numpy()]
    out["FRSPDT"] = rsp.reindex(out.index)
    out["FCRDT"] = crs.reindex(out.index)
    out["PDDT"] = pddt.reindex(out.index)
    out["RELCRDT"] = relcrdt.reindex(out.index)
    out["LSTADT"] = lstadt.reindex(out.index)
    out["NACTDT"] = first["NACTDT"]
    out["NASSESS"] = used.groupby("USUBJID").size().reindex(out.index).fillna(0).astype(int)
    return out.reset_index()


def derive_imwg_response(
    assessments: pd.DataFrame,
    subjects: pd.DataFrame | None = None,
    settings: ImwgSettings | None = None,
) -> ImwgResult:
    """Derive IMWG 2016 responses from disease measurements (Kumar S et al., Lancet Oncol 2016).

    ``assessments`` holds the baseline and post-baseline measurements (columns in the module
    docstring); ``subjects`` optionally gives POPCD and NACTDT per subject. Bad records raise
    :class:`~cartrial.errors.RecordError` naming the record.

    Parameters
    ----------
    assessments : pandas.DataFrame
        Baseline and post-baseline measurements, as for :func:`classify_assessments`.
    subjects : pandas.DataFrame, optional
        One row per subject (USUBJID, POPCD, NACTDT, DTHDT, DTHPDFL); its subjects without
        assessments are not evaluable (BOR "NE").
    settings : ImwgSettings, optional
        ``protocol.imwg``; the IMWG 2016 defaults when omitted.

    Returns
    -------
    ImwgResult
        Responses per assessment (unconfirmed and confirmed) and per subject.

    Raises
    ------
    RecordError
        When a value is not usable.

    References
    ----------
    Kumar S, et al. International Myeloma Working Group consensus criteria for response and
    minimal residual disease assessment in multiple myeloma. Lancet Oncol 2016;17:e328-46.

    Examples
    --------
    PR, then VGPR confirmed by the next VGPR: best confirmed response VGPR.

    >>> a = pd.DataFrame({"USUBJID": "01", "ABLFL": ["Y", None, None, None],
    ...                   "ADT": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01",
    ...                                          "2026-04-01"]),
    ...                   "SPEP": [2.0, 0.8, 0.15, 0.1]})
    >>> r = derive_imwg_response(a)
    >>> r.assessments["CONFC"].tolist(), r.subjects.loc[0, "BOR"]
    (['PR', 'VGPR', 'SD'], 'VGPR')
    """
    s = settings or ImwgSettings()
    classified = classify_assessments(assessments, subjects, s)
    confirmed = confirm_responses(classified, s, copy=False)  # made here: not copied
    subj = summarise_subjects(confirmed, settings=s)
    # subjects with a baseline but no post-baseline assessment, and subjects of ``subjects``
    # without any assessment, are not evaluable (NE)
    base_ids = assessments.loc[
        assessments["ABLFL"].fillna("").astype(str).eq("Y"), "USUBJID"
    ].astype(str)
    known = set(base_ids)
    if subjects is not None and len(subjects):
        known |= set(subjects["USUBJID"].astype(str))
    missing = sorted(known - set(subj["USUBJID"].astype(str)))
    if missing:
        extra = pd.DataFrame({"USUBJID": missing, "BOR": "NE", "BORN": 0, "NASSESS": 0})
        extra["MDTYPE"] = extra["USUBJID"].map(
            classified.drop_duplicates("USUBJID").set_index("USUBJID")["MDTYPE"]
            if len(classified)
            else {}
        )
        extra["MDTYPE"] = extra["MDTYPE"].fillna("NONE")
        subj = pd.concat([subj, extra], ignore_index=True)
    if subjects is not None and "POPCD" in subjects:
        subj["POPCD"] = subj["USUBJID"].map(subjects.set_index("USUBJID")["POPCD"])
    subj = subj.sort_values("USUBJID", kind="stable").reset_index(drop=True)
    pd_when = "first of the confirming pair" if s.pd_date == "first" else "confirming assessment"
    method = (
        f"{s.version} (Kumar S et al., Lancet Oncol 2016;17:e328-46); NE skipped when "
        f"confirming: {s.skip_ne_when_confirming}; "
        f"measurable disease by strict hierarchy (serum, urine, FLC, marrow, "
        f"plasmacytoma); PD from the running nadir; confirmation by the next evaluable assessment "
        f"before new therapy (window {s.confirmation_window_days or 'none'}; pPCL persistence "
        f"{s.ppcl_min_persistence_days} d; pPCL urine PR: reduction >= 90% "
        f"{'and' if s.ppcl_urine_pr_both else 'or'} < 200 mg/24 h"
        f"); VGPR dFLC {'>=' if s.vgpr_dflc_inclusive else '>'} "
        f"90%; serum PD absolute {'>=' if s.pd_absolute_inclusive else '>'} 0.5 g/dL; marrow "
        f"carried forward: {s.carry_forward_marrow}; IFE interference: "
        f"{s.ife_interference.replace('cap_vgpr', 'response capped at VGPR').replace('_', ' ')}; "
        f"unconfirmed PD at the last assessment: "
        f"{s.unconfirmed_pd_at_last_assessment.replace('_', ' ').replace(' pd ', ' PD ')}; "
        f"PD date: {pd_when}"
    )
    return ImwgResult(
        assessments=confirmed,
        subjects=subj,
        settings=s,
        criteria=s.version,
        method=method,
    )
