"""U-BOIN (Zhou, Lee & Yuan, Stat Med 2019;38:5299-316): posterior, stage I, stage II, OBD.

References used (none produced by this code): the Dirichlet distribution's aggregation property
checked against numpy's Dirichlet sampler; Beta tails from scipy.stats; BOIN's published
boundaries for target 0.3 (Liu & Yuan, J R Stat Soc C 2015;64:507-23: lambda_e 0.236, lambda_d
0.358; elimination at 3/3, 4/6, 5/9 as in BOIN 2.7.2 get.boundary); hand-worked posterior means;
a deterministic scenario whose whole trial is worked out by hand.

The paper's published operating-characteristic tables could not be reached (only its summary),
so no agreement with them is asserted here (see README, U-BOIN).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from cartrial.design import design_from_spec
from cartrial.design import uboin_rules as R
from cartrial.design.simulate_uboin import simulate_uboin, true_obd_of
from cartrial.design.state import TrialState
from cartrial.design.uboin import Uboin
from cartrial.errors import InputError
from cartrial.protocol.model import DesignSpec


def design(**kw):
    base = dict(n_doses=5, target=0.3, phi_e=0.2, max_sample_size=30, stage1_per_dose=9)
    return Uboin(**{**base, **kw})


def test_posterior_mean_utility_hand_worked():
    # cells (response no DLT, both, neither, DLT only) = (2, 1, 2, 1), Dirichlet(1/4 each):
    # a = (9/4, 5/4, 9/4, 5/4), total 7; mean = (100*9/4 + 60*5/4 + 40*9/4 + 0) / 7 = 390/7
    p = design().params
    u, _, _ = R.posterior(p, np.array([6]), np.array([2]), np.array([3]), np.array([1]))
    want = (100 * Fraction(9, 4) + 60 * Fraction(5, 4) + 40 * Fraction(9, 4)) / 7
    assert u[0] == pytest.approx(float(want), abs=1e-12)
    # a non-additive utility (u11 70, u00 40) changes with the joint split at fixed margins
    q = design(response_dlt=70).params
    one = R.posterior(q, np.array([6]), np.array([2]), np.array([3]), np.array([1]))[0][0]
    two = R.posterior(q, np.array([6]), np.array([2]), np.array([3]), np.array([2]))[0][0]
    assert two - one == pytest.approx((70 + 40 - 100) / 7, abs=1e-12)


def test_posterior_tails_match_dirichlet_draws_and_beta():
    """P(p_T > phi_T) and P(p_E < phi_E) are Beta tails of the Dirichlet margins: checked
    against numpy's Dirichlet sampler (400,000 draws, 4 Monte Carlo SE) and scipy.stats.beta."""
    p = design().params
    n, yt, ye, yb = (np.array([v]) for v in (9, 3, 1, 1))
    _, over, futile = R.posterior(p, n, yt, ye, yb)
    a = np.array([0, 1, 6, 2]) + 0.25  # cells (resp only, both, neither, DLT only)
    draws = np.random.default_rng(11).dirichlet(a, 400_000)
    mc_over = np.mean(draws[:, 1] + draws[:, 3] > 0.3)
    mc_fut = np.mean(draws[:, 0] + draws[:, 1] < 0.2)
    for got, mc in ((over[0], mc_over), (futile[0], mc_fut)):
        assert abs(got - mc) < 4 * np.sqrt(mc * (1 - mc) / 400_000)
    assert over[0] == pytest.approx(stats.beta.sf(0.3, 3.5, 6.5), rel=1e-10)
    assert futile[0] == pytest.approx(stats.beta.cdf(0.2, 1.5, 8.5), rel=1e-10)


