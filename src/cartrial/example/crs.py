"""CRS and ICANS as raw observations, and the ASTCT 2019 grades they yield.

Each infused patient is assessed daily (08:00 CRS flow sheet, 09:00 ICE) from day 0 to day 14 and
until an episode has resolved. An episode is generated as a path of intended grades; the
observations (temperature, hypotension and vasopressors, oxygen device and flow, ICE items and
level of consciousness) are drawn to realise it, and the truth is then *recomputed* from the
observations by :func:`astct_crs_grade` / :func:`astct_icans_grade`, a small independent
implementation of Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: ASTCT hypoxia tiers by device (Lee DW et al. 2019, CRS table).
DEVICE_TIER = {
    "ROOM AIR": 0, "BLOW-BY": 2, "NASAL CANNULA": 2, "HIGH-FLOW NASAL CANNULA": 3,
    "FACE MASK": 3, "NON-REBREATHER MASK": 3, "VENTURI MASK": 3, "CPAP": 4, "BIPAP": 4,
    "MECHANICAL VENTILATION": 4,
}
LOW_FLOW_MAX = 6.0     # rule 5: exactly 6 L/min is low flow (grade 2); > 6 is high flow
FEVER_C = 38.0
ICE_MAX = np.array([4, 3, 1, 1, 1])            # orientation, naming, commands, writing, attention
ICE_REMOVAL_ORDER = np.array([3, 4, 0, 1, 2])  # deficits fall on writing, attention, ...
#: depressed consciousness (Lee DW et al. 2019, ICANS table): "awakens spontaneously" is the grade-1
#: column; an alert patient has no LOC finding (missing / empty = not depressed)
LOC_TIER = {"AWAKENS SPONTANEOUSLY": 1, "AWAKENS TO VOICE": 2,
            "AWAKENS TO TACTILE STIMULUS": 3, "UNAROUSABLE": 4}
SEIZURE_TIER = {"NONE": 0, "CLINICAL OR EEG SEIZURE RESOLVING": 3,
                "PROLONGED OR REPETITIVE SEIZURE": 4}
MOTOR_TIER = {"NONE": 0, "DEEP FOCAL MOTOR WEAKNESS": 4}
ICP_TIER = {"NONE": 0, "FOCAL OEDEMA": 3, "DIFFUSE OEDEMA OR ICP SIGNS": 4}


def hypoxia_tier(device: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """ASTCT hypoxia tier: nasal cannula <= 6 L/min is 2, > 6 L/min is 3 (rule 5)."""
    dev = np.asarray(device, dtype=object)
    tier = np.array([DEVICE_TIER[d] for d in dev], dtype=int) if len(dev) else np.zeros(0, int)
    f = np.asarray(flow, dtype=float)
    high = (dev == "NASAL CANNULA") & (np.nan_to_num(f) > LOW_FLOW_MAX)
    return np.where(high, 3, tier)


def hypotension_tier(hypotension: np.ndarray, n_pressors: np.ndarray) -> np.ndarray:
    """ASTCT hypotension tier: none 0, no vasopressor 2, one 3, several (excl. vasopressin) 4.

    Vasopressin never counts towards "multiple" (rule 6); with hypotension it needs no other
    input here because one vasopressor +/- vasopressin is grade 3 and vasopressin alone is one
    vasopressor.
    """
    h = np.asarray(hypotension, dtype=bool)
    n = np.asarray(n_pressors, dtype=int)
    return np.where(n >= 2, 4, np.where(n == 1, 3, np.where(h, 2, 0)))


def astct_crs_grade(temp_c: np.ndarray, fever_other: np.ndarray, hypotension: np.ndarray,
                    n_pressors: np.ndarray, vasopressin: np.ndarray, hypo_other: np.ndarray,
                    device: np.ndarray, flow: np.ndarray, hypox_other: np.ndarray,
                    masked: np.ndarray) -> np.ndarray:
    """ASTCT 2019 CRS grade per time point (Lee DW et al. 2019, CRS table and footnotes).

    ``masked``: CRS-directed or antipyretic therapy given within the episode at or before this
    time point (rule 2: fever no longer required). Findings attributed to another cause do not
    count (rules 1 and 4).
    """
    fever = (np.asarray(temp_c, float) >= FEVER_C) & ~np.asarray(fever_other, bool)
    hyp_present = (np.asarray(hypotension, bool) | (np.asarray(n_pressors) > 0)
                   | np.asarray(vasopressin, bool))
    npress = np.where(np.asarray(vasopressin, bool) & (np.asarray(n_pressors) == 0), 1,
                      np.asarray(n_pressors))
    ht = np.where(np.asarray(hypo_other, bool), 0, hypotension_tier(hyp_present, npress))
    xt = np.where(np.asarray(hypox_other, bool), 0, hypoxia_tier(device, flow))
    organ = np.maximum(ht, xt)
    return np.where(fever, np.maximum(organ, 1), np.where(np.asarray(masked, bool), organ, 0))


def ice_from_items(items: np.ndarray) -> np.ndarray:
    """ICE total (0-10) from the five item scores (Lee DW et al. 2019, ICE table)."""
    return np.asarray(items).sum(axis=1)


def astct_icans_grade(ice: np.ndarray, loc: np.ndarray, seizure: np.ndarray, motor: np.ndarray,
                      icp: np.ndarray, other_cause: np.ndarray) -> np.ndarray:
    """ASTCT 2019 adult ICANS grade (Lee DW et al. 2019): the worst domain wins.

    ICE 7-9 -> 1, 3-6 -> 2, 0-2 -> 3, and ICE 0 with an unarousable patient is grade 4 through
    the consciousness domain; ``loc`` empty or missing = consciousness not depressed.
    """
    ice = np.asarray(ice, int)
    ice_t = np.select([ice >= 10, ice >= 7, ice >= 3], [0, 1, 2], 3)
    loc_t = (np.array([LOC_TIER.get(v, 0) if isinstance(v, str) else 0 for v in loc], dtype=int)
             if len(ice) else np.zeros(0, int))
    sz = np.array([SEIZURE_TIER[v] for v in seizure], dtype=int) if len(ice) else ice_t * 0
    mo = np.array([MOTOR_TIER[v] for v in motor], dtype=int) if len(ice) else ice_t * 0
    ic = np.array([ICP_TIER[v] for v in icp], dtype=int) if len(ice) else ice_t * 0
    g = np.maximum.reduce([ice_t, loc_t, sz, mo, ic])
    return np.where(np.asarray(other_cause, bool), 0, g)


@dataclass(frozen=True)
class CrsPlan:
    """Intended CRS / ICANS course per infused patient (0 = none)."""

    crs_grade: np.ndarray
    crs_onset: np.ndarray        # day after infusion of the first grade >= 1 assessment
    crs_days: np.ndarray         # days with grade >= 1
    hold: np.ndarray             # days at the maximum grade
    icans_grade: np.ndarray
    icans_onset: np.ndarray
    icans_days: np.ndarray


def plan_crs(rng: np.random.Generator, dose_idx: np.ndarray, crs_prob: np.ndarray,
             dlt_type: np.ndarray, dlt_onset: np.ndarray, g2: float, g3: float,
             onset_median: float, duration_median: float, icans_prob: float) -> CrsPlan:
    """Draw each patient's intended CRS and ICANS course (assumption of the synthetic example)."""
    n = len(dose_idx)
    has = rng.random(n) < crs_prob[dose_idx]
    u = rng.random(n)
    grade = np.where(u < g3, 3, np.where(u < g3 + g2, 2, 1))
    grade = np.where(has, grade, 0)
    onset = np.clip(np.round(rng.lognormal(np.log(onset_median), 0.45, n)), 1, 12).astype(int)
    days = np.clip(np.round(rng.lognormal(np.log(duration_median), 0.4, n)), 1, 14).astype(int)
    hold = np.where(grade == 3, rng.integers(1, 3, n), rng.integers(1, 4, n))
    is4 = dlt_type == "CRS4"
    is3 = dlt_type == "CRS3_72H"
    grade = np.where(is4, 4, np.where(is3, 3, grade))
    onset = np.where(is4 | is3, dlt_onset, onset)
    hold = np.where(is3, rng.integers(4, 6, n), np.where(is4, rng.integers(1, 3, n), hold))
    # room for: grade 1 on the first day, the plateau, one grade-2 day after >= 3, one grade 1
    need = np.where(grade >= 2, 1 + hold + (grade >= 3) + 1, 1)
    days = np.where(grade > 0, np.maximum(days, need), 0)
    ip = np.clip(icans_prob * np.where(grade >= 2, 2.5, np.where(grade == 1, 0.8, 0.2)), 0, 1)
    has_i = rng.random(n) < ip
    ui = rng.random(n)
    igrade = np.where(has_i, np.where(ui < 0.6, 1, np.where(ui < 0.92, 2, 3)), 0)
    ionset = np.where(grade > 0, onset + rng.integers(1, 4, n), rng.integers(3, 9, n))
    idays = np.where(igrade > 0, np.where(igrade == 3, 2, rng.integers(1, 6, n)), 0)
    idays = np.where(igrade == 3, np.maximum(idays, 2), idays)
    return CrsPlan(grade, onset, days, hold, igrade, ionset, idays)


def intended_path(plan: CrsPlan, day: np.ndarray, pat: np.ndarray) -> np.ndarray:
    """Intended CRS grade of patient ``pat`` on ``day`` (vectorised over time points)."""
    g = plan.crs_grade[pat]
    j = day - plan.crs_onset[pat]
    inside = (g > 0) & (j >= 0) & (j < plan.crs_days[pat])
    h = plan.hold[pat]
    peak = (j >= 1) & (j <= h)
    step_down = (g >= 3) & (j == h + 1)
    out = np.where(peak & (g >= 2), g, np.where(step_down, 2, 1))
    out = np.where(g == 1, 1, out)
    return np.where(inside, out, 0)


def icans_path(plan: CrsPlan, day: np.ndarray, pat: np.ndarray) -> np.ndarray:
    """Intended ICANS grade: the maximum on the first day(s), easing by one grade per day."""
    g = plan.icans_grade[pat]
    j = day - plan.icans_onset[pat]
    inside = (g > 0) & (j >= 0) & (j < plan.icans_days[pat])
    hold = np.where(g == 3, 1, 2)
    val = np.where(j < hold, g, np.maximum(g - (j - hold + 1), 1))
    return np.where(inside, val, 0)
