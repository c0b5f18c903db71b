"""Calendar-time TITE-BOIN / TITE-CRM simulation and the lock-step CRM simulator.

With accrual so slow that every patient completes the DLT window before the next arrives,
TITE-BOIN is BOIN (Yuan Y et al., Clin Cancer Res 2018;24:4921-30: phat = y/n when nothing is
pending), so its OC must agree
with BOIN's exact OC within Monte Carlo error; TITE-CRM likewise with CRM.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cartrial.design.exact_oc import exact_oc
from cartrial.design.simulate_oc import simulate_oc
from cartrial.design.simulate_plan import make_plan
from cartrial.design.simulate_tite import run_tite, tite_draws
from cartrial.protocol import DesignSpec

BASE = {"target": 0.3, "cohort_size": 3, "max_sample_size": 18, "dlt_window_days": 28}
SCEN = [0.1, 0.25, 0.4, 0.55]
SLOW = {"patients_per_month": 0.01, "stagger_days": 0}


def test_tite_boin_with_complete_follow_up_matches_exact_boin():
    ex = exact_oc(dict(BASE, name="boin"), SCEN)
    mc = simulate_oc(dict(BASE, name="tite-boin", accrual=SLOW), SCEN, 8000, seed=2)
    for col in ("pct_selected", "mean_patients", "mean_dlts"):
        diff = np.abs(mc.per_dose[col] - ex.per_dose[col]).to_numpy()
        assert np.all(diff <= 3 * mc.per_dose[f"se_{col}"].to_numpy() + 1e-12), col


def test_tite_crm_with_complete_follow_up_matches_crm():
    spec = dict(BASE, crm={"prior_mtd_level": 2})
    a = simulate_oc(dict(spec, name="crm"), SCEN, 6000, seed=4)
    b = simulate_oc(dict(spec, name="tite-crm", accrual=SLOW), SCEN, 6000, seed=5)
    se = np.sqrt(a.per_dose.se_pct_selected**2 + b.per_dose.se_pct_selected**2)
    assert np.all(np.abs(a.per_dose.pct_selected - b.per_dose.pct_selected) <= 3 * se + 1e-12)


@pytest.mark.parametrize("name", ["tite-boin", "tite-crm", "crm"])
def test_reproducible_and_batch_size_independent(name):
    spec = dict(BASE, name=name, accrual={"patients_per_month": 4})
    a = simulate_oc(spec, SCEN, 2100, seed=9, batch_trials=1024)
    b = simulate_oc(spec, SCEN, 2100, seed=9, batch_trials=10_000)
    pd.testing.assert_frame_equal(a.per_dose, b.per_dose, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(a.overall, b.overall, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("onset", ["uniform", "weibull"])
def test_fast_accrual_suspends_and_still_finishes(onset):
    # 100 patients a month: most decisions find patients pending (TITE-BOIN suspends)
    plan = make_plan(dict(BASE, name="tite-boin", accrual={"patients_per_month": 100}), SCEN)
    draws = tite_draws(plan, np.random.default_rng(1), 500, dlt_onset=onset, weibull_shape=1.5)
    n, y, sel, dur = run_tite(plan, *draws)
    assert (n.sum(axis=1) <= 18).all() and (y <= n).all()
    assert np.isfinite(dur).all() and (dur >= 28).all()
    assert ((sel >= -1) & (sel < 4)).all()


def test_faster_accrual_shortens_the_trial():
    slow = simulate_oc(dict(BASE, name="tite-boin", accrual={"patients_per_month": 1}), SCEN, 2000)
    fast = simulate_oc(dict(BASE, name="tite-boin", accrual={"patients_per_month": 8}), SCEN, 2000)
    assert fast.overall.mean_duration_days[0] < slow.overall.mean_duration_days[0]


def test_dlt_onset_within_window():
    plan = make_plan(dict(BASE, name="tite-boin"), SCEN)
    for onset in ("uniform", "weibull"):
        _, _, t, _ = tite_draws(plan, np.random.default_rng(0), 2000, dlt_onset=onset)
        assert (t > 0).all() and (t <= 28 + 1e-9).all()


def test_crm_certain_toxicity_stops_early_and_no_toxicity_selects_top():
    spec = dict(BASE, name="crm", crm={"prior_mtd_level": 2})
    tox = simulate_oc(spec, [0.95, 0.97, 0.98, 0.99], 500, seed=1)
    assert tox.overall.pct_early_stop[0] > 95
    safe = simulate_oc(spec, [0.0, 0.0, 0.0, 0.0], 500, seed=1)
    assert safe.per_dose.pct_selected.iloc[-1] == pytest.approx(100)


@st.composite
def held_dose1(draw):
    # y DLTs, `done` completed without DLT, c <= y + done pending (so c <= n/2: not the
    # pending-fraction suspension), follow-up days of each pending patient
    y = draw(st.integers(1, 3))
    done = draw(st.integers(0, 2))
    c = draw(st.integers(1, y + done))
    follow = draw(st.lists(st.floats(0.5, 20.0), min_size=c, max_size=c))
    return y, follow, done


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(held_dose1())
def test_dose1_hold_lifts_when_follow_up_brings_phat_to_lambda_d(case):
    y, follow, done = case
    # TITE-BOIN (Yuan et al. 2018): at dose 1 with phat = y/(n - c + F/T) > lambda_d and patients
    # pending,
    # accrual is held; phat falls as follow-up accrues, so the hold lifts at a computable time
    from cartrial.design.factory import design_from_spec
    from cartrial.design.simulate_tite_decide import _hold_release
    from cartrial.design.state import PendingPatient, TrialState

    spec = DesignSpec.model_validate(dict(BASE, name="tite-boin", max_sample_size=60))
    design = design_from_spec(spec, 2)
    c = len(follow)
    n0 = y + done + c
    t = 100.0

    def state(extra: float) -> TrialState:
        pend = tuple(PendingPatient(0, f + extra) for f in follow)
        return TrialState(n=(n0, 0), y=(y, 0), current=0, pending=pend, dlt_window=28.0)

    assume(design.decide(state(0.0)).rule == "suspend: hold at dose 1")
    plan = make_plan(spec, [0.3, 0.5])
    # patient arrays: y observed DLTs, `done` completed without DLT, c pending
    entry = np.array([[50.0] * y + [10.0] * done + [t - f for f in follow]])
    pdose = np.zeros_like(entry, dtype=np.int64)
    dlt = np.array([[True] * y + [False] * (done + c)])
    resolve = np.array([[60.0] * y + [38.0] * done + [t - f + 28.0 for f in follow]])
    pending = (entry <= t) & (resolve > t)
    rel = _hold_release(
        plan,
        np.array([[t]]),
        (np.array([0]), slice(0, entry.shape[1])),
        entry,
        pdose,
        dlt,
        resolve,
        pending,
        np.array([[n0, 0]]),
        np.array([0]),
        np.array([0]),
    )[0]
    first_resolution = min(28.0 - f for f in follow)
    dt = rel - t
    assume(0.01 < dt < first_resolution - 0.01)
    assert design.decide(state(dt - 0.005)).rule == "suspend: hold at dose 1"
    assert design.decide(state(dt + 0.005)).action != "suspend"


def test_arrival_after_a_suspension_is_a_fresh_exponential_gap():
    # Poisson accrual (TITEgBOIN get_oc_TITE_QuasiBOIN draws rexp() for every arrival, including
    # those turned away while accrual is suspended). No DLTs, cohorts of 1, one patient per dose:
    # each decision finds the previous patient pending at the current dose (c = n = 1 > 0.5 n),
    # so accrual is suspended until that patient completes the window w; by the memoryless
    # property the next patient enters w + Exp(mean mu) after the previous one, and the
    # expected duration is (N - 1)(w + mu) + w with standard deviation mu sqrt(N - 1).
    k, w, ppm = 6, 28.0, 1.0
    mu = 30.4375 / ppm
    spec = dict(target=0.3, cohort_size=1, max_sample_size=k, dlt_window_days=w,
                name="tite-boin", accrual={"patients_per_month": ppm})
    oc = simulate_oc(spec, [0.0] * k, 4000, seed=11)
    assert oc.per_dose.mean_patients.tolist() == pytest.approx([1.0] * k)
    expected = (k - 1) * (w + mu) + w
    got = oc.overall.mean_duration_days[0]
    se = mu * np.sqrt(k - 1) / np.sqrt(4000)
    assert oc.overall.se_mean_duration_days[0] == pytest.approx(se, rel=0.1)
    assert abs(got - expected) <= 3 * se
