"""example/assessments.py: which disease assessments are held and the course they show.

Checked against the protocol's schedule (ct071: response visits on days 28-365 within 7 days,
then every 90 days to day 730; marrow at the MRD visits), the IMWG 2016 rule that progression
is confirmed by a second assessment (Kumar S et al., Lancet Oncol 2016;17:e328-46, "Response
criteria": "two consecutive assessments"), and hand-worked facts of the plan.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from cartrial.example import disease as dz
from cartrial.example.assessments import simulate_assessments
from tests.example.conftest import protocol

N = 240


@cache
def _run():
    rng = np.random.default_rng(7)
    mdtype = np.array(["SERUM", "URINE", "FLC"], dtype=object)[np.arange(N) % 3]
    ppcl = np.arange(N) % 8 == 0
    plan = dz.plan_disease(rng, mdtype, ppcl, (0.4, 0.2, 0.15, 0.1, 0.1, 0.05), 0.2, 12, 0.5)
    light = np.where(np.arange(N) % 2 == 0, "KAPPA", "LAMBDA").astype(object)
    conv = np.arange(N) % 4 == 1
    end_day = np.where(np.arange(N) % 5 == 0, 200, 730)
    base_day = -(10 + np.arange(N) % 17)
    res = simulate_assessments(np.random.default_rng(8), np.random.default_rng(9), protocol(),
                               plan, light, conv, end_day, base_day)
    return plan, conv, end_day, base_day, res


def test_assessments_follow_the_protocols_response_schedule_within_its_window():
    _, _, end_day, base_day, res = _run()
    a = res.table
    post = a[a["nom"] != -1]
    sched = protocol().schedule.response
    # hand-worked: the listed days, then every 90 days after day 365 up to day 730
    assert set(post["nom"]) <= set(sched.days) | {455, 545, 635, 725}
    assert (abs(post["day"] - post["nom"]) <= sched.window_days).all()
    assert (post["day"].to_numpy() <= end_day[post["pat"].to_numpy()]).all()
    base = a[a["nom"] == -1].set_index("pat")
    assert len(base) == N and (base["day"] == base_day[base.index]).all()
    assert a.groupby("pat")["day"].apply(lambda s: s.is_monotonic_increasing).all()


def test_marrow_is_examined_at_baseline_and_the_mrd_visits_only():
    _, _, _, _, res = _run()
    a = res.table
    marrow = a[a["marrow"]]
    assert set(marrow["nom"]) <= {-1, *protocol().schedule.mrd.days}
    assert set(a.loc[res.mrd_test, "nom"]) <= set(protocol().schedule.mrd.days)
    # MRD negative only when tested, with under 5 % of the tumour left and before progression
    neg = a[res.mrd_negative]
    assert res.mrd_test[res.mrd_negative].all() and (neg["f"] < 0.05).all()
    assert (neg["day"].to_numpy() < res.pd_day[neg["pat"].to_numpy()]).all()


def test_progression_is_confirmed_by_a_second_assessment_and_then_assessments_stop():
    plan, _, _, _, res = _run()
    a = res.table
    post = a[a["nom"] != -1]
    progressed = np.flatnonzero(np.isfinite(res.pd_day))
    assert len(progressed) > 10
    for p in progressed:
        rows = post[post["pat"] == p]
        after = rows[rows["day"] >= res.pd_day[p]]
        assert len(after) == 2, p                      # the first PD and the confirming one
        assert (after["cat"] == 6).all() and after["conf"].iloc[0] == 6
        delay = res.new_therapy_day[p] - after["day"].iloc[1]
        assert 7 <= delay <= 21                        # next therapy 7-21 days later
    assert np.isinf(res.new_therapy_day[np.isinf(res.pd_day)]).all()
    # primary refractory disease (planned depth PD) with two assessments is confirmed PD
    refractory = np.flatnonzero(plan["depth"].to_numpy() == 5)
    seen = [p for p in refractory if (post["pat"] == p).sum() >= 2]
    assert seen and np.isfinite(res.pd_day[seen]).all()


def test_written_values_are_rounded_as_the_site_writes_them():
    plan, conv, _, _, res = _run()
    a = res.table
    c = conv[a["pat"].to_numpy()]
    # g/dL with 2 decimals at the conventional-unit site = multiples of 0.1 g/L; mg/L with one
    # decimal elsewhere; nothing below the electrophoresis limit (1 g/L) is quantified
    s = a["S"].to_numpy()
    assert np.allclose(np.round(s[c] * 10), s[c] * 10)
    assert not ((s > 0) & (s < dz.SERUM_DETECT_G_L)).any()
    assert not ((a["U"] > 0) & (a["U"] < dz.URINE_DETECT_MG)).any()
    flc = a["mdtype"] == "FLC"
    assert not a.loc[flc, "UIFE"].any()                # FLC-only disease: urine IFE negative
    # pPCL: a 200-cell smear counts in 0.5 % steps and sees nothing below 1 %
    pb = a.loc[a["ppcl"], "PB"].to_numpy()
    assert np.allclose(pb * 2, np.round(pb * 2)) and not ((pb > 0) & (pb < 1)).any()
    assert a.loc[~a["ppcl"], "PB"].isna().all()
    # the baseline the response is measured against is the patient's own baseline row
    base = a[a["nom"] == -1].set_index("pat")
    assert (a["S0"].to_numpy() == base.loc[a["pat"], "S"].to_numpy()).all()
    assert pd.Series(a["day"]).notna().all()
