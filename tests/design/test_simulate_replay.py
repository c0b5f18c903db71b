"""Whole simulated trials replayed one by one through the single-trial designs (part A's
``decide`` / ``select``) with the same random numbers give the same patients, DLTs and MTD."""

from __future__ import annotations

import numpy as np
import pytest

from cartrial.design.factory import design_from_spec
from cartrial.design.simulate_crm import CrmGrid, run_crm
from cartrial.design.simulate_plan import make_plan
from cartrial.design.simulate_rules import block_draws, run_rules
from cartrial.design.state import TrialState
from cartrial.protocol import DesignSpec


def _replay(design, plan, u):
    k = plan.n_doses
    st = TrialState.empty(k, plan.start_dose)
    d, elim = plan.start_dose, ()
    for c, m in enumerate(plan.cohort_sizes):
        t = int((u[c, :m] < plan.true_tox[d]).sum())
        st = st.add_cohort(d, m, t, eliminated=elim)
        dec = design.decide(st)
        elim = dec.eliminated
        if dec.action == "stop":
            break
        d = dec.next_dose
    st = TrialState(n=st.n, y=st.y, current=st.current, eliminated=elim)
    return np.array(st.n), np.array(st.y), design.select(st).mtd


@pytest.mark.parametrize(
    "name,p",
    [
        ("boin", [0.05, 0.15, 0.3, 0.45, 0.6]),
        ("boin", [0.4, 0.5, 0.6]),
        ("mtpi2", [0.1, 0.25, 0.4, 0.55]),
        ("i3+3", [0.1, 0.25, 0.4, 0.55]),
        ("3+3", [0.1, 0.2, 0.35, 0.5]),
    ],
)
def test_rule_based_trials_replay_identically(name, p):
    spec = DesignSpec(
        name=name,
        target=0.3,
        cohort_size=3,
        max_sample_size=24,
        cap_per_dose=12,
        dlt_window_days=28,
    )
    plan = make_plan(spec, p)
    design = design_from_spec(spec, len(p))
    u, gaps = block_draws(plan, np.random.default_rng(7), 60)
    s, sel, _ = run_rules(plan, u, gaps)
    for i in range(60):
        n, y, mtd = _replay(design, plan, u[i])
        np.testing.assert_array_equal(s.n[i], n)
        np.testing.assert_array_equal(s.y[i], y)
        assert (None if sel[i] < 0 else int(sel[i])) == mtd


@pytest.mark.parametrize("p", [[0.05, 0.15, 0.3, 0.45, 0.6], [0.45, 0.6, 0.7]])
def test_crm_trials_replay_identically(p):
    spec = DesignSpec(
        name="crm",
        target=0.3,
        cohort_size=3,
        max_sample_size=18,
        dlt_window_days=28,
        crm={"prior_mtd_level": 2},
    )
    plan = make_plan(spec, p)
    design = design_from_spec(spec, len(p))
    grid = CrmGrid.build(np.asarray(design.skeleton), 0.3, design.prior_sd, design.grid_points)
    u, gaps = block_draws(plan, np.random.default_rng(3), 25)
    n_all, y_all, sel, _ = run_crm(plan, u, gaps, grid)
    for i in range(25):
        n, y, mtd = _replay(design, plan, u[i])
        np.testing.assert_array_equal(n_all[i], n)
        np.testing.assert_array_equal(y_all[i], y)
        assert (None if sel[i] < 0 else int(sel[i])) == mtd
