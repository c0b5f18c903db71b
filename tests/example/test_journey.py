"""example/journey.py: the day-0 frame, visit windows and how follow-up ends.

Checked against hand-worked schedules, the SDTM rule that there is no study day 0
(SDTMIG v3.4 section 4.4.4) and the deaths the trial's truth and DM record.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from cartrial.example.journey import (
    END_REASONS,
    FOLLOW_UP_END_DAY,
    Journey,
    data_cutoff,
    draw_fate,
    visit_grid,
)
from tests.example.conftest import trial


def test_study_day_skips_day_zero_and_dates_count_from_the_infusion():
    j = Journey(np.array(["A", "B"], dtype=object),
                np.array(["2024-02-28", "2024-12-31"], dtype="datetime64[D]"),
                np.array(["001", "002"]), np.array([False, True]), np.array([10, 10]))
    assert j.dy(np.array([0, 0, 0]), np.array([-1, 0, 1])).tolist() == [-1, 1, 2]
    # 2024 is a leap year: day 1 after 28 Feb is 29 Feb; day 1 after 31 Dec is 1 Jan 2025
    assert [str(d) for d in j.date(np.array([0, 1]), np.array([1, 1]))] == [
        "2024-02-29", "2025-01-01"]


def test_visit_windows_are_narrowed_so_neighbours_never_cross():
    # hand-worked: days 0, 7, 10, 30 with window 7; gaps 7, 3, 20 -> half-gaps 3, 1, 9;
    # windows min(7, left, right) = 3, 1, 1, 7; days before 8 do not move -> 0, 0, 1, 7
    n = 400
    pat, nom, act = visit_grid([30, 0, 10, 7], 7, n, np.full(n, 100),
                               np.random.default_rng(5), 0.0)
    shift = pd.Series(act - nom).groupby(nom)
    assert shift.min().to_dict() == {0: 0, 7: 0, 10: -1, 30: -7}
    assert shift.max().to_dict() == {0: 0, 7: 0, 10: 1, 30: 7}
    assert len(pat) == 4 * n
    per = pd.DataFrame({"pat": pat, "act": act}).groupby("pat")["act"]
    assert per.apply(lambda s: s.is_monotonic_increasing).all()


def test_missed_visits_and_visits_after_the_end_are_not_held():
    n = 50
    end = np.arange(n)  # patient i followed to day i
    pat, nom, act = visit_grid([0, 7, 14, 28], 2, n, end, np.random.default_rng(1), 1.0)
    assert set(nom) == {0}  # every visit after day 0 missed, day 0 never
    pat, nom, act = visit_grid([0, 7, 14, 28], 2, n, end, np.random.default_rng(1), 0.0)
    assert (act <= end[pat]).all()
    assert ((nom == 28) & (pat < 26)).sum() == 0  # day 28 +/- 2 not reached before day 26


def test_follow_up_ends_at_the_first_of_death_withdrawal_loss_cutoff_and_day_730():
    rng = np.random.default_rng(11)
    n = 20000
    t_pd = np.where(np.arange(n) % 2 == 0, 100.0, np.inf)
    fate = draw_fate(rng, t_pd, np.full(n, 2000))
    assert fate.end_day.max() == FOLLOW_UP_END_DAY
    assert (fate.end_day[fate.died] == fate.death_day[fate.died]).all()
    # a death counted as disease-related comes after progression; without progression every
    # death is a non-relapse death
    relapse_death = fate.died & ~fate.nrm_death
    assert (fate.death_day[relapse_death] >= 100).all()
    assert np.isfinite(t_pd[relapse_death]).all()
    assert (fate.nrm_death[fate.died & np.isinf(t_pd)]).all()
    # non-relapse deaths (sepsis) fall on days 45-399, before any progression
    nrm = fate.death_day[fate.nrm_death]
    assert nrm.min() >= 45 and nrm.max() < 400
    assert 0.02 < fate.nrm_death[np.isinf(t_pd)].mean() < 0.04  # 3 %, less the censored
    assert set(np.array(END_REASONS)[fate.why]) == set(END_REASONS) - {"ONGOING"}
    cut = draw_fate(np.random.default_rng(2), np.full(5, np.inf), np.full(5, 10))
    assert cut.end_day.tolist() == [10] * 5


def test_data_cutoff_is_the_last_infusion_plus_the_scenarios_follow_up():
    enr = SimpleNamespace(infusion=np.array(["2024-01-05", "NaT", "2024-03-01"],
                                            dtype="datetime64[D]"),
                          apheresis=np.array(["2023-12-01"] * 3, dtype="datetime64[D]"))
    sc = SimpleNamespace(follow_up_after_last_days=180)
    assert str(data_cutoff(enr, sc)) == "2024-08-28"
    none = SimpleNamespace(infusion=np.array(["NaT"], dtype="datetime64[D]"),
                           apheresis=np.array(["2024-01-01"], dtype="datetime64[D]"))
    assert str(data_cutoff(none, sc)) == "2024-06-29"


def test_the_deaths_drawn_are_the_deaths_dm_and_the_truth_record():
    t = trial("early-progression", 2)
    subj = t.truth["subjects"].set_index("USUBJID")
    dm = t.domains["DM"].set_index("USUBJID")
    dead = subj[subj["death_dtc"] != ""]
    assert len(dead) > 0
    assert (dm.loc[dead.index, "DTHDTC"] == dead["death_dtc"]).all()
    assert (dm.loc[dead.index, "DTHFL"] == "Y").all()
