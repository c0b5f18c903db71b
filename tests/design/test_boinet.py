"""BOIN-ET (Takeda, Taguri & Morita, Pharm Stat 2018;17:383-395) against boinet 1.5.0 (R).

Provenance of the R output (tests/design/data/boinet_r_*.csv): boinet_reference.R, R 4.2.2,
Iso 0.0-18.1, sourcing unmodified cran/boinet (commit d28e0e47) with the stand-in copula package
of tests/design/data/fakecopula (independent outcomes); seeds 300 + scenario (OC) and
400 + scenario (decision log).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.design import TrialState
from cartrial.design import boinet_rules as R
from cartrial.design.boinet import BoinEt
from cartrial.design.simulate_boinet import simulate_boinet
from cartrial.errors import InputError

DATA = Path(__file__).parent / "data"
D = BoinEt(n_doses=5, target=0.3, delta=0.6, max_sample_size=30)
EST = {"obs.prob": "obs", "multi.iso": "multi-iso"}


@pytest.mark.parametrize(
    "args, expected",
    [  # boinet::gridoptim(phi, phi1, phi2, delta, delta1) printed by R 4.2.2 (boinet 1.5.0)
        ((0.3, 0.03, 0.42, 0.6, 0.36), (0.14, 0.35, 0.48)),
        ((0.3, 0.03, 0.42, 0.7, 0.42), (0.14, 0.35, 0.56)),
        ((0.25, 0.025, 0.35, 0.4, 0.24), (0.115, 0.29, 0.31)),
    ],
)
def test_boundaries_equal_gridoptim(args, expected):
    b = R.boundaries(*args)
    assert (b.lambda1, b.lambda2, b.eta1) == pytest.approx(expected, abs=1e-12)


def test_decisions_by_hand():
    # lambda1 0.14, lambda2 0.35, eta1 0.48 (phi 0.3, delta 0.6)
    s = TrialState(n=(3, 0, 0, 0, 0), y=(0,) * 5, responses=(0,) * 5)
    assert D.decide(s).rule == "escalate"  # 0/3 DLT, 0/3 response
    s = TrialState(n=(3, 0, 0, 0, 0), y=(0,) * 5, responses=(2, 0, 0, 0, 0))
    assert D.decide(s).next_dose == 0  # 2/3 response > eta1: stay
    s = TrialState(n=(3, 3, 0, 0, 0), y=(0, 2, 0, 0, 0), responses=(1, 3, 0, 0, 0), current=1)
    assert D.decide(s).rule == "de-escalate"  # 2/3 DLT >= lambda2
    s = TrialState(n=(3, 6, 3, 0, 0), y=(0, 1, 0, 0, 0), responses=(2, 1, 0, 0, 0), current=1)
    # 1/6 DLT in (lambda1, lambda2), 1/6 response <= eta1: highest response rate of 1-3 (2/3)
    dec = D.decide(s)
    assert (dec.rule, dec.next_dose) == ("efficacy: highest response rate", 0)
    s = TrialState(n=(9, 0, 0, 0, 0), y=(7, 0, 0, 0, 0), responses=(0,) * 5)
    assert D.decide(s).action == "stop"  # P(p_T > 0.3 | 7/9) > 0.95: no admissible dose left
    with pytest.raises(InputError, match="responses"):
        D.decide(TrialState(n=(3, 0, 0, 0, 0), y=(0,) * 5))


def test_every_decision_of_the_package_trial_loop():
    """2,160 decisions reconstructed from boinet's loop (boinet_r_states.csv): equal, except
    ties of the efficacy-guided move, which boinet breaks with sample() -- its choice must then
    be one of the tied doses."""
    st = pd.read_csv(DATA / "boinet_r_states.csv").sort_values(["scenario", "trial", "cohort"])
    nxt = st.groupby(["scenario", "trial"]).shift(-1)
    pairs = st.assign(next_dose=nxt["dose"]).dropna(subset=["next_dose"])
    after = nxt.loc[pairs.index]

    def cols(p):
        return after[[f"{p}{j}" for j in range(1, 6)]].to_numpy(dtype=np.int64)

    n, yt, ye = cols("n"), cols("dlt"), cols("resp")
    d = pairs["dose"].to_numpy(dtype=np.int64) - 1
    ref = pairs["next_dose"].to_numpy(dtype=np.int64) - 1
    rows = len(d)
    args = (D.boundaries, 0.3, 0.95, 0.99, None, d, n, yt, ye)
    ours = R.decide_rows(*args)[0]
    low = R.decide_rows(*args, np.tile([0.0, 0.5, 1.0], (rows, 1)))[0]
    high = R.decide_rows(*args, np.tile([1.0, 0.5, 0.0], (rows, 1)))[0]
    tie = low != high
    assert rows == 2160 and tie.sum() < 40
    assert np.array_equal(ours[~tie], ref[~tie])
    assert np.all((ref[tie] == low[tie]) | (ref[tie] == high[tie]))


@pytest.mark.parametrize("scenario", [1, 2, 3, 4])
def test_operating_characteristics_within_3_se_of_boinet(scenario):
    """boinet 5,000 trials, ours 10,000 with random ties; the R side's standard error is taken
    as ours x sqrt(2) (half the trials), so the difference's SE is ours x sqrt(3)."""
    r = pd.read_csv(DATA / "boinet_r_oc.csv").query("scenario == @scenario")
    d = BoinEt(
        n_doses=5,
        target=0.3,
        delta=0.6,
        max_sample_size=30,
        estimate=EST[r["estimate"].iloc[0]],
        obd_method=r["obd_method"].iloc[0].replace(".", "-"),
    )
    assert (d.boundaries.lambda1, d.boundaries.lambda2, d.boundaries.eta1) == pytest.approx(
        (r["lambda1"].iloc[0], r["lambda2"].iloc[0], r["eta1"].iloc[0])
    )
    oc = simulate_boinet(
        d,
        r["true_tox"].to_numpy()[:5],
        r["true_eff"].to_numpy()[:5],
        n_trials=10_000,
        seed=10 + scenario,
        random_ties=True,
    )
    se = np.sqrt(3) * np.maximum(oc["selected_pct_se"].to_numpy(), 0.05)
    assert np.all(np.abs(oc["selected_pct"].to_numpy() - r["selected_pct"].to_numpy()) < 3 * se)
    se_n = np.sqrt(3) * np.maximum(oc["patients_se"].to_numpy()[:5], 0.01)
    diff = oc["patients"].to_numpy()[:5] - r["patients"].to_numpy()[:5]
    assert np.all(np.abs(diff) < 3 * se_n)


