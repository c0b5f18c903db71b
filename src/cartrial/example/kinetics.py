"""CAR-T expansion (qPCR transgene copies and flow CAR+ cells) and serum cytokines.

qPCR: log-linear rise to Cmax at Tmax, then a biexponential decline; Cmax is lognormal with
median ~3e4 copies/ug gDNA, dose-dependent and higher with CRS; some patients lose persistence
(fast terminal decline). Flow CAR+ cells/uL follow the same curve times a per-patient ratio
(median peak ~150 cells/uL, heavy right tail). Cytokines rise with expansion and CRS, peaking
days 5-14 (assumption of the synthetic example).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

QPCR_LLOQ = 10.0       # copies/ug gDNA
FLOW_LLOQ = 0.5        # cells/uL
CYTOKINES = {  # code: (name, baseline median pg/mL, LLOQ, log fold per CRS grade, base fold)
    "IL2": ("Interleukin 2", 1.2, 0.5, 0.35, 1.0),
    "IL6": ("Interleukin 6", 4.0, 1.0, 0.9, 1.6),
    "IL8": ("Interleukin 8", 12.0, 2.0, 0.5, 1.0),
    "IL10": ("Interleukin 10", 3.0, 0.5, 0.7, 1.5),
    "INTGAM": ("Interferon Gamma", 6.0, 2.0, 0.8, 2.0),
    "TNFA": ("Tumor Necrosis Factor Alpha", 8.0, 1.0, 0.3, 0.6),
}


def plan_kinetics(rng: np.random.Generator, dose: np.ndarray, crs_grade: np.ndarray,
                  cmax_median: float, exponent: float, ref_dose: float) -> pd.DataFrame:
    """True kinetics parameters per patient (documented in docs/example.md)."""
    n = len(dose)
    mu = np.log(cmax_median) + exponent * np.log(dose / ref_dose) + 0.25 * (crs_grade - 1.0)
    cmax = np.exp(rng.normal(mu, 0.6, n))
    tmax = np.clip(rng.lognormal(np.log(13.0), 0.3, n), 7, 28)
    half_fast = rng.uniform(4, 9, n)
    half_slow = rng.uniform(18, 45, n)
    frac_fast = rng.uniform(0.75, 0.95, n)
    lost = rng.random(n) < 0.3
    half_slow = np.where(lost, rng.uniform(5, 9, n), half_slow)
    ratio = np.exp(rng.normal(np.log(0.005), 0.7, n))     # CAR+ cells/uL per copy/ug
    return pd.DataFrame({"cmax": cmax, "tmax": tmax, "half_fast": half_fast,
                         "half_slow": half_slow, "frac_fast": frac_fast, "lost": lost,
                         "flow_ratio": ratio})


def expansion_curve(k: pd.DataFrame, pat: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Transgene copies/ug at day ``t`` (t > 0)."""
    cmax = k["cmax"].to_numpy()[pat]
    tmax = k["tmax"].to_numpy()[pat]
    a = np.log(2) / k["half_fast"].to_numpy()[pat]
    b = np.log(2) / k["half_slow"].to_numpy()[pat]
    f = k["frac_fast"].to_numpy()[pat]
    t = np.asarray(t, float)
    rise = cmax * np.exp(-np.log(cmax / 2.0) * (tmax - t) / tmax)
    fall = cmax * (f * np.exp(-a * (t - tmax)) + (1 - f) * np.exp(-b * (t - tmax)))
    return np.where(t <= tmax, rise, fall)


def cytokine_curve(base: np.ndarray, fold: np.ndarray, peak: np.ndarray, t: np.ndarray
                   ) -> np.ndarray:
    """Baseline x (1 + (fold - 1) x bump) with a log-normal-shaped bump peaking at ``peak``."""
    t = np.maximum(np.asarray(t, float), 0.0) + 0.5
    bump = np.exp(-0.5 * (np.log(t / (peak + 0.5)) / 0.45) ** 2)
    return base * (1 + (fold - 1) * bump)
