"""BOIN decisions (Liu & Yuan, J R Stat Soc C 2015;64:507-23), BF-BOIN backfill and TITE-BOIN (Yuan
et al., Clin Cancer Res 2018)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta

from cartrial.design import Boin, PendingPatient, TiteBoin, TrialState
from cartrial.errors import InputError

# Liu & Yuan 2015, published BOIN table for target 0.3 (also brockk/escalation issue #6)
COHORT3_N = list(range(3, 31, 3))
COHORT3 = {
    "escalate": [0, 1, 2, 2, 3, 4, 4, 5, 6, 7],
    "deescalate": [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    "eliminate": [3, 4, 5, 7, 8, 9, 10, 11, 12, 14],
}
COHORT1_N = list(range(3, 13))
COHORT1 = {
    "escalate": [0, 0, 1, 1, 1, 1, 2, 2, 2, 2],
    "deescalate": [2, 2, 2, 3, 3, 3, 4, 4, 4, 5],
    "eliminate": [3, 3, 4, 4, 5, 5, 5, 6, 6, 7],
}


@pytest.mark.parametrize("ns, table", [(COHORT3_N, COHORT3), (COHORT1_N, COHORT1)])
def test_published_table_target_030(ns, table):
    b = Boin(n_doses=3, target=0.3)
    assert [b.b_e(n) for n in ns] == table["escalate"]
    assert [b.b_d(n) for n in ns] == table["deescalate"]
    assert [b.b_elim(n) for n in ns] == table["eliminate"]


@pytest.mark.parametrize("ns, table", [(COHORT3_N, COHORT3), (COHORT1_N, COHORT1)])
def test_decisions_follow_published_rows(ns, table):
    # At dose 2 of 3 (index 1) with nothing eliminated below: every (n, y) follows the table.
    b = Boin(n_doses=3, target=0.3)
    for i, n in enumerate(ns):
        for y in range(n + 1):
            s = TrialState(n=(3, n, 0), y=(0, y, 0), current=1)
            dec = b.decide(s)
            if y >= table["eliminate"][i]:
                assert dec.action == "de-escalate" and dec.next_dose == 0
                assert dec.eliminated == (1, 2)
            elif y >= table["deescalate"][i]:
                assert (dec.action, dec.next_dose) == ("de-escalate", 0)
            elif y <= table["escalate"][i]:
                assert (dec.action, dec.next_dose) == ("escalate", 2)
            else:
                assert (dec.action, dec.next_dose) == ("stay", 1)
            assert dec.reason


def test_elimination_rule_and_doses_above():
    # 3/3 at target 0.3: P(p > 0.3 | Beta(4, 1)) = 1 - 0.3^4 = 0.9919 > 0.95 (Liu & Yuan 2015, BOIN
    # elimination rule)
    assert 1 - 0.3**4 > 0.95
    b = Boin(n_doses=4, target=0.3)
    dec = b.decide(TrialState(n=(3, 3, 0, 0), y=(0, 3, 0, 0), current=1))
    assert dec.eliminated == (1, 2, 3)
    assert (dec.action, dec.next_dose) == ("de-escalate", 0)
    # 2/3: P(p > 0.3 | Beta(3, 2)) = 1 - 0.3^3 (4 - 3 x 0.3) = 0.9163 < 0.95: not eliminated
    assert 1 - 0.3**3 * (4 - 0.9) == pytest.approx(beta.sf(0.3, 3, 2))
    dec = b.decide(TrialState(n=(3, 3, 0, 0), y=(0, 2, 0, 0), current=1))
    assert dec.eliminated == () and dec.next_dose == 0


def test_elimination_needs_three_patients():
    # 2/2 gives P(p > 0.3 | Beta(3, 1)) = 1 - 0.3^3 = 0.973 > 0.95 but n < 3: no elimination
    b = Boin(n_doses=3, target=0.3, cohort_size=1)
    dec = b.decide(TrialState(n=(1, 2, 0), y=(0, 2, 0), current=1))
    assert dec.eliminated == ()
    assert (dec.action, dec.next_dose) == ("de-escalate", 0)


def test_stop_when_lowest_dose_eliminated():
    b = Boin(n_doses=3, target=0.3)
    dec = b.decide(TrialState(n=(3, 0, 0), y=(3, 0, 0), current=0))
    assert dec.action == "stop" and dec.next_dose is None and dec.eliminated == (0, 1, 2)
    assert b.select(TrialState(n=(3, 0, 0), y=(3, 0, 0), current=0)).mtd is None


def test_extrasafe_uses_lower_cutoff_at_dose_1():
    # 2/3 at dose 1: P = 0.9163, > 0.95 - 0.05 = 0.90 -> stop with extrasafe only (Liu & Yuan 2015,
    # BOIN elimination rule)
    s = TrialState(n=(3, 0, 0), y=(2, 0, 0), current=0)
    assert Boin(n_doses=3, target=0.3).decide(s).action == "stay"
    assert Boin(n_doses=3, target=0.3, extrasafe=True).decide(s).action == "stop"


def test_cap_per_dose_stops_only_when_staying():
    b = Boin(n_doses=3, target=0.3, cap_per_dose=9)
    # n = 9, y = 3: 2 < 3 < 4 -> stay -> cap reached -> stop
    assert b.decide(TrialState(n=(3, 9, 0), y=(0, 3, 0), current=1)).action == "stop"
    # n = 9, y = 2: escalate is not a "stay", so the cap does not stop (BOIN get.oc)
    assert b.decide(TrialState(n=(3, 9, 0), y=(0, 2, 0), current=1)).action == "escalate"
    # escalate at the top dose counts as stay -> stop
    assert b.decide(TrialState(n=(3, 3, 9), y=(0, 0, 2), current=2)).action == "stop"
    # de-escalate at dose 1 counts as stay -> stop
    assert b.decide(TrialState(n=(9, 0, 0), y=(4, 0, 0), current=0)).action == "stop"


def test_no_skipping_and_escalation_blocked_by_eliminated_dose():
    b = Boin(n_doses=4, target=0.3)
    dec = b.decide(TrialState(n=(3, 0, 0, 0), y=(0, 0, 0, 0), current=0))
    assert dec.next_dose == 1
    s = TrialState(n=(3, 6, 3, 0), y=(0, 1, 3, 0), current=1)
    dec = b.decide(s)  # 1/6 escalates, but dose 3 is eliminated (3/3): stay
    assert dec.eliminated == (2, 3) and (dec.action, dec.next_dose) == ("stay", 1)


def test_max_sample_size_stops():
    b = Boin(n_doses=3, target=0.3, max_sample_size=6)
    assert b.decide(TrialState(n=(3, 3, 0), y=(0, 0, 0), current=1)).action == "stop"


def test_state_eliminations_are_permanent():
    b = Boin(n_doses=3, target=0.3)
    s = TrialState(n=(6, 3, 0), y=(0, 0, 0), current=1, eliminated=(2,))
    dec = b.decide(s)
    assert dec.next_dose == 1 and dec.eliminated == (2,)


def test_bad_state_is_refused():
    with pytest.raises(InputError, match="0 <= y <= n"):
        TrialState(n=(3, 1), y=(0, 2))
    with pytest.raises(InputError, match="doses"):
        Boin(n_doses=3, target=0.3).decide(TrialState(n=(3, 1), y=(0, 0)))


# ---------------------------------------------------------------- BF-BOIN backfill
def test_backfill_opens_cleared_doses_below():
    b = Boin(n_doses=4, target=0.3, backfill=True, backfill_cap=6)
    dec = b.decide(TrialState(n=(3, 3, 0, 0), y=(0, 0, 0, 0), current=1))
    assert dec.next_dose == 2 and dec.backfill_doses == (0, 1)
    # a dose at the cap is closed; untried doses are never backfilled
    dec = b.decide(TrialState(n=(6, 3, 0, 0), y=(0, 0, 0, 0), current=1))
    assert dec.backfill_doses == (1,)
    dec = b.decide(TrialState(n=(0, 3, 0, 0), y=(0, 0, 0, 0), current=1))
    assert dec.backfill_doses == (1,)


def test_backfill_closes_unsafe_dose_and_above():
    b = Boin(n_doses=4, target=0.3, backfill=True)
    # dose 1: 2/3 >= b_d(3) = 2, pooled with dose 2 (2/6) still >= b_d(6)? b_d(6) = 3, 2 < 3 -> safe
    dec = b.decide(TrialState(n=(3, 3, 3, 0), y=(2, 0, 0, 0), current=2))
    assert 0 in dec.backfill_doses
    # dose 1: 2/3 and dose 2: 2/3 -> pooled 4/6 >= 3 -> dose 1 unsafe, dose 2 closed as well
    dec = b.decide(TrialState(n=(3, 3, 6, 0), y=(2, 2, 1, 0), current=2))
    assert dec.backfill_doses == ()


def test_backfill_conflict_pools_data():
    # BF-BOIN: current dose 2 (index 1) escalates alone (0/3) but backfilled dose 1 shows 3/6
    # (stay). Pooled doses 1-2: 3/9; b_e(9) = 2 < 3 < b_d(9) = 4 -> stay.
    b = Boin(n_doses=3, target=0.3, backfill=True)
    s = TrialState(n=(6, 3, 0), y=(3, 0, 0), current=1, backfill_n=(3, 0, 0), backfill_y=(2, 0, 0))
    dec = b.decide(s)
    assert (dec.action, dec.next_dose) == ("stay", 1)
    assert "pooled" in dec.reason
    # the same state without backfill: BOIN looks at the current dose only -> escalate
    assert Boin(n_doses=3, target=0.3).decide(s).action == "escalate"


# ---------------------------------------------------------------- TITE-BOIN
def test_tite_boin_pending_weighting():
    # 6 treated at dose 2, 1 DLT, 2 pending with 14 and 7 of 28 days:
    # n_eff = 6 - 2 + 21/28 = 4.75; phat = 1/4.75 = 0.2105 <= 0.2365 -> escalate (Yuan et al., Clin
    # Cancer Res 2018)
    t = TiteBoin(n_doses=3, target=0.3, dlt_window=28)
    s = TrialState(
        n=(3, 6, 0),
        y=(0, 1, 0),
        current=1,
        dlt_window=28,
        pending=(PendingPatient(1, 14), PendingPatient(1, 7)),
    )
    assert t.effective_n(s, 1) == pytest.approx(6 - 2 + 21 / 28)
    dec = t.decide(s)
    assert (dec.action, dec.next_dose) == ("escalate", 2)
    # with less follow-up, 2 pending at 3.5 days: n_eff = 4.25, phat = 0.235 -> escalate;
    # 3 DLT-free days less: 2 pending at 0 days: n_eff = 4, phat = 0.25 -> stay
    s0 = TrialState(
        n=(3, 6, 0),
        y=(0, 1, 0),
        current=1,
        dlt_window=28,
        pending=(PendingPatient(1, 0), PendingPatient(1, 0)),
    )
    assert t.decide(s0).action == "stay"


def test_tite_boin_suspends_when_too_many_pending():
    # 3 treated, 2 pending > 0.5 x 3 -> suspend accrual
    t = TiteBoin(n_doses=3, target=0.3, dlt_window=28)
    s = TrialState(
        n=(3, 3, 0),
        y=(0, 0, 0),
        current=1,
        dlt_window=28,
        pending=(PendingPatient(1, 10), PendingPatient(1, 20)),
    )
    dec = t.decide(s)
    assert dec.action == "suspend" and dec.next_dose == 1


def test_tite_boin_holds_at_dose_1():
    # dose 1: 1 DLT, 1 pending of 3 (1 <= 1.5): n_eff = 3 - 1 + 0/28 = 2, phat = 0.5 > lambda_d
    t = TiteBoin(n_doses=3, target=0.3, dlt_window=28)
    s = TrialState(
        n=(3, 0, 0), y=(1, 0, 0), current=0, dlt_window=28, pending=(PendingPatient(0, 0),)
    )
    assert t.decide(s).action == "suspend"
    # same at dose 2 de-escalates
    s2 = TrialState(
        n=(3, 3, 0), y=(0, 1, 0), current=1, dlt_window=28, pending=(PendingPatient(1, 0),)
    )
    assert t.decide(s2).action == "de-escalate"


def test_tite_boin_eliminates_on_full_n():
    # 3 DLT among 4 with 1 pending: elimination uses n = 4 (P(p>0.3 | Beta(4, 2)) = 0.9692)
    assert beta.sf(0.3, 4, 2) > 0.95
    t = TiteBoin(n_doses=3, target=0.3, dlt_window=28)
    s = TrialState(
        n=(3, 4, 0), y=(0, 3, 0), current=1, dlt_window=28, pending=(PendingPatient(1, 5),)
    )
    dec = t.decide(s)
    assert dec.eliminated == (1, 2) and dec.next_dose == 0


# ---------------------------------------------------------------- properties
@st.composite
def states(draw, k_max=5, n_max=15, pending=False):
    k = draw(st.integers(1, k_max))
    n = draw(st.lists(st.integers(0, n_max), min_size=k, max_size=k))
    y = [draw(st.integers(0, v)) for v in n]
    cur = draw(st.integers(0, k - 1))
    pend = []
    if pending:
        for j in range(k):
            c = draw(st.integers(0, n[j] - y[j]))
            pend += [PendingPatient(j, draw(st.floats(0, 40))) for _ in range(c)]
    elim = draw(st.lists(st.integers(0, k - 1), max_size=2))
    return TrialState(
        n=tuple(n),
        y=tuple(y),
        current=cur,
        pending=tuple(pend),
        dlt_window=28.0,
        eliminated=tuple(elim),
    )


@settings(max_examples=300, deadline=None)
@given(states(), st.booleans(), st.sampled_from([None, 6, 9]))
def test_property_boin_never_recommends_eliminated(s, backfill, cap):
    b = Boin(n_doses=s.n_doses, target=0.3, backfill=backfill, cap_per_dose=cap)
    dec = b.decide(s)
    assert set(s.eliminated) <= set(dec.eliminated)
    if dec.next_dose is not None:
        assert dec.next_dose not in dec.eliminated
        assert dec.next_dose <= s.current + 1  # no skipping
    assert not set(dec.backfill_doses) & set(dec.eliminated)
    sel = b.select(s)
    assert sel.mtd is None or sel.mtd not in dec.eliminated


@settings(max_examples=300, deadline=None)
@given(states(pending=True))
def test_property_tite_boin_never_recommends_eliminated(s):
    t = TiteBoin(n_doses=s.n_doses, target=0.25, dlt_window=28)
    dec = t.decide(s)
    if dec.next_dose is not None:
        assert dec.next_dose not in dec.eliminated
        assert dec.next_dose <= s.current + 1


@settings(max_examples=200, deadline=None)
@given(states())
def test_property_tite_boin_without_pending_is_boin(s):
    a = Boin(n_doses=s.n_doses, target=0.3).decide(s)
    t = TiteBoin(n_doses=s.n_doses, target=0.3).decide(s)
    assert (a.action, a.next_dose, a.eliminated) == (t.action, t.next_dose, t.eliminated)


def test_tite_window_mismatch_is_refused():
    t = TiteBoin(n_doses=3, target=0.3, dlt_window=28)
    s = TrialState(
        n=(3, 3, 0), y=(0, 0, 0), current=1, dlt_window=21, pending=(PendingPatient(1, 10),)
    )
    with pytest.raises(InputError, match="DLT window"):
        t.decide(s)


def test_bound_mtd_option():
    # 0/3 and 2/4: isotonic 0.016 and 0.5; closest to 0.3 is dose 2, but 0.5 > lambda_d
    s = TrialState(n=(3, 4, 0), y=(0, 2, 0), current=1)
    assert Boin(n_doses=3, target=0.3).select(s).mtd == 1
    assert Boin(n_doses=3, target=0.3, bound_mtd=True).select(s).mtd == 0


def test_backfill_requires_response_option():
    # BF-BOIN opens a cleared dose to backfill only after activity there, when asked to
    b = Boin(n_doses=4, target=0.3, backfill=True, backfill_requires_response=True)
    s = TrialState(n=(3, 3, 0, 0), y=(0, 0, 0, 0), current=1, responses=(0, 1, 0, 0))
    assert b.decide(s).backfill_doses == (1,)
    with pytest.raises(InputError, match="responses"):
        b.decide(TrialState(n=(3, 3, 0, 0), y=(0, 0, 0, 0), current=1))
    with pytest.raises(InputError, match="responses"):
        TrialState(n=(3, 3), y=(0, 0), responses=(4, 0))


def test_tite_boin_selection_keeps_full_n_elimination():
    # dose 1: 2 DLTs among 3 treated, 1 pending. TITE-BOIN eliminates on the full n = 3
    # (target 0.2: P(p > 0.2 | Beta(3, 2)) = 1 - 0.2^3 (4 - 0.6) = 0.9728 > 0.95): stop, and
    # the final selection must not pick dose 1 even though its completed data are 2/2.
    assert 1 - 0.2**3 * (4 - 3 * 0.2) == pytest.approx(beta.sf(0.2, 3, 2))
    t = TiteBoin(n_doses=3, target=0.2)
    s = TrialState(
        n=(3, 0, 0), y=(2, 0, 0), current=0, dlt_window=28, pending=(PendingPatient(0, 0.0),)
    )
    assert t.decide(s).action == "stop"
    assert t.select(s).mtd is None
