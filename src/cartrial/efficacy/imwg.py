"""IMWG 2016 response per assessment, confirmation, best confirmed response and event dates.

Rules: IMWG 2016 (Kumar et al., Lancet Oncol 2016;
17:e328-e346) and, for the pPCL population, the IMWG 2013 PCL consensus (Fernandez de
Larrea et al., Leukemia 2013;27:780-91). Confirmation logic follows pharmaverse admiralonco
``vignettes/adrs_imwg.Rmd``. Open decisions are fields of :class:`ImwgSettings`.

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

from cartrial.efficacy.imwg_rules import IMWG_2016, RESPONSE_ORDER, RESPONSES, ImwgThresholds
from cartrial.errors import InputError, RecordError
from cartrial.protocol.model import ImwgSettings

NUMERIC_COLUMNS = ("SPEP", "UPEP", "KAPPA", "LAMBDA", "FLCRATIO", "BMPC", "SPD", "PBPC")
FLAG_COLUMNS = ("BMCLONAL", "NEWLES", "IFEINTF")
IFE_COLUMNS = ("SIFE", "UIFE")
_FLC_RATIO_RTOL = 0.02  # reported ratio may be rounded; 2 % relative, or 0.01 absolute
_IFE_VALUES = {"POSITIVE", "NEGATIVE"}
_DIGITS = 9  # comparisons after rounding, as admiral's signif_digits
_R = RESPONSE_ORDER


@dataclass(frozen=True)
class ImwgResult:
    """Derived IMWG responses.

    ``assessments``: one row per post-baseline assessment with AVALC (response at the
    assessment), CONFC (confirmed response at it), PDTYPE, CONFFL, ANL01FL and the inputs used.
    ``subjects``: one row per subject with MDTYPE, POPCD, BOR (best confirmed response),
    FRSPDT (first of the assessments confirming PR or better), FCRDT (first confirmed CR or
    better), PDDT (first of the assessments confirming PD), RELCRDT (relapse from CR),
    LSTADT (last adequate assessment before new therapy) and NACTDT.
    """

    assessments: pd.DataFrame
    subjects: pd.DataFrame
    settings: ImwgSettings
    criteria: str
    method: str


def _err(row: pd.Series, variable: str, value: object, rule: str, hint: str | None = None) -> None:
    dom = row.get("SRCDOM") if isinstance(row.get("SRCDOM"), str) else "IMWG input"
    seq = row.get("SRCSEQ") if "SRCSEQ" in row.index else row.name
    own = row.get(f"SEQ_{variable}")  # the source record of this very value, when known
    if own is not None and own == own:
        seq = own
    if isinstance(seq, float) and seq.is_integer():
        seq = int(seq)
    raise RecordError(
        domain=dom,
        usubjid=str(row["USUBJID"]),
        seq=seq,
        variable=variable,
        value=value,
        rule=rule,
        hint=hint,
    )


def _prepare(assessments: pd.DataFrame) -> pd.DataFrame:
    """Check the input frame (rule 8 of issue #6) and add absent optional columns."""
    missing = [c for c in ("USUBJID", "ADT", "ABLFL") if c not in assessments.columns]
    if missing:
        raise InputError(f"IMWG input lacks required column(s) {missing}")
    df = assessments.copy()
    if not pd.api.types.is_datetime64_any_dtype(df["ADT"]):
        raise InputError(f"ADT must be datetime64 (got {df['ADT'].dtype}); convert dates first")
    for c in NUMERIC_COLUMNS:
        if c not in df.columns:
            df[c] = np.nan
        num = pd.to_numeric(df[c], errors="coerce").astype(float)
        text = df[c].notna() & num.isna()
        for _, row in df[text].head(1).iterrows():
            _err(row, c, row[c], f"{c} must be a number")
        df[c] = num
    for c in IFE_COLUMNS:
        if c not in df.columns:
            df[c] = None
    for c in FLAG_COLUMNS:
        if c not in df.columns:
            df[c] = pd.NA
    for _, row in df[df["ADT"].isna()].iterrows():
        _err(row, "ADT", None, "assessment without a date")
    for c in NUMERIC_COLUMNS:
        bad = df[df[c] < 0]
        for _, row in bad.head(1).iterrows():
            _err(row, c, row[c], f"{c} must be >= 0 (a negative measurement is impossible)")
    for c in IFE_COLUMNS:
        v = df[c]
        present = v.notna()
        norm = v.where(~present, v.astype(str).str.strip().str.upper())
        empty = present & (norm == "")
        for _, row in df[empty].head(1).iterrows():
            _err(row, c, row[c], "immunofixation record without a result (POSITIVE/NEGATIVE)")
        bad = present & ~norm.isin(_IFE_VALUES) & ~empty
        for _, row in df[bad].head(1).iterrows():
            _err(row, c, row[c], "immunofixation result must be POSITIVE or NEGATIVE")
        df[c] = norm
    calc = df["KAPPA"] / df["LAMBDA"]
    given = df["FLCRATIO"].notna() & calc.notna() & np.isfinite(calc)
    off = given & ~np.isclose(df["FLCRATIO"], calc, rtol=_FLC_RATIO_RTOL, atol=0.01)
    for _, row in df[off].head(1).iterrows():
        _err(
            row,
            "FLCRATIO",
            row["FLCRATIO"],
            f"kappa/lambda ratio inconsistent with KAPPA {row['KAPPA']} / LAMBDA {row['LAMBDA']}"
            f" = {row['KAPPA'] / row['LAMBDA']:.4g}",
        )
    bl = df["ABLFL"].fillna("").astype(str).eq("Y")
    df["_BL"] = bl
    nbl = df.groupby("USUBJID")["_BL"].transform("sum")
    for _, row in df[nbl == 0].head(1).iterrows():
        _err(row, "ABLFL", None, "subject has no baseline assessment (ABLFL = 'Y')")
    for _, row in df[bl & (nbl > 1)].head(1).iterrows():
        _err(row, "ABLFL", "Y", "subject has more than one baseline assessment")
    bdate = df.loc[bl].set_index("USUBJID")["ADT"]
    before = ~bl & (df["ADT"] <= df["USUBJID"].map(bdate))
    for _, row in df[before].head(1).iterrows():
        _err(
            row,
            "ADT",
            row["ADT"],
            f"assessment on or before the baseline assessment ({bdate[row['USUBJID']].date()})",
        )
    dup = df.duplicated(["USUBJID", "ADT"], keep=False)
    for _, row in df[dup].head(1).iterrows():
        _err(row, "ADT", row["ADT"], "two assessments of one subject on the same date")
    for c in FLAG_COLUMNS:
        df[c] = df[c].map(_flag)
    return df.sort_values(["USUBJID", "ADT"], kind="stable").reset_index(drop=True)


def _flag(v: object) -> float:
    """True/'Y'/1 -> 1.0, False/'N'/0 -> 0.0, missing -> NaN."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return np.nan
    if isinstance(v, str):
        u = v.strip().upper()
        if u in ("Y", "YES", "TRUE", "POSITIVE"):
            return 1.0
        if u in ("N", "NO", "FALSE", "NEGATIVE"):
            return 0.0
        if u == "":
            return np.nan
        raise InputError(f"flag value {v!r} is not Y/N")
    return 1.0 if bool(v) else 0.0


def measurable_disease(
    baseline: pd.DataFrame, thresholds: ImwgThresholds | None = None
) -> pd.DataFrame:
    """Baseline measurable-disease type per subject (IMWG 2016, strict order).

    Returns USUBJID, MDTYPE (SERUM_URINE, SERUM, URINE, FLC, MARROW, PLASMACYTOMA, NONE),
    FLCINV ("KAPPA"/"LAMBDA"/missing) and the baseline values B_* used later.
    """
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
    for c in ("SPEP", "UPEP", "KAPPA", "LAMBDA", "BMPC", "SPD", "PBPC"):
        out[f"B_{c}"] = b[c].to_numpy()
    return out


def _running_nadir(values: pd.DataFrame, base: pd.DataFrame, group: pd.Series) -> pd.DataFrame:
    """Lowest value before each assessment: baseline and earlier used assessments (4.3).

    ``values`` and ``base`` have the same columns (one per measurement); rows are sorted by
    subject and date. Vectorised over subjects and measurements.
    """
    # cummin skips NaN but leaves NaN at NaN positions: forward-fill the running minimum
    prior = values.groupby(group).shift(1).groupby(group).cummin().groupby(group).ffill()
    return pd.DataFrame(
        np.fmin(prior.to_numpy(), base.to_numpy()), index=values.index, columns=values.columns
    )


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
    """
    s = settings or ImwgSettings()
    t = thresholds or IMWG_2016
    df = _prepare(assessments)
    base = measurable_disease(df[df["_BL"]], t)
    post = df[~df["_BL"]].merge(base, on="USUBJID", how="left")
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
    post = post.reset_index(drop=True)
    p = post  # alias; rows not used (after new therapy) are classified but ignored later

    if s.carry_forward_marrow:
        for c in ("BMPC", "BMCLONAL"):
            p[c + "_USED"] = p.groupby("USUBJID")[c].ffill()
    else:
        p["BMPC_USED"] = p["BMPC"]
        p["BMCLONAL_USED"] = p["BMCLONAL"]
    ppcl = p["POPCD"].fillna("").eq("PPCL")
    md = p["MDTYPE"]
    serum_m = md.isin(["SERUM_URINE", "SERUM"])
    urine_m = md.isin(["SERUM_URINE", "URINE"])
    flc_m = md.eq("FLC")
    marrow_m = md.eq("MARROW")
    pct_m = md.eq("PLASMACYTOMA")

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
    # boundaries are inclusive as printed: round away floating-point noise (2.0 -> 1.0 is 50 %)
    r_s, r_u, r_f, r_b, r_p, ratio = (x.round(_DIGITS) for x in (r_s, r_u, r_f, r_b, r_p, ratio))
    p["PCHG_SPEP"] = -100 * r_s
    p["PCHG_UPEP"] = -100 * r_u
    p["PCHG_DFLC"] = -100 * r_f
    ratio_normal = (ratio >= t.flc_ratio_low) & (ratio <= t.flc_ratio_high)

    # --- serological components (True when the component does not apply) ---
    vgpr_f = (
        (r_f >= t.vgpr_dflc_reduction) if s.vgpr_dflc_inclusive else (r_f > t.vgpr_dflc_reduction)
    )
    s_pr = ~serum_m | (r_s >= t.pr_serum_reduction)
    s_vgpr = (
        ~serum_m | (r_s >= t.vgpr_serum_reduction) | ((p["SPEP"] == 0) & p["SIFE"].eq("POSITIVE"))
    )
    s_mr = ~serum_m | (r_s >= t.mr_serum_reduction)
    u90 = r_u >= t.pr_urine_reduction
    u200 = p["UPEP"] < t.pr_urine_below_mg_24h
    # myeloma: >= 90 % or < 200 mg/24 h (4.2); PCL table (5): >= 90 % and < 200 mg/24 h
    u_pr = ~urine_m | np.where(ppcl & s.ppcl_urine_pr_both, u90 & u200, u90 | u200)
    # VGPR needs urine < 100 mg/24 h; when urine was not measurable it only fails if measured high
    u_vgpr = np.where(
        urine_m,
        p["UPEP"] < t.vgpr_urine_below_mg_24h,
        ~(p["UPEP"] >= t.vgpr_urine_below_mg_24h),
    )
    u_mr = ~urine_m | (r_u >= t.mr_urine_reduction)
    f_pr = ~flc_m | (r_f >= t.pr_dflc_reduction)
    f_vgpr = ~flc_m | vgpr_f
    m_pr = ~marrow_m | (r_b >= t.pr_marrow_reduction)
    pc_pr = ~pct_m | (r_p >= t.pr_spd_reduction)

    pr = s_pr & u_pr & f_pr & m_pr & pc_pr
    vgpr = pr & s_vgpr & u_vgpr & f_vgpr & ~marrow_m & ~pct_m
    mr = (serum_m | urine_m) & s_mr & u_mr & ~flc_m
    sife_neg = p["SIFE"].eq("NEGATIVE")
    interf = p["SIFE"].eq("POSITIVE") & p["IFEINTF"].eq(1.0)
    if s.ife_interference == "ignore_positive":
        sife_neg = sife_neg | interf
    cr = (
        sife_neg
        & p["UIFE"].eq("NEGATIVE")
        & (p["BMPC_USED"] < t.cr_marrow_pc_below_pct)
        & (~flc_m | ratio_normal)
        & ~(p["SPD"] > 0)
        & (pr | marrow_m | pct_m | flc_m)
    )
    scr = cr & ratio_normal & p["BMCLONAL_USED"].eq(0.0)
    level = np.select(
        [scr, cr, vgpr, pr, mr],
        [_R["sCR"], _R["CR"], _R["VGPR"], _R["PR"], _R["MR"]],
        _R["SD"],
    ).astype(int)
    p["IFEINTFL"] = np.where(
        interf & (s.ife_interference == "cap_vgpr") & (level >= _R["VGPR"]), "Y", None
    )

    # --- caps: plasmacytoma present at baseline (4.2) ---
    has_pct = p["B_SPD"] > 0
    cap_pct = np.select(
        [p["SPD"] == 0, r_p >= t.pr_spd_reduction], [_R["sCR"], _R["VGPR"]], _R["SD"]
    )
    level = np.where(has_pct & ~pct_m, np.minimum(level, cap_pct), level)

    # --- caps: pPCL blood and marrow plasma cells (IMWG 2013 PCL) ---
    pb = p["PBPC"]
    pb_pr_ok = (
        (pb <= t.ppcl_pr_blood_pc_max_pct)
        if s.ppcl_blood_pc_5pct_is_pr
        else (pb < t.ppcl_pr_blood_pc_max_pct)
    )
    cap_pb = np.select([pb == 0, pb_pr_ok], [_R["sCR"], _R["PR"]], _R["SD"])
    bm = p["BMPC_USED"]
    cap_bm = np.select(
        [bm < t.cr_marrow_pc_below_pct, bm <= t.ppcl_pr_marrow_pc_max_pct, bm.isna()],
        [_R["sCR"], _R["PR"], _R["PR"]],
        _R["SD"],
    )
    level = np.where(ppcl, np.minimum(level, np.minimum(cap_pb, cap_bm)), level)
    p["PBPC5FL"] = np.where(ppcl & (pb == t.ppcl_pr_blood_pc_max_pct), "Y", None)

    # --- not evaluable: nothing measured for the followed parameters ---
    followed_missing = np.select(
        [
            md.eq("SERUM_URINE"),
            md.eq("SERUM"),
            md.eq("URINE"),
            flc_m,
            marrow_m,
            pct_m,
        ],
        [
            p["SPEP"].isna() & p["UPEP"].isna(),
            p["SPEP"].isna(),
            p["UPEP"].isna(),
            p["DFLC"].isna(),
            p["BMPC"].isna(),
            p["SPD"].isna(),
        ],
        True,
    )
    level = np.where(followed_missing, _R["NE"], level)

    # --- progression from the nadir (4.3; PCL 5) ---
    used = p["ANL01FL"].eq("Y")
    cols = ["SPEP", "UPEP", "DFLC", "BMPC", "SPD", "PBPC"]
    nadirs = _running_nadir(p[cols].where(used, axis=0), p[[f"B_{c}" for c in cols]], p["USUBJID"])
    for c in cols:
        p[f"N_{c}"] = nadirs[c]
    rel = t.pd_relative_increase
    d_s = (p["SPEP"] - p["N_SPEP"]).round(_DIGITS)
    abs_s = t.pd_serum_abs_g_dl
    abs_ok = (d_s >= abs_s) if s.pd_absolute_inclusive else (d_s > abs_s)
    # >= 25 % with >= 0.5 g/dL; or >= 1 g/dL alone when the nadir was >= 5 g/dL
    pd_s = ((d_s >= (rel * p["N_SPEP"]).round(_DIGITS)) & abs_ok) | (
        (p["N_SPEP"] >= t.pd_serum_high_nadir_g_dl) & (d_s >= t.pd_serum_abs_high_nadir_g_dl)
    )
    d_u = (p["UPEP"] - p["N_UPEP"]).round(_DIGITS)
    pd_u = (d_u >= (rel * p["N_UPEP"]).round(_DIGITS)) & (d_u >= t.pd_urine_abs_mg_24h)
    d_f = (p["DFLC"] - p["N_DFLC"]).round(_DIGITS)
    pd_f = flc_m & (d_f >= (rel * p["N_DFLC"]).round(_DIGITS)) & (d_f > t.pd_dflc_abs_mg_dl)
    d_b = (p["BMPC"] - p["N_BMPC"]).round(_DIGITS)
    pd_b = (
        (marrow_m | ppcl)
        & (d_b >= (rel * p["N_BMPC"]).round(_DIGITS))
        & (d_b >= t.pd_marrow_abs_pct)
    )
    d_pb = (p["PBPC"] - p["N_PBPC"]).round(_DIGITS)
    pd_pb = ppcl & (d_pb > t.ppcl_pd_blood_pc_abs_pct)
    n_spd = p["N_SPD"]
    pd_spd = ((n_spd > 0) & (p["SPD"] >= (1 + t.pd_spd_increase) * n_spd)) | (
        (n_spd == 0) & (p["SPD"] > 0)
    )
    pd_img = p["NEWLES"].eq(1.0) | pd_spd
    pd_lab = pd_s | pd_u | pd_f | pd_pb
    p["PDTYPE"] = np.select([pd_img, pd_b & ~pd_lab, pd_lab], ["IMAGING", "MARROW", "LAB"], None)
    is_pd = pd_img | pd_lab | pd_b
    level = np.where(is_pd, _R["PD"], level)
    p["AVALC"] = np.asarray(RESPONSES, dtype=object)[level]
    p["AVALN"] = level
    p["NEEDCONF"] = np.where(is_pd, ~(pd_img | (pd_b & ~pd_lab)), ~(marrow_m | pct_m)) & (
        level != _R["NE"]
    )
    p["PPCLFL"] = np.where(ppcl, "Y", None)
    return p.drop(columns=["_BL"])


def confirm_responses(
    classified: pd.DataFrame, settings: ImwgSettings | None = None
) -> pd.DataFrame:
    """Confirmed response at each assessment (4.4; admiralonco ``adrs_imwg``).

    A response needs the next evaluable assessment (NE skipped, before new therapy, within
    ``confirmation_window_days`` when set; for pPCL the confirming assessment is the first at
    least ``ppcl_min_persistence_days`` later and every assessment in between counts) to be at
    least as good: the confirmed category is the minimum over them, and any PD among them gives
    SD. PD needs the next evaluable assessment to be PD too; imaging and marrow results need
    no confirmation. Adds CONFN, CONFC and CONFFL.
    """
    s = settings or ImwgSettings()
    p = classified.copy()
    keep = p["ANL01FL"].eq("Y")
    if s.skip_ne_when_confirming:
        keep &= p["AVALN"] != _R["NE"]
    # with NE kept, an NE next assessment (level 0) confirms nothing: min <= PD gives SD
    ev = p[keep][["USUBJID", "ADT", "AVALN", "PPCLFL"]].copy()
    ev["_k"] = ev.groupby("USUBJID").cumcount()
    ev["_i"] = ev.index
    pairs = ev.merge(ev, on="USUBJID", suffixes=("", "_j"))
    pairs = pairs[pairs["_k_j"] > pairs["_k"]]
    gap = (pairs["ADT_j"] - pairs["ADT"]).dt.days
    min_gap = np.where(pairs["PPCLFL"].eq("Y"), s.ppcl_min_persistence_days, 0)
    pairs = pairs.assign(_gap=gap, _reach=gap >= min_gap)
    # end of the confirming stretch: the first later assessment at or beyond the minimum gap
    first_reach = pairs[pairs["_reach"]].groupby("_i")["_k_j"].min()
    pairs["_end"] = pairs["_i"].map(first_reach)
    stretch = pairs[pairs["_k_j"] <= pairs["_end"]]
    end_rows = stretch[stretch["_k_j"] == stretch["_end"]].set_index("_i")
    in_window = (
        end_rows["_gap"] <= s.confirmation_window_days
        if s.confirmation_window_days is not None
        else pd.Series(True, index=end_rows.index)
    )
    min_later = stretch.groupby("_i")["AVALN_j"].min()
    next_row = pairs[pairs["_k_j"] == pairs["_k"] + 1].set_index("_i")

    lvl = p["AVALN"].to_numpy()
    idx = p.index
    has_conf = idx.isin(end_rows.index[in_window.to_numpy()])
    mn = min_later.reindex(idx).to_numpy()
    nxt = next_row["AVALN_j"].reindex(idx).to_numpy()
    nxt_gap = next_row["_gap"].reindex(idx).to_numpy()
    nxt_ok = ~np.isnan(nxt)
    if s.confirmation_window_days is not None:
        nxt_ok &= nxt_gap <= s.confirmation_window_days
    needs = p["NEEDCONF"].to_numpy(dtype=bool)
    used = p["ANL01FL"].eq("Y").to_numpy() & (lvl != _R["NE"])

    conf_resp = np.where(
        has_conf, np.where(mn <= _R["PD"], _R["SD"], np.minimum(lvl, np.nan_to_num(mn))), _R["SD"]
    )
    conf_resp = np.where(needs, conf_resp, lvl)
    pd_confirmed = (~needs) | (nxt_ok & (nxt == _R["PD"]))
    last = np.isnan(nxt)  # no later evaluable assessment before new therapy
    if s.unconfirmed_pd_at_last_assessment == "progression":
        pd_confirmed = pd_confirmed | last
    elif s.unconfirmed_pd_at_last_assessment == "progression_if_pd_death":
        # admiralonco adrs_imwg: PD followed by death due to progression (before new therapy)
        died_pd = p["DTHPDFL"].eq("Y").to_numpy() & p["DTHDT"].notna().to_numpy()
        before_nact = (p["NACTDT"].isna() | (p["DTHDT"] < p["NACTDT"])).to_numpy()
        pd_confirmed = pd_confirmed | (last & died_pd & before_nact)
    conf_pd = np.where(pd_confirmed, _R["PD"], _R["NE"])
    conf = np.where(lvl == _R["PD"], conf_pd, conf_resp)
    conf = np.where(used, conf, _R["NE"]).astype(int)
    p["CONFN"] = conf
    p["CONFC"] = np.asarray(RESPONSES, dtype=object)[conf]
    # date of the assessment (or death) that confirmed it; own date when none is needed
    next_adt = next_row["ADT_j"].reindex(idx)
    end_adt = end_rows["ADT_j"].reindex(idx)
    own = p["ADT"]
    pd_conf_dt = np.where(
        ~needs, own, np.where(nxt_ok & (nxt == _R["PD"]), next_adt, np.where(last, p["DTHDT"], own))
    )
    if s.unconfirmed_pd_at_last_assessment == "progression":
        pd_conf_dt = np.where(needs & last, own, pd_conf_dt)
    resp_conf_dt = np.where(needs, end_adt, own)
    confadt = np.where(lvl == _R["PD"], pd_conf_dt, resp_conf_dt)
    p["CONFADT"] = pd.to_datetime(pd.Series(confadt, index=idx)).where(conf != _R["NE"])
    p["CONFFL"] = np.where(used & ((conf == lvl) | ~needs) & (conf != _R["NE"]), "Y", None)
    return p


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
    p = confirmed
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
    """
    s = settings or ImwgSettings()
    classified = classify_assessments(assessments, subjects, s)
    confirmed = confirm_responses(classified, s)
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
        f"{s.ppcl_min_persistence_days} d, urine PR {'and' if s.ppcl_urine_pr_both else 'or'}"
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
