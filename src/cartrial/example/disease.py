"""Myeloma burden over time (M-protein, FLC, immunofixation, marrow, MRD, blood plasma cells)
and the IMWG 2016 responses those values yield.

Each infused patient has a measurable-disease type (serum, urine-only, FLC-only), a response
depth and a progression time; the trajectories realise them. The truth response per assessment
is recomputed from the written values by :func:`imwg_category`, a small independent
implementation of Kumar S et al., Lancet Oncol 2016;17:e328-46 (and Leukemia
2013;27:780-91 for the blood plasma cells of pPCL), confirmed by two consecutive assessments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RANKS = ["sCR", "CR", "VGPR", "PR", "MR", "SD", "PD"]
FLC_NORMAL = (0.26, 1.65)
SERUM_DETECT_G_L = 1.0      # electrophoresis detection limit
SERUM_IFE_G_L = 0.05        # immunofixation detects lower amounts
URINE_DETECT_MG = 20.0
URINE_IFE_MG = 2.0


def plan_disease(rng: np.random.Generator, mdtype: np.ndarray, ppcl: np.ndarray,
                 response_probs: tuple[float, ...], early_prog: float, pfs_months: float,
                 mrd_neg: float) -> pd.DataFrame:
    """Per-patient disease parameters: baseline burden, depth, kinetics, progression day."""
    n = len(mdtype)
    serum = mdtype == "SERUM"
    urine = mdtype == "URINE"
    flc = mdtype == "FLC"
    s0 = np.where(serum, np.clip(rng.lognormal(np.log(32), 0.45, n), 11, 95), 0.0)
    u0 = np.where(urine, np.clip(rng.lognormal(np.log(900), 0.6, n), 420, 6000),
                  np.where(serum, rng.uniform(20, 90, n), 0.0))
    inv0 = np.where(flc, np.clip(rng.lognormal(np.log(700), 0.7, n), 180, 8000),
                    rng.uniform(60, 400, n))
    uninv = rng.uniform(4, 9, n)
    p = np.asarray(response_probs, float)
    depth = rng.choice(6, n, p=p / p.sum())      # 0 CR-depth, 1 VGPR, 2 PR, 3 MR, 4 SD, 5 PD
    fmin = np.select([depth == 0, depth == 1, depth == 2, depth == 3, depth == 4],
                     [0.0, rng.uniform(0.02, 0.07, n), rng.uniform(0.15, 0.42, n),
                      rng.uniform(0.55, 0.70, n), rng.uniform(0.80, 0.98, n)], 1.0)
    fmin = np.where(urine & (depth == 1), np.minimum(fmin, 60 / np.maximum(u0, 1)), fmin)
    tau = rng.uniform(7, 22, n)
    resp = depth <= 2
    t_pd = np.where(resp, rng.exponential(pfs_months * 30.4375 / np.log(2), n) + 60,
                    rng.exponential(110, n) + 35)
    early = resp & (rng.random(n) < early_prog)
    t_pd = np.where(early, rng.uniform(45, 100, n), t_pd)
    t_pd = np.where(depth == 5, 0.0, t_pd)
    bm0 = rng.uniform(12, 70, n)
    pb0 = np.where(ppcl, rng.uniform(6, 40, n), 0.0)
    return pd.DataFrame({"mdtype": mdtype, "ppcl": ppcl, "s0": s0, "u0": u0, "inv0": inv0,
                         "uninv": uninv, "depth": depth, "fmin": fmin, "tau": tau,
                         "t_pd": t_pd, "bm0": bm0, "pb0": pb0,
                         "mrd_capable": rng.random(n) < mrd_neg,
                         "growth": rng.uniform(20, 45, n)})


def remaining_fraction(d: pd.DataFrame, pat: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Fraction of the baseline clone left at day ``t`` (decline, nadir, regrowth after PD)."""
    fmin = d["fmin"].to_numpy()[pat]
    tau = d["tau"].to_numpy()[pat]
    tpd = d["t_pd"].to_numpy()[pat]
    g = d["growth"].to_numpy()[pat]
    t = np.asarray(t, float)
    dec = lambda x: fmin + (1 - fmin) * np.exp(-np.maximum(x, 0) / tau)  # noqa: E731
    base = dec(np.minimum(t, tpd))
    regrow = np.where(t > tpd, np.maximum(base, 0.02) * np.expm1((t - tpd) / g) + 0.0, 0.0)
    regrow = np.where((t > tpd) & (fmin == 0), 0.04 * np.expm1((t - tpd) / g) * 4 + 0.0, regrow)
    return np.minimum(base + regrow, 3.0)