@pytest.mark.parametrize(
    ("n", "y", "action"),
    [
        (3, 0, "escalate"),
        (3, 1, "stay"),
        (3, 2, "de-escalate"),
        (6, 1, "escalate"),
        (6, 2, "stay"),
        (6, 3, "de-escalate"),
        (9, 2, "escalate"),
        (9, 4, "de-escalate"),
    ],
)
def test_stage_one_is_boin(n, y, action):
    """Stage I follows BOIN at target 0.3: escalate if y/n <= 0.236, de-escalate if >= 0.358
    (Liu & Yuan 2015); stage II only starts at 12 patients here."""
    d = design(stage1_per_dose=12, max_sample_size=36)
    s = TrialState(n=(3, n, 0, 0, 0), y=(0, y, 0, 0, 0), responses=(1, 1, 0, 0, 0), current=1)
    dec = d.decide(s)
    assert dec.action == action and dec.rule.startswith("stage I")


def test_stage_one_elimination_and_stop():
    d = design(stage1_per_dose=12)
    s = TrialState(n=(3, 3, 0, 0, 0), y=(0, 3, 0, 0, 0), responses=(0, 0, 0, 0, 0), current=1)
    dec = d.decide(s)  # 3/3: P(p > 0.3) > 0.95 eliminates dose 2 and above
    assert dec.eliminated == (1, 2, 3, 4) and dec.next_dose == 0
    s1 = TrialState(n=(3, 0, 0, 0, 0), y=(3, 0, 0, 0, 0), responses=(0, 0, 0, 0, 0))
    assert d.decide(s1).rule == "stop: dose 1 eliminated"


def test_stage_two_assigns_highest_posterior_utility_among_admissible():
    d = design(stage1_per_dose=6)
    # dose 3 is the highest tried dose with 2/3 DLTs (not <= lambda_e): no exploration
    s = TrialState(n=(6, 6, 3, 0, 0), y=(0, 1, 2, 0, 0), responses=(0, 4, 2, 0, 0), current=2)
    dec = d.decide(s)
    # dose 1: 0 responses in 6 -> P(p_E < 0.2) = Beta(0.5, 6.5) CDF at 0.2 > 0.9: not admissible
    assert stats.beta.cdf(0.2, 0.5, 6.5) > 0.9
    # hand-worked posterior means, cells (resp only, both, neither, DLT only) + 1/4:
    # dose 1: (0.25, 0.25, 6.25, 0.25), total 7 -> (25 + 15 + 250) / 7 = 41.43
    # dose 2: (3.25, 1.25, 2.25, 0.25), total 7 -> (325 + 75 + 90) / 7 = 70.0 (both = 1)
    # dose 3: (0.25, 2.25, 1.25, 0.25), total 4 -> (25 + 135 + 50) / 4 = 52.5 (both = 2)
    sel = d.select(s, dlt_and_response=(0, 1, 2, 0, 0))
    assert sel.admissible == (1, 2)
    assert sel.estimates["utility"].round(2).tolist()[:3] == [round(290 / 7, 2), 70.0, 52.5]
    assert dec.next_dose == 1 and dec.rule == "stage II: highest posterior utility"
    assert sel.obd == 1 and "dose 2" in sel.reason and "admissible doses 2, 3" in sel.reason


def test_stage_two_explores_above_a_safe_highest_dose_and_stops_at_cap():
    d = design(stage1_per_dose=6, cap_per_dose=9)
    s = TrialState(n=(3, 6, 3, 0, 0), y=(0, 1, 0, 0, 0), responses=(1, 3, 2, 0, 0), current=2)
    assert d.decide(s).rule == "stage II: explore next dose"
    s = TrialState(n=(3, 9, 3, 3, 3), y=(0, 1, 0, 1, 2), responses=(1, 3, 2, 2, 1), current=1)
    dec = d.decide(s)
    assert dec.action == "stop" and dec.rule == "stop: cap per dose"


def test_no_admissible_dose_stops_with_no_obd():
    d = design(stage1_per_dose=6, n_doses=2)
    s = TrialState(n=(6, 6), y=(1, 2), responses=(0, 0), current=1)
    dec = d.decide(s)
    assert dec.rule == "stop: no admissible dose" and dec.next_dose is None
    assert d.select(s).obd is None


