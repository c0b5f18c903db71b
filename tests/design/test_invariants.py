"""Invariants of every design built from a protocol (issue #3; overdose control, Liu & Yuan 2015):
an eliminated dose is never the next dose, a backfill dose or the MTD; no skipping; eliminations
are permanent; suspension keeps the current dose."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.design import PendingPatient, TrialState, design_from_spec
from cartrial.protocol import load_protocol

BASE = load_protocol("ct071").design
NAMES = ["3+3", "boin", "tite-boin", "i3+3", "mtpi2", "crm", "tite-crm"]


@st.composite
def cases(draw):
    name = draw(st.sampled_from(NAMES))
    k = draw(st.integers(1, 5))
    n = draw(st.lists(st.integers(0, 6), min_size=k, max_size=k))
    y = [draw(st.integers(0, v)) for v in n]
    pend = []
    for j in range(k):
        c = draw(st.integers(0, n[j] - y[j]))
        pend += [PendingPatient(j, draw(st.floats(0, 60))) for _ in range(c)]
    elim = tuple(draw(st.lists(st.integers(0, k - 1), max_size=1)))
    state = TrialState(
        n=tuple(n),
        y=tuple(y),
        current=draw(st.integers(0, k - 1)),
        pending=tuple(pend),
        dlt_window=28.0,
        eliminated=elim,
    )
    upd = {"name": name, "target": draw(st.sampled_from([0.2, 0.25, 0.3]))}
    if name in ("boin", "tite-boin"):
        upd["backfill"] = BASE.backfill.model_copy(
            update={"enabled": draw(st.booleans()), "max_per_dose": 6}
        )
    return design_from_spec(BASE.model_copy(update=upd), k), state


@settings(max_examples=200, deadline=None)
@given(cases())
def test_no_design_recommends_an_eliminated_dose(case):
    design, s = case
    dec = design.decide(s)
    assert set(s.eliminated) <= set(dec.eliminated)
    assert dec.eliminated == tuple(range(dec.eliminated[0], s.n_doses)) if dec.eliminated else True
    if dec.next_dose is not None:
        assert dec.next_dose not in dec.eliminated
        assert dec.next_dose <= s.current + 1
    else:
        assert dec.action == "stop"
    if dec.action == "suspend":
        assert dec.next_dose == s.current
    assert not set(dec.backfill_doses) & set(dec.eliminated)
    assert all(
        b < (dec.next_dose if dec.next_dose is not None else s.n_doses) for b in dec.backfill_doses
    )
    assert dec.reason
    sel = design.select(s)
    assert sel.mtd is None or (sel.mtd not in dec.eliminated and sel.mtd not in s.eliminated)


@pytest.mark.parametrize("name", NAMES)
def test_random_trial_paths_never_reach_an_eliminated_dose(name):
    # 40 seeded trials of up to 10 cohorts with true DLT rates rising steeply: eliminations are
    # carried forward and never undone, and no cohort is ever treated at an eliminated dose
    rng = np.random.default_rng(np.random.SeedSequence(20261124))
    spec = BASE.model_copy(
        update={"name": name, "target": 0.25, "max_sample_size": 30, "cap_per_dose": 12}
    )
    design = design_from_spec(spec, 4)
    true_p = np.array([0.1, 0.3, 0.5, 0.7])
    for _ in range(40):
        s = TrialState.empty(4)
        seen: set[int] = set()
        for _ in range(10):
            dec = design.decide(s)
            assert seen <= set(dec.eliminated)
            seen = set(dec.eliminated)
            if dec.action == "stop":
                break
            assert dec.next_dose not in seen and dec.next_dose <= s.current + 1
            y = int(rng.binomial(3, true_p[dec.next_dose]))
            s = s.add_cohort(dec.next_dose, 3, y, eliminated=dec.eliminated)
        sel = design.select(s)
        assert sel.mtd is None or sel.mtd not in seen
