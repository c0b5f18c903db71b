"""BOIN12 (Lin et al., JCO Precis Oncol 2020;4:1393-1402): utility, decisions, OBD, tables.

Hand-worked cases use the paper's settings phi_T = 0.35, phi_E = 0.25, utilities 100/60/40/0,
N* = 6, c_T = 0.95, c_E = 0.9; the R-agreement tests are in test_boin12_reference.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta

from cartrial.design import PendingPatient, TrialState
from cartrial.design import boin12_rules as R
from cartrial.design.boin12 import Boin12
from cartrial.design.boin12_select import unimodal_rows
from cartrial.design.boin12_tables import (
    boundary_table,
    desirability_table,
    table_csv,
    table_json,
    table_markdown,
    utility_table,
)
from cartrial.design.simulate_boin12 import gumbel_conditionals, simulate_boin12, true_obd_of
from cartrial.design.utility import UtilityTable
from cartrial.errors import InputError

D = Boin12(n_doses=5, target=0.35, phi_e=0.25, max_sample_size=30)


def state(n, y, r, current, **kw):
    return TrialState(n=n, y=y, responses=r, current=current, **kw)


def test_benchmark_by_hand():
    # Lin et al. 2020: u_bar = 100 (0.25)(0.65) + 60 (0.25)(0.35) + 40 (0.75)(0.65) = 41,
    # u_b = 41 + (100 - 41) / 2 = 70.5
    assert UtilityTable().benchmark(0.35, 0.25) == (41.0, 70.5)
    assert D.u_b == 70.5


@pytest.mark.parametrize(
    "kw, words",
    [
        ({"response_dlt": 70, "no_response_no_dlt": 40}, "additive"),
        ({"response_dlt": 120, "no_response_no_dlt": -20}, "[0, 100]"),
        ({"response_no_dlt": 90}, "scores 100"),
    ],
)
def test_utility_refuses(kw, words):
    with pytest.raises(InputError, match=words.replace("[", r"\[").replace("]", r"\]")):
        UtilityTable(**kw)


def test_pseudo_responses_are_the_sum_of_patient_utilities():
    # 6 patients: 2 response without DLT (100), 1 response with DLT (60), 2 neither (40),
    # 1 DLT without response (0): sum 340 -> x = 3.4 from the margins n 6, DLT 2, responses 3
    assert UtilityTable().pseudo_responses(6, 2, 3) == pytest.approx(3.4)


def test_first_cohort_escalates_to_the_untried_dose():
    # dose 1: 0/3 DLT, 1/3 response -> x = (60 + 3 x 40)/100 = 1.8, desirability
    # P(Beta(2.8, 2.2) > 0.705); untried dose 2: P(Beta(1, 1) > 0.705) = 0.295
    s = state((3, 0, 0, 0, 0), (0,) * 5, (1, 0, 0, 0, 0), 0)
    assert beta.sf(0.705, 2.8, 2.2) < 0.295
    dec = D.decide(s)
    assert (dec.action, dec.next_dose, dec.rule) == ("escalate", 1, "rds: escalate")
    assert "0.295" in dec.reason


def test_many_responses_keep_the_dose():
    # dose 1: 0/3 DLT, 3/3 responses -> x = 3, P(Beta(4, 1) > 0.705) = 1 - 0.705^4 = 0.753
    s = state((3, 0, 0, 0, 0), (0,) * 5, (3, 0, 0, 0, 0), 0)
    assert 1 - 0.705**4 > 0.295
    assert D.decide(s).next_dose == 0


def test_deescalate_on_toxicity():
    # 2/3 DLT at dose 2: 0.667 >= lambda_d (0.419): de-escalate, whatever the responses
    s = state((3, 3, 0, 0, 0), (0, 2, 0, 0, 0), (1, 3, 0, 0, 0), 1)
    dec = D.decide(s)
    assert (dec.next_dose, dec.rule) == (0, "de-escalate: toxicity")


def test_dose_one_too_toxic_stops():
    # 3/3 DLT at dose 1: P(p_T > 0.35 | Beta(4, 1)) = 1 - 0.35^4 = 0.985 > 0.95
    dec = D.decide(state((3, 0, 0, 0, 0), (3, 0, 0, 0, 0), (3, 0, 0, 0, 0), 0))
    assert (dec.action, dec.rule, dec.eliminated) == (
        "stop",
        "stop: dose 1 too toxic",
        (0, 1, 2, 3, 4),
    )


def test_n_star_rule_forbids_escalation():
    # dose 2: 2/6 DLT (0.333 in (lambda_e 0.276, lambda_d 0.419)) with n = 6 >= N*: the next
    # dose is not a candidate even though, untried, it has the higher desirability 0.295
    s = state((3, 6, 0, 0, 0), (0, 2, 0, 0, 0), (0, 1, 0, 0, 0), 1)
    dec = D.decide(s)
    assert dec.next_dose in (0, 1) and "N* = 6" in dec.reason
    # with N* = 9 the same data escalate
    assert Boin12(5, 0.35, 0.25, n_star=9).decide(s).next_dose == 2


def test_exploration_rule():
    # 9 patients at dose 1 with 3 DLT (0.333 < lambda_d) and dose 2 untried: escalate
    s = state((9, 0, 0, 0, 0), (3, 0, 0, 0, 0), (6, 0, 0, 0, 0), 0)
    assert D.decide(s).rule == "explore: escalate"
    assert Boin12(5, 0.35, 0.25, n_explore=None).decide(s).rule != "explore: escalate"


def test_futility_elimination():
    # 0/9 responses: P(p_E < 0.25 | Beta(1, 10)) = 1 - 0.75^10 = 0.944 > 0.9 -> dose 2 out
    assert 1 - 0.75**10 > 0.9
    s = state((3, 9, 0, 0, 0), (0, 0, 0, 0, 0), (2, 0, 0, 0, 0), 1)
    dec = D.decide(s)
    assert 1 in dec.eliminated and dec.next_dose != 1


def test_stop_rules_and_bad_input():
    full = state((3, 6, 12, 9, 0), (0, 1, 3, 2, 0), (1, 3, 6, 4, 0), 3)
    assert D.decide(full).rule == "stop: max sample size"
    with pytest.raises(InputError, match="responses"):
        D.decide(TrialState(n=(3, 0, 0, 0, 0), y=(0,) * 5))
    with pytest.raises(InputError, match="5 doses"):
        Boin12(4, 0.35, 0.25).decide(state((3, 0, 0, 0, 0), (0,) * 5, (1, 0, 0, 0, 0), 0))
    pend = state(
        (3, 0, 0, 0, 0),
        (0,) * 5,
        (1, 0, 0, 0, 0),
        0,
        pending=(PendingPatient(0, 10.0),),
        dlt_window=28,
    )
    assert D.decide(pend).action == "suspend"
    with pytest.raises(InputError, match="phi_e"):
        Boin12(5, 0.35, 1.5)


def test_no_patient_yet():
    dec = D.decide(TrialState.empty(5).__class__(n=(0,) * 5, y=(0,) * 5, responses=(0,) * 5))
    assert (dec.action, dec.next_dose, dec.rule) == ("stay", 0, "start")


@st.composite
def trial_states(draw):
    k = 5
    n = [draw(st.sampled_from([0, 3, 6, 9, 12])) for _ in range(k)]
    cur = draw(st.integers(0, k - 1))
    n[cur] = max(n[cur], 3)
    y = [draw(st.integers(0, m)) for m in n]
    r = [draw(st.integers(0, m)) for m in n]
    return TrialState(n=tuple(n), y=tuple(y), responses=tuple(r), current=cur)


@settings(max_examples=150, deadline=None)
@given(st.lists(trial_states(), min_size=2, max_size=6), st.data())
def test_one_decision_is_the_batch_rule_on_a_batch_of_one(states, data):
    """Regression: Boin12.decide equals row i of decide_rows on a batch of several trials
    (rows do not influence each other), and never names an eliminated dose."""
    i = data.draw(st.integers(0, len(states) - 1))
    n = np.array([s.n for s in states])
    yt = np.array([s.y for s in states])
    ye = np.array([s.responses for s in states])
    d = np.array([s.current for s in states])
    prior = np.zeros(n.shape, dtype=bool)
    for row, s in enumerate(states):
        prior[row, [j for j in D.eliminated(s) if j != s.current]] = True
    nxt, elim, rule = R.decide_rows(
        D.tables(30), 6, 9, None, d, n, yt, ye, D.utility.pseudo_responses(n, yt, ye), prior
    )
    dec = Boin12(5, 0.35, 0.25).decide(states[i])
    assert dec.rule == R.RULE_IDS[rule[i]]
    if dec.next_dose is not None:
        assert dec.next_dose == nxt[i] and not elim[i, nxt[i]]


def test_unimodal_fit_by_hand():
    # mode at dose 2: 0.2 <= 0.6 >= (0.4, 0.5 pooled to 0.45)
    y = np.array([[0.2, 0.6, 0.4, 0.5]])
    assert unimodal_rows(y, np.ones((1, 4)), 1)[0].tolist() == pytest.approx([0.2, 0.6, 0.45, 0.45])
    # weights 1, 1, 1, 3: pooled (0.4 + 1.5) / 4 = 0.475
    w = np.array([[1.0, 1, 1, 3]])
    assert unimodal_rows(y, w, 1)[0].tolist() == pytest.approx([0.2, 0.6, 0.475, 0.475])


def test_select_obd():
    s = state((6, 9, 9, 6, 0), (0, 1, 2, 4, 0), (1, 5, 6, 4, 0), 3)
    sel = D.select(s)
    assert sel.obd is not None and sel.obd <= sel.mtd
    est = sel.estimates
    assert est.loc[4, "utility"] != est.loc[4, "utility"]  # untried: NaN
    assert f"OBD dose {sel.obd + 1}" in sel.reason
    assert np.all(np.diff(est["p_tox"]) > 0)  # isotonic + 0.001 j


def test_tables_render():
    t = desirability_table(D, [0, 3])
    assert t.loc[0, "rds_label"] == str(int(t.loc[0, "rds"]))
    assert set(t.loc[~t["admissible"], "rds_label"]) == {"E"}
    b = boundary_table(D, [3, 6, 9])
    assert b["eliminate_if_responses_le"].tolist()[2] == 0
    assert table_csv(b).splitlines()[0].startswith("n,escalate_if_dlt_le")
    assert '"u_b": 70.5' in table_json(utility_table(D), D)
    assert table_markdown(b).count("\n") == 5
    with pytest.raises(InputError, match="sample sizes"):
        boundary_table(D, [0, 3])


def test_simulation_is_deterministic_and_accounts_for_every_trial():
    tox, eff = [0.1, 0.2, 0.3, 0.4, 0.4], [0.4, 0.5, 0.6, 0.6, 0.6]
    a = simulate_boin12(D, tox, eff, n_trials=1500, seed=3)
    b = simulate_boin12(D, tox, eff, n_trials=1500, seed=3)
    assert a.per_dose.equals(b.per_dose) and a.overall == b.overall
    assert a.true_obd == true_obd_of(D, np.array(tox), np.array(eff)) == 2
    assert a.per_dose["selected_pct"].sum() + a.overall["early_stop_pct"] <= 100 + 1e-9
    assert a.overall["mean_patients"] == pytest.approx(a.per_dose["patients"].sum())
    with pytest.raises(InputError, match="true toxicity"):
        simulate_boin12(D, tox[:3], eff, n_trials=10)
    with pytest.raises(InputError, match="max_sample_size"):
        simulate_boin12(Boin12(5, 0.35, 0.25), tox, eff, n_trials=10)


def test_gumbel_association_by_hand():
    # Thall & Cook 2004 Gumbel model, p_T 0.3, p_E 0.5, psi 1:
    # P(both) = 0.15 + 0.3 x 0.7 x 0.5 x 0.5 x (e - 1)/(e + 1) = 0.15 + 0.0525 x 0.462117
    p, q = np.array([0.3]), np.array([0.5])
    given_dlt, given_none = gumbel_conditionals(p, q, 1.0)
    assert given_dlt[0] * 0.3 == pytest.approx(0.15 + 0.0525 * 0.4621171573)
    assert given_dlt[0] * 0.3 + given_none[0] * 0.7 == pytest.approx(0.5)  # margin kept


def test_association_changes_joint_counts_not_margins():
    tox, eff = [0.1, 0.2, 0.3, 0.4, 0.4], [0.4, 0.5, 0.6, 0.6, 0.6]
    a = simulate_boin12(D, tox, eff, n_trials=4000, seed=11)
    b = simulate_boin12(D, tox, eff, n_trials=4000, seed=12, gumbel_psi=3.0)
    assert (b.per_dose["dlt_and_response"] > a.per_dose["dlt_and_response"]).iloc[:3].all()
    se = np.sqrt(2) * np.maximum(a.per_dose["selected_pct_se"], 0.1)
    assert np.all(np.abs(a.per_dose["selected_pct"] - b.per_dose["selected_pct"]) < 4 * se)


@settings(max_examples=200, deadline=None)
@given(trial_states())
def test_decisions_keep_the_papers_rules(s):
    """Lin et al. 2020 rules as invariants: a DLT rate >= lambda_d never escalates; with
    n >= N* and a DLT rate > lambda_e only the exploration rule escalates; moves go to the
    nearest open dose (only eliminated doses are skipped); never to an eliminated dose."""
    dec = D.decide(s)
    d, n, y = s.current, s.n[s.current], s.y[s.current]
    b = D.boundaries
    if dec.next_dose is None:
        assert dec.action == "stop"
        return
    nd = dec.next_dose
    assert nd not in dec.eliminated
    if y / n >= b.lambda_d:
        assert nd <= d
    if n >= D.n_star and y / n > b.lambda_e and dec.rule != "explore: escalate":
        assert nd <= d
    between = range(min(d, nd) + 1, max(d, nd))
    assert all(j in dec.eliminated for j in between)


@settings(max_examples=100, deadline=None)
@given(trial_states())
def test_obd_is_tried_open_and_at_most_the_mtd(s):
    sel = D.select(s)
    if sel.obd is not None:
        row = sel.estimates.iloc[sel.obd]
        assert row["n"] > 0 and not row["eliminated"] and sel.obd <= sel.mtd
        assert row["utility"] == sel.estimates.loc[sel.estimates["admissible"], "utility"].max()


def test_duration_by_hand():
    # no early stop in this scenario: 10 cohorts x (window 60 d + 3 gaps of 30.4375 / 2 d)
    # = 1056.6 days expected; the draws do not change the other results
    tox, eff = [0.05, 0.1, 0.15, 0.2, 0.25], [0.4, 0.5, 0.6, 0.6, 0.6]
    a = simulate_boin12(D, tox, eff, n_trials=3000, seed=5)
    b = simulate_boin12(
        D, tox, eff, n_trials=3000, seed=5, patients_per_month=2, assessment_days=60
    )
    assert a.per_dose.equals(b.per_dose) and "mean_duration_days" not in a.overall
    assert b.overall["early_stop_pct"] == 0
    expected = 10 * (60 + 3 * 30.4375 / 2)
    assert abs(b.overall["mean_duration_days"] - expected) < 3 * b.overall["mean_duration_days_se"]
    with pytest.raises(InputError, match="patients_per_month"):
        simulate_boin12(D, tox, eff, n_trials=10, patients_per_month=0)
