"""ICANS grading for adults, ASTCT 2019 (Lee et al., BBMT 2019;25:625-638, ICE and ICANS tables).

Input: one row per assessment, columns

============================  ================================================================
USUBJID, DAY (HOUR, SEQ)      as for CRS (DAY = days since infusion, infusion = day 0)
ICE_ORIENT (0-4), ICE_NAMING (0-3), ICE_COMMANDS (0-1), ICE_WRITING (0-1), ICE_ATTENTION (0-1)
                              ICE items; all five or none on a row
ICE_TOTAL                     ICE score 0-10 (optional; must equal the item sum when both given)
CONSCIOUSNESS                 NORMAL, SPONTANEOUS (awakens spontaneously), VOICE, TACTILE,
                              UNAROUSABLE (empty = NORMAL)
SEIZURE                       NONE, RAPID (any clinical seizure resolving rapidly / EEG seizure
                              resolving with intervention), PROLONGED (> 5 min or repetitive)
MOTOR                         NONE, DEEP_FOCAL_WEAKNESS (hemiparesis, paraparesis)
ICP                           NONE, FOCAL_EDEMA, DIFFUSE_EDEMA (or posturing, CN VI palsy,
                              papilloedema, Cushing's triad)
<DOMAIN>_OTHER_CAUSE          ICE_, CONSCIOUSNESS_, SEIZURE_, MOTOR_, ICP_OTHER_CAUSE (Y/N):
                              finding attributable to another cause (e.g. sedation), not counted
AGE                           optional; ICE-based grading is refused below 12 years
STEROID, ANAKINRA, ANTISEIZURE therapy flags (Y/N), summarised per episode
DEATH, ICANS_DEATH            death at this assessment (any cause / due to ICANS)
============================  ================================================================

Grade = the most severe domain (Lee DW et al. 2019, ICANS table); ICE 0 is grade 3
when the patient is awake (global aphasia) and 4 when unarousable (rule 2); grade 5 = death due
to ICANS. Tremor, myoclonus and intracranial haemorrhage do not count (rule 3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartrial.errors import InputError
from cartrial.safety._episodes import label_episodes, subject_starts, summarise_episodes
from cartrial.safety._frames import as_bool, as_float, fail, map_categories, require_columns
from cartrial.safety.crs import _prepare
from cartrial.safety.guidelines import IcansCriteria, icans_criteria

DOMAIN = "ICANS"
THERAPY_FLAGS = ("STEROID", "ANAKINRA", "ANTISEIZURE")
DOMAINS = ("ICE", "CONSCIOUSNESS", "SEIZURE", "MOTOR", "ICP")


@dataclass(frozen=True)
class IcansMethod:
    """Record of the method used, for output metadata and report footnotes.

    Attributes
    ----------
    criteria : str
        Guideline version of the table used ("ASTCT 2019").
    ice_max : int
        Highest ICE score (10).
    min_age_years : int
        Youngest age (years) graded with the adult ICE-based table.

    Examples
    --------
    >>> a = pd.DataFrame({"USUBJID": ["S1"], "DAY": [4], "ICE_TOTAL": [5]})
    >>> grade_icans(a).method
    IcansMethod(criteria='ASTCT 2019', ice_max=10, min_age_years=12)
    """

    criteria: str
    ice_max: int
    min_age_years: int


@dataclass(frozen=True)
class IcansResult:
    """Per assessment grades (with driving domains) and per episode summary.

    Attributes
    ----------
    timepoints : pandas.DataFrame
        One row per assessment, sorted by subject and DAY (see :func:`grade_icans`).
    episodes : pandas.DataFrame
        One row per ICANS episode (:func:`cartrial.safety.summarise_episodes`).
    method : IcansMethod
        The method used.

    Examples
    --------
    >>> a = pd.DataFrame({"USUBJID": ["S1", "S1"], "DAY": [4, 5], "ICE_TOTAL": [5, 10]})
    >>> r = grade_icans(a)
    >>> r.episodes[["ONSET_DAY", "MAX_GRADE", "RESOLUTION_DAY"]].to_numpy().tolist()
    [[4.0, 2.0, 5.0]]
    """

    timepoints: pd.DataFrame
    episodes: pd.DataFrame
    method: IcansMethod


def ice_score(df: pd.DataFrame, *, criteria: IcansCriteria | None = None) -> np.ndarray:
    """ICE score 0-10 per row from its items (ASTCT 2019 ICE table), or ``ICE_TOTAL``.

    Parameters
    ----------
    df : pandas.DataFrame
        Assessments with the five ICE item columns (ICE_ORIENT 0-4, ICE_NAMING 0-3,
        ICE_COMMANDS, ICE_WRITING, ICE_ATTENTION 0-1) and/or ICE_TOTAL (0-10).
    criteria : IcansCriteria, optional
        ICE table; the bundled ASTCT 2019 table when None.

    Returns
    -------
    numpy.ndarray
        ICE score per row (float), NaN where ICE was not assessed.

    Raises
    ------
    InputError
        Some but not all of the five item columns present.
    RecordError
        Items out of range, partial item sets and totals that disagree with the items.

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38 (ICE table).

    Examples
    --------
    >>> items = pd.DataFrame({"ICE_ORIENT": [4, 3], "ICE_NAMING": [3, 1],
    ...     "ICE_COMMANDS": [1, 0], "ICE_WRITING": [1, 0], "ICE_ATTENTION": [1, 1]})
    >>> ice_score(items).tolist()
    [10.0, 5.0]
    """
    c = criteria or icans_criteria()
    items = [i for i in c.ice_items if i.item in df.columns]
    total = as_float(df, "ICE_TOTAL", domain=DOMAIN)
    fail(df, ~np.isnan(total) & ((total < 0) | (total > c.ice_max) | (total != np.round(total))),
         domain=DOMAIN, variable="ICE_TOTAL",
         rule=f"ICE score must be a whole number 0-{c.ice_max}")
    if not items:
        return total
    missing_cols = [i.item for i in c.ice_items if i.item not in df.columns]
    if missing_cols:
        raise InputError(f"{DOMAIN}: ICE item column(s) {missing_cols} missing (give all five)")
    vals = []
    for it in c.ice_items:
        v = as_float(df, it.item, domain=DOMAIN)
        fail(df, ~np.isnan(v) & ((v < 0) | (v > it.points) | (v != np.round(v))), domain=DOMAIN,
             variable=it.item, rule=f"ICE item out of range 0-{it.points} ({it.text})")
        vals.append(v)
    m = np.vstack(vals)
    n_na = np.isnan(m).sum(axis=0)
    fail(df, (n_na > 0) & (n_na < len(vals)), domain=DOMAIN, variable="ICE items",
         rule="incomplete ICE: give all five items or none")
    items_sum = np.where(n_na == 0, np.nansum(m, axis=0), np.nan)
    fail(df, ~np.isnan(items_sum) & ~np.isnan(total) & (items_sum != total), domain=DOMAIN,
         variable="ICE_TOTAL", rule="ICE_TOTAL differs from the sum of the ICE items")
    return np.where(np.isnan(items_sum), total, items_sum)


def _domain_grade(df: pd.DataFrame, col: str, rows: list, c: IcansCriteria) -> np.ndarray:
    lookup = IcansCriteria.lookup(rows)
    txt = map_categories(df, col, lookup, domain=DOMAIN, rule=f"unknown {col} value (ASTCT 2019)")
    g = np.array([lookup[t].grade for t in txt], dtype=float)
    other = as_bool(df, f"{col}_OTHER_CAUSE", domain=DOMAIN)
    return np.where(other, 0.0, g)


def grade_icans(assessments: pd.DataFrame, *,
                criteria: IcansCriteria | None = None) -> IcansResult:
    """Grade ICANS per assessment and per episode (ASTCT 2019 adult ICANS table).

    Parameters
    ----------
    assessments : pandas.DataFrame
        One row per assessment; columns as in the module docstring (USUBJID and DAY, days
        since infusion with infusion = day 0, are required).
    criteria : IcansCriteria, optional
        Grading table; the bundled ASTCT 2019 table when None.

    Returns
    -------
    IcansResult
        ``timepoints`` columns: USUBJID, DAY, (SEQ), ICE, ICE_ASSESSED, <DOMAIN>_GRADE for
        ICE, CONSCIOUSNESS, SEIZURE, MOTOR, ICP, GRADE, DRIVER (domains at the maximum,
        joined by '+'), therapy flags, DEATH and EPISODE; ``episodes`` as
        :func:`summarise_episodes`.

    Raises
    ------
    InputError
        USUBJID or DAY missing.
    RecordError
        An unknown category, an ICE item out of range, age below 12, a record after death.

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38 (ICE and ICANS tables).

    Examples
    --------
    ICE 3-6 is grade 2; ICE 0 in an unarousable patient is grade 4:

    >>> a = pd.DataFrame({"USUBJID": ["S1", "S1"], "DAY": [4, 5], "ICE_TOTAL": [5, 0],
    ...                   "CONSCIOUSNESS": ["NORMAL", "UNAROUSABLE"]})
    >>> grade_icans(a).timepoints[["GRADE", "DRIVER"]].to_numpy().tolist()
    [[2, 'ICE'], [4, 'ICE+CONSCIOUSNESS']]
    """
    c = criteria or icans_criteria()
    require_columns(assessments, ["USUBJID", "DAY"], where="grade_icans")
    df = _prepare(assessments)
    n = len(df)
    usub = df["USUBJID"].to_numpy()
    if "AGE" in df.columns:
        age = as_float(df, "AGE", domain=DOMAIN)
        fail(df, age < c.min_age_years, domain=DOMAIN, variable="AGE", rule=c.min_age_text)

    ice = ice_score(df, criteria=c)
    loc = _domain_grade(df, "CONSCIOUSNESS", c.consciousness, c)
    unarousable = loc >= c.ice_unarousable_grade
    ice_g = np.full(n, np.nan)
    for band in c.ice_bands:
        ice_g = np.where((ice >= band.min) & (ice <= band.max), band.grade, ice_g)
    # ICE 0 because unarousable (or ICE impossible because unarousable): grade 4
    ice_g = np.where(unarousable & (np.isnan(ice) | (ice == 0)), c.ice_unarousable_grade, ice_g)
    ice_g = np.where(as_bool(df, "ICE_OTHER_CAUSE", domain=DOMAIN), 0.0, ice_g)
    grades = {
        "ICE": ice_g,
        "CONSCIOUSNESS": loc,
        "SEIZURE": _domain_grade(df, "SEIZURE", c.seizure, c),
        "MOTOR": _domain_grade(df, "MOTOR", c.motor, c),
        "ICP": _domain_grade(df, "ICP", c.icp, c),
    }
    m = np.vstack([grades[d] for d in DOMAINS])
    grade = np.nanmax(np.nan_to_num(m, nan=-1.0), axis=0).clip(min=0).astype(int)

    death = as_bool(df, "DEATH", domain=DOMAIN)
    icans_death = as_bool(df, "ICANS_DEATH", domain=DOMAIN)
    if "DEATH" in df.columns:
        fail(df, icans_death & ~death, domain=DOMAIN, variable="DEATH",
             rule="ICANS_DEATH is Y but DEATH is N (contradiction)")
    died = death | icans_death
    first = subject_starts(usub)
    after = pd.Series(np.r_[False, died[:-1]] & ~first).groupby(usub).cummax().to_numpy()
    fail(df, after, domain=DOMAIN, variable="DAY",
         rule="record after the subject's death (DEATH or ICANS_DEATH on an earlier assessment)")
    grade = np.where(icans_death, c.death.grade, grade)

    driver = np.full(n, "", dtype=object)
    for d in DOMAINS:
        hit = (grades[d] == grade) & (grade >= 1)
        driver = np.where(hit, np.where(driver == "", d, driver + "+" + d), driver)
    driver = np.where(icans_death, "DEATH", np.where(grade == 0, "NONE", driver))

    out = pd.DataFrame({"USUBJID": usub, "DAY": df["DAY"].to_numpy()})
    if "SEQ" in df.columns:
        out["SEQ"] = df["SEQ"].to_numpy()
    out["ICE"] = ice
    out["ICE_ASSESSED"] = ~np.isnan(ice)
    for d in DOMAINS:
        out[f"{d}_GRADE"] = grades[d]
    out["GRADE"] = grade
    out["DRIVER"] = driver
    for f in THERAPY_FLAGS:
        out[f] = as_bool(df, f, domain=DOMAIN)
    out["DEATH"] = died
    out["EPISODE"] = label_episodes(usub, grade)
    episodes = summarise_episodes(out, flags=THERAPY_FLAGS, improve_from=3, improve_to=2)
    return IcansResult(out, episodes, IcansMethod(c.version, c.ice_max, c.min_age_years))
