"""TITE-BOIN12 (Zhou et al., Stat Med 2022;41:1918-1931): pending outcomes, suspension, OC.

Hand-worked cases follow the paper's section 2.2 (approximated likelihood): for each endpoint
ESS = observed events + completed non-events + sum of pending follow-up fractions, p_hat =
y / ESS, a pending outcome is imputed as p_hat (1 - w) / (1 - p_hat w), and the utility
desirability is Beta(1 + x, 1 + n - x) above u_b with x from the imputed outcomes. Settings are
BOIN12's (phi_T 0.35, phi_E 0.25, utilities 100/60/40/0, so u_b = 70.5), DLT window 28 days,
response window 84 days. The paper's operating-characteristic tables could not be consulted
from here, so no published-OC agreement test exists yet; the simulator is checked against
BOIN12 in the no-pending limit instead.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta

from cartrial.design import boin12_rules as R
from cartrial.design.boin12 import Boin12
from cartrial.design.simulate_boin12 import simulate_boin12
from cartrial.design.simulate_tite_boin12 import simulate_tite_boin12
from cartrial.design.state import TrialState
from cartrial.design.tite_boin12 import TiteBoin12, TitePatient
from cartrial.design.tite_boin12_rules import summarise
from cartrial.errors import InputError

B = Boin12(n_doses=4, target=0.35, phi_e=0.25, max_sample_size=30)
G = TiteBoin12(B, tox_window=28.0, eff_window=84.0)


def P(dose, dlt, t_fu, resp, e_fu, subject=""):
    return TitePatient(dose, dlt, t_fu, resp, e_fu, subject)


def test_effective_sample_size_and_imputation_by_hand():
    # one DLT, one completed non-DLT, one pending at half its window: ESS 2.5, p_hat 0.4,
    # imputed 0.4 x 0.5 / (1 - 0.2) = 0.25
    e = summarise(np.array([[0, 0, 0]]), np.array([[1, 0, -1]]), np.array([[0.0, 0.0, 0.5]]), 1)
    assert e.ess[0, 0] == pytest.approx(2.5)
    assert e.p_hat[0, 0] == pytest.approx(0.4)
    assert e.expected[0, 0] == pytest.approx(1.25)
    assert e.pending[0, 0] == 1


def test_desirability_uses_imputed_response_by_hand():
    # dose 1: (no DLT, response), (no DLT, no response), third patient pending on both at half
    # of each window. DLT: y 0, ESS 2.5, imputed 0. Response: y 1, ESS 2.5, p_hat 0.4, imputed
    # 0.25, so x = (60 x 1.25 + 40 x (3 - 0)) / 100 = 1.95 and the desirability of dose 1 is
    # P(Beta(2.95, 2.05) > 0.705); the untried dose 2 has P(Beta(1, 1) > 0.705) = 0.295.
    pts = [P(0, False, 28, True, 84), P(0, False, 28, False, 84), P(0, None, 14, None, 42)]
    dec = G.decide(pts, current=0)
    s1, s2 = beta.sf(0.705, 2.95, 2.05), 0.295
    assert dec.next_dose == (1 if s2 >= s1 else 0)
    assert dec.rule == (R.RULE_IDS[R.RDS_UP] if s2 >= s1 else R.RULE_IDS[R.RDS_STAY])
    assert "effective 2.50" in dec.reason


def test_pending_toxicity_weighs_by_follow_up_by_hand():
    # dose 2: one DLT, one completed non-DLT, two patients 4.2 of 28 days in (w = 0.15) with
    # response pending: ESS = 2 + 0.3 = 2.3, p_hat = 1 / 2.3 = 0.435 > lambda_d = 0.419
    # (BOIN, phi_T = 0.35): de-escalate. Counting the pending as DLT-free gives 1 / 4 = 0.25,
    # below lambda_e = 0.276. Two of four pending is exactly one half: no suspension.
    assert B.boundaries.lambda_d == pytest.approx(0.4189, abs=1e-4)
    pts = [P(0, False, 28, False, 84)] * 3 + [
        P(1, True, 10, False, 84),
        P(1, False, 28, True, 84),
        P(1, None, 4.2, None, 4.2),
        P(1, None, 4.2, None, 4.2),
    ]
    dec = G.decide(pts, current=1)
    assert (dec.action, dec.next_dose, dec.rule) == ("de-escalate", 0, R.RULE_IDS[R.TOX_DOWN])
    assert "effective 2.30" in dec.reason


def test_suspends_when_more_than_half_pending():
    # the paper's accrual-suspension rule: more than 50% of the patients at the current dose
    # with a pending outcome (here 2 of 3 responses pending)
    pts = [P(0, False, 28, True, 84), P(0, False, 28, None, 60), P(0, None, 14, None, 14)]
    dec = G.decide(pts, current=0)
    assert (dec.action, dec.next_dose, dec.rule) == ("suspend", 0, "suspend: pending")


def test_bad_records_name_the_patient_and_variable():
    with pytest.raises(InputError, match="patient 01-003: response pending after 90 days"):
        G.decide([P(0, False, 28, None, 90, "01-003")], current=0)
    with pytest.raises(InputError, match="patient 2: DLT follow-up -1"):
        G.decide([P(0, False, 28, True, 84), P(0, None, -1, None, 1)], current=0)
    with pytest.raises(InputError, match="dose index 7"):
        G.decide([P(7, False, 28, True, 84)], current=0)
    with pytest.raises(InputError, match="tox_window"):
        TiteBoin12(B, 0.0, 84.0)


@st.composite
def complete_trials(draw):
    k = 4
    n = [draw(st.integers(0, 9)) for _ in range(k)]
    cur = draw(st.sampled_from([j for j in range(k) if n[j]] or [0]))
    pts, y, r = [], [], []
    for j in range(k):
        yt = draw(st.integers(0, n[j]))
        ye = draw(st.integers(0, n[j]))
        y.append(yt)
        r.append(ye)
        for i in range(n[j]):
            pts.append(P(j, i < yt, 28, i >= n[j] - ye, 84))
    elim = tuple(draw(st.sets(st.sampled_from(range(k)), max_size=2)) - {cur})
    return (
        pts,
        TrialState(n=tuple(n), y=tuple(y), responses=tuple(r), current=cur, eliminated=elim),
        cur,
        elim,
    )


@given(complete_trials(), st.sampled_from([None, 12]))
@settings(max_examples=150, deadline=None)
def test_equals_boin12_when_nobody_is_pending(case, cap):
    """Property: with every outcome known, TITE-BOIN12 decides exactly as BOIN12 (Zhou et al.
    2022, section 2.2: with no pending patient the approximated likelihood is the binomial)."""
    pts, state, cur, elim = case
    b = Boin12(n_doses=4, target=0.35, phi_e=0.25, max_sample_size=30, cap_per_dose=cap)
    g = TiteBoin12(b, 28.0, 84.0)
    if state.n[cur] == 0:
        return
    want, got = b.decide(state), g.decide(pts, cur, elim)
    assert (got.action, got.next_dose, got.eliminated, got.rule) == (
        want.action,
        want.next_dose,
        want.eliminated,
        want.rule,
    )


TOX = [0.05, 0.1, 0.2, 0.3, 0.45]
EFF = [0.1, 0.3, 0.5, 0.55, 0.6]
B5 = Boin12(n_doses=5, target=0.35, phi_e=0.25, max_sample_size=36)


def test_simulation_equals_boin12_when_outcomes_are_immediate():
    """Regression/property: with windows of 1e-7 days nothing is ever pending, so each simulated
    trial (same uniforms for DLT and response) is BOIN12's: identical selections and counts."""
    a = simulate_boin12(B5, TOX, EFF, n_trials=1500, seed=5)
    b = simulate_tite_boin12(TiteBoin12(B5, 1e-7, 1e-7), TOX, EFF, 2.0, n_trials=1500, seed=5)
    for col in ("selected_pct", "patients", "dlt", "responses"):
        np.testing.assert_array_equal(a.per_dose[col].to_numpy(), b.per_dose[col].to_numpy())
    assert a.overall["early_stop_pct"] == b.overall["early_stop_pct"]


