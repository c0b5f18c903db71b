"""Haematology and chemistry around lymphodepletion and CAR-T: cytopenias with recovery
(prolonged in some patients), CRP / ferritin with CRS, mixed units and local normal ranges.

Calibration: assumption of the synthetic example (grade >= 3 neutropenia 80-95 %,
thrombocytopenia 40-65 %, anaemia 50-70 %, unresolved at day 30 in about a third; nadir in
weeks 1-2). Grades of cytopenia AEs are recomputed from the written values with CTCAE v5.0
thresholds (NCI CTCAE v5.0, 2017) in :func:`ctcae_low_grade`.
"""

from __future__ import annotations

import numpy as np

# test: (name, category, SI unit, conventional unit, SI -> conventional factor, decimals SI,
#        decimals conventional, normal range SI per site 001/002/003)
LAB_TESTS = {
    "WBC": ("Leukocytes", "HEMATOLOGY", "10^9/L", "10^3/uL", 1.0, 2, 2,
            [(3.5, 9.5), (4.0, 10.0), (3.5, 10.0)]),
    "NEUT": ("Neutrophils", "HEMATOLOGY", "10^9/L", "10^3/uL", 1.0, 2, 2,
             [(1.8, 6.3), (2.0, 7.0), (1.8, 7.5)]),
    "LYM": ("Lymphocytes", "HEMATOLOGY", "10^9/L", "10^3/uL", 1.0, 2, 2,
            [(1.1, 3.2), (1.0, 4.0), (0.8, 4.0)]),
    "PLAT": ("Platelets", "HEMATOLOGY", "10^9/L", "10^3/uL", 1.0, 0, 0,
             [(125, 350), (150, 400), (100, 300)]),
    "HGB": ("Hemoglobin", "HEMATOLOGY", "g/L", "g/dL", 0.1, 0, 1,
            [(115, 150), (120, 160), (110, 160)]),
    "ALT": ("Alanine Aminotransferase", "CHEMISTRY", "U/L", "U/L", 1.0, 0, 0,
            [(7, 40), (10, 45), (5, 40)]),
    "CREAT": ("Creatinine", "CHEMISTRY", "umol/L", "mg/dL", 1 / 88.42, 0, 2,
              [(45, 104), (53, 115), (41, 111)]),
    "ALB": ("Albumin", "CHEMISTRY", "g/L", "g/dL", 0.1, 0, 1, [(35, 55), (34, 50), (40, 55)]),
    "CRP": ("C Reactive Protein", "CHEMISTRY", "mg/L", "mg/dL", 0.1, 1, 2,
            [(0, 8), (0, 10), (0, 5)]),
    "FERRITIN": ("Ferritin", "CHEMISTRY", "ug/L", "ng/mL", 1.0, 0, 0,
                 [(15, 200), (20, 250), (30, 400)]),
    "IGG": ("Immunoglobulin G", "IMMUNOLOGY", "g/L", "mg/dL", 100.0, 1, 0,
            [(7.0, 16.0), (7.0, 16.0), (7.5, 15.6)]),
}
#: CTCAE v5.0 lower-direction thresholds in SI units (grade 2, 3, 4 lower bounds: value < thr)
CTCAE_LOW = {
    "NEUT": (1.5, 1.0, 0.5),
    "PLAT": (75.0, 50.0, 25.0),
    "HGB": (100.0, 80.0, None),
}


def ctcae_low_grade(test: str, value: np.ndarray, lln: np.ndarray) -> np.ndarray:
    """CTCAE v5.0 grade (0-4) of a decreased count (NCI CTCAE v5.0, '<' bounds)."""
    v = np.asarray(value, float)
    t2, t3, t4 = CTCAE_LOW[test]
    g = np.where(v < np.asarray(lln, float), 1, 0)
    g = np.where(v < t2, 2, g)
    g = np.where(v < t3, 3, g)
    if t4 is not None:
        g = np.where(v < t4, 4, g)
    return g


def _interp_log(t: np.ndarray, knots_t: np.ndarray, knots_v: np.ndarray) -> np.ndarray:
    """Per-row piecewise log-linear interpolation (rows = records, K knots each)."""
    lv = np.log(knots_v)
    out = lv[:, 0].copy()
    for j in range(knots_t.shape[1] - 1):
        a, b = knots_t[:, j], knots_t[:, j + 1]
        w = np.clip((t - a) / np.maximum(b - a, 1e-9), 0, 1)
        seg = (t >= a)
        out = np.where(seg, lv[:, j] + w * (lv[:, j + 1] - lv[:, j]), out)
    return np.exp(out)