def imwg_category(a: pd.DataFrame) -> np.ndarray:
    """IMWG 2016 category per assessment row (Kumar S et al. 2016; pPCL: Leukemia 2013).

    ``a`` is sorted by patient and date and holds the standard-unit values written: ``S`` serum
    M-protein g/L, ``U`` urine mg/24 h, ``K``/``L`` FLC mg/L, ``SIFE``/``UIFE`` (True =
    positive), ``BM`` marrow plasma cells % (carried forward), ``CLON`` clonal marrow,
    ``PB`` blood plasma cells %, with the baseline values ``S0 U0 INV0 DFLC0`` and ``mdtype``.
    Baseline rows must be excluded by the caller; the running nadir includes the baseline.
    """
    md = a["mdtype"].to_numpy()
    S, U = a["S"].to_numpy(float), a["U"].to_numpy(float)
    kap, lam = a["K"].to_numpy(float), a["L"].to_numpy(float)
    ratio = kap / lam
    light = a["light"].to_numpy()
    inv = np.where(light == "KAPPA", kap, lam)
    unv = np.where(light == "KAPPA", lam, kap)
    dflc = inv - unv
    S0, U0, D0 = a["S0"].to_numpy(float), a["U0"].to_numpy(float), a["DFLC0"].to_numpy(float)
    sife, uife = a["SIFE"].to_numpy(bool), a["UIFE"].to_numpy(bool)
    bm = a["BM"].to_numpy(float)
    clon = a["CLON"].to_numpy(bool)
    normal_ratio = (ratio >= FLC_NORMAL[0]) & (ratio <= FLC_NORMAL[1])
    cr = ~sife & ~uife & (bm < 5)
    cr = np.where(md == "FLC", cr & normal_ratio, cr)
    scr = cr & normal_ratio & ~clon
    with np.errstate(divide="ignore", invalid="ignore"):  # compare after rounding (admiral)
        rs = np.round(1 - S / S0, 9)
        ru = np.round(1 - U / U0, 9)
        rf = np.round(1 - dflc / D0, 9)
    u_ok100 = ~(U >= 100)
    vg_s = ((S == 0) & sife) | ((rs >= 0.9) & u_ok100)
    vg_u = ((U == 0) & uife) | (U < 100)
    vg_f = rf >= 0.9
    pcl = a["ppcl"].to_numpy(bool)
    # urine PR: IMWG 2016 ">= 90 % or < 200 mg/24 h"; PCL table (Leukemia 2013) ">= 90 % and < 200"
    pr_u = np.where(pcl, (ru >= 0.9) & (U < 200), (ru >= 0.9) | (U < 200))
    pr_s, pr_f = rs >= 0.5, rf >= 0.5
    mr_s, mr_u = rs >= 0.25, ru >= 0.5
    vgpr = np.select([md == "SERUM", md == "URINE"], [vg_s, vg_u], vg_f)
    pr = np.select([md == "SERUM", md == "URINE"], [pr_s, pr_u], pr_f)
    mr = np.select([md == "SERUM", md == "URINE"], [mr_s, mr_u], False)
    vgpr &= pr   # categories are nested: VGPR also meets PR (matters for the PCL urine rule)
    cat = np.select([scr, cr, vgpr, pr, mr], [0, 1, 2, 3, 4], 5)
    # progression from the running nadir (baseline included), IMWG 2016 PD
    g = a["pat"].to_numpy()
    val = np.select([md == "SERUM", md == "URINE"], [S, U], dflc)
    base = np.select([md == "SERUM", md == "URINE"], [S0, U0], D0)
    nadir = _prior_min(g, val, base)
    inc = np.round(val - nadir, 9)
    abs_thr = np.select([md == "SERUM", md == "URINE"],
                        [np.where(nadir >= 50, 10.0, 5.0), 200.0], 100.0)
    rel_ok = inc >= np.round(0.25 * nadir, 9)
    abs_ok = np.where(md == "FLC", inc > abs_thr, inc >= abs_thr)
    prog = rel_ok & abs_ok
    # pPCL: blood plasma cells (IMWG 2013 PCL): > 0 caps at PR, > 5 % caps at SD, +5 % is PD
    pb = a["PB"].to_numpy(float)
    pb_nadir = _prior_min(g, pb, a["PB0"].to_numpy(float))
    cap = np.where(pb > 5, 5, np.where(pb > 0, 3, 0))
    cat = np.where(pcl, np.maximum(cat, cap), cat)
    prog |= pcl & (np.round(pb - pb_nadir, 9) > 5)
    return np.where(prog, 6, cat)


def _prior_min(group: np.ndarray, val: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Minimum of the baseline and every earlier value of the same patient."""
    s = pd.Series(val)
    prev = s.groupby(group).shift(1)
    cm = prev.fillna(np.inf).groupby(group).cummin().to_numpy()
    return np.minimum(cm, base)


NE = 7            # code of "not evaluable" after the seven categories of RANKS
PCL_PERSISTENCE_DAYS = 42


def confirm(pat: np.ndarray, cat: np.ndarray, day: np.ndarray | None = None,
            min_gap: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Confirmed category per assessment (IMWG 2016, admiralonco ``adrs_imwg``).

    A response is confirmed by the following assessments up to the first one at least
    ``min_gap`` days later (the next one when 0; 42 days for pPCL, IMWG 2013 "maintained >= 6
    weeks"): the confirmed category is the worst over that stretch, and any PD in it gives SD;
    without such an assessment the response counts as SD. PD needs the next assessment to be PD,
    otherwise it is NE (code :data:`NE`). Returns (confirmed code, has-next-assessment).
    """
    pat = np.asarray(pat)
    cat = np.asarray(cat, dtype=int)
    n = len(cat)
    day = np.arange(n, dtype=float) if day is None else np.asarray(day, dtype=float)
    gap = np.zeros(n) if min_gap is None else np.asarray(min_gap, dtype=float)
    idx = np.arange(n)
    worst = np.full(n, -1)
    nxt = np.full(n, -1)
    found = np.zeros(n, dtype=bool)
    for k in range(1, n):
        j = np.minimum(idx + k, n - 1)
        same = (idx + k < n) & (pat[j] == pat)
        if not same.any():
            break
        if k == 1:
            nxt = np.where(same, cat[j], -1)
        active = same & ~found
        worst = np.where(active, np.maximum(worst, cat[j]), worst)
        found |= active & (day[j] - day >= gap)
    resp = np.where(found, np.where(worst == 6, 5, np.maximum(cat, worst)), np.maximum(cat, 5))
    prog = np.where(nxt == 6, 6, NE)
    return np.where(cat == 6, prog, resp), nxt >= 0
