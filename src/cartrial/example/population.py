"""Who enrols: demographics, diagnosis, disease type and each patient's latent draws.

Everything that does not depend on the dose is drawn here, in enrolment order, before the trial
is conducted; the dose-dependent outcomes are drawn after the escalation has assigned doses.
Calibration: assumption of the synthetic example (CT071, Lancet Haematol 2025;12:e798-807).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartrial.example.scenarios import Scenario

SITES = np.array(["001", "002", "003"])
SITE_P = np.array([0.5, 0.3, 0.2])
#: Site 002 reports conventional units (g/dL, 10^3/uL, mg/dL): mixed units across sites.
CONVENTIONAL_SITE = "002"
MDTYPES = np.array(["SERUM", "URINE", "FLC"])
DLT_TYPES = np.array(["CRS4", "CRS3_72H", "CYTO4_D28", "NONHEM3_7D"])
NOT_INFUSED_REASONS = np.array(["MANUFACTURING FAILURE", "DEATH", "WITHDRAWAL BY SUBJECT"])


@dataclass(frozen=True)
class Pool:
    """Candidate patients in enrolment order (arrays of equal length)."""

    age: np.ndarray
    sex: np.ndarray
    weight: np.ndarray
    height: np.ndarray
    site: np.ndarray
    ppcl: np.ndarray
    mdtype: np.ndarray
    heavy: np.ndarray
    light: np.ndarray
    gap_days: np.ndarray          # consent -> previous consent (inter-arrival, days)
    consent_to_aph: np.ndarray
    aph_to_inf: np.ndarray
    not_infused: np.ndarray
    not_infused_reason: np.ndarray
    bridging: np.ndarray
    u_dlt: np.ndarray
    dlt_type: np.ndarray
    dlt_onset: np.ndarray         # day after infusion the DLT event starts

    @property
    def size(self) -> int:
        return len(self.age)

    def dlt_detect_day(self) -> np.ndarray:
        """Day after infusion at which each potential DLT meets its rule (protocol DLT rules)."""
        d = self.dlt_onset.copy()
        # CRS: the episode starts at grade 1 on the onset day, the maximum follows a day later
        d = np.where(self.dlt_type == "CRS4", d + 1, d)
        d = np.where(self.dlt_type == "CRS3_72H", d + 1 + 3, d)
        d = np.where(self.dlt_type == "CYTO4_D28", 30, d)
        d = np.where(self.dlt_type == "NONHEM3_7D", d + 8, d)
        return d


def draw_pool(rng: np.random.Generator, size: int, scenario: Scenario,
              accrual_per_month: float) -> Pool:
    """``size`` candidate patients with their dose-independent latent draws."""
    sex = np.where(rng.random(size) < 0.56, "M", "F")
    male = sex == "M"
    age = np.clip(np.round(rng.normal(61, 9, size)), 34, 79).astype(int)
    weight = np.round(np.where(male, rng.normal(72, 10, size), rng.normal(60, 9, size)), 1)
    weight = np.clip(weight, 40, 130)
    height = np.round(np.where(male, rng.normal(171, 6, size), rng.normal(159, 6, size)))
    site = SITES[rng.choice(3, size, p=SITE_P)]
    ppcl = rng.random(size) < scenario.ppcl_fraction
    p_rrmm = np.array([0.70, 0.15, 0.15])
    p_pcl = np.array([0.45, 0.20, 0.35])
    u = rng.random(size)
    cut_r = np.cumsum(p_rrmm)
    cut_p = np.cumsum(p_pcl)
    k = np.where(ppcl, np.searchsorted(cut_p, u, side="right"),
                 np.searchsorted(cut_r, u, side="right"))
    mdtype = MDTYPES[np.minimum(k, 2)]
    heavy = np.where(rng.random(size) < 0.65, "G", "A")
    light = np.where(rng.random(size) < 0.6, "KAPPA", "LAMBDA")
    gap = rng.exponential(30.4375 / accrual_per_month, size)
    c2a = rng.integers(5, 15, size)
    lo, hi = scenario.vein_to_vein_days
    a2i = rng.integers(lo, hi + 1, size)
    not_inf = rng.random(size) < scenario.not_infused_fraction
    reason = NOT_INFUSED_REASONS[rng.choice(3, size, p=[0.6, 0.2, 0.2])]
    bridging = rng.random(size) < scenario.bridging_fraction
    a2i = np.where(bridging, a2i + 14, a2i)
    # a small trial still shows both special paths: one pPCL patient among the first twelve and
    # one patient apheresed but never infused among the first twenty-four (deterministic)
    if scenario.ppcl_fraction > 0 and not ppcl[:12].any():
        ppcl[5] = True
        mdtype[5] = "SERUM"
    if scenario.not_infused_fraction > 0 and not not_inf[:24].any():
        not_inf[4] = True
        reason[4] = "MANUFACTURING FAILURE"
    u_dlt = rng.random(size)
    if scenario.late_dlt:
        dlt_type = np.full(size, "NONHEM3_7D")
        onset = rng.integers(10, 21, size)
    else:
        dlt_type = DLT_TYPES[rng.choice(4, size, p=[0.15, 0.25, 0.3, 0.3])]
        onset = np.where(dlt_type == "NONHEM3_7D", rng.integers(3, 15, size),
                         rng.integers(2, 6, size))
    return Pool(age, sex, weight, height, site, ppcl, mdtype, heavy, light, gap, c2a, a2i,
                not_inf, reason, bridging, u_dlt, dlt_type, onset)
