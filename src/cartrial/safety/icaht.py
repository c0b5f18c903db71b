"""Immune effector cell-associated haematotoxicity (ICAHT): neutropenic grade, early and late.

EHA/EBMT consensus grading (Rejeski K et al., Blood 2023;142(10):865-877, Table 1); the table
is data in ``criteria/icaht_ehaebmt_2023.yaml``. Input: laboratory records as for
:func:`cartrial.safety.grade_labs` (USUBJID, PARAMCD, DAY, AVAL; ANC in 10^9/L, PARAMCD NEUT or
ANC; optional UNIT, SEQ), DAY = days since infusion (infusion = day 0).

Measurement rules, as the paper states them or, where it is silent, as cartrial reads them:

* **Day-by-day ANC** (cartrial's reading): a day's value is the lowest ANC measured on it; a
  value holds until the next measurement (last observation carried forward, a pre-infusion
  value included) and never beyond the last measurement, so unobserved days are not counted.
* **Early ICAHT (day 0 to +30)**: the cumulative number of days with ANC <= 0.5 (and <= 0.1)
  x 10^9/L within the window, over all neutropenic phases (biphasic courses add up). An
  interval above the threshold lasting fewer than 3 days between two neutropenic intervals is
  a non-stable recovery and its days count towards the total. Grade 4 "never above 500/uL"
  is ANC at or below 0.5 x 10^9/L from a neutropenic onset on or before day +3 with no stable
  recovery through day 30 (a count censored earlier is a lower bound). cartrial's reading, as
  public automated implementations of the grading read it: the table prints only "never above
  500/uL", and the ANC of day 0 itself, before the lymphodepletion nadir, is usually higher.
* **Late ICAHT (after day +30)**: depth only: the lowest threshold (1.5, 1.0, 0.5, 0.1 x 10^9/L)
  met on at least two measurement days (non-transient neutropenia).
* **Censoring**: days on or after ``CENSOR_DAY`` (disease progression, a subsequent line of
  therapy or death, whichever is first; the caller supplies it) are not counted, so a grade
  censored before day 30 is a lower bound (EARLY_COMPLETE False).
* **Recovery**: RECOVERY_DAY is the first day of a stable interval (>= 3 days) with ANC above
  0.5 x 10^9/L after the first neutropenic day; NEUTROPENIC_PHASES counts the intervals at or
  below 0.5 x 10^9/L (BIPHASIC when two or more).

The thrombocytopenic variant is not part of the consensus table and is not graded here.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from cartrial import _yaml
from cartrial.errors import InputError
from cartrial.safety import _frames
from cartrial.safety._frames import as_float, as_text, fail, require_columns

DOMAIN = "LB"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DurationRow(_Model):
    threshold: float = Field(gt=0)
    min_days: int = Field(ge=1)


class NeverAbove(_Model):
    threshold: float = Field(gt=0)
    onset_by_day: int = Field(ge=0)


class EarlyGrade(_Model):
    text: str
    any: list[DurationRow] = Field(min_length=1)
    never_above: NeverAbove | None = None


class EarlyRules(_Model):
    first_day: int
    last_day: int
    min_stable_recovery_days: int = Field(ge=1)
    grades: dict[int, EarlyGrade]


class LateGrade(_Model):
    text: str
    threshold: float = Field(gt=0)


class LateRules(_Model):
    after_day: int
    min_measurements: int = Field(ge=1)
    grades: dict[int, LateGrade]


class RecoveryRule(_Model):
    threshold: float = Field(gt=0)
    text: str


class IcahtCriteria(_Model):
    """ICAHT grading table as data.

    Attributes
    ----------
    version, name, source : str
        Table version (publication year), name and the citation of the source.
    early : EarlyRules
        Early ICAHT (day 0-30): duration rows per grade and the "never above" grade 4 rule.
    late : LateRules
        Late ICAHT (after day 30): ANC nadir thresholds per grade.
    recovery : RecoveryRule
        ANC threshold (10^9/L) of neutrophil recovery.
    paramcd, units : list of str
        Accepted PARAMCDs of the ANC and their units.

    References
    ----------
    Rejeski K et al., Blood 2023;142(10):865-877, Table 1.

    Examples
    --------
    >>> c = icaht_criteria()
    >>> c.recovery.threshold, c.early.grades[2].text
    (0.5, 'ANC <=500/uL for 7-13 days')
    """

    version: str
    name: str
    source: str
    early: EarlyRules
    late: LateRules
    recovery: RecoveryRule
    paramcd: list[str]
    units: list[str]


@cache
def icaht_criteria() -> IcahtCriteria:
    """The bundled EHA/EBMT ICAHT table (``criteria/icaht_ehaebmt_2023.yaml``).

    Returns
    -------
    IcahtCriteria
        Frozen model of the consensus grading table.

    References
    ----------
    Rejeski K et al. Blood 2023;142(10):865-877, Table 1.

    Examples
    --------
    >>> icaht_criteria().early.grades[4].text.startswith("ANC never above")
    True
    """
    text = resources.files("cartrial.safety.criteria").joinpath(
        "icaht_ehaebmt_2023.yaml").read_text(encoding="utf-8")
    return IcahtCriteria.model_validate(_yaml.safe_load(text))


def _label(threshold: float) -> str:
    return f"LE{round(threshold * 1000)}"


def _anc_records(labs: pd.DataFrame, censor: pd.Series, c: IcahtCriteria) -> pd.DataFrame:
    """One row per subject x day: the day's lowest ANC (censoring is applied by the caller: a
    value measured before censoring holds until the next measurement or censoring)."""
    require_columns(labs, ["USUBJID", "PARAMCD", "DAY", "AVAL"], where="grade_icaht")
    df = labs[_frames.paramcd_codes(labs).rows(c.paramcd)]
    day = as_float(df, "DAY", domain=DOMAIN, required=True)
    aval = as_float(df, "AVAL", domain=DOMAIN)
    fail(df, aval < 0, domain=DOMAIN, variable="AVAL", rule="an ANC cannot be < 0")
    if "UNIT" in df.columns:
        units = as_text(df, "UNIT")
        ok = {u.upper() for u in c.units}
        fail(df, (units != "") & ~np.isin(units, list(ok)), domain=DOMAIN, variable="UNIT",
             rule=f"ICAHT grades ANC in {c.units[0]}", values=units)
    rec = pd.DataFrame({"USUBJID": df["USUBJID"].astype(str).to_numpy(),
                        "D": np.floor(day).astype(np.int64), "V": aval})
    rec = rec[~np.isnan(aval)]
    return rec.groupby(["USUBJID", "D"], as_index=False, sort=True)["V"].min()


def _intervals(rec: pd.DataFrame, censor: pd.Series, first_day: int) -> pd.DataFrame:
    """Each measurement as the days it holds: [START, END) from its day (``first_day`` at the
    earliest) to the next measurement, the last one its own day only, never past censoring."""
    code, names = pd.factorize(rec["USUBJID"], sort=True)   # rec is sorted by USUBJID, D
    day = rec["D"].to_numpy(dtype=np.int64)
    same_next = np.r_[code[1:] == code[:-1], False]
    end = np.where(same_next, np.r_[day[1:], 0], day + 1)
    cens = np.ceil(pd.Series(np.asarray(names, dtype=object)).map(censor).to_numpy(dtype=float))
    end = np.where(np.isnan(cens[code]), end, np.minimum(end, cens[code])) if len(code) else end
    iv = pd.DataFrame({"_S": code, "USUBJID": np.asarray(names, dtype=object)[code],
                       "START": np.maximum(day, first_day), "END": end.astype(np.int64),
                       "V": rec["V"].to_numpy(dtype=float)})
    return iv[iv["END"] > iv["START"]].reset_index(drop=True)


def _runs(iv: pd.DataFrame, state: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """Run id per interval and per-run SUBJ, STATE, START, LEN (days) of consecutive intervals
    of one subject in one state."""
    subj = iv["_S"].to_numpy()
    if len(state) == 0:
        return np.zeros(0, dtype=int), pd.DataFrame(columns=["SUBJ", "STATE", "START", "LEN"])
    new = np.r_[True, (subj[1:] != subj[:-1]) | (state[1:] != state[:-1])]
    rid = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    last = np.r_[first[1:] - 1, len(state) - 1]
    start = iv["START"].to_numpy()[first]
    runs = pd.DataFrame({"SUBJ": subj[first], "STATE": state[first], "START": start,
                         "LEN": iv["END"].to_numpy()[last] - start})
    return rid, runs


def _neutropenic(iv: pd.DataFrame, threshold: float, min_stable: int) -> np.ndarray:
    """Per interval: 1 at or below ``threshold`` (non-stable recoveries filled), else 0."""
    state = (iv["V"].to_numpy(dtype=float) <= threshold).astype(int)
    rid, runs = _runs(iv, state)
    if runs.empty:
        return state
    s, st = runs["SUBJ"].to_numpy(), runs["STATE"].to_numpy()
    below_prev = np.r_[False, (s[1:] == s[:-1]) & (st[:-1] == 1)]
    below_next = np.r_[(s[1:] == s[:-1]) & (st[1:] == 1), False]
    fill = (st == 0) & (runs["LEN"].to_numpy() < min_stable) & below_prev & below_next
    return np.where(fill[rid], 1, state)


def _recovery(iv: pd.DataFrame, state: np.ndarray, min_stable: int) -> pd.DataFrame:
    """RECOVERY_DAY and NEUTROPENIC_PHASES per subject from the filled interval states."""
    _, runs = _runs(iv, state)
    if runs.empty:
        return pd.DataFrame(columns=["RECOVERY_DAY", "NEUTROPENIC_PHASES"])
    below = runs["STATE"] == 1
    runs["SEEN"] = below.astype(int).groupby(runs["SUBJ"]).cumsum()
    rec = runs[(runs["STATE"] == 0) & (runs["LEN"] >= min_stable) & (runs["SEEN"] > 0)]
    names = iv.drop_duplicates("_S").set_index("_S")["USUBJID"]
    out = pd.DataFrame({"RECOVERY_DAY": rec.groupby("SUBJ")["START"].min().astype(float),
                        "NEUTROPENIC_PHASES": below.groupby(runs["SUBJ"]).sum()})
    out.index = names.reindex(out.index).to_numpy()
    return out


def _early_grade(counts: dict[float, pd.Series], never: dict[float, np.ndarray],
                 rules: EarlyRules) -> pd.Series:
    idx = next(iter(counts.values())).index
    grade = pd.Series(0.0, index=idx)
    for g in sorted(rules.grades):   # ascending: a higher grade overwrites a lower one
        met = np.zeros(len(idx), dtype=bool)
        for row in rules.grades[g].any:
            met |= (counts[row.threshold] >= row.min_days).to_numpy()
        if rules.grades[g].never_above is not None:
            met |= never[rules.grades[g].never_above.threshold]
        grade[met] = float(g)
    return grade


def _never_above(iv: pd.DataFrame, st: np.ndarray, rule: NeverAbove, e: EarlyRules,
                 subjects: pd.Index) -> np.ndarray:
    """Per subject: neutropenic (filled states) from an onset on or before ``onset_by_day``
    through day ``last_day`` (days after censoring are not counted, so a count censored before
    day 30 never meets it and its grade is a lower bound)."""
    df = iv.assign(ST=st)
    df = df[(df["START"] <= e.last_day) & (df["END"] > e.first_day)]
    low = df[df["ST"] == 1]
    onset = low.groupby("USUBJID")["START"].min().reindex(subjects)
    end = float(e.last_day + 1)   # censored before day 30: not "never above" (a lower bound)
    after = df.merge(onset.rename("ONSET").reset_index(), on="USUBJID")
    after = after[after["START"] >= after["ONSET"]]
    clipped = np.minimum(after["END"].to_numpy(), e.last_day + 1) - after["START"].to_numpy()
    days = pd.Series(np.where(after["ST"] == 1, clipped, 0)).groupby(
        after["USUBJID"].to_numpy()).sum().reindex(subjects).fillna(0).to_numpy()
    on = onset.to_numpy(dtype=float)
    return (~np.isnan(on)) & (on <= rule.onset_by_day) & (days >= end - on)


def grade_icaht(labs: pd.DataFrame, *, censor: pd.DataFrame | None = None,
                criteria: IcahtCriteria | None = None) -> pd.DataFrame:
    """Early and late neutropenic ICAHT grade, recovery and phases per subject.

    Parameters
    ----------
    labs : pandas.DataFrame
        Laboratory records (USUBJID, PARAMCD, DAY, AVAL; optional UNIT, SEQ); only ANC records
        (PARAMCD in the table's ``paramcd``) are read.
    censor : pandas.DataFrame, optional
        USUBJID, CENSOR_DAY: the first of disease progression, a subsequent line of therapy
        or death; days on or after it are not counted (optional CENSOR_REASON, carried to the
        output; :func:`cartrial.safety.icaht_censor.icaht_censoring` builds the frame).
    criteria : IcahtCriteria, optional
        The grading table (default: the bundled EHA/EBMT 2023 table).

    Returns
    -------
    pandas.DataFrame
        One row per subject with an ANC measurement on or after day 0: USUBJID,
        EARLY_DAYS_ANC_LE500 / _LE100 (cumulative days, day 0-30), EARLY_OBSERVED_DAYS,
        EARLY_COMPLETE (observed through day 30), EARLY_GRADE (0-4), LATE_ASSESSMENTS,
        LATE_GRADE (0-4; NaN without a measurement after day 30), NADIR_ANC, NADIR_DAY,
        RECOVERY_DAY, NEUTROPENIC_PHASES, BIPHASIC, CENSOR_DAY, ICAHT_VERSION.

    Raises
    ------
    RecordError
        A negative ANC or an ANC in another unit (naming the record).
    InputError
        Missing columns, or a censoring frame without USUBJID / CENSOR_DAY.

    References
    ----------
    Rejeski K et al. Immune effector cell-associated hematotoxicity: EHA/EBMT consensus grading
    and best practice recommendations. Blood 2023;142(10):865-877, Table 1.

    Examples
    --------
    >>> labs = pd.DataFrame({"USUBJID": "P1", "PARAMCD": "NEUT", "DAY": [0, 5, 12],
    ...                      "AVAL": [0.4, 0.3, 1.2]})
    >>> int(grade_icaht(labs)["EARLY_GRADE"].iloc[0])   # 12 days <= 0.5 (day 0-11)
    2
    """
    c = criteria or icaht_criteria()
    cens = _censor_days(censor)
    every = _anc_records(labs, cens, c)
    rec = every[~(every["D"].to_numpy() >= every["USUBJID"].map(cens).to_numpy(dtype=float))]
    e = c.early
    iv = _intervals(every, cens, e.first_day)   # [START, END) capped at censoring
    out = _early(iv, e)
    out = out.join(_late(rec, c.late)).join(_nadir(rec, e.first_day))
    st = _neutropenic(iv, c.recovery.threshold, e.min_stable_recovery_days)
    out = out.join(_recovery(iv, st, e.min_stable_recovery_days))
    out["NEUTROPENIC_PHASES"] = out["NEUTROPENIC_PHASES"].fillna(0).astype(int)
    out["BIPHASIC"] = out["NEUTROPENIC_PHASES"] >= 2
    out["CENSOR_DAY"] = cens.reindex(out.index).to_numpy(dtype=float)
    if censor is not None and "CENSOR_REASON" in censor:   # carried as given
        why = censor.assign(USUBJID=censor["USUBJID"].astype(str)).set_index("USUBJID")
        out["CENSOR_REASON"] = why["CENSOR_REASON"].reindex(out.index).fillna("").to_numpy()
    out["ICAHT_VERSION"] = f"{c.name} ({c.version})"
    return out.reset_index().sort_values("USUBJID", kind="stable").reset_index(drop=True)


def _censor_days(censor: pd.DataFrame | None) -> pd.Series:
    """CENSOR_DAY by USUBJID (subjects without one are not censored)."""
    if censor is None:
        return pd.Series(dtype=float)
    require_columns(censor, ["USUBJID", "CENSOR_DAY"], where="grade_icaht censor")
    cd = as_float(censor, "CENSOR_DAY", domain="ADSL")
    cens = pd.Series(cd, index=censor["USUBJID"].astype(str)).dropna()
    if cens.index.duplicated().any():
        raise InputError("grade_icaht censor: one CENSOR_DAY per subject")
    return cens


def _early(iv: pd.DataFrame, e: EarlyRules) -> pd.DataFrame:
    """Early-window day counts, observation and grade per subject (index USUBJID)."""
    codes = iv["_S"].to_numpy()
    uniq, first = np.unique(codes, return_index=True)
    subjects = pd.Index(iv["USUBJID"].to_numpy()[first], name="USUBJID")
    # days of each interval inside the early window [first_day, last_day]
    window = np.clip(np.minimum(iv["END"], e.last_day + 1) - iv["START"], 0, None).to_numpy()

    def per_subject(days: np.ndarray) -> np.ndarray:
        size = uniq.max() + 1 if len(uniq) else 0
        return np.bincount(codes, weights=days, minlength=size)[uniq].astype(int)

    thresholds = sorted({r.threshold for g in e.grades.values() for r in g.any}, reverse=True)
    nevers = [g.never_above for g in e.grades.values() if g.never_above is not None]
    counts, never, out = {}, {}, pd.DataFrame(index=subjects)
    for t in sorted(set(thresholds) | {n.threshold for n in nevers}, reverse=True):
        st = _neutropenic(iv, t, e.min_stable_recovery_days)
        counts[t] = pd.Series(per_subject(window * (st == 1)), index=subjects)
        out[f"EARLY_DAYS_ANC_{_label(t)}"] = counts[t].to_numpy()
        for n in (n for n in nevers if n.threshold == t):
            never[t] = _never_above(iv, st, n, e, subjects) if len(subjects) else []
    out["EARLY_OBSERVED_DAYS"] = per_subject(window)
    reach = iv[(iv["START"] <= e.last_day) & (iv["END"] > e.last_day)]["USUBJID"]
    out["EARLY_COMPLETE"] = subjects.isin(reach)
    out["EARLY_GRADE"] = _early_grade(counts, never, e).to_numpy() if len(subjects) else []
    out.loc[out["EARLY_OBSERVED_DAYS"] == 0, "EARLY_GRADE"] = np.nan
    return out


def _late(rec: pd.DataFrame, rules: LateRules) -> pd.DataFrame:
    late = rec[rec["D"] > rules.after_day]
    n = late.groupby("USUBJID").size()
    grade = pd.Series(0.0, index=n.index)
    for g in sorted(rules.grades):
        k = (late["V"] <= rules.grades[g].threshold).groupby(late["USUBJID"]).sum()
        grade[(k.reindex(n.index) >= rules.min_measurements).to_numpy()] = float(g)
    return pd.DataFrame({"LATE_ASSESSMENTS": n, "LATE_GRADE": grade})


def _nadir(rec: pd.DataFrame, first_day: int) -> pd.DataFrame:
    post = rec[rec["D"] >= first_day]
    i = post.groupby("USUBJID")["V"].idxmin()
    return pd.DataFrame({"NADIR_ANC": post.loc[i, "V"].to_numpy(),
                         "NADIR_DAY": post.loc[i, "D"].to_numpy(dtype=float)}, index=i.index)
