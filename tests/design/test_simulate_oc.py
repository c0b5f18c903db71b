"""Monte Carlo operating characteristics of the rule-based designs: agreement with exact OC
within 3 standard errors (issue #3), reproducibility, batch-size independence, invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.design.exact_oc import exact_oc
from cartrial.design.selection import elimination_flags
from cartrial.design.simulate_oc import simulate_oc
from cartrial.design.simulate_plan import make_plan
from cartrial.design.simulate_rules import block_draws, run_rules
from cartrial.errors import InputError

BASE = {"target": 0.3, "cohort_size": 3, "max_sample_size": 30, "dlt_window_days": 28}
SCEN = [0.05, 0.12, 0.3, 0.45, 0.6]


@pytest.mark.parametrize("name", ["boin", "3+3", "i3+3", "mtpi2"])
def test_monte_carlo_within_3_se_of_exact(name):
    spec = dict(BASE, name=name, cap_per_dose=12)
    ex = exact_oc(spec, SCEN)
    mc = simulate_oc(spec, SCEN, n_trials=20_000, seed=11)
    for col in ("pct_selected", "mean_patients", "mean_dlts"):
        se = mc.per_dose[f"se_{col}"].to_numpy()
        diff = np.abs(mc.per_dose[col].to_numpy() - ex.per_dose[col].to_numpy())
        assert np.all(diff <= 3 * se + 1e-12), (col, diff, se)
    for col in (
        "pct_correct_selection",
        "pct_early_stop",
        "pct_patients_above_mtd",
        "mean_sample_size",
        "mean_duration_days",
    ):
        diff = abs(mc.overall[col][0] - ex.overall[col][0])
        assert diff <= 3 * mc.overall[f"se_{col}"][0] + 1e-12, col


def test_same_seed_same_result_and_different_seed_differs():
    spec = dict(BASE, name="boin")
    a = simulate_oc(spec, SCEN, 3000, seed=5)
    b = simulate_oc(spec, SCEN, 3000, seed=5)
    c = simulate_oc(spec, SCEN, 3000, seed=6)
    pd.testing.assert_frame_equal(a.per_dose, b.per_dose)
    pd.testing.assert_frame_equal(a.overall, b.overall)
    assert not a.per_dose.equals(c.per_dose)


@pytest.mark.parametrize("name", ["boin", "3+3"])
def test_result_does_not_depend_on_batch_size(name):
    spec = dict(BASE, name=name)
    a = simulate_oc(spec, SCEN, 5000, seed=3, batch_trials=1024)
    b = simulate_oc(spec, SCEN, 5000, seed=3, batch_trials=1_000_000)
    pd.testing.assert_frame_equal(a.per_dose, b.per_dose, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(a.overall, b.overall, check_exact=False, rtol=1e-12)


def test_eliminated_dose_never_selected_and_sample_size_bounded():
    # BOIN overdose control (Liu & Yuan 2015): eliminated doses must never be recommended
    plan = make_plan(dict(BASE, name="boin"), [0.25, 0.4, 0.55, 0.7, 0.8])
    u, gaps = block_draws(plan, np.random.default_rng(1), 4000)
    s, sel, _ = run_rules(plan, u, gaps)
    assert (s.n.sum(axis=1) <= 30).all()
    for i in range(200):
        el = elimination_flags(s.n[i], s.y[i], 0.3)
        if sel[i] >= 0:
            assert not el[sel[i]]
        else:
            assert el[0]


def test_progress_callback_reaches_total():
    seen = []
    simulate_oc(
        dict(BASE, name="boin"),
        SCEN,
        2500,
        seed=1,
        batch_trials=1024,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen[-1] == (2500, 2500)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


@pytest.mark.parametrize(
    "kwargs,match",
    [({"n_trials": 0}, "n_trials"), ({"seed": -1}, "seed"), ({"true_mtd": 7}, "true_mtd")],
)
def test_bad_arguments_are_input_errors(kwargs, match):
    args = {"n_trials": 10, "seed": 1} | kwargs
    with pytest.raises(InputError, match=match):
        simulate_oc(dict(BASE, name="boin"), SCEN, **args)


def test_invalid_design_mapping_is_an_input_error():
    with pytest.raises(InputError, match="not valid"):
        simulate_oc(dict(BASE, name="boin", target=0.9), SCEN, 10)


@pytest.mark.parametrize("name", ["boin", "i3+3", "mtpi2", "3+3", "crm", "tite-boin"])
def test_design_objects_simulate_like_their_spec(name):
    from cartrial.design.factory import design_from_spec
    from cartrial.protocol import DesignSpec

    spec = DesignSpec.model_validate(dict(BASE, name=name, max_sample_size=12))
    obj = design_from_spec(spec, 3)
    a = simulate_oc(spec, SCEN[:3], 1500, seed=2)
    b = simulate_oc(obj, SCEN[:3], 1500, seed=2)
    pd.testing.assert_frame_equal(a.per_dose, b.per_dose)