def plan_counts(rng: np.random.Generator, n: int, cyto_dlt: np.ndarray) -> dict[str, np.ndarray]:
    """Per-patient knots of the count trajectories (baseline, nadir, recovery)."""
    prolonged = rng.random(n) < 0.33
    p = {
        "neut_base": rng.uniform(1.6, 4.5, n), "neut_nadir": np.exp(rng.uniform(np.log(0.03),
                                                                                np.log(1.4), n)),
        "neut_tn": rng.uniform(5, 10, n),
        "neut_rec": np.where(prolonged, rng.uniform(30, 60, n), rng.uniform(12, 24, n)),
        "plat_base": rng.uniform(90, 260, n), "plat_nadir": np.exp(rng.uniform(np.log(8),
                                                                               np.log(140), n)),
        "plat_rec": np.where(prolonged, rng.uniform(30, 70, n), rng.uniform(12, 26, n)),
        "hgb_base": rng.uniform(80, 125, n), "hgb_drop": rng.uniform(0.55, 0.9, n),
        "lym_base": rng.uniform(0.6, 2.0, n), "alt_base": rng.uniform(10, 35, n),
        "creat_base": rng.uniform(50, 110, n), "alb_base": rng.uniform(32, 45, n),
        "igg_base": rng.uniform(2.0, 7.0, n), "prolonged": prolonged, "cyto_dlt": cyto_dlt,
    }
    p["neut_rec"] = np.where(cyto_dlt, rng.uniform(45, 60, n), p["neut_rec"])
    p["neut_nadir"] = np.where(cyto_dlt, rng.uniform(0.05, 0.2, n), p["neut_nadir"])
    return p


def true_counts(p: dict[str, np.ndarray], pat: np.ndarray, day: np.ndarray,
                crs_grade: np.ndarray, crs_onset: np.ndarray) -> dict[str, np.ndarray]:
    """SI values of every lab test at (patient, day) (before rounding and units)."""
    m = len(pat)
    t = day.astype(float)
    def kn(*cols):  # noqa: E306
        return np.column_stack([np.broadcast_to(np.asarray(c, float), (m,)) for c in cols])
    nb, nn = p["neut_base"][pat], p["neut_nadir"][pat]
    tn, tr = p["neut_tn"][pat], p["neut_rec"][pat]
    dlt = p["cyto_dlt"][pat]
    hold = np.where(dlt, 36.0, tn + 2)
    rec = np.maximum(tr, hold + 3)
    neut = _interp_log(t, kn(-5, tn, hold, rec, rec + 40), kn(nb, nn, nn * 1.2, 1.6, nb))
    ok = ~dlt & (t >= 26)
    neut = np.where(ok, np.maximum(neut, 0.55), neut)
    neut = np.where(dlt & (t >= 26) & (t <= 36), np.minimum(neut, 0.35), neut)
    pb, pn, pr = p["plat_base"][pat], p["plat_nadir"][pat], p["plat_rec"][pat]
    plat = _interp_log(t, kn(-5, tn + 2, pr, pr + 40), kn(pb, pn, np.minimum(pb, 80), pb))
    plat = np.where(t >= 26, np.maximum(plat, 26.0), plat)
    hb, hd = p["hgb_base"][pat], p["hgb_drop"][pat]
    hgb = _interp_log(t, kn(-5, 12, 60, 120), kn(hb, hb * hd, hb, hb * 1.05))
    lym = _interp_log(t, kn(-5, 0, 10, 30, 90), kn(p["lym_base"][pat], 0.05, 1.2, 0.8,
                                                   p["lym_base"][pat]))
    wbc = neut + lym + 0.4
    g = crs_grade[pat]
    j = t - crs_onset[pat]
    crs_bump = np.where(g > 0, np.exp(-0.5 * ((j - 2) / 2.5) ** 2), 0.0)
    crp = 3 + (20 + 60 * g) * crs_bump + np.abs(np.sin(pat + t)) * 2
    ferr = 250 * (1 + (2 + 3 * g) * crs_bump)
    alt = p["alt_base"][pat] * (1 + 0.8 * crs_bump)
    creat = p["creat_base"][pat] * (1 + 0.15 * crs_bump)
    alb = p["alb_base"][pat] * (1 - 0.15 * crs_bump)
    igg = p["igg_base"][pat] * np.where(t > 0, 0.75, 1.0)
    return {"WBC": wbc, "NEUT": neut, "LYM": lym, "PLAT": plat, "HGB": hgb, "ALT": alt,
            "CREAT": creat, "ALB": alb, "CRP": crp, "FERRITIN": ferr, "IGG": igg}
