"""Cytokine release syndrome grading, ASTCT 2019 (Lee et al., BBMT 2019;25:625-638).

Input: one row per observation time (a flow sheet), columns

========================  ==================================================================
USUBJID                   subject (required)
DAY                       time since infusion in days, infusion = day 0; fractions allowed
                          (required). Optional ``HOUR`` (0-24) is added as HOUR / 24.
                          Or ADTM + INFDTM (ISO date/times of the observation and of the
                          infusion): DAY = days since midnight of the infusion date.
SEQ                       optional record id, used in error messages (else the 1-based row)
TEMP                      temperature, deg C (empty = not measured)
FEVER_OTHER_CAUSE         fever attributed to another cause (Y/N)
HYPOTENSION               hypotension present (Y/N; empty = implied by vasopressors)
PRESSORS                  number of vasopressors EXCLUDING vasopressin (empty = 0)
VASOPRESSIN               vasopressin given (Y/N)
HYPOTENSION_OTHER_CAUSE   hypotension attributed to another cause (Y/N)
O2_DEVICE                 ROOM_AIR, BLOW_BY, NASAL_CANNULA, HIGH_FLOW_NASAL_CANNULA, FACE_MASK,
                          NON_REBREATHER, VENTURI, CPAP, BIPAP, MECHANICAL_VENTILATION (aliases
                          in ``criteria/crs_astct_2019.yaml``; empty = room air)
O2_FLOW                   oxygen flow, L/min (required for NASAL_CANNULA)
O2_COMFORT_ONLY           oxygen for comfort only, not hypoxia (Y/N)
HYPOXIA_OTHER_CAUSE       hypoxia attributed to another cause (Y/N)
ANTIPYRETIC, TOCILIZUMAB, STEROID, ANTICYTOKINE
                          CRS-directed / antipyretic therapy given at or before this time
                          point since the previous one (Y/N)
DEATH, CRS_DEATH          death at this time point (any cause / due to CRS) (Y/N)
========================  ==================================================================

Rules (Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38, CRS table):
fever >= 38.0 C not due to another cause; grade =
max(hypotension tier, hypoxia tier) given fever, 1 with fever alone; vasopressin counts as a
vasopressor but never towards "multiple"; nasal cannula <= 6 L/min is low flow (grade 2),
> 6 L/min high flow (grade 3); positive pressure grade 4; grade 5 death due to CRS.
Fever masking: within an episode, once antipyretic or anti-cytokine therapy has been given
(at or after the episode's onset, at or before the time point), fever is no longer required and
the grade is driven by hypotension / hypoxia. An afebrile time point without hypotension or
hypoxia is grade 0 and ends the episode, unless ``masked_fever_keeps_grade1`` (open decision,
protocol ``safety.masked_fever_keeps_grade1``), which keeps grade 1 while CRS-directed therapy
is still being given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cartrial.errors import InputError
from cartrial.safety._episodes import label_episodes, subject_starts, summarise_episodes
from cartrial.safety._frames import (
    as_bool,
    as_float,
    as_text,
    fail,
    map_categories,
    require_columns,
    sort_by_subject_time,
)
from cartrial.safety.guidelines import CrsCriteria, crs_criteria

DOMAIN = "CRS"
THERAPY_FLAGS = ("ANTIPYRETIC", "TOCILIZUMAB", "STEROID", "ANTICYTOKINE")
CRS_COLUMNS = (
    "USUBJID", "DAY", "HOUR", "SEQ", "TEMP", "FEVER_OTHER_CAUSE", "HYPOTENSION", "PRESSORS",
    "VASOPRESSIN", "HYPOTENSION_OTHER_CAUSE", "O2_DEVICE", "O2_FLOW", "O2_COMFORT_ONLY",
    "HYPOXIA_OTHER_CAUSE", *THERAPY_FLAGS, "DEATH", "CRS_DEATH",
)


@dataclass(frozen=True)
class CrsMethod:
    """Record of the method used, for output metadata and report footnotes.

    Attributes
    ----------
    criteria : str
        Guideline version of the table used ("ASTCT 2019").
    masked_fever_keeps_grade1 : bool
        Whether an afebrile time point under CRS-directed therapy kept grade 1.
    fever_min_temp_c : float
        Fever threshold, deg C.
    low_flow_max_l_min : float
        Highest low-flow nasal-cannula flow, L/min.
    notes : tuple of str
        Readings of the guideline applied, for footnotes.

    Examples
    --------
    >>> obs = pd.DataFrame({"USUBJID": ["S1"], "DAY": [1], "TEMP": [38.6]})
    >>> m = grade_crs(obs).method
    >>> m.criteria, m.fever_min_temp_c, m.low_flow_max_l_min
    ('ASTCT 2019', 38.0, 6.0)
    """

    criteria: str
    masked_fever_keeps_grade1: bool
    fever_min_temp_c: float
    low_flow_max_l_min: float
    notes: tuple[str, ...] = field(default=(
        "Vasopressin counts as a vasopressor for grade 3 but never towards 'multiple' (grade 4).",
        "Therapy given at the same time point as an afebrile reading counts for masking.",
        "Episode = consecutive time points graded >= 1; resolution = first later time point "
        "graded 0.",
    ))


@dataclass(frozen=True)
class CrsResult:
    """Per time point grades (with driving component) and per episode summary.

    Attributes
    ----------
    timepoints : pandas.DataFrame
        One row per input time point, sorted by subject and DAY, with GRADE and DRIVER
        (see :func:`grade_crs`).
    episodes : pandas.DataFrame
        One row per CRS episode (:func:`cartrial.safety.summarise_episodes`).
    method : CrsMethod
        The method used.

    Examples
    --------
    >>> obs = pd.DataFrame({"USUBJID": ["S1"] * 3, "DAY": [1, 2, 3],
    ...                     "TEMP": [38.6, 38.9, 37.0], "PRESSORS": [0, 1, 0]})
    >>> r = grade_crs(obs)
    >>> r.episodes[["ONSET_DAY", "MAX_GRADE", "RESOLUTION_DAY"]].to_numpy().tolist()
    [[1.0, 3.0, 3.0]]
    """

    timepoints: pd.DataFrame
    episodes: pd.DataFrame
    method: CrsMethod


def _prepare(obs: pd.DataFrame) -> pd.DataFrame:
    df = obs.copy()
    if "DAY" not in df.columns and {"ADTM", "INFDTM"} <= set(df.columns):
        # time stamps: DAY = days since midnight of the infusion date
        adtm = pd.to_datetime(df["ADTM"], errors="coerce")
        inf = pd.to_datetime(df["INFDTM"], errors="coerce")
        for col, parsed in (("ADTM", adtm), ("INFDTM", inf)):
            fail(df, (parsed.isna() & df[col].notna()).to_numpy(), domain=DOMAIN, variable=col,
                 rule="not an ISO 8601 date/time")
        df["DAY"] = ((adtm - inf.dt.normalize()).dt.total_seconds() / 86400.0).to_numpy()
    require_columns(df, ["USUBJID", "DAY"], where="grade_crs (give DAY, or ADTM and INFDTM)")
    df["USUBJID"] = df["USUBJID"].astype(str)
    day = as_float(df, "DAY", domain=DOMAIN, required=True)
    if "HOUR" in df.columns:
        hour = as_float(df, "HOUR", domain=DOMAIN)
        fail(df, (hour < 0) | (hour > 24), domain=DOMAIN, variable="HOUR",
             rule="hour of day must be within 0-24")
        day = day + np.nan_to_num(hour) / 24.0
    df["DAY"] = day
    return sort_by_subject_time(df, "DAY", domain=DOMAIN)


def _hypotension_tier(df: pd.DataFrame, c: CrsCriteria) -> tuple[np.ndarray, np.ndarray]:
    pressors_raw = as_float(df, "PRESSORS", domain=DOMAIN)
    bad = ~np.isnan(pressors_raw) & ((pressors_raw < 0) | (pressors_raw != np.round(pressors_raw))
                                     | (pressors_raw > c.max_pressors))
    fail(df, bad, domain=DOMAIN, variable="PRESSORS",
         rule=f"number of non-vasopressin vasopressors must be a whole number 0-{c.max_pressors}")
    pressors = np.nan_to_num(pressors_raw, nan=0.0)
    vaso = as_bool(df, "VASOPRESSIN", domain=DOMAIN)
    total = pressors + vaso
    if "HYPOTENSION" in df.columns:
        given = as_text(df, "HYPOTENSION") != ""
        stated = as_bool(df, "HYPOTENSION", domain=DOMAIN)
        fail(df, given & ~stated & (total > 0), domain=DOMAIN, variable="HYPOTENSION",
             rule="vasopressors recorded while HYPOTENSION is N (contradiction)")
        hypo = np.where(given, stated, total > 0)
    else:
        hypo = total > 0
    tier = np.zeros(len(df), dtype=int)
    for row in sorted(c.hypotension, key=lambda r: r.grade):
        hit = hypo & (total >= row.min_pressors) & (pressors >= row.min_non_vasopressin)
        tier = np.where(hit, row.grade, tier)
    other = as_bool(df, "HYPOTENSION_OTHER_CAUSE", domain=DOMAIN)
    return np.where(other, 0, tier), hypo


def _hypoxia_tier(df: pd.DataFrame, c: CrsCriteria) -> np.ndarray:
    lookup = c.device_lookup()
    dev = map_categories(df, "O2_DEVICE", lookup, domain=DOMAIN,
                         rule="unknown oxygen device (ASTCT 2019 hypoxia row)")
    flow = as_float(df, "O2_FLOW", domain=DOMAIN)
    lo, hi = c.plausible_flow_l_min
    fail(df, ~np.isnan(flow) & ((flow < lo) | (flow > hi)), domain=DOMAIN, variable="O2_FLOW",
         rule=f"oxygen flow outside the plausible range {lo}-{hi} L/min")
    rows = [lookup[d] for d in dev]
    base = np.array([r.grade for r in rows], dtype=int)
    need = np.array([r.flow == "required" for r in rows], dtype=bool)
    forbid = np.array([r.flow == "forbidden" for r in rows], dtype=bool)
    fail(df, forbid & ~np.isnan(flow) & (flow > 0), domain=DOMAIN, variable="O2_FLOW",
         rule="oxygen flow recorded without an oxygen device (O2_DEVICE empty or room air)")
    fail(df, need & np.isnan(flow), domain=DOMAIN, variable="O2_FLOW",
         rule="nasal cannula needs the flow (L/min) to tell low flow (<= 6) from high flow (> 6)")
    min_excl = np.array([np.nan if r.min_flow_exclusive is None else r.min_flow_exclusive
                         for r in rows])
    fail(df, ~np.isnan(min_excl) & ~np.isnan(flow) & (flow <= np.nan_to_num(min_excl)),
         domain=DOMAIN, variable="O2_FLOW",
         rule=f"high-flow nasal cannula is defined as > {c.low_flow_max_l_min} L/min")
    above = np.array([-1 if r.grade_above_low_flow is None else r.grade_above_low_flow
                      for r in rows])
    tier = np.where((above >= 0) & (np.nan_to_num(flow) > c.low_flow_max_l_min), above, base)
    excluded = as_bool(df, "O2_COMFORT_ONLY", domain=DOMAIN) | as_bool(
        df, "HYPOXIA_OTHER_CAUSE", domain=DOMAIN)
    return np.where(excluded, 0, tier)


def grade_crs(obs: pd.DataFrame, *, masked_fever_keeps_grade1: bool = False,
              criteria: CrsCriteria | None = None) -> CrsResult:
    """Grade CRS per time point and per episode (ASTCT 2019 CRS table and footnotes).

    Parameters
    ----------
    obs : pandas.DataFrame
        Flow sheet, one row per subject and time point; columns as in the module docstring
        (USUBJID and DAY, days since infusion with infusion = day 0, are required).
    masked_fever_keeps_grade1 : bool, default False
        Open decision (protocol ``safety.masked_fever_keeps_grade1``): keep grade 1 on an
        afebrile time point while CRS-directed therapy is still given.
    criteria : CrsCriteria, optional
        Grading table; the bundled ASTCT 2019 table when None.

    Returns
    -------
    CrsResult
        ``timepoints`` holds, per input row, GRADE (0-5), DRIVER (NONE, FEVER, HYPOTENSION,
        HYPOXIA, HYPOTENSION+HYPOXIA, MASKED_THERAPY, DEATH), FEVER, MASKED,
        HYPOTENSION_TIER, HYPOXIA_TIER, the therapy flags and EPISODE (0 = no CRS);
        ``episodes`` the summary from :func:`cartrial.safety.summarise_episodes`.

    Raises
    ------
    InputError
        USUBJID or DAY (or ADTM and INFDTM) missing.
    RecordError
        An implausible or contradictory value (temperature, flow, pressors, a record after
        death), naming subject, record and variable.

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38 (CRS table and footnotes).

    Examples
    --------
    Fever alone is grade 1; fever with one vasopressor grade 3:

    >>> obs = pd.DataFrame({"USUBJID": ["S1"] * 3, "DAY": [1, 2, 3],
    ...                     "TEMP": [38.6, 38.9, 37.0], "PRESSORS": [0, 1, 0]})
    >>> grade_crs(obs).timepoints[["GRADE", "DRIVER"]].to_numpy().tolist()
    [[1, 'FEVER'], [3, 'HYPOTENSION'], [0, 'NONE']]
    """
    c = criteria or crs_criteria()
    df = _prepare(obs)
    usub = df["USUBJID"].to_numpy()
    n = len(df)

    temp = as_float(df, "TEMP", domain=DOMAIN)
    lo, hi = c.plausible_temp_c
    fail(df, ~np.isnan(temp) & ((temp < lo) | (temp > hi)), domain=DOMAIN, variable="TEMP",
         rule=f"impossible temperature (plausible {lo}-{hi} deg C; give deg C, not deg F)")
    fever = (np.nan_to_num(temp, nan=-np.inf) >= c.fever.min_temp_c) & ~as_bool(
        df, "FEVER_OTHER_CAUSE", domain=DOMAIN)
    hyp_tier, _ = _hypotension_tier(df, c)
    oxy_tier = _hypoxia_tier(df, c)
    comp = np.maximum(hyp_tier, oxy_tier)
    flags = {f: as_bool(df, f, domain=DOMAIN) for f in THERAPY_FLAGS}
    tx = np.logical_or.reduce([flags[f] for f in THERAPY_FLAGS]) if n else np.zeros(0, bool)

    first = subject_starts(usub)
    died, crs_death = _deaths(df, usub, first)
    masked = _masked(fever, comp, tx, first, masked_fever_keeps_grade1)

    grade = np.zeros(n, dtype=int)
    grade = np.where(fever, np.maximum(1, comp), grade)
    keep1 = masked_fever_keeps_grade1 & tx
    grade = np.where(masked, np.maximum(comp, np.where(keep1, 1, 0)), grade)
    grade = np.where(crs_death, c.death.grade, grade)

    driver = np.full(n, "NONE", dtype=object)
    driver = np.where(grade >= 1, np.where(fever, "FEVER", "MASKED_THERAPY"), driver)
    hyp_d = (hyp_tier == grade) & (grade >= 2)
    oxy_d = (oxy_tier == grade) & (grade >= 2)
    driver = np.where(hyp_d & oxy_d, "HYPOTENSION+HYPOXIA",
                      np.where(hyp_d, "HYPOTENSION", np.where(oxy_d, "HYPOXIA", driver)))
    driver = np.where(crs_death, "DEATH", driver)

    out = pd.DataFrame({"USUBJID": usub, "DAY": df["DAY"].to_numpy()})
    if "SEQ" in df.columns:
        out["SEQ"] = df["SEQ"].to_numpy()
    out["GRADE"] = grade
    out["DRIVER"] = driver
    out["FEVER"] = fever
    out["MASKED"] = masked
    out["HYPOTENSION_TIER"] = hyp_tier
    out["HYPOXIA_TIER"] = oxy_tier
    for f in THERAPY_FLAGS:
        out[f] = flags[f]
    out["DEATH"] = died
    out["EPISODE"] = label_episodes(usub, grade)
    episodes = summarise_episodes(out, flags=THERAPY_FLAGS, improve_from=3, improve_to=2)
    method = CrsMethod(criteria=c.version, masked_fever_keeps_grade1=masked_fever_keeps_grade1,
                       fever_min_temp_c=c.fever.min_temp_c,
                       low_flow_max_l_min=c.low_flow_max_l_min)
    return CrsResult(out, episodes, method)


def _deaths(df: pd.DataFrame, usub: np.ndarray, first: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """(died at the time point, died of CRS); a record after the subject's death raises."""
    death = as_bool(df, "DEATH", domain=DOMAIN)
    crs_death = as_bool(df, "CRS_DEATH", domain=DOMAIN)
    if "DEATH" in df.columns:
        fail(df, crs_death & ~death, domain=DOMAIN, variable="DEATH",
             rule="CRS_DEATH is Y but DEATH is N (contradiction)")
    died = death | crs_death
    died_before = pd.Series(died).groupby(usub).cummax().to_numpy() & ~died
    died_before |= pd.Series(np.r_[False, died[:-1]] & ~first).groupby(usub).cummax().to_numpy()
    fail(df, died_before, domain=DOMAIN, variable="DAY",
         rule="record after the subject's death (DEATH or CRS_DEATH on an earlier time point)")
    return died, crs_death


