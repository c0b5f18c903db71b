"""Regression test (issue #18): each patient's DLT status at a date, taken from the study's
laboratory records graded once and cut (``safety.graded_once`` inside ``conduct.known_on``),
equals the per-date recomputation (``safety_inputs(snapshot(study, date))`` graded at that date).

This is a regression test - it compares the fast path with the slower path it replaces, not
with an outside reference (the DLT rules themselves are checked against the protocol's and the
guidelines' examples in ``tests/safety``, the history against the example's truth in
``test_history.py``). Dates: seeded dates over each trial, each infusion day and the day after,
and every day from each DLT's onset to the first date its DLT is adjudicated (a DLT whose
duration rule is met only days after the onset is pending in between).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cartrial.conduct import from_study as fs
from cartrial.conduct.known_on import KnownOn, known_on
from cartrial.safety.ctcae import grade_labs
from cartrial.safety.graded_once import GradedLabs
from cartrial.safety.guidelines import ctcae_lab_criteria
from cartrial.safety.sdtm import safety_inputs
from tests.conduct.test_known_on import _dates, trial  # seeded dates; the generated trials

#: the example as ``cartrial example ct071`` writes it (seed 20240228) and two seeded scenarios
CASES = [("default", 20240228), ("toxic-dose", 4), ("late-dlt", 3)]


def _fast(k: KnownOn, when: pd.Timestamp | None) -> pd.DataFrame:
    with known_on(k, cutting=True):
        return fs.dlt_status(k.study, k.protocol, when)


def _between_onset_and_call(k: KnownOn) -> tuple[list[pd.Timestamp], int]:
    """Per DLT: its onset, the day after, the day before the fast path first calls it a DLT
    and that day (the days in between: pending or not yet known); and how many DLTs are called
    after their onset day."""
    final = _fast(k, None)
    days, late = [], 0
    for _, r in final[final["DLT"] == "yes"].iterrows():
        onset = (r["INFUSION_DATE"] + pd.Timedelta(days=float(r["DLT_ONSET_DAY"]))).normalize()
        for i in range(40):
            now = _fast(k, onset + pd.Timedelta(days=i))
            if (now.loc[now["USUBJID"] == r["USUBJID"], "DLT"] == "yes").all():
                break
        days += [onset + pd.Timedelta(days=j) for j in sorted({0, min(1, i), max(i - 1, 0), i})]
        late += i > 0
    return days, late


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "seed"), CASES)
def test_dlt_status_from_labs_graded_once_equals_the_per_date_recomputation(scenario, seed):
    study, proto = trial(scenario, seed)
    k = KnownOn(study, proto)
    assert k.usable
    days = set(_dates(fs.escalation_subjects(study), seed))
    between, late = _between_onset_and_call(k)
    assert late, "a DLT known only days after its onset (a duration rule)"
    taken, ask = [], k.graded_labs
    k.graded_labs = lambda inputs: taken.append(ask(inputs)) or taken[-1]
    for when in [None, *sorted(days | set(between))]:
        fast = _fast(k, when)
        slow = fs.dlt_status(study, proto, when)  # no known_on block: rebuilt and graded
        assert_frame_equal(fast, slow, obj=f"DLT status on {when}")
    assert sum(t is not None for t in taken) >= 8  # the graded-once path was taken


def test_a_cut_without_a_baseline_record_is_graded_on_its_own():
    """GradedLabs answers None (the caller grades) when a subject's baseline record is left out,
    and a cut that keeps it equals grading the cut (regression test against grade_labs)."""
    study, proto = trial("default", 20240228)
    labs = safety_inputs(study, proto).labs
    g = GradedLabs(labs, proto, batch_subjects=4)
    s = proto.safety
    crit = ctcae_lab_criteria(s.ctcae_version)
    day = labs["DAY"].to_numpy(dtype=float)
    keep = np.flatnonzero(day < 20)
    got = g.take(keep)
    want = grade_labs(labs.iloc[keep], criteria=crit,
                      treatment_emergent_until_day=s.treatment_emergent_until_day)
    assert_frame_equal(got, want)
    assert_frame_equal(g.take(None), grade_labs(
        labs, criteria=crit, treatment_emergent_until_day=s.treatment_emergent_until_day))
    assert g.take(np.flatnonzero(day > 0)) is None  # baselines (day <= 0) left out
    assert g.take(keep[::-1]) is None  # positions out of order


def test_a_study_whose_labs_grade_lab_refuses_grades_each_cut():
    study, proto = trial("default", 20240228)
    labs = safety_inputs(study, proto).labs.copy()
    labs.loc[len(labs) - 1, "AVAL"] = -1.0  # refused: a laboratory value cannot be < 0
    g = GradedLabs(labs, proto)
    assert not g.usable and g.take(None) is None
