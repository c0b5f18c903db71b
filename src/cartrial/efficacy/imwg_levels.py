"""IMWG 2016 response categories at one assessment, before confirmation.

Kumar S et al., Lancet Oncol 2016;17:e328-46 (response table) and, for pPCL, Fernandez de
Larrea C et al., Leukemia 2013;27:780-91. The measurable-disease type at baseline decides which
parameters are followed (:func:`measurable_disease`); each assessment's reductions from
baseline give sCR, CR, VGPR, PR, MR or SD (:func:`response_category`); a baseline plasmacytoma
and, for pPCL, blood and marrow plasma cells cap the category (:func:`apply_caps`); nothing
measured for the followed parameters is NE (:func:`not_evaluable`). Thresholds are data
(:class:`~cartrial.efficacy.imwg_rules.ImwgThresholds`), open decisions settings
(:class:`~cartrial.protocol.model.ImwgSettings`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartrial.efficacy.imwg_rules import IMWG_2016, RESPONSE_ORDER, ImwgThresholds
from cartrial.errors import require_columns
from cartrial.protocol.model import ImwgSettings

RANK = RESPONSE_ORDER
#: the baseline values :func:`measurable_disease` reads
BASELINE_COLUMNS = ("SPEP", "UPEP", "KAPPA", "LAMBDA", "BMPC", "SPD", "PBPC")
#: comparisons after rounding to this many digits, as admiral's ``signif_digits``
DIGITS = 9


def measurable_disease(
    baseline: pd.DataFrame, thresholds: ImwgThresholds | None = None
) -> pd.DataFrame:
    """Baseline measurable-disease type per subject (IMWG 2016, strict order).

    Serum M-protein >= 1 g/dL and/or urine M-protein >= 200 mg/24 h; otherwise involved FLC
    >= 10 mg/dL with an abnormal kappa/lambda ratio; otherwise marrow plasma cells >= 30 %;
    otherwise a plasmacytoma (SPD > 0).

    Parameters
    ----------
    baseline : pandas.DataFrame
        One row per subject: USUBJID, SPEP (serum M-protein, g/dL), UPEP (urine M-protein,
        mg/24 h), KAPPA and LAMBDA (serum free light chains, mg/dL), BMPC (marrow plasma
        cells, %), SPD (plasmacytoma sum of products of diameters, mm^2), PBPC (blood plasma
        cells, %).
    thresholds : ImwgThresholds, optional
        The IMWG 2016 numbers when omitted.

    Returns
    -------
    pandas.DataFrame
        USUBJID, MDTYPE (SERUM_URINE, SERUM, URINE, FLC, MARROW, PLASMACYTOMA, NONE), FLCINV
        ("KAPPA" when kappa/lambda >= 1, else "LAMBDA"; missing without FLC) and the baseline
        values B_* used later.

    References
    ----------
    Kumar S, et al. International Myeloma Working Group consensus criteria for response and
    minimal residual disease assessment in multiple myeloma. Lancet Oncol 2016;17:e328-46.

    Examples
    --------
    >>> b = pd.DataFrame({"USUBJID": ["01", "02", "03"], "SPEP": [1.2, 0.4, 0.2],
    ...                   "UPEP": [250.0, 50.0, 0.0], "KAPPA": [2.0, 30.0, 1.5],
    ...                   "LAMBDA": [1.0, 1.2, 1.0], "BMPC": [40.0, 10.0, 35.0],
    ...                   "SPD": 0.0, "PBPC": 0.0})
    >>> measurable_disease(b)["MDTYPE"].tolist()
    ['SERUM_URINE', 'FLC', 'MARROW']
    """
    require_columns(baseline, ("USUBJID", *BASELINE_COLUMNS), where="IMWG baseline")
    thr = thresholds or IMWG_2016
    b = baseline
    ratio = b["KAPPA"] / b["LAMBDA"]
    kappa_inv = ratio >= 1.0
    inv = np.where(kappa_inv, b["KAPPA"], b["LAMBDA"])
    abnormal = (ratio < thr.flc_ratio_low) | (ratio > thr.flc_ratio_high)
    serum = b["SPEP"] >= thr.serum_measurable_g_dl
    urine = b["UPEP"] >= thr.urine_measurable_mg_24h
    flc = ~serum & ~urine & (inv >= thr.flc_measurable_mg_dl) & abnormal
    marrow = ~serum & ~urine & ~flc & (b["BMPC"] >= thr.marrow_measurable_pct)
    pct = ~serum & ~urine & ~flc & ~marrow & (b["SPD"] > 0)
    mdtype = np.select(
        [serum & urine, serum, urine, flc, marrow, pct],
        ["SERUM_URINE", "SERUM", "URINE", "FLC", "MARROW", "PLASMACYTOMA"],
        "NONE",
    )
    out = pd.DataFrame(
        {
            "USUBJID": b["USUBJID"].to_numpy(),
            "MDTYPE": mdtype,
            "FLCINV": np.where(ratio.isna(), None, np.where(kappa_inv, "KAPPA", "LAMBDA")),
        }
    )
    for c in BASELINE_COLUMNS:
        out[f"B_{c}"] = b[c].to_numpy()
    return out


@dataclass(frozen=True)
class DiseaseType:
    """Which parameters each assessment follows (its subject's baseline measurable disease).

    Attributes
    ----------
    serum, urine, flc, marrow, plasmacytoma : pandas.Series
        Boolean per assessment (``SERUM_URINE`` counts as serum and urine).
    """

    serum: pd.Series
    urine: pd.Series
    flc: pd.Series
    marrow: pd.Series
    plasmacytoma: pd.Series

    @classmethod
    def of(cls, mdtype: pd.Series) -> DiseaseType:
        """The types of an ``MDTYPE`` column (:func:`measurable_disease`).

        Parameters
        ----------
        mdtype : pandas.Series
            MDTYPE per assessment.

        Returns
        -------
        DiseaseType
            The followed parameters.

        Examples
        --------
        >>> import pandas as pd
        >>> k = DiseaseType.of(pd.Series(["SERUM_URINE", "FLC"]))
        >>> k.serum.tolist(), k.urine.tolist(), k.flc.tolist()
        ([True, False], [True, False], [False, True])
        """
        return cls(serum=mdtype.isin(["SERUM_URINE", "SERUM"]),
                   urine=mdtype.isin(["SERUM_URINE", "URINE"]), flc=mdtype.eq("FLC"),
                   marrow=mdtype.eq("MARROW"), plasmacytoma=mdtype.eq("PLASMACYTOMA"))


@dataclass(frozen=True)
class Reductions:
    """Fractional reductions from baseline (1 - value / baseline), rounded to :data:`DIGITS`.

    Attributes
    ----------
    serum, urine, dflc, marrow, spd : pandas.Series
        Serum and urine M-protein, the difference between involved and uninvolved free light
        chains, marrow plasma cells (as carried forward) and plasmacytoma SPD.
    flc_ratio : pandas.Series
        The kappa/lambda ratio at the assessment.
    """

    serum: pd.Series
    urine: pd.Series
    dflc: pd.Series
    marrow: pd.Series
    spd: pd.Series
    flc_ratio: pd.Series


def reductions(p: pd.DataFrame) -> Reductions:
    """Reductions from baseline; adds DFLC, B_DFLC and PCHG_SPEP / PCHG_UPEP / PCHG_DFLC to ``p``.

    Parameters
    ----------
    p : pandas.DataFrame
        Post-baseline assessments with their baseline values (``B_*``), FLCINV and BMPC_USED.

    Returns
    -------
    Reductions
        Boundaries are inclusive as printed: floating-point noise is rounded away
        (2.0 -> 1.0 is a 50 % reduction).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        r_s = 1.0 - p["SPEP"] / p["B_SPEP"]
        r_u = 1.0 - p["UPEP"] / p["B_UPEP"]
        kappa_inv = p["FLCINV"].eq("KAPPA")
        inv = np.where(kappa_inv, p["KAPPA"], p["LAMBDA"])
        uninv = np.where(kappa_inv, p["LAMBDA"], p["KAPPA"])
        b_inv = np.where(kappa_inv, p["B_KAPPA"], p["B_LAMBDA"])
        b_uninv = np.where(kappa_inv, p["B_LAMBDA"], p["B_KAPPA"])
        p["DFLC"] = inv - uninv
        p["B_DFLC"] = b_inv - b_uninv
        r_f = 1.0 - p["DFLC"] / p["B_DFLC"]
        r_b = 1.0 - p["BMPC_USED"] / p["B_BMPC"]
        r_p = 1.0 - p["SPD"] / p["B_SPD"]
        ratio = p["KAPPA"] / p["LAMBDA"]
    r_s, r_u, r_f, r_b, r_p, ratio = (x.round(DIGITS) for x in (r_s, r_u, r_f, r_b, r_p, ratio))
    p["PCHG_SPEP"] = -100 * r_s
    p["PCHG_UPEP"] = -100 * r_u
    p["PCHG_DFLC"] = -100 * r_f
    return Reductions(r_s, r_u, r_f, r_b, r_p, ratio)


def _partial_responses(p: pd.DataFrame, r: Reductions, k: DiseaseType, ppcl: pd.Series,
                       s: ImwgSettings, t: ImwgThresholds) -> tuple:
    """PR, VGPR and MR met (each serological component True when it does not apply)."""
    vgpr_f = (r.dflc >= t.vgpr_dflc_reduction) if s.vgpr_dflc_inclusive else (
        r.dflc > t.vgpr_dflc_reduction)
    s_pr = ~k.serum | (r.serum >= t.pr_serum_reduction)
    s_vgpr = (~k.serum | (r.serum >= t.vgpr_serum_reduction)
              | ((p["SPEP"] == 0) & p["SIFE"].eq("POSITIVE")))
    s_mr = ~k.serum | (r.serum >= t.mr_serum_reduction)
    u90 = r.urine >= t.pr_urine_reduction
    u200 = p["UPEP"] < t.pr_urine_below_mg_24h
    # myeloma: >= 90 % or < 200 mg/24 h (4.2); PCL table (5): >= 90 % and < 200 mg/24 h
    u_pr = ~k.urine | np.where(ppcl & s.ppcl_urine_pr_both, u90 & u200, u90 | u200)
    # VGPR needs urine < 100 mg/24 h; when urine was not measurable it only fails if measured high
    u_vgpr = np.where(k.urine, p["UPEP"] < t.vgpr_urine_below_mg_24h,
                      ~(p["UPEP"] >= t.vgpr_urine_below_mg_24h))
    u_mr = ~k.urine | (r.urine >= t.mr_urine_reduction)
    f_pr = ~k.flc | (r.dflc >= t.pr_dflc_reduction)
    f_vgpr = ~k.flc | vgpr_f
    m_pr = ~k.marrow | (r.marrow >= t.pr_marrow_reduction)
    pc_pr = ~k.plasmacytoma | (r.spd >= t.pr_spd_reduction)
    pr = s_pr & u_pr & f_pr & m_pr & pc_pr
    vgpr = pr & s_vgpr & u_vgpr & f_vgpr & ~k.marrow & ~k.plasmacytoma
    mr = (k.serum | k.urine) & s_mr & u_mr & ~k.flc
    return pr, vgpr, mr


def response_category(p: pd.DataFrame, r: Reductions, k: DiseaseType, ppcl: pd.Series,
                      s: ImwgSettings, t: ImwgThresholds | None = None
                      ) -> tuple[np.ndarray, pd.Series]:
    """The response category (rank of ``RESPONSE_ORDER``) met at each assessment (4.2).

    Parameters
    ----------
    p : pandas.DataFrame
        Post-baseline assessments (after :func:`reductions`).
    r : Reductions
        Their reductions from baseline.
    k : DiseaseType
        The parameters followed.
    ppcl : pandas.Series
        True for assessments of pPCL subjects.
    s : ImwgSettings
        Open decisions (VGPR dFLC boundary, pPCL urine rule, IFE interference).
    t : ImwgThresholds, optional
        Thresholds (IMWG 2016 by default).

    Returns
    -------
    tuple
        The rank at each assessment (sCR ... SD; no caps, NE or PD yet) and whether a positive
        serum IFE is attributed to a therapeutic antibody.
    """
    t = t or IMWG_2016
    pr, vgpr, mr = _partial_responses(p, r, k, ppcl, s, t)
    ratio_normal = (r.flc_ratio >= t.flc_ratio_low) & (r.flc_ratio <= t.flc_ratio_high)
    sife_neg = p["SIFE"].eq("NEGATIVE")
    interf = p["SIFE"].eq("POSITIVE") & p["IFEINTF"].eq(1.0)
    if s.ife_interference == "ignore_positive":
        sife_neg = sife_neg | interf
    cr = (sife_neg & p["UIFE"].eq("NEGATIVE") & (p["BMPC_USED"] < t.cr_marrow_pc_below_pct)
          & (~k.flc | ratio_normal) & ~(p["SPD"] > 0) & (pr | k.marrow | k.plasmacytoma | k.flc))
    scr = cr & ratio_normal & p["BMCLONAL_USED"].eq(0.0)
    level = np.select([scr, cr, vgpr, pr, mr],
                      [RANK["sCR"], RANK["CR"], RANK["VGPR"], RANK["PR"], RANK["MR"]],
                      RANK["SD"]).astype(int)
    return level, interf


def apply_caps(p: pd.DataFrame, r: Reductions, k: DiseaseType, ppcl: pd.Series,
               level: np.ndarray, s: ImwgSettings, t: ImwgThresholds | None = None
               ) -> np.ndarray:
    """Cap the category by a baseline plasmacytoma (4.2) and pPCL plasma cells (2013 PCL).

    Adds PBPC5FL ("Y" where a pPCL subject's blood plasma cells are exactly at the PR limit).

    Parameters
    ----------
    p, r, k, ppcl
        As for :func:`response_category`.
    level : numpy.ndarray
        The category of :func:`response_category`.
    s : ImwgSettings
        Whether 5 % blood plasma cells is still PR.
    t : ImwgThresholds, optional
        Thresholds (IMWG 2016 by default).

    Returns
    -------
    numpy.ndarray
        The capped rank: a plasmacytoma still there caps at SD, one reduced by >= 50 % at VGPR;
        pPCL: blood plasma cells present cap at PR (above the PR limit at SD), marrow plasma
        cells >= 5 % at PR (above the PR limit at SD).
    """
    t = t or IMWG_2016
    has_pct = p["B_SPD"] > 0
    cap_pct = np.select([p["SPD"] == 0, r.spd >= t.pr_spd_reduction],
                        [RANK["sCR"], RANK["VGPR"]], RANK["SD"])
    level = np.where(has_pct & ~k.plasmacytoma, np.minimum(level, cap_pct), level)
    pb = p["PBPC"]
    pb_pr_ok = ((pb <= t.ppcl_pr_blood_pc_max_pct) if s.ppcl_blood_pc_5pct_is_pr
                else (pb < t.ppcl_pr_blood_pc_max_pct))
    cap_pb = np.select([pb == 0, pb_pr_ok], [RANK["sCR"], RANK["PR"]], RANK["SD"])
    bm = p["BMPC_USED"]
    cap_bm = np.select(
        [bm < t.cr_marrow_pc_below_pct, bm <= t.ppcl_pr_marrow_pc_max_pct, bm.isna()],
        [RANK["sCR"], RANK["PR"], RANK["PR"]], RANK["SD"])
    level = np.where(ppcl, np.minimum(level, np.minimum(cap_pb, cap_bm)), level)
    p["PBPC5FL"] = np.where(ppcl & (pb == t.ppcl_pr_blood_pc_max_pct), "Y", None)
    return level


def not_evaluable(p: pd.DataFrame, k: DiseaseType) -> np.ndarray:
    """True where nothing was measured for the parameters the subject is followed by.

    Parameters
    ----------
    p : pandas.DataFrame
        Post-baseline assessments (with MDTYPE and DFLC).
    k : DiseaseType
        The parameters followed.

    Returns
    -------
    numpy.ndarray
        Boolean per assessment; True also for subjects without measurable disease.
    """
    md = p["MDTYPE"]
    return np.select(
        [md.eq("SERUM_URINE"), md.eq("SERUM"), md.eq("URINE"), k.flc, k.marrow, k.plasmacytoma],
        [p["SPEP"].isna() & p["UPEP"].isna(), p["SPEP"].isna(), p["UPEP"].isna(),
         p["DFLC"].isna(), p["BMPC"].isna(), p["SPD"].isna()],
        True)