def _masked(fever: np.ndarray, comp: np.ndarray, tx: np.ndarray, first: np.ndarray,
            masked_fever_keeps_grade1: bool) -> np.ndarray:
    """Afebrile time points whose CRS is masked by therapy (ASTCT 2019 CRS table footnote)."""
    # Candidates for masked CRS: afebrile with hypotension/hypoxia (or, under the open-decision
    # option, afebrile while CRS-directed therapy is being given).
    cand = ~fever & ((comp > 0) | (masked_fever_keeps_grade1 & tx))
    crs_like = fever | cand
    prev_like = np.r_[False, crs_like[:-1]] & ~first
    prev_fever = np.r_[False, fever[:-1]] & ~first
    # blocks: maximal runs of fever rows or of candidate rows inside a crs_like segment
    seg_start = crs_like & ~prev_like
    block_start = crs_like & (~prev_like | (fever != prev_fever))
    seg_id = np.cumsum(seg_start)
    block_id = np.cumsum(block_start)
    # a candidate block is masked when therapy was given in the fever block just before it or
    # at its first row; masking then persists for the rest of the segment (cumulative OR).
    tx_in_block = pd.Series(tx & crs_like).groupby(block_id).transform("any").to_numpy()
    prev_block_tx = np.r_[False, tx_in_block[:-1]]
    local = cand & block_start & prev_like & (prev_block_tx | tx)
    cand_block_local = pd.Series(local).groupby(block_id).transform("max").to_numpy()
    masked_block = pd.Series(np.where(cand, cand_block_local, False)).groupby(seg_id).cummax()
    return cand & masked_block.to_numpy().astype(bool)


