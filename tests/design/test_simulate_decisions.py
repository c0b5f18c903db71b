"""The simulator's vectorised decisions equal the single-trial designs' ``decide`` (issue #3):
hypothesis property tests on random trial states, for every design.

States are restricted to those a trial can reach: the current dose has patients and no dose below
it is eliminated by the data (the simulator only ever sits at such a dose).

Regression tests since issue #19: both sides now run the same rule (``design/table_rules.py``,
``three_plus_three_rules.py``, ``crm_rules.py``); these tests guard the adapters around it (state
in, decision out). The rules themselves are checked against the R packages in
``test_r_reference.py``, ``test_crm_dfcrm.py`` and ``test_titegboin_preset.py``.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cartrial.design.factory import design_from_spec
from cartrial.design.simulate_crm import CrmGrid, crm_decide, crm_select
from cartrial.design.simulate_lockstep import (
    ACTIVE,
    NO_MTD_STOP,
    RULE_MTD,
    LockState,
    step_3p3,
    table_decide,
)
from cartrial.design.simulate_plan import make_plan
from cartrial.design.simulate_tite_decide import _tite_boin_decide
from cartrial.design.state import PendingPatient, TrialState
from cartrial.protocol import DesignSpec

TARGETS = st.sampled_from([0.2, 0.25, 0.3, 0.33])


def _spec(name, target, **kw):
    base = {
        "name": name,
        "target": target,
        "cohort_size": 3,
        "max_sample_size": 60,
        "dlt_window_days": 28,
    }
    return DesignSpec.model_validate(base | kw)


@cache
def _plan(spec, k):
    return make_plan(spec, [0.1] * k)


@st.composite
def states(draw, max_doses=5, max_n=18):
    k = draw(st.integers(1, max_doses))
    n = [draw(st.integers(0, max_n)) for _ in range(k)]
    y = [draw(st.integers(0, v)) for v in n]
    d = draw(st.integers(0, k - 1))
    if n[d] == 0:
        n[d] = draw(st.integers(1, max_n))
        y[d] = draw(st.integers(0, n[d]))
    return k, n, y, d


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["boin", "i3+3", "mtpi2"]),
    TARGETS,
    states(),
    st.one_of(st.none(), st.integers(3, 15)),
    st.booleans(),
)
def test_table_design_decisions_equal_decide(name, target, state, cap, extrasafe):
    k, n, y, d = state
    spec = _spec(name, target, cap_per_dose=cap, extrasafe=extrasafe)
    design = design_from_spec(spec.model_copy(update={"max_sample_size": 10_000}), k)
    ts = TrialState(n=tuple(n), y=tuple(y), current=d)
    elim = design.eliminated(ts)
    assume(not elim or min(elim) >= d)
    plan = _plan(spec, k)
    tab = plan.tables
    el_low = min(elim) if elim else k
    # table_decide looks the decision up in the compiled rule (design/rule_table.py), as the
    # Monte Carlo and the exact OC do; the simulator's lowest eliminated dose comes from the
    # doses it visited (all with data)
    dnew, _, stop_first, cap_stop = table_decide(
        tab, np.array([d]), np.array([n[d]]), np.array([y[d]]), np.array([el_low]), k, plan.cap
    )
    dec = design.decide(ts)
    if dec.action == "stop":
        assert bool(stop_first[0] or cap_stop[0]), dec.reason
        assert bool(stop_first[0]) == (0 in dec.eliminated)
    else:
        assert not (stop_first[0] or cap_stop[0])
        assert int(dnew[0]) == dec.next_dose, dec.reason


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.floats(0, 1), min_size=1, max_size=5).map(sorted),
    st.integers(0, 2**32 - 1),
)
def test_3p3_transitions_equal_decide(p, seed):
    # walk one trial with the lock-step step; check every transition against decide()
    k = len(p)
    design = design_from_spec(_spec("3+3", 0.3, max_sample_size=1000), k)
    rng = np.random.default_rng(seed)
    s = LockState.start(1, k)
    for _ in range(2 * k):
        if s.status[0] != ACTIVE:
            break
        d = int(s.d[0])
        t = int(rng.binomial(3, p[d]))
        before_n, before_y = s.n[0].copy(), s.y[0].copy()
        step_3p3(s, np.array([t]), 3)
        n = before_n.copy()
        y = before_y.copy()
        n[d] += 3
        y[d] += t
        ts = TrialState(n=tuple(n), y=tuple(y), current=d)
        dec = design.decide(ts)
        if dec.action == "stop":
            assert s.status[0] in (NO_MTD_STOP, RULE_MTD), dec.reason
            sel = design.select(ts).mtd
            got = None if s.status[0] == NO_MTD_STOP else int(s.sel[0])
            assert got == sel, (dec.reason, n, y)
        else:
            assert s.status[0] == ACTIVE
            assert int(s.d[0]) == dec.next_dose, dec.reason


@settings(max_examples=60, deadline=None)
@given(TARGETS, states(max_doses=5, max_n=12), st.integers(0, 3), st.booleans())
def test_crm_decisions_equal_decide(target, state, last_y, from_last):
    k, n, y, d = state
    spec = _spec("crm", target)
    design = design_from_spec(spec.model_copy(update={"max_sample_size": 10_000}), k)
    last = (d, 3, min(last_y, 3)) if from_last else None
    ts = TrialState(n=tuple(n), y=tuple(y), current=d, last_cohort=last)
    grid = CrmGrid.build(np.asarray(design.skeleton), target, design.prior_sd, design.grid_points)
    plugin, p_over = grid.posterior(np.array([y], float), np.array([n], float))
    post = design.posterior(ts)
    # stay away from ties and thresholds that quadrature rounding could flip
    assume(np.min(np.abs(p_over[0] - 0.95)) > 1e-9 and abs(p_over[0, 0] - 0.9) > 1e-9)
    np.testing.assert_allclose(plugin[0], post.plugin, rtol=1e-10)
    rate = np.array([last[2] / 3 if last else np.nan])
    nd, el_low, stop = crm_decide(
        plugin,
        p_over,
        np.array([d]),
        np.array([k]),
        np.array([n[0]]),
        rate,
        target,
        spec.elimination_cutoff,
        spec.crm.safety_stop_probability,
    )
    dec = design.decide(ts)
    if dec.action == "stop":
        assert stop[0], dec.reason
    else:
        assert not stop[0]
        assert int(nd[0]) == dec.next_dose, dec.reason
    sel = design.select(ts).mtd
    got = int(crm_select(plugin, el_low, target)[0])
    assert (None if got < 0 or stop[0] else got) == (None if dec.action == "stop" else sel)


@st.composite
def tite_states(draw):
    k, n, y, d = draw(states(max_doses=4, max_n=9))
    free = n[d] - y[d]
    c = draw(st.integers(0, free))
    fu = [draw(st.floats(0, 27.9)) for _ in range(c)]
    return k, n, y, d, fu


@settings(max_examples=200, deadline=None)
@given(TARGETS, tite_states())
def test_tite_boin_decisions_equal_decide(target, state):
    k, n, y, d, fu = state
    spec = _spec("tite-boin", target)
    design = design_from_spec(spec.model_copy(update={"max_sample_size": 10_000}), k)
    ts = TrialState(
        n=tuple(n),
        y=tuple(y),
        current=d,
        pending=tuple(PendingPatient(d, f) for f in fu),
        dlt_window=28.0,
    )
    elim = design.eliminated(ts)
    assume(not elim or min(elim) >= d)
    plan = _plan(spec, k)
    nd, _, stop, cap, suspend = _tite_boin_decide(
        plan,
        np.array([d]),
        np.array([min(elim) if elim else k]),
        np.array([n]),
        np.array([y], float),
        np.array([float(len(fu))]),
        np.array([float(sum(fu))]),
    )
    dec = design.decide(ts)
    if dec.action == "suspend":
        assert suspend[0], dec.reason
    elif dec.action == "stop":
        assert stop[0] or cap[0], dec.reason
    else:
        assert not (suspend[0] or stop[0] or cap[0]), dec.reason
        assert int(nd[0]) == dec.next_dose, dec.reason


@settings(max_examples=40, deadline=None)
@given(TARGETS, tite_states())
def test_tite_crm_posterior_and_decisions_equal_decide(target, state):
    k, n, y, d, fu = state
    spec = _spec("tite-crm", target)
    design = design_from_spec(spec.model_copy(update={"max_sample_size": 10_000}), k)
    ts = TrialState(
        n=tuple(n),
        y=tuple(y),
        current=d,
        pending=tuple(PendingPatient(d, f) for f in fu),
        dlt_window=28.0,
    )
    grid = CrmGrid.build(np.asarray(design.skeleton), target, design.prior_sd, design.grid_points)
    c_all = np.zeros(k)
    c_all[d] = len(fu)
    prow = np.zeros(len(fu), dtype=np.int64)
    plugin, p_over = grid.posterior(
        np.array([y], float),
        np.array([n], float) - c_all,
        np.array(fu) / 28.0,
        np.full(len(fu), d),
        prow,
    )
    assume(np.min(np.abs(p_over[0] - 0.95)) > 1e-9 and abs(p_over[0, 0] - 0.9) > 1e-9)
    post = design.posterior(ts)
    np.testing.assert_allclose(plugin[0], post.plugin, rtol=1e-9)
    np.testing.assert_allclose(p_over[0], post.p_over_target, atol=1e-9)
    nd, _, stop = crm_decide(
        plugin,
        p_over,
        np.array([d]),
        np.array([k]),
        np.array([n[0]]),
        np.array([np.nan]),
        target,
        spec.elimination_cutoff,
        spec.crm.safety_stop_probability,
    )
    dec = design.decide(ts)
    if dec.action == "stop":
        assert stop[0], dec.reason
    else:
        assert not stop[0]
        assert int(nd[0]) == dec.next_dose, dec.reason


@settings(max_examples=150, deadline=None)
@given(
    TARGETS,
    states(max_doses=5, max_n=15),
    st.integers(3, 12),
    st.one_of(st.none(), st.integers(3, 15)),
)
def test_bf_boin_decisions_and_open_doses_equal_decide(target, state, bf_cap, cap):
    from cartrial.design.simulate_backfill import _bounds, backfill_open, bf_boin_decide

    k, n, y, d = state
    spec = _spec(
        "boin", target, cap_per_dose=cap, backfill={"enabled": True, "max_per_dose": bf_cap}
    )
    design = design_from_spec(spec.model_copy(update={"max_sample_size": 10_000}), k)
    ts = TrialState(n=tuple(n), y=tuple(y), current=d)
    plan = _plan(spec, k)
    be, bd = _bounds(plan, 80)
    na, ya = np.array([n]), np.array([y])
    nd, el_low, stop, capped = bf_boin_decide(plan, be, bd, np.array([d]), na, ya, np.array([k]))
    dec = design.decide(ts)
    if dec.action == "stop":
        assert stop[0] or capped[0], dec.reason
        return
    assert not (stop[0] or capped[0]), dec.reason
    assert int(nd[0]) == dec.next_dose, dec.reason
    got = backfill_open(plan, bd, nd, na, ya, el_low)[0]
    assert tuple(int(j) for j in np.nonzero(got)[0]) == dec.backfill_doses, dec.reason


@settings(max_examples=150, deadline=None)
@given(TARGETS, tite_states(), st.integers(3, 12))
def test_tite_boin_backfill_decisions_and_open_doses_equal_decide(target, state, bf_cap):
    from cartrial.design.simulate_backfill import _bounds, backfill_open

    k, n, y, d, fu = state
    spec = _spec("tite-boin", target, backfill={"enabled": True, "max_per_dose": bf_cap})
    design = design_from_spec(spec.model_copy(update={"max_sample_size": 10_000}), k)
    ts = TrialState(
        n=tuple(n),
        y=tuple(y),
        current=d,
        pending=tuple(PendingPatient(d, f) for f in fu),
        dlt_window=28.0,
    )
    plan = _plan(spec, k)
    be, bd = _bounds(plan, 80)
    na = np.array([n])
    nd, el_low, stop, cap, suspend = _tite_boin_decide(
        plan,
        np.array([d]),
        np.array([k]),
        na,
        np.array([y], float),
        np.array([float(len(fu))]),
        np.array([float(sum(fu))]),
        (be, bd),
    )
    dec = design.decide(ts)
    if dec.action == "suspend":
        assert suspend[0], dec.reason
        got = backfill_open(plan, bd, np.array([d]), na, np.array([y]), el_low)[0]
        assert tuple(int(j) for j in np.nonzero(got)[0]) == dec.backfill_doses, dec.reason
    elif dec.action == "stop":
        assert stop[0] or cap[0], dec.reason
    else:
        assert not (suspend[0] or stop[0] or cap[0]), dec.reason
        assert int(nd[0]) == dec.next_dose, dec.reason