def test_bad_input_is_named():
    d = design(response_dlt=70)  # non-additive: the joint counts are needed
    s = TrialState(n=(3, 0, 0, 0, 0), y=(1, 0, 0, 0, 0), responses=(1, 0, 0, 0, 0))
    with pytest.raises(InputError, match="dlt_and_response"):
        d.decide(s)
    with pytest.raises(InputError, match="between"):
        d.decide(s, dlt_and_response=(2, 0, 0, 0, 0))
    with pytest.raises(InputError, match="responses"):
        design().decide(TrialState(n=(3, 0, 0, 0, 0), y=(0, 0, 0, 0, 0)))
    with pytest.raises(InputError, match="phi_e"):
        design(phi_e=1.2)


def test_deterministic_trial_worked_by_hand():
    """No DLT and every patient responds: stage I escalates 1 -> 5 (3 patients each), stays at
    the top dose; from n = 6 there (stage II) dose 5 has the highest posterior mean utility
    ((6.25 x 100 + 0.25 x 60 + 0.25 x 40) / 7 = 92.9 vs 87.5), so all remaining patients go
    there: 3, 3, 3, 3, 18 patients and the OBD dose 5 in every trial."""
    d = design(stage1_per_dose=6)
    oc = simulate_uboin(d, [0] * 5, [1] * 5, n_trials=50, seed=2)
    assert oc.per_dose["patients"].tolist() == [3, 3, 3, 3, 18]
    assert oc.per_dose["selected_pct"].tolist() == [0, 0, 0, 0, 100]
    # every dose has true utility 100: the true OBD is the lowest of the tied doses
    assert oc.overall["early_stop_pct"] == 0 and oc.true_obd == 0


def test_simulator_takes_the_single_trial_decisions():
    """Regression: replaying a simulated trial cohort by cohort through Uboin.decide gives the
    same doses (both call uboin_rules.decide_rows)."""
    d = design(stage1_per_dose=6, n_doses=4, max_sample_size=24, response_dlt=70)
    p, q = np.array([0.05, 0.15, 0.3, 0.5]), np.array([0.2, 0.4, 0.5, 0.5])
    rng = np.random.default_rng(5)
    ut, ue = rng.random((20, 8, 3)), rng.random((20, 8, 3))
    from cartrial.design.simulate_uboin import run_trials

    n_sim = run_trials(d, p, q, q, ut, ue, 0)[0]
    for i in range(20):
        n, y, r, b, cur = [0] * 4, [0] * 4, [0] * 4, [0] * 4, 0
        for c in range(8):
            t, e = ut[i, c] < p[cur], ue[i, c] < q[cur]
            n[cur] += 3
            y[cur] += int(t.sum())
            r[cur] += int(e.sum())
            b[cur] += int((t & e).sum())
            dec = d.decide(
                TrialState(n=tuple(n), y=tuple(y), responses=tuple(r), current=cur),
                dlt_and_response=tuple(b),
            )
            if dec.next_dose is None:
                break
            cur = dec.next_dose
        assert n == n_sim[i].tolist()


def test_true_obd_and_protocol():
    d = design()
    assert (
        true_obd_of(d, np.array([0.05, 0.1, 0.2, 0.4, 0.5]), np.array([0.1, 0.3, 0.5, 0.6, 0.6]))
        == 2
    )
    spec = DesignSpec(
        name="u-boin",
        target=0.3,
        cohort_size=3,
        max_sample_size=30,
        dlt_window_days=28,
        uboin={"phi_e": 0.25, "stage1_per_dose": 12},
    )
    u = design_from_spec(spec, 4)
    assert isinstance(u, Uboin) and u.phi_e == 0.25 and u.stage1_per_dose == 12
    assert (
        "uboin"
        not in DesignSpec(
            name="boin", target=0.3, cohort_size=3, max_sample_size=30, dlt_window_days=28
        ).model_dump()
    )
    with pytest.raises(ValueError, match="uboin block"):
        DesignSpec(name="u-boin", target=0.3, cohort_size=3, max_sample_size=30, dlt_window_days=28)


