"""One stop rule, one label, in every escalation design (issue #19 point 1).

Regression tests: the labels are the project's own; the rules behind them are checked against
the R packages elsewhere (tests/design/test_r_reference.py, test_crm_dfcrm.py).
"""

from __future__ import annotations

import pytest

from cartrial.design.boin import Boin, TiteBoin
from cartrial.design.crm import Crm, TiteCrm
from cartrial.design.interval import I3plus3, Mtpi2
from cartrial.design.state import TrialState
from cartrial.design.stopping import STOP_DOSE1_ELIMINATED, STOP_MAX_SAMPLE_SIZE
from cartrial.design.three_plus_three import ThreePlusThree

SKELETON = (0.05, 0.12, 0.25, 0.4)
DESIGNS = [
    lambda m: ThreePlusThree(n_doses=4, max_sample_size=m),
    lambda m: Boin(n_doses=4, target=0.3, max_sample_size=m),
    lambda m: TiteBoin(n_doses=4, target=0.3, max_sample_size=m),
    lambda m: I3plus3(n_doses=4, target=0.3, max_sample_size=m),
    lambda m: Mtpi2(n_doses=4, target=0.3, max_sample_size=m),
    lambda m: Crm(n_doses=4, target=0.3, skeleton=SKELETON, max_sample_size=m),
    lambda m: TiteCrm(n_doses=4, target=0.3, skeleton=SKELETON, max_sample_size=m),
]


@pytest.mark.parametrize("make", DESIGNS)
def test_max_sample_size_has_one_label(make) -> None:
    """Regression test: 12 patients of a maximum of 12 stop every design with the same rule id."""
    state = TrialState((3, 3, 6, 0), (0, 0, 1, 0), current=2)
    dec = make(12).decide(state)
    assert (dec.action, dec.next_dose, dec.rule) == ("stop", None, STOP_MAX_SAMPLE_SIZE)
    assert make(13).decide(state).action != "stop"


@pytest.mark.parametrize("make", DESIGNS)
def test_dose_1_eliminated_has_one_label(make) -> None:
    """Regression test: dose 1 eliminated before (state.eliminated) stops every design alike."""
    state = TrialState((3, 0, 0, 0), (1, 0, 0, 0), current=0, eliminated=(0,))
    dec = make(30).decide(state)
    assert (dec.action, dec.rule) == ("stop", STOP_DOSE1_ELIMINATED)
    assert dec.eliminated == (0, 1, 2, 3)


def test_three_dlt_of_three_at_dose_1_stops_boin_and_3p3_alike() -> None:
    """3/3 DLT at dose 1: BOIN eliminates (P(p > 0.3 | 3/3) = 0.97 > 0.95; Liu & Yuan 2015,
    Table of elimination boundaries: eliminate if y >= 3 of 3) and the 3+3 dose exceeds the MTD
    (Storer 1989): both stop with the same rule id."""
    state = TrialState((3, 0, 0, 0), (3, 0, 0, 0), current=0)
    assert Boin(n_doses=4, target=0.3).decide(state).rule == STOP_DOSE1_ELIMINATED
    assert ThreePlusThree(n_doses=4).decide(state).rule == STOP_DOSE1_ELIMINATED
