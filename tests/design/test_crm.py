"""CRM / TITE-CRM (O'Quigley J et al., Biometrics 1990;46:33-48; Cheung & Chappell, Biometrics
2000;56:1177-82): dfcrm getprior skeleton, posterior against an
independent numerical integration, no skipping, coherence, safety stop, linear TITE weights."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from cartrial.design import PendingPatient, TrialState
from cartrial.design.crm import DFCRM_PRIOR_SD, Crm, TiteCrm, crm_skeleton
from cartrial.errors import InputError


def test_skeleton_equals_getprior_recursion_by_hand():
    # dfcrm getprior(halfwidth = 0.05, target = 0.25, nu = 3, nlevel = 5), sec. 4.3 recursion
    t, h = 0.25, 0.05
    s3 = t
    b3 = math.log(math.log(t + h) / math.log(s3))
    s2 = math.exp(math.log(t - h) / math.exp(b3))
    b2 = math.log(math.log(t + h) / math.log(s2))
    s1 = math.exp(math.log(t - h) / math.exp(b2))
    b4 = math.log(math.log(t - h) / math.log(s3))
    s4 = math.exp(math.log(t + h) / math.exp(b4))
    b5 = math.log(math.log(t - h) / math.log(s4))
    s5 = math.exp(math.log(t + h) / math.exp(b5))
    assert crm_skeleton(0.05, 0.25, 3, 5) == pytest.approx((s1, s2, s3, s4, s5), rel=1e-12)
    # hand arithmetic for s2: log(0.30) / log(0.25) = 1.2039728 / 1.3862944 = 0.8684828;
    # s2 = exp(log(0.20) / 0.8684828) = exp(-1.6094379 / 0.8684828) = exp(-1.8531637) = 0.15674
    assert crm_skeleton(0.05, 0.25, 3, 5)[1] == pytest.approx(0.15674, abs=1e-5)


def test_skeleton_indifference_intervals():
    # Lee & Cheung 2009: adjacent doses' model curves cross at target +- halfwidth
    s = crm_skeleton(0.05, 0.3, 2, 4)
    assert s[1] == 0.3
    for lo, hi in zip(s[:-1], s[1:], strict=True):
        b = math.log(math.log(0.3 + 0.05) / math.log(hi))  # where dose hi reaches target+h
        assert lo ** math.exp(b) == pytest.approx(0.3 - 0.05, rel=1e-12)


def test_skeleton_bad_input():
    with pytest.raises(InputError):
        crm_skeleton(0.3, 0.25, 3, 5)
    with pytest.raises(InputError):
        crm_skeleton(0.05, 0.25, 6, 5)


def _quad_posterior(skeleton, n, y, target, pend=(), sd=DFCRM_PRIOR_SD):
    """Independent posterior by scipy.integrate.quad over a in (-inf, inf)."""
    s = np.asarray(skeleton)

    def lik(a):
        p = s ** math.exp(a)
        val = np.prod(
            p**y
            * (1 - p) ** (np.asarray(n) - y - np.bincount([d for d, _ in pend], minlength=len(s)))
        )
        for d, w in pend:
            val *= 1 - w * p[d]
        return val * math.exp(-0.5 * (a / sd) ** 2)

    lo, hi = -12 * sd, 12 * sd
    z = quad(lik, lo, hi, limit=500, epsabs=0, epsrel=1e-12)[0]
    a_mean = quad(lambda a: a * lik(a), lo, hi, limit=500, epsabs=0, epsrel=1e-12)[0] / z
    thr = math.log(math.log(target) / math.log(s[0]))
    p1_over = quad(lik, lo, thr, limit=500, epsabs=0, epsrel=1e-12)[0] / z
    pmean = [
        quad(
            lambda a, j=j: s[j] ** math.exp(a) * lik(a), lo, hi, limit=500, epsabs=0, epsrel=1e-12
        )[0]
        / z
        for j in range(len(s))
    ]
    return a_mean, p1_over, np.array(pmean)


@pytest.mark.parametrize(
    "n, y",
    [
        ((3, 0, 0, 0, 0), (0, 0, 0, 0, 0)),
        ((3, 3, 6, 0, 0), (0, 1, 2, 0, 0)),
        ((3, 3, 0, 0, 0), (2, 3, 0, 0, 0)),
        ((6, 9, 9, 3, 3), (0, 1, 3, 2, 3)),
    ],
)
def test_posterior_against_independent_integration(n, y):
    sk = crm_skeleton(0.05, 0.25, 3, 5)
    c = Crm(n_doses=5, target=0.25, skeleton=sk)
    post = c.posterior(TrialState(n=n, y=y))
    a_mean, p1_over, pmean = _quad_posterior(sk, np.array(n), np.array(y), 0.25)
    assert post.a_mean == pytest.approx(a_mean, abs=1e-6)
    assert post.plugin == pytest.approx(np.asarray(sk) ** math.exp(a_mean), abs=1e-6)
    assert post.mean == pytest.approx(pmean, abs=1e-6)
    assert post.p_over_target[0] == pytest.approx(p1_over, abs=1e-4)


def test_no_skipping():
    # 0/3 at dose 1 with a skeleton centred high: the model points at dose 4, but no skipping
    c = Crm(n_doses=5, target=0.25, skeleton=crm_skeleton(0.05, 0.25, 4, 5))
    s = TrialState(n=(3, 0, 0, 0, 0), y=(0, 0, 0, 0, 0), current=0, last_cohort=(0, 3, 0))
    post = c.posterior(s)
    assert int(np.argmin(np.abs(post.plugin - 0.25))) >= 2
    dec = c.decide(s)
    assert (dec.action, dec.next_dose) == ("escalate", 1) and dec.rule == "no skipping"


def test_coherence_blocks_escalation_after_dlt():
    c = Crm(n_doses=5, target=0.25, skeleton=crm_skeleton(0.05, 0.25, 3, 5))
    s = TrialState(n=(3, 3, 3, 0, 0), y=(0, 0, 1, 0, 0), current=2)
    assert c.decide(s).next_dose == 3  # model alone escalates
    s2 = TrialState(n=(3, 3, 3, 0, 0), y=(0, 0, 1, 0, 0), current=2, last_cohort=(2, 3, 1))
    dec = c.decide(s2)
    assert (dec.action, dec.next_dose, dec.rule) == ("stay", 2, "coherence")


def test_safety_stop_and_overdose_control():
    c = Crm(n_doses=3, target=0.25, skeleton=crm_skeleton(0.05, 0.25, 2, 3))
    dec = c.decide(TrialState(n=(3, 0, 0), y=(3, 0, 0)))
    assert dec.action == "stop" and dec.eliminated == (0, 1, 2)
    assert c.select(TrialState(n=(3, 0, 0), y=(3, 0, 0))).mtd is None
    # without the safety stop and overdose control the model just stays at dose 1 (dfcrm)
    plain = Crm(n_doses=3, target=0.25, skeleton=c.skeleton, safety_stop=None, overdose_cutoff=None)
    assert plain.decide(TrialState(n=(3, 0, 0), y=(3, 0, 0))).next_dose == 0


def test_tite_crm_linear_weights():
    sk = crm_skeleton(0.05, 0.25, 2, 4)
    t = TiteCrm(n_doses=4, target=0.25, skeleton=sk, dlt_window=28)
    pend = (PendingPatient(1, 14.0), PendingPatient(1, 7.0), PendingPatient(1, 40.0))
    s = TrialState(n=(3, 4, 0, 0), y=(0, 0, 0, 0), current=1, pending=pend, dlt_window=28)
    # weights 0.5, 0.25 and 1 (capped): the last one is a completed non-DLT patient
    a_mean, _, _ = _quad_posterior(
        sk, np.array([3, 4, 0, 0]), np.zeros(4, int), 0.25, pend=((1, 0.5), (1, 0.25), (1, 1.0))
    )
    assert t.posterior(s).a_mean == pytest.approx(a_mean, abs=1e-6)
    # full follow-up for everybody = plain CRM
    done = TrialState(
        n=(3, 4, 0, 0),
        y=(0, 0, 0, 0),
        current=1,
        dlt_window=28,
        pending=tuple(PendingPatient(1, 28.0) for _ in range(4)),
    )
    crm = Crm(n_doses=4, target=0.25, skeleton=sk)
    assert t.posterior(done).a_mean == pytest.approx(crm.posterior(done).a_mean, abs=1e-12)
    # pending patients carry less information than completed ones
    assert t.posterior(s).a_sd > crm.posterior(s).a_sd


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 5), st.data())
def test_property_never_recommends_eliminated(k, data):
    n = data.draw(st.lists(st.integers(0, 9), min_size=k, max_size=k))
    y = [data.draw(st.integers(0, v)) for v in n]
    cur = data.draw(st.integers(0, k - 1))
    elim = tuple(data.draw(st.lists(st.integers(0, k - 1), max_size=1)))
    s = TrialState(n=tuple(n), y=tuple(y), current=cur, eliminated=elim)
    c = Crm(n_doses=k, target=0.25, skeleton=crm_skeleton(0.05, 0.25, 1, k))
    dec = c.decide(s)
    assert set(elim) <= set(dec.eliminated)
    if dec.next_dose is not None:
        assert dec.next_dose not in dec.eliminated and dec.next_dose <= cur + 1
    sel = c.select(s)
    assert sel.mtd is None or sel.mtd not in dec.eliminated


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 4), st.data())
def test_property_tite_crm_never_recommends_eliminated(k, data):
    n = data.draw(st.lists(st.integers(0, 6), min_size=k, max_size=k))
    y = [data.draw(st.integers(0, v)) for v in n]
    pend = []
    for j in range(k):
        c = data.draw(st.integers(0, n[j] - y[j]))
        pend += [PendingPatient(j, data.draw(st.floats(0, 40))) for _ in range(c)]
    s = TrialState(
        n=tuple(n),
        y=tuple(y),
        current=data.draw(st.integers(0, k - 1)),
        pending=tuple(pend),
        dlt_window=28.0,
    )
    c = TiteCrm(n_doses=k, target=0.25, skeleton=crm_skeleton(0.05, 0.25, 1, k), dlt_window=28)
    dec = c.decide(s)
    if dec.next_dose is not None:
        assert dec.next_dose not in dec.eliminated and dec.next_dose <= s.current + 1