def _exact_two_cohorts(d, p, q, psi):
    """Exact selection and patient distribution of a 2-cohort trial by enumerating every
    multinomial outcome of each cohort and calling Uboin.decide / select."""
    from itertools import product
    from math import factorial, prod

    from cartrial.design.simulate_uboin import joint_both

    p11 = joint_both(p, q, psi)
    cell_p = np.stack([q - p11, p11, 1 - p - q + p11, p - p11], axis=1)  # per dose

    def outcomes(m, dose):
        for c in product(range(m + 1), repeat=4):
            if sum(c) == m:
                w = factorial(m) / prod(factorial(v) for v in c)
                yield c, w * prod(cell_p[dose, i] ** c[i] for i in range(4))

    sel = np.zeros(d.n_doses + 1)
    for c1, w1 in outcomes(3, 0):
        n, cnt = [3, 0], [list(c1), [0, 0, 0, 0]]

        def state(cur, n=n, cnt=cnt):
            y = tuple(c[1] + c[3] for c in cnt)
            r = tuple(c[0] + c[1] for c in cnt)
            return TrialState(n=tuple(n), y=y, responses=r, current=cur), tuple(c[1] for c in cnt)

        s, b = state(0)
        dec = d.decide(s, dlt_and_response=b)
        if dec.next_dose is None:  # after one cohort only the early stops can end the trial
            assert dec.rule in ("stop: dose 1 eliminated", "stop: no admissible dose")
            sel[d.n_doses] += w1
            continue
        for c2, w2 in outcomes(3, dec.next_dose):
            n2 = list(n)
            n2[dec.next_dose] += 3
            cnt2 = [list(c) for c in cnt]
            cnt2[dec.next_dose] = [a + b_ for a, b_ in zip(cnt2[dec.next_dose], c2, strict=True)]
            s2, b2 = state(dec.next_dose, n2, cnt2)
            last = d.decide(s2, dlt_and_response=b2)
            early = last.rule in ("stop: dose 1 eliminated", "stop: no admissible dose")
            obd = None if early else d.select(s2, dlt_and_response=b2).obd
            sel[d.n_doses if obd is None else obd] += w1 * w2
    return sel


def test_simulator_agrees_with_exact_enumeration():
    """Regression (code against code, but the sampler, Gumbel joint cells and the aggregation
    are checked against exact probabilities): a 2-dose, 2-cohort trial enumerated exactly
    through Uboin.decide / select vs 20,000 simulated trials, within 4 Monte Carlo SE."""
    d = Uboin(
        n_doses=2,
        target=0.3,
        phi_e=0.2,
        response_dlt=70,
        no_response_no_dlt=20,
        stage1_per_dose=3,
        max_sample_size=6,
    )
    p, q, psi = np.array([0.15, 0.35]), np.array([0.35, 0.65]), 0.8
    exact = _exact_two_cohorts(d, p, q, psi)
    assert exact.sum() == pytest.approx(1.0, abs=1e-12)
    oc = simulate_uboin(d, p, q, n_trials=20_000, seed=9, gumbel_psi=psi)
    got = np.append(oc.per_dose["selected_pct"].to_numpy(), oc.overall["no_obd_pct"]) / 100
    se = np.sqrt(exact * (1 - exact) / 20_000)
    assert np.all(np.abs(got - exact) <= 4 * se + 1e-12), (got, exact)
    assert exact.min() > 0.005  # every outcome (dose 1, dose 2, no OBD) is exercised


def test_uboin_and_boin12_results_are_one_class():
    # issue #19: one result record for the phase I/II designs; UboinOc is its U-BOIN name
    from cartrial.design import Boin12Oc, UboinOc, simulate_uboin

    assert UboinOc is Boin12Oc
    d = Uboin(n_doses=2, target=0.3, phi_e=0.2, max_sample_size=12, stage1_per_dose=6)
    oc = simulate_uboin(d, [0.05, 0.4], [0.2, 0.5], n_trials=50, seed=1)
    assert isinstance(oc, Boin12Oc) and "no_obd_pct" in oc.overall
