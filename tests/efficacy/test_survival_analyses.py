"""Survival analyses beyond Kaplan-Meier: hand-worked cases, identities and bad input.

Agreement with R survival is in test_r_reference.py; here are the textbook identities (the Cox
score test equals the log-rank test when there are no tied times, Collett 2015 section 3.9; the
cumulative incidences and overall survival add up to one), a log-rank test worked by hand, and
the errors for bad input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.efficacy import (
    cox_ph,
    cumulative_incidence,
    kaplan_meier,
    km_by_group,
    logrank_test,
    median_follow_up,
)
from cartrial.errors import InputError


def test_logrank_by_hand():
    # group a: 1, 3+ ; group b: 2, 4. Event times 1, 2, 4.
    # t=1: at risk a2 b2, d=1 (a): E_a = 1 * 2/4 = 0.5
    # t=2: at risk a1 b2, d=1 (b): E_a = 1/3
    # t=4: at risk a0 b1, d=1 (b): E_a = 0  -> E_a = 5/6, O_a = 1; E_b = 13/6, O_b = 2
    # V = 2/4 * 2/4 * 1 + 1/3 * 2/3 * 1 + 0 = 1/4 + 2/9 = 17/36; chi2 = (1/6)^2 / (17/36) = 1/17
    r = logrank_test([1, 3, 2, 4], [1, 0, 1, 1], ["a", "a", "b", "b"], days_per_month=1.0)
    assert r.table["observed"].tolist() == [1.0, 2.0]
    assert r.table["expected"].tolist() == pytest.approx([5 / 6, 13 / 6])
    assert r.statistic == pytest.approx(1 / 17)
    assert r.df == 1 and "months of 1 days" in r.method


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=6, max_size=30))
def test_cox_score_test_is_the_logrank_test_without_ties(rows):
    arm = np.array([a for a, _ in rows])
    ev = np.array([e for _, e in rows])
    if arm.all() or (~arm).all() or not ev[arm].any() or not ev[~arm].any():
        return
    t = np.arange(1, len(rows) + 1, dtype=float)  # distinct times
    lr = logrank_test(t, ev, arm)
    try:
        cx = cox_ph(t, ev, pd.DataFrame({"arm": arm.astype(float)}))
    except InputError as err:  # monotone likelihood: no finite estimate, reported as such
        assert "monotone likelihood" in str(err)
        return
    assert cx.score_statistic == pytest.approx(lr.statistic, rel=1e-8)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 15), st.integers(0, 2)), min_size=1, max_size=40))
def test_cumulative_incidences_and_survival_add_up_to_one(rows):
    t = np.array([a for a, _ in rows], dtype=float)
    c = np.array([b for _, b in rows])
    if not (c > 0).any():
        return
    r = cumulative_incidence(t, c, days_per_month=1.0).table
    total = r.groupby("time")["cuminc"].sum()
    km = kaplan_meier(t, c > 0).table.set_index("time")["surv"]
    np.testing.assert_allclose(total.to_numpy() + km.reindex(total.index).to_numpy(), 1.0)


def test_single_cause_incidence_is_one_minus_kaplan_meier():
    t, e = [2, 3, 3, 5, 8, 9, 12], [1, 0, 1, 1, 0, 1, 0]
    r = cumulative_incidence(t, e, {1: "death"}, days_per_month=1.0).table
    km = kaplan_meier(t, e).table
    np.testing.assert_allclose(r["cuminc"], 1.0 - km["surv"])
    assert r["n_event"].tolist() == km["n_event"].tolist()


def test_median_follow_up_without_events_is_the_median_time():
    # nobody had the event: every time is a completed follow-up, reverse KM = empirical
    r = median_follow_up([30, 60, 90, 120, 150], [0] * 5, days_per_month=30.0)
    assert r.median == 3.0 and r.n_censored == 5 and "30 days" in r.method


def test_km_by_group_keeps_the_given_order():
    r = km_by_group(
        [1, 2, 3, 4],
        [1, 1, 0, 1],
        ["DL2", "DL1", "DL2", "DL1"],
        order=["DL2", "DL1"],
        days_per_month=1.0,
    )
    assert r.summary["group"].tolist() == ["DL2", "DL1"]
    assert r.table["group"].tolist() == ["DL2", "DL2", "DL1", "DL1"]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: logrank_test([1, 2], [1, 1], ["a", "a"]), "two groups"),
        (lambda: logrank_test([1, 2], [0, 0], ["a", "b"]), "at least one event"),
        (lambda: logrank_test([1, 2], [1, 1], ["a", None], ids=["S1", "S2"]), "S2"),
        (lambda: logrank_test([1, 2], [1, 1], ["a", "b"], days_per_month=0), "days_per_month"),
        (lambda: km_by_group([1, -2], [1, 1], ["a", "b"]), ">= 0"),
        (lambda: cumulative_incidence([1, 2], [1, 1.5]), "integer code"),
        (lambda: cumulative_incidence([1, 2], [1, 3], {1: "relapse"}), "no label"),
        (lambda: cumulative_incidence([1, 2], [0, 0]), "at least one event"),
        (lambda: cox_ph([1, 2, 3], [1, 0, 1], pd.DataFrame({"x": [1.0, None, 2.0]})), "'x'"),
        (lambda: cox_ph([1, 2, 3, 4], [1, 1, 0, 0], pd.DataFrame({"g": list("aabb")})), "monotone"),
        (lambda: cox_ph([1, 2], [1, 1], pd.DataFrame({"g": ["a", "a"]})), "single level"),
        (
            lambda: cox_ph([1, 2, 3, 4], [1, 1, 1, 0], pd.DataFrame({"x": [5.0, 4, 1, 0]})),
            "did not converge",
        ),
    ],
)
def test_bad_input_is_named(call, match):
    with pytest.raises(InputError, match=match):
        call()


def test_stratified_logrank_with_a_group_absent_from_a_stratum_equals_r():
    # R 4.2.2, survival 3.5-3: survdiff(Surv(t, e) ~ g + strata(s)) on these nine rows gives
    # chisq 0.0673628700061818, expected (rowSums(exp)) 1.81666666666667 2.98333333333333 2.2
    r = logrank_test(
        [1, 3, 2, 4, 5, 6, 7, 2.5, 8],
        [1, 0, 1, 1, 1, 0, 1, 1, 1],
        list("aabbaaccb"),
        strata=list("AAAABBABB"),
        days_per_month=1.0,
    )
    assert r.statistic == pytest.approx(0.0673628700061818, rel=1e-12)
    assert r.table["expected"].tolist() == pytest.approx([1.81666666666667, 2.98333333333333, 2.2])
    assert r.df == 2 and r.stratified
