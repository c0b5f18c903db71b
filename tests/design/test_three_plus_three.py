"""3+3 hand paths (Storer BE, Biometrics 1989;45:925-37) and its explicit variants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.design import TrialState
from cartrial.design.three_plus_three import ThreePlusThree
from cartrial.errors import InputError


def run(design, outcomes, start=0):
    """Apply cohorts of 3 with the given DLT counts, following the design's decisions."""
    s = TrialState.empty(design.n_doses, start)
    trail = []
    for y in outcomes:
        dec = design.decide(s)
        assert dec.action != "stop", trail
        s = s.add_cohort(dec.next_dose, 3, y, eliminated=dec.eliminated)
        trail.append((dec.next_dose, y))
    return s, design.decide(s), trail


def test_path_escalate_expand_then_exceed():
    # D1 0/3 -> D2 1/3 -> D2 0/3 (1/6) -> D3 2/3: D3 exceeds, D2 already has 6 -> MTD = D2
    d = ThreePlusThree(n_doses=4)
    s, dec, trail = run(d, [0, 1, 0, 2])
    assert [t[0] for t in trail] == [0, 1, 1, 2]
    assert dec.action == "stop" and dec.eliminated == (2, 3)
    assert d.select(s).mtd == 1


def test_path_expand_lower_dose_to_six():
    # D1 0/3 -> D2 2/3 (exceeds) -> back to D1, expand to 6: 0/6 -> stop, MTD = D1
    d = ThreePlusThree(n_doses=3)
    s, dec, trail = run(d, [0, 2])
    assert (dec.action, dec.next_dose) == ("de-escalate", 0)
    s = s.add_cohort(0, 3, 0, eliminated=dec.eliminated)
    dec = d.decide(s)
    assert dec.action == "stop"
    assert d.select(s).mtd == 0


def test_path_lower_dose_fails_on_expansion():
    # D1 0/3 -> D2 2/3 -> D1 expanded: 2/6 -> D1 exceeds too -> no MTD
    d = ThreePlusThree(n_doses=3)
    s, dec, _ = run(d, [0, 2, 2])
    assert dec.action == "stop" and dec.eliminated == (0, 1, 2)
    assert d.select(s).mtd is None


def test_dose_1_exceeds():
    d = ThreePlusThree(n_doses=3)
    s, dec, _ = run(d, [2])
    assert dec.action == "stop" and d.select(s).mtd is None
    s, dec, _ = run(d, [1, 1])  # 2/6 at dose 1
    assert dec.action == "stop" and d.select(s).mtd is None


def test_top_dose_expanded_to_six():
    d = ThreePlusThree(n_doses=2)
    s, dec, trail = run(d, [0, 0])
    assert (dec.action, dec.next_dose) == ("stay", 1)  # 0/3 at the top: 3 more
    s = s.add_cohort(1, 3, 1)
    assert d.decide(s).action == "stop" and d.select(s).mtd == 1


def test_variant_without_deescalation():
    d = ThreePlusThree(n_doses=3, allow_deescalation=False)
    s, dec, _ = run(d, [0, 2])
    assert dec.action == "stop" and d.select(s).mtd is None  # dose 1 has only 3 patients


def test_variant_top_dose_not_expanded():
    d = ThreePlusThree(n_doses=2, expand_top_dose=False)
    s, dec, _ = run(d, [0, 0])
    assert dec.action == "stop" and d.select(s).mtd == 1


def test_bad_input():
    with pytest.raises(InputError, match="cohorts of 3"):
        ThreePlusThree(n_doses=3, cohort_size=2)
    with pytest.raises(InputError, match="at most 6"):
        ThreePlusThree(n_doses=2).decide(TrialState(n=(9, 0), y=(0, 0)))


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 5), st.data())
def test_property_never_recommends_eliminated(k, data):
    n = data.draw(st.lists(st.sampled_from([0, 3, 6]), min_size=k, max_size=k))
    y = [data.draw(st.integers(0, v)) for v in n]
    s = TrialState(n=tuple(n), y=tuple(y), current=data.draw(st.integers(0, k - 1)))
    d = ThreePlusThree(n_doses=k)
    dec = d.decide(s)
    if dec.next_dose is not None:
        assert dec.next_dose not in dec.eliminated and dec.next_dose <= s.current + 1
    sel = d.select(s)
    assert sel.mtd is None or sel.mtd not in dec.eliminated