def test_select_and_simulation_basics():
    s = TrialState(n=(3, 6, 9, 3, 0), y=(0, 1, 2, 2, 0), responses=(1, 3, 6, 2, 0), current=2)
    sel = D.select(s)  # highest response rate at or below the dose closest to 0.3
    assert (sel.obd, sel.mtd) == (2, 2) and "OBD dose 3 by max-effprob" in sel.reason
    assert sel.estimates["p_tox"].is_monotonic_increasing and len(sel.estimates) == 4
    oc = simulate_boinet(
        D, [0.05, 0.1, 0.2, 0.3, 0.45], [0.1, 0.3, 0.5, 0.6, 0.6], n_trials=500, seed=2
    )
    assert oc["selected_pct"].sum() == pytest.approx(100)
    with pytest.raises(InputError, match="probabilities"):
        simulate_boinet(D, [0.1], [0.2], n_trials=10)


def test_cli_simulate():
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "design",
            "boinet",
            "simulate",
            "--true-tox",
            "0.05,0.1,0.4",
            "--true-eff",
            "0.2,0.6,0.6",
            "--max-n",
            "18",
            "--trials",
            "300",
            "--obd-method",
            "utility-weighted",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["lambda1"] == 0.14 and len(out["per_dose"]) == 4
    bad = runner.invoke(
        app,
        [
            "design",
            "boinet",
            "simulate",
            "--true-tox",
            "0.05,0.1",
            "--true-eff",
            "0.1,0.3",
            "--estimate",
            "fp",
        ],
    )
    assert bad.exit_code == 2 and "estimate must be one of" in bad.output


@st.composite
def et_states(draw):
    n = [draw(st.sampled_from([0, 3, 6, 9])) for _ in range(5)]
    cur = draw(st.integers(0, 4))
    n[cur] = max(n[cur], 3)
    y = tuple(draw(st.integers(0, m)) for m in n)
    r = tuple(draw(st.integers(0, m)) for m in n)
    return TrialState(n=tuple(n), y=y, responses=r, current=cur)


@settings(max_examples=150, deadline=None)
@given(st.lists(et_states(), min_size=2, max_size=5), st.data())
def test_one_decision_is_row_i_of_the_batch(states, data):
    """Regression: BoinEt.decide equals row i of decide_rows on a batch of several trials."""
    i = data.draw(st.integers(0, len(states) - 1))
    n = np.array([s.n for s in states])
    yt = np.array([s.y for s in states])
    ye = np.array([s.responses for s in states])
    d = np.array([s.current for s in states])
    nxt, rule, _ = R.decide_rows(D.boundaries, 0.3, 0.95, 0.99, None, d, n, yt, ye)
    dec = BoinEt(n_doses=5, target=0.3, delta=0.6).decide(states[i])  # no sample-size stop
    assert dec.rule == R.RULE_IDS[rule[i]]
    if dec.next_dose is not None:
        assert dec.next_dose == nxt[i]


@pytest.mark.parametrize("kw", [{"delta1": 0.7}, {"phi1": 0.35}, {"phi2": 0.25}])
def test_unordered_settings_are_an_input_error_naming_them(kw):
    """delta1 >= delta or phi1/phi2 on the wrong side of the target was a raw numpy ValueError
    ("zero-size array") from the boundary search; the paper's ordering is checked first."""
    from cartrial.errors import InputError

    with pytest.raises(InputError, match="need 0 < phi1 < target < phi2 < 1"):
        BoinEt(n_doses=3, target=0.3, delta=0.6, **kw)