def grade_crs_row(**values: object) -> int:
    """Grade one afebrile-or-febrile time point on its own (no masking history).

    For tests and quick checks against the ASTCT 2019 CRS table.

    Parameters
    ----------
    **values : object
        The observation columns of :func:`grade_crs` (TEMP=38.5, PRESSORS=1, O2_DEVICE=...,
        O2_FLOW=...), without USUBJID or DAY.

    Returns
    -------
    int
        The ASTCT 2019 CRS grade, 0-5.

    Raises
    ------
    InputError
        USUBJID or DAY given.
    RecordError
        An implausible value (as :func:`grade_crs`).

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38 (CRS table).

    Examples
    --------
    Nasal cannula <= 6 L/min is low flow (grade 2), > 6 L/min high flow (grade 3):

    >>> grade_crs_row(TEMP=38.5, O2_DEVICE="NASAL_CANNULA", O2_FLOW=4)
    2
    >>> grade_crs_row(TEMP=38.5, O2_DEVICE="NASAL_CANNULA", O2_FLOW=8)
    3
    """
    if "USUBJID" in values or "DAY" in values:
        raise InputError("grade_crs_row takes the observation columns only")
    frame = pd.DataFrame([{"USUBJID": "ONE", "DAY": 1.0, **values}])
    return int(grade_crs(frame).timepoints["GRADE"].iloc[0])