def test_simulation_shortens_the_trial_and_is_deterministic():
    """The paper's point (Zhou et al. 2022, section 3): continuing accrual with pending outcomes
    shortens the trial against BOIN12 waiting for complete follow-up of each cohort; OBD
    selection stays close. Same seed, same result."""
    g = TiteBoin12(B5, 30.0, 90.0)
    t = simulate_tite_boin12(g, TOX, EFF, 3.0, n_trials=2000, seed=11)
    b = simulate_boin12(
        B5, TOX, EFF, n_trials=2000, seed=11, patients_per_month=3.0, assessment_days=90.0
    )
    assert t.overall["mean_duration_days"] < 0.6 * b.overall["mean_duration_days"]
    assert abs(t.overall["obd_selected_pct"] - b.overall["obd_selected_pct"]) < 8
    again = simulate_tite_boin12(g, TOX, EFF, 3.0, n_trials=2000, seed=11)
    assert again.per_dose.equals(t.per_dose) and again.overall == t.overall
    assert t.settings["eff_window"] == 90.0


def test_simulation_input_errors():
    with pytest.raises(InputError, match="patients_per_month"):
        simulate_tite_boin12(TiteBoin12(B5, 30, 90), TOX, EFF, 0.0, n_trials=10)
    with pytest.raises(InputError, match="true toxicity"):
        simulate_tite_boin12(TiteBoin12(B5, 30, 90), TOX[:3], EFF, 1.0, n_trials=10)


