"""Exact operating characteristics (dynamic programme over trial states).

3+3 against closed forms derived by hand from the 3+3 rules (Storer BE, Biometrics
1989;45:925-37; building block P(escalate past dose j) = (1-p)^3 + 3p(1-p)^2 (1-p)^3); BOIN /
i3+3 / mTPI-2 totals.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.design.exact_oc import exact_oc
from cartrial.errors import InputError

BASE = {"target": 0.3, "cohort_size": 3, "max_sample_size": 30, "dlt_window_days": 28}


def _three(p):
    q = 1 - p
    a = q**3  # 0/3
    b = 3 * p * q**2  # 1/3
    s = q**3 + 3 * p * q**2  # <= 1 DLT in 3 more
    return a, b, s, q


@pytest.mark.parametrize("p1,p2", [(0.1, 0.3), (0.25, 0.5), (0.05, 0.05), (0.4, 0.7)])
def test_3p3_two_doses_equals_closed_form(p1, p2):
    a1, b1, s1, q1 = _three(p1)
    a2, b2, s2, q2 = _three(p2)
    e1 = a1 + b1 * q1**3  # pass dose 1 on the first visit
    top_ok = a2 * s2 + b2 * q2**3  # top dose ends with 6 patients and <= 1 DLT
    x2 = 1 - top_ok  # top dose exceeds the MTD
    p_mtd2 = e1 * top_ok
    p_mtd1 = x2 * (b1 * q1**3 + a1 * s1)
    p_none = 1 - e1 + x2 * a1 * (1 - s1)
    mean_n1 = 3 + 3 * b1 + 3 * a1 * x2
    mean_n2 = e1 * (3 + 3 * (a2 + b2))
    r = exact_oc(dict(BASE, name="3+3"), [p1, p2])
    np.testing.assert_allclose(r.per_dose.pct_selected, [100 * p_mtd1, 100 * p_mtd2], atol=1e-9)
    assert r.overall.pct_early_stop[0] == pytest.approx(100 * p_none, abs=1e-9)
    np.testing.assert_allclose(r.per_dose.mean_patients, [mean_n1, mean_n2], atol=1e-9)


@pytest.mark.parametrize("p", [[0.05, 0.1, 0.2, 0.35, 0.5], [0.3, 0.3, 0.3, 0.3, 0.3]])
def test_3p3_reaching_dose_j_is_product_of_escalation_probabilities(p):
    # 3+3 (Storer 1989): P(escalate past dose j) = (1-p)^3 + 3p(1-p)^2 (1-p)^3
    pj = np.array(p)
    e = (1 - pj) ** 3 + 3 * pj * (1 - pj) ** 2 * (1 - pj) ** 3
    reach = np.concatenate([[1.0], np.cumprod(e)[:-1]])
    r = exact_oc(dict(BASE, name="3+3"), p)
    np.testing.assert_allclose(r.per_dose.pct_treated, 100 * reach, atol=1e-9)


def test_boin_certain_toxicity_stops_at_dose1():
    # 3/3 DLTs at dose 1: P(p > 0.3 | 3/3) > 0.95 eliminates dose 1 (Liu & Yuan 2015, BOIN
    # elimination rule): no MTD
    r = exact_oc(dict(BASE, name="boin"), [1.0, 1.0, 1.0])
    assert r.overall.pct_early_stop[0] == pytest.approx(100)
    assert r.overall.mean_sample_size[0] == pytest.approx(3)


def test_boin_no_toxicity_climbs_to_top_and_selects_it():
    # 0/3 escalates every time (Liu & Yuan 2015, BOIN decision rule); at the top BOIN stays; the
    # pooled estimates tie below
    # the target, so the highest dose is selected (BOIN select.mtd, Yan F et al., J Stat Softw 2020)
    r = exact_oc(dict(BASE, name="boin"), [0.0, 0.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(r.per_dose.mean_patients, [3, 3, 3, 3, 18])
    np.testing.assert_allclose(r.per_dose.pct_selected, [0, 0, 0, 0, 100])


def test_boin_cap_per_dose_stops_the_trial():
    # n.earlystop = 9 (ct071): with no DLTs at a single dose the trial stops at 9 patients
    r = exact_oc(dict(BASE, name="boin", cap_per_dose=9), [0.0])
    assert r.overall.mean_sample_size[0] == pytest.approx(9)


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(["boin", "i3+3", "mtpi2", "3+3"]),
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=4).map(sorted),
    st.integers(2, 6),
)
def test_exact_probabilities_add_up(name, p, ncoh):
    r = exact_oc(dict(BASE, name=name, max_sample_size=3 * ncoh), p)
    total = r.per_dose.pct_selected.sum() + r.overall.pct_early_stop[0]
    assert total == pytest.approx(100, abs=1e-8)
    assert r.per_dose.mean_patients.sum() == pytest.approx(r.overall.mean_sample_size[0])
    assert (r.per_dose.mean_dlts <= r.per_dose.mean_patients + 1e-12).all()


def test_exact_rejects_tite_design():
    with pytest.raises(InputError, match="exact OC"):
        exact_oc(dict(BASE, name="crm"), [0.1, 0.3])


def test_bad_probability_is_an_input_error():
    with pytest.raises(InputError, match="dose 2 has probability 1.5"):
        exact_oc(dict(BASE, name="boin"), [0.1, 1.5])


@settings(max_examples=20, deadline=None)
@given(
    st.sampled_from(["boin", "i3+3", "mtpi2"]),
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=4).map(sorted),
    st.integers(1, 7),
    st.one_of(st.none(), st.integers(3, 9)),
    st.booleans(),
)
def test_int64_keyed_programme_equals_lock_step_programme(name, p, ncoh, cap, extrasafe):
    # the fast exact path and the one built on the simulator's own step function agree
    spec = dict(BASE, name=name, max_sample_size=3 * ncoh, cap_per_dose=cap, extrasafe=extrasafe)
    fast = exact_oc(spec, p)
    slow = exact_oc(spec, p, fast=False)
    assert "int64" in fast.method and "lock-step" in slow.method
    cols = ["pct_selected", "mean_patients", "mean_dlts", "pct_treated"]
    np.testing.assert_allclose(fast.per_dose[cols], slow.per_dose[cols], atol=1e-9)
    np.testing.assert_allclose(
        fast.overall.drop(columns="true_mtd"), slow.overall.drop(columns="true_mtd"), atol=1e-9
    )
