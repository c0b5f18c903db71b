"""BOIN with backfill (BF-BOIN; Zhao, Yuan, Korn & Freidlin, Clin Cancer Res 2024): simulated in
lock-step,
backfilled patients' DLTs count; without backfill arrivals it is BOIN exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.design.exact_oc import exact_oc
from cartrial.design.selection import elimination_flags
from cartrial.design.simulate_backfill import backfill_draws, run_backfill
from cartrial.design.simulate_oc import simulate_oc
from cartrial.design.simulate_plan import make_plan
from cartrial.errors import InputError

BASE = {"target": 0.3, "cohort_size": 3, "max_sample_size": 24, "dlt_window_days": 28}
SCEN = [0.05, 0.15, 0.3, 0.45, 0.6]
BF = {"enabled": True, "max_per_dose": 12}


def test_no_backfill_arrivals_is_plain_boin():
    # with (almost) no accrual during DLT windows no patient is backfilled; every dose below the
    # current one was left by escalation, so the BF-BOIN conflict rule never fires
    slow = {"patients_per_month": 1e-7}
    a = simulate_oc(dict(BASE, name="boin", accrual=slow), SCEN, 3000, seed=8)
    b = simulate_oc(dict(BASE, name="boin", accrual=slow, backfill=BF), SCEN, 3000, seed=8)
    pd.testing.assert_frame_equal(a.per_dose, b.per_dose)


def test_backfill_adds_patients_below_the_current_dose_and_their_dlts_count():
    plain = simulate_oc(dict(BASE, name="boin"), SCEN, 4000, seed=3)
    bf = simulate_oc(dict(BASE, name="boin", backfill=BF), SCEN, 4000, seed=3)
    assert bf.overall.mean_sample_size[0] > plain.overall.mean_sample_size[0]
    assert bf.per_dose.mean_patients[0] > plain.per_dose.mean_patients[0]
    assert bf.per_dose.mean_dlts.sum() > plain.per_dose.mean_dlts.sum()


def test_backfill_respects_cap_and_never_selects_an_eliminated_dose():
    plan = make_plan(
        dict(BASE, name="boin", backfill=BF, accrual={"patients_per_month": 6}),
        [0.2, 0.35, 0.5, 0.65, 0.8],
    )
    n, y, sel, _ = run_backfill(plan, *backfill_draws(plan, np.random.default_rng(5), 3000))
    assert (y <= n).all()
    # backfill fills a dose up to 12; escalation cohorts (24 patients in all) may add on top
    assert (n <= 12 + 24).all()
    assert (n.sum(axis=1) <= 24 + 12 * 5).all()
    for i in range(300):
        el = elimination_flags(n[i], y[i], 0.3)
        if sel[i] >= 0:
            assert not el[sel[i]]


def test_backfill_reproducible_and_batch_size_independent():
    spec = dict(BASE, name="boin", backfill=BF)
    a = simulate_oc(spec, SCEN, 2100, seed=4, batch_trials=1024)
    b = simulate_oc(spec, SCEN, 2100, seed=4, batch_trials=100_000)
    pd.testing.assert_frame_equal(a.per_dose, b.per_dose, check_exact=False, rtol=1e-12)


def test_exact_oc_refuses_backfill():
    with pytest.raises(InputError, match="backfill"):
        exact_oc(dict(BASE, name="boin", backfill=BF), SCEN)


def test_tite_boin_backfill_without_suspensions_is_tite_boin():
    # (almost) no accrual: nothing is ever pending, so accrual is never suspended and no
    # patient can be backfilled (TITE-BOIN backfills only while accrual is suspended)
    slow = {"patients_per_month": 1e-7}
    a = simulate_oc(dict(BASE, name="tite-boin", accrual=slow), SCEN, 2000, seed=6)
    b = simulate_oc(dict(BASE, name="tite-boin", accrual=slow, backfill=BF), SCEN, 2000, seed=6)
    pd.testing.assert_frame_equal(a.per_dose, b.per_dose)


def test_tite_boin_backfill_fills_suspensions_and_is_batch_size_independent():
    fast = {"patients_per_month": 8}
    plain = simulate_oc(dict(BASE, name="tite-boin", accrual=fast), SCEN, 2100, seed=2)
    spec = dict(BASE, name="tite-boin", accrual=fast, backfill=BF)
    a = simulate_oc(spec, SCEN, 2100, seed=2, batch_trials=1024)
    b = simulate_oc(spec, SCEN, 2100, seed=2, batch_trials=100_000)
    pd.testing.assert_frame_equal(a.per_dose, b.per_dose, check_exact=False, rtol=1e-12)
    assert a.overall.mean_sample_size[0] > plain.overall.mean_sample_size[0]
    assert a.per_dose.mean_patients[0] > plain.per_dose.mean_patients[0]
    # a dose holds at most 12 backfilled patients plus the 24 escalation patients
    assert (a.per_dose.mean_patients <= 12 + 24).all()