def test_suspension_lifts_at_the_right_outcome_by_hand():
    # three patients at dose 1 whose outcomes become known on days 5, 10 and 20: at most one
    # (floor(0.5 x 3)) may be pending, so accrual resumes on day 10; dose 2's patient is ignored
    from cartrial.design.simulate_tite_boin12 import _unsuspended

    dose = np.array([[0, 0, 0, 1]])
    at = np.array([[20.0, 5.0, 10.0, 99.0]])
    assert _unsuspended(dose, np.array([0]), at, 0.5)[0] == 10.0
    assert _unsuspended(dose, np.array([1]), at, 0.5)[0] == 99.0


def test_suspension_lengthens_the_trial():
    """Regression: allowing almost every outcome to be pending (max_pending 0.99) never waits,
    so the trial is shorter than under the paper's one-half rule; same outcomes drawn."""
    strict = TiteBoin12(B5, 30.0, 90.0)
    loose = TiteBoin12(B5, 30.0, 90.0, max_pending=0.99)
    a = simulate_tite_boin12(strict, TOX, EFF, 3.0, n_trials=1000, seed=2)
    b = simulate_tite_boin12(loose, TOX, EFF, 3.0, n_trials=1000, seed=2)
    assert b.overall["mean_duration_days"] < a.overall["mean_duration_days"] - 60


@st.composite
def pending_trials(draw):
    pts = []
    for j in range(3):
        for _ in range(draw(st.integers(0 if j else 1, 6))):
            t = draw(st.sampled_from([True, False, None]))
            e = draw(st.sampled_from([True, False, None]))
            tf = draw(st.floats(0, 27.9)) if t is None else 28.0
            ef = draw(st.floats(0, 83.9)) if e is None else 84.0
            pts.append(P(j, t, tf, e, ef))
    return pts


@given(st.lists(pending_trials(), min_size=2, max_size=6))
@settings(max_examples=60, deadline=None)
def test_single_decision_is_a_row_of_the_batch_rule(trials):
    """Regression/property: the one-trial decision (no suspension, no eliminations) equals the
    row of :func:`decide_tite_rows` run on a batch of trials, as the simulator runs it."""
    from cartrial.design.tite_boin12_rules import decide_tite_rows

    width = max(len(t) for t in trials)
    cols = [G.slots(t) for t in trials]
    pad = [
        np.concatenate([c[i], np.full((1, width - c[i].shape[1]), v)], axis=1)
        for c in cols
        for i, v in enumerate((-1, 0, 0.0, 0, 0.0))
    ]
    batch = [np.concatenate(pad[i::5], axis=0) for i in range(5)]
    nxt, _, rule = decide_tite_rows(
        B, np.zeros(len(trials), dtype=np.int64), *batch, np.zeros((len(trials), 4), bool)
    )
    for r, t in enumerate(trials):
        one = G.decide(t, current=0)
        if one.action == "suspend" or one.eliminated or one.action == "stop":
            continue
        assert (one.next_dose, one.rule) == (int(nxt[r]), R.RULE_IDS[int(rule[r])])


def test_select_is_boin12_selection_on_complete_data():
    """Regression: the end-of-trial OBD is BOIN12's on the same counts; pending refused."""
    pts = (
        [P(0, False, 28, i < 1, 84) for i in range(3)]
        + [P(1, i < 1, 28, i < 3, 84) for i in range(6)]
        + [P(2, i < 2, 28, i < 3, 84) for i in range(6)]
    )
    got = G.select(pts)
    want = B.select(TrialState(n=(3, 6, 6, 0), y=(0, 1, 2, 0), responses=(1, 3, 3, 0)))
    assert (got.obd, got.mtd, got.reason) == (want.obd, want.mtd, want.reason)
    with pytest.raises(InputError, match="patient 01-009 has a pending outcome"):
        G.select([*pts, P(0, None, 3, None, 3, "01-009")])
