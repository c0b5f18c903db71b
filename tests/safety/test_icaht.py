"""Neutropenic ICAHT (EHA/EBMT consensus: Rejeski K et al., Blood 2023;142(10):865-877,
Table 1). Hand-worked cases written from the table's rows (not from the YAML): each case builds
an ANC course whose day count is worked out by hand in the comment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.errors import InputError, RecordError
from cartrial.safety import grade_icaht, icaht_table


def course(points: list[tuple[float, float]], subject: str = "P") -> pd.DataFrame:
    return pd.DataFrame({"USUBJID": subject, "PARAMCD": "NEUT",
                         "DAY": [d for d, _ in points], "AVAL": [v for _, v in points]})


def low_for(days: int, value: float = 0.4, start: int = 1) -> pd.DataFrame:
    """ANC 2.0 before, ``value`` on days start .. start+days-1, 2.0 after, measured to day 60."""
    pts = [(-5, 2.0), (start, value), (start + days, 2.0), (60, 2.0)]
    return course(pts)


def early(df: pd.DataFrame, **kw) -> pd.Series:
    return grade_icaht(df, **kw).iloc[0]


@pytest.mark.parametrize(("days", "grade"), [(0, 0), (1, 1), (6, 1), (7, 2), (13, 2), (14, 3),
                                             (29, 3)])
def test_early_anc_500_row_duration_bounds(days: int, grade: int) -> None:
    # Table 1, early ICAHT, row "ANC <= 500/uL": <7 days grade 1, 7-13 days grade 2, >= 14
    # days grade 3 (days 1 .. days counted; day 0 carries the pre-infusion 2.0)
    r = early(low_for(days) if days else course([(-5, 2.0), (60, 2.0)]))
    assert r["EARLY_DAYS_ANC_LE500"] == days
    assert r["EARLY_GRADE"] == grade


def test_never_above_500_is_grade_4() -> None:
    """Table 1, early ICAHT grade 4: "ANC never above 500/uL". Read as public automated
    implementations of the grading read it: ANC <= 500/uL from an onset on or before day +3,
    without a stable recovery, through day +30 (the ANC of day 0 precedes the nadir)."""
    # ANC 0.3 from before infusion through day 30: 31 days -> grade 4
    r = early(course([(-1, 0.3), (31, 1.0), (45, 2.0)]))
    assert r["EARLY_DAYS_ANC_LE500"] == 31 and r["EARLY_GRADE"] == 4
    # above 500 on day 0 (before the nadir), <= 500 from day 1 to day 30: grade 4
    r = early(course([(-1, 0.6), (1, 0.3), (31, 1.0), (45, 2.0)]))
    assert r["EARLY_DAYS_ANC_LE500"] == 30 and r["EARLY_GRADE"] == 4
    # onset on day 3 (the last day allowed): 28 days -> grade 4; on day 4: 27 days -> grade 3
    r = early(course([(-1, 0.6), (3, 0.3), (31, 1.0), (45, 2.0)]))
    assert r["EARLY_DAYS_ANC_LE500"] == 28 and r["EARLY_GRADE"] == 4
    r = early(course([(-1, 0.6), (4, 0.3), (31, 1.0), (45, 2.0)]))
    assert r["EARLY_DAYS_ANC_LE500"] == 27 and r["EARLY_GRADE"] == 3
    # a stable recovery (3 days above 500: days 10-12) -> not "never above": 28 days, grade 3
    r = early(course([(-1, 0.6), (1, 0.3), (10, 0.7), (13, 0.3), (31, 1.0), (45, 2.0)]))
    assert r["EARLY_DAYS_ANC_LE500"] == 27 and r["EARLY_GRADE"] == 3
    # a non-stable one (2 days: 10-11) is no recovery: still never above -> grade 4
    r = early(course([(-1, 0.6), (1, 0.3), (10, 0.7), (12, 0.3), (31, 1.0), (45, 2.0)]))
    assert r["EARLY_DAYS_ANC_LE500"] == 30 and r["EARLY_GRADE"] == 4
    # recovered on day 30 itself: 29 days (1-29) -> grade 3
    r = early(course([(-1, 0.6), (1, 0.3), (30, 1.0), (45, 2.0)]))
    assert r["EARLY_DAYS_ANC_LE500"] == 29 and r["EARLY_GRADE"] == 3
    # death on day 12 (12.5) without recovery from day 1: the count is censored (12 days, a
    # lower bound) and "never above" cannot be established -> grade 2, EARLY_COMPLETE False
    r = early(course([(-1, 0.6), (1, 0.3), (12, 0.2)]),
              censor=pd.DataFrame({"USUBJID": ["P"], "CENSOR_DAY": [12.5]}))
    assert r["EARLY_DAYS_ANC_LE500"] == 12 and r["EARLY_GRADE"] == 2
    assert not r["EARLY_COMPLETE"]


@pytest.mark.parametrize(("days", "grade"), [(6, 2), (7, 3), (13, 3), (14, 4)])
def test_early_anc_100_row(days: int, grade: int) -> None:
    # Table 1, row "ANC <= 100/uL": >= 7 days grade 3, >= 14 days grade 4. Course: ANC 0.05 on
    # days 1 .. days, then 0.4 for 1 more day (<= 500 for days + 1 days, < 14 when days <= 12)
    pts = [(-5, 2.0), (1, 0.05), (1 + days, 0.4), (2 + days, 2.0), (60, 2.0)]
    r = early(course(pts))
    assert r["EARLY_DAYS_ANC_LE100"] == days
    assert r["EARLY_DAYS_ANC_LE500"] == days + 1
    assert r["EARLY_GRADE"] == grade


def test_threshold_is_at_or_below() -> None:
    # "ANC <= 500/uL": 0.5 counts, 0.51 does not
    assert early(low_for(7, value=0.5))["EARLY_GRADE"] == 2
    assert early(low_for(7, value=0.51))["EARLY_GRADE"] == 0
    assert early(low_for(7, value=0.1))["EARLY_DAYS_ANC_LE100"] == 7


def test_non_stable_recovery_counts_towards_the_total() -> None:
    # <= 500 on days 2-5 (4), above on 6-7 (2 days: not a stable recovery), <= 500 on 8-9 (2):
    # 4 + 2 + 2 = 8 days -> grade 2
    pts = [(-5, 2.0), (2, 0.3), (6, 0.7), (8, 0.3), (10, 2.0), (60, 2.0)]
    r = early(course(pts))
    assert r["EARLY_DAYS_ANC_LE500"] == 8 and r["EARLY_GRADE"] == 2
    # the same with a 3-day recovery (6-8): 4 + 2 = 6 days -> grade 1, two phases
    pts = [(-5, 2.0), (2, 0.3), (6, 0.7), (9, 0.3), (11, 2.0), (60, 2.0)]
    r = early(course(pts))
    assert r["EARLY_DAYS_ANC_LE500"] == 6 and r["EARLY_GRADE"] == 1
    assert r["NEUTROPENIC_PHASES"] == 2 and bool(r["BIPHASIC"])
    assert r["RECOVERY_DAY"] == 6


def test_biphasic_phases_add_up_and_recovery_day() -> None:
    # <= 500 on days 1-8 (8), stable recovery 9-19, second dip 20-26 (7): 15 days -> grade 3
    pts = [(-5, 2.0), (1, 0.2), (9, 1.5), (20, 0.4), (27, 1.8), (60, 2.0)]
    r = early(course(pts))
    assert r["EARLY_DAYS_ANC_LE500"] == 15 and r["EARLY_GRADE"] == 3
    assert bool(r["BIPHASIC"]) and r["RECOVERY_DAY"] == 9
    assert r["NADIR_ANC"] == 0.2 and r["NADIR_DAY"] == 1


def test_values_carry_forward_between_measurements_only() -> None:
    # weekly counts: 0.4 on day 0, 0.3 on day 7, 0.6 on day 14 -> days 0-13 (14) -> grade 3
    r = early(course([(0, 0.4), (7, 0.3), (14, 0.6), (21, 1.0), (35, 2.0)]))
    assert r["EARLY_DAYS_ANC_LE500"] == 14 and r["EARLY_GRADE"] == 3 and r["EARLY_COMPLETE"]
    # the last count (day 10) is not carried beyond itself: days 0-10 (11) -> grade 2, and the
    # early window is incomplete (a lower bound)
    r = early(course([(0, 0.4), (10, 0.3)]))
    assert r["EARLY_DAYS_ANC_LE500"] == 11 and r["EARLY_GRADE"] == 2
    assert not r["EARLY_COMPLETE"] and np.isnan(r["RECOVERY_DAY"])


def test_censoring_at_progression_therapy_or_death() -> None:
    # ANC 0.3 from day 0; death during day 10 (10.4): days 0-10 counted (11) -> grade 2; the
    # record at 10.2 is before death and counted, nothing from day 11 on
    df = course([(0, 0.3), (10.2, 0.3), (20, 0.3), (40, 0.3), (50, 0.3)])
    r = early(df, censor=pd.DataFrame({"USUBJID": ["P"], "CENSOR_DAY": [10.4]}))
    assert r["EARLY_DAYS_ANC_LE500"] == 11 and r["EARLY_GRADE"] == 2
    assert not r["EARLY_COMPLETE"] and r["CENSOR_DAY"] == 10.4
    assert np.isnan(r["LATE_GRADE"])   # nothing after day 30 is counted
    with pytest.raises(InputError):
        grade_icaht(df, censor=pd.DataFrame({"USUBJID": ["P"]}))


@pytest.mark.parametrize(("late", "grade"), [
    ([1.6, 1.7], 0), ([1.5, 1.5], 1), ([1.0, 1.2], 1), ([1.0, 0.9], 2), ([0.5, 0.4], 3),
    ([0.1, 0.05], 4), ([0.05, 1.2], 1), ([0.05], 0)])
def test_late_icaht_depth_on_two_measurements(late: list[float], grade: int) -> None:
    # Table 1, late ICAHT (after day +30): ANC <= 1500 / 1000 / 500 / 100 per uL = grade 1-4,
    # non-transient (at least two measurements at or below the threshold)
    pts = [(-5, 2.0), (30, 0.05)] + [(45 + 15 * i, v) for i, v in enumerate(late)]
    r = early(course(pts))
    assert r["LATE_GRADE"] == grade and r["LATE_ASSESSMENTS"] == len(late)


def test_bad_input_names_the_record() -> None:
    df = course([(0, 0.4), (3, -0.1)]).assign(SEQ=[11, 12])
    with pytest.raises(RecordError) as e:
        grade_icaht(df)
    assert e.value.finding.seq == 12 and e.value.finding.variable == "AVAL"
    df = course([(0, 0.4)]).assign(UNIT="/uL")
    with pytest.raises(RecordError):
        grade_icaht(df)
    with pytest.raises(InputError):
        grade_icaht(df.drop(columns="DAY"))


def test_only_anc_records_and_subjects_after_infusion() -> None:
    df = pd.concat([course([(0, 0.3), (20, 1.0)], "A"), course([(-3, 0.3)], "B"),
                    course([(0, 0.1)], "C").assign(PARAMCD="PLAT")])
    r = grade_icaht(df)
    assert r["USUBJID"].tolist() == ["A"]


def test_table_counts_by_dose_level() -> None:
    """Regression test (counts of the hand-worked courses above, by dose level)."""
    df = pd.concat([low_for(7).assign(USUBJID="A"), low_for(14).assign(USUBJID="B"),
                    course([(-5, 2.0), (60, 2.0)], "C")])
    subjects = pd.DataFrame({"USUBJID": ["A", "B", "C"], "DOSE_LEVEL": ["1", "1", "2"]})
    t = icaht_table(grade_icaht(df), subjects)
    v = t.set_index(["ROW", "COLUMN"])["VALUE"]
    assert v[("Early ICAHT (day 0-30): any grade", "1")] == "2 (100.0%)"
    assert v[("Early ICAHT (day 0-30): grade 3", "Overall")] == "1 (33.3%)"
    assert v[("Early ICAHT (day 0-30): grade >= 3", "2")] == "0 (0.0%)"
    assert v[("Days with ANC <= 0.5 x10^9/L, day 0-30", "1")] == "10 (7-14)"


@settings(max_examples=40, deadline=None)
@given(vals=st.lists(st.floats(0.0, 3.0), min_size=3, max_size=12),
       drop=st.floats(0.0, 1.0))
def test_lower_counts_never_lower_the_grade(vals: list[float], drop: float) -> None:
    days = np.linspace(0, 60, len(vals)).round()
    base = course(list(zip(days, vals, strict=True)))
    worse = base.assign(AVAL=base["AVAL"] * drop)
    a, b = grade_icaht(base).iloc[0], grade_icaht(worse).iloc[0]
    assert b["EARLY_GRADE"] >= a["EARLY_GRADE"]
    assert b["EARLY_DAYS_ANC_LE500"] >= a["EARLY_DAYS_ANC_LE500"]
