"""The compiled table rule (design/rule_table.py) and the Monte Carlo loop built on it
(design/simulate_compiled.py).

Outside references: BOIN's published boundaries (Liu S, Yuan Y, J R Stat Soc C 2015;64:507-23,
Table 1: target 0.3, lambda_e = 0.2365, lambda_d = 0.3585; BOIN 2.7.2 ``get.boundary``'s
elimination row) and R BOIN 2.7.2 ``get.boundary(extrasafe = TRUE)$stop_boundary``
(data/boin_stop_boundary.csv, provenance in data/boin_stop_boundary.R). The comparisons with
``table_step`` and with the previous lock-step loop are regression tests: they hold the look-up
equal to the rule it was compiled from and the new simulator equal to the old one, draw for draw.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.design.exact_oc import exact_oc
from cartrial.design.rule_table import compile_rule
from cartrial.design.simulate_compiled import row_sums, run_compiled
from cartrial.design.simulate_lockstep import LockState, final_selection, step_table
from cartrial.design.simulate_oc import simulate_oc
from cartrial.design.simulate_plan import make_plan
from cartrial.design.simulate_rules import block_draws, run_rules
from cartrial.design.simulate_tables import decision_tables
from cartrial.design.table_rules import RULE_IDS, table_step

# Liu & Yuan 2015 Table 1 / BOIN get.boundary, target 0.3, cohorts of 3:
# n -> (escalate if y <=, de-escalate if y >=, eliminate if y >=)
BOIN_03 = {3: (0, 2, 3), 6: (1, 3, 4), 9: (2, 4, 5), 12: (2, 5, 7)}


@pytest.mark.parametrize("n", sorted(BOIN_03))
def test_middle_dose_follows_published_boin_boundaries(n):
    esc, de, elim = BOIN_03[n]
    c = compile_rule(decision_tables("boin", 0.3, 12), n_doses=3, cap=None)
    for y in range(n + 1):
        nd, rule, el = c.decide(np.array([1]), np.array([False]), np.array([n * c.width + y]))
        want = 2 if y <= esc else (0 if y >= de else 1)
        assert int(nd[0]) == want, (n, y)
        assert bool(el[0]) == (y >= elim), (n, y)
        assert (RULE_IDS[int(rule[0])] == "eliminate") == (y >= elim), (n, y)


_STOP = pd.read_csv(Path(__file__).parent / "data" / "boin_stop_boundary.csv", comment="#")


@pytest.mark.parametrize("key", sorted(set(map(tuple, _STOP[["target", "cutoff", "offset"]]
                                               .to_numpy().tolist()))))
def test_dose1_stop_equals_r_get_boundary_extrasafe(key):
    # R BOIN 2.7.2 get.boundary(extrasafe = TRUE)$stop_boundary: stop the trial at dose 1 when
    # y >= the row's value (blank: never at that n)
    target, cutoff, offset = key
    rows = _STOP[(_STOP.target == target) & (_STOP.cutoff == cutoff) & (_STOP.offset == offset)]
    t = decision_tables("boin", target, 30, cutoff=cutoff, extrasafe=True, offset=offset)
    c = compile_rule(t, n_doses=3, cap=None)
    for n, stop_ge in zip(rows.n, rows.stop_if_ge, strict=True):
        for y in range(int(n) + 1):
            _, rule, _ = c.decide(np.array([0]), np.array([False]), np.array([n * c.width + y]))
            stops = RULE_IDS[int(rule[0])] == "stop: dose 1 eliminated"
            assert stops == (not np.isnan(stop_ge) and y >= stop_ge), (key, n, y)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["boin", "i3+3", "mtpi2"]),
    st.integers(1, 5),
    st.one_of(st.none(), st.integers(3, 12)),
    st.booleans(),
    st.integers(0, 2**31),
)
def test_compiled_decisions_equal_table_step(name, k, cap, extrasafe, seed):
    # regression: the look-up is table_step itself on states whose lower doses are not
    # eliminated (the only states a trial reaches), with data at other doses
    t = decision_tables(name, 0.3, 18, extrasafe=extrasafe)
    c = compile_rule(t, k, cap)
    rng = np.random.default_rng(seed)
    rows = 300
    d = rng.integers(0, k, rows)
    n = rng.integers(0, 19, (rows, k))
    n[np.arange(rows), d] = rng.integers(1, 19, rows)
    y = (rng.random((rows, k)) * (n + 1)).astype(np.int64)
    j = np.arange(k)[None, :]
    # states a trial reaches: no dose up to the current one was eliminated before this cohort
    el = t.eliminate[n, y]
    el[:, 0] |= t.eliminate_first[n[:, 0], y[:, 0]]
    ok = ~(el & (j < d[:, None])).any(axis=1)
    d, n, y = d[ok], n[ok], y[ok]
    low = np.where((el[ok] & (j > d[:, None])).any(axis=1),
                   np.argmax(el[ok] & (j > d[:, None]), axis=1), k)
    nd, low2, rule = table_step(t, d, n, y, low, cap)
    r = np.arange(d.size)
    cnd, crule, cel = c.decide(d, d + 1 >= low, n[r, d] * c.width + y[r, d])
    np.testing.assert_array_equal(cnd, nd)
    np.testing.assert_array_equal(crule, rule)
    np.testing.assert_array_equal(cel, low2 == d)


def _lockstep(plan, u, gaps):
    """The lock-step loop the simulator ran before the compiled rule (step_table per cohort)."""
    rows = u.shape[0]
    s = LockState.start(rows, plan.n_doses, plan.start_dose)
    dur = np.zeros(rows)
    for c, m in enumerate(plan.cohort_sizes):
        act = s.status == 0
        if not act.any():
            break
        tox = (u[:, c, :m] < plan.true_tox[s.d][:, None]).sum(axis=1)
        span = gaps[:, c, :m].sum(axis=1) * plan.mean_gap_days
        dur += act * (span + (plan.stagger_days if m > 1 else 0.0) + plan.window)
        step_table(s, tox, m, plan.tables, plan.cap)
    return s, final_selection(s, plan.target, plan.selection_bound), dur


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from(["boin", "i3+3", "mtpi2"]),
    st.lists(st.floats(0.0, 0.9), min_size=1, max_size=6).map(sorted),
    st.integers(1, 4),
    st.integers(2, 30),
    st.one_of(st.none(), st.integers(3, 12)),
    st.booleans(),
    st.integers(0, 5),
    st.integers(0, 20),
)
def test_compiled_simulator_equals_lockstep_loop(name, p, cs, max_n, cap, extrasafe, start,
                                                 stagger):
    # regression: same draws -> same patients, DLTs, status, selection and duration, bit for bit
    spec = {"name": name, "target": 0.3, "cohort_size": cs, "max_sample_size": max(max_n, cs),
            "dlt_window_days": 28, "cap_per_dose": cap, "extrasafe": extrasafe,
            "accrual": {"stagger_days": stagger}}
    plan = make_plan(spec, p, min(start, len(p) - 1))
    u, gaps = block_draws(plan, np.random.default_rng(len(p) + cs), 400)
    s_old, sel_old, dur_old = _lockstep(plan, u, gaps)
    s, sel, dur = run_rules(plan, u, gaps)
    for f in ("n", "y", "status", "elim_low", "ncoh", "d"):
        np.testing.assert_array_equal(getattr(s, f), getattr(s_old, f), err_msg=f)
    np.testing.assert_array_equal(sel, sel_old)
    assert np.array_equal(dur, dur_old)


@pytest.mark.parametrize("m", range(1, 13))
def test_row_sums_equal_numpy_sum_bit_for_bit(m):
    x = np.random.default_rng(m).standard_exponential((500, 4, m)) * 10.0 ** np.arange(-3, 5)[
        np.random.default_rng(0).integers(0, 8, (500, 4, m))]
    assert np.array_equal(row_sums(x), x.sum(axis=-1))


def test_stopped_trials_keep_their_data():
    # certain toxicity: 3/3 at dose 1 eliminates it (Liu & Yuan 2015), the trial stops with
    # 3 patients and no MTD, and later cohorts add nobody
    plan = make_plan({"name": "boin", "target": 0.3, "cohort_size": 3, "max_sample_size": 30,
                      "dlt_window_days": 28}, [1.0, 1.0])
    u, gaps = block_draws(plan, np.random.default_rng(1), 5)
    s, dur = run_compiled(plan, u, gaps)
    assert s.n.tolist() == [[3, 0]] * 5 and s.y.tolist() == [[3, 0]] * 5
    assert s.status.tolist() == [2] * 5 and s.ncoh.tolist() == [1] * 5
    np.testing.assert_allclose(dur, gaps[:, 0, :].sum(axis=1) * plan.mean_gap_days + 28.0)


_REG = json.loads((Path(__file__).parent / "data" / "oc_seed_regression.json").read_text())


@pytest.mark.parametrize("case", _REG["cases"], ids=lambda c: f"{c['kind']}-{c['spec']['name']}")
def test_same_seed_same_oc_as_before_the_compiled_rule(case):
    # regression: the OCs of commit c3946d9 (data/oc_seed_regression.json, its "provenance"),
    # to the last bit: the compiled rule changed neither the random stream nor any decision
    spec, p, sd = case["spec"], case["true_tox"], case["start_dose"]
    if case["kind"] == "mc":
        r = simulate_oc(spec, p, case["n_trials"], seed=case["seed"], start_dose=sd)
    else:
        r = exact_oc(spec, p, start_dose=sd)
    # the summaries are sums of probabilities (exact) or means and standard errors over the
    # trials (Monte Carlo): numpy's summation takes a different SIMD path on a CPU with AVX-512
    # than on one without, so they agree to the last few bits (rtol 1e-12), not bit for bit;
    # counts, selections and every decision are exact
    _same(r.per_dose.to_dict(orient="list"), case["per_dose"])
    _same(r.overall.to_dict(orient="list"), case["overall"])


def _same(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for name, values in want.items():
        if any(isinstance(v, float) for v in values):
            np.testing.assert_allclose(got[name], values, rtol=1e-12, atol=0, err_msg=name)
        else:
            assert got[name] == values, name
