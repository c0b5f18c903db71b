"""Complete-follow-up designs with patients still inside the DLT window (BOIN, Liu & Yuan 2015:
accrual suspended while patients are pending):
they wait while the current cohort is pending and leave pending patients out of the counts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.design import (
    Boin,
    Crm,
    I3plus3,
    Mtpi2,
    PendingPatient,
    ThreePlusThree,
    TrialState,
    crm_skeleton,
)

P = PendingPatient


def _designs(k):
    return [
        Boin(n_doses=k, target=0.3),
        Boin(n_doses=k, target=0.3, backfill=True),
        I3plus3(n_doses=k, target=0.3),
        Mtpi2(n_doses=k, target=0.3),
        ThreePlusThree(n_doses=k),
        Crm(n_doses=k, target=0.3, skeleton=crm_skeleton(0.05, 0.3, 1, k)),
    ]


@pytest.mark.parametrize("design", _designs(3), ids=lambda d: d.name)
def test_waits_while_current_cohort_pending(design):
    s = TrialState(
        n=(3, 3, 0), y=(0, 0, 0), current=1, dlt_window=28, pending=(P(1, 3.0), P(1, 10.0))
    )
    dec = design.decide(s)
    assert (dec.action, dec.next_dose) == ("suspend", 1)


@pytest.mark.parametrize("design", _designs(3), ids=lambda d: d.name)
def test_day_zero_and_all_pending(design):
    # every patient treated today (follow-up 0 days): nothing to decide on yet
    s = TrialState(
        n=(3, 0, 0),
        y=(0, 0, 0),
        current=0,
        dlt_window=28,
        pending=(P(0, 0.0), P(0, 0.0), P(0, 0.0)),
    )
    assert design.decide(s).action == "suspend"


def test_pending_elsewhere_are_left_out():
    # Dose 1 has 3 completed (0 DLT) and 3 backfilled patients still pending; the current dose 2
    # is complete with 0/3: BOIN escalates on complete data only.
    s = TrialState(
        n=(6, 3, 0),
        y=(0, 0, 0),
        current=1,
        dlt_window=28,
        pending=(P(0, 1.0), P(0, 2.0), P(0, 3.0)),
    )
    dec = Boin(n_doses=3, target=0.3, backfill=True, backfill_cap=6).decide(s)
    assert (dec.action, dec.next_dose) == ("escalate", 2)
    # dose 1 counts 3 completed patients, so it is still open to backfill (3 < cap 6)
    assert 0 in dec.backfill_doses
    sel = Boin(n_doses=3, target=0.3).select(s)
    assert sel.table.loc[0, "n"] == 3


def test_dlt_in_a_pending_cohort_counts_at_once():
    # a DLT is observed (not pending): 2 DLTs of 3 at dose 2 with the third patient pending;
    # BOIN waits, but an eliminated dose is eliminated at once (3 DLTs of 3 treated)
    s = TrialState(n=(3, 3, 0), y=(0, 3, 0), current=1)
    assert Boin(n_doses=3, target=0.3).decide(s).eliminated == (1, 2)


@st.composite
def states(draw):
    k = draw(st.integers(1, 4))
    n = draw(st.lists(st.integers(0, 6), min_size=k, max_size=k))
    y = [draw(st.integers(0, v)) for v in n]
    pend = []
    for j in range(k):
        pend += [P(j, draw(st.floats(0, 27))) for _ in range(draw(st.integers(0, n[j] - y[j])))]
    return TrialState(
        n=tuple(n),
        y=tuple(y),
        current=draw(st.integers(0, k - 1)),
        pending=tuple(pend),
        dlt_window=28.0,
    )


@settings(max_examples=150, deadline=None)
@given(states())
def test_property_pending_never_leads_to_eliminated_dose(s):
    for d in _designs(s.n_doses):
        dec = d.decide(s)
        if dec.next_dose is not None:
            assert dec.next_dose not in dec.eliminated
            assert dec.next_dose <= s.current + 1
        if dec.action == "suspend":
            assert dec.next_dose == s.current
        sel = d.select(s)
        assert sel.mtd is None or sel.mtd not in dec.eliminated
