"""Decision tables of the table-driven designs against the published tables.

Liu & Yuan, J R Stat Soc C 2015;64:507-23, decision table: BOIN target 0.3 (the table quoted in
brockk/escalation issue #6).
"""

from __future__ import annotations

import numpy as np
import pytest

from cartrial.design.simulate_tables import (
    DEESCALATE,
    ESCALATE,
    decision_tables,
    mtpi2_intervals,
)
from cartrial.errors import InputError


def _edges(tab, ns):
    esc, de, el = [], [], []
    for n in ns:
        row = tab.action[n, : n + 1]
        esc.append(int(np.nonzero(row == ESCALATE)[0].max()) if (row == ESCALATE).any() else -1)
        de.append(int(np.nonzero(row == DEESCALATE)[0].min()))
        hit = np.nonzero(tab.eliminate[n, : n + 1])[0]
        el.append(int(hit.min()) if hit.size else None)
    return esc, de, el


def test_boin_target_03_cohorts_of_3_published_table():
    # Liu & Yuan 2015 decision table, n = 3, 6, ..., 30
    tab = decision_tables("boin", 0.3, 30)
    esc, de, el = _edges(tab, range(3, 31, 3))
    assert esc == [0, 1, 2, 2, 3, 4, 4, 5, 6, 7]
    assert de == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert el == [3, 4, 5, 7, 8, 9, 10, 11, 12, 14]


def test_boin_target_03_cohorts_of_1_published_table():
    # Liu & Yuan 2015 decision table, n = 3..12
    tab = decision_tables("boin", 0.3, 12)
    esc, de, el = _edges(tab, range(3, 13))
    assert esc == [0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    assert de == [2, 2, 2, 3, 3, 3, 4, 4, 4, 5]
    assert el == [3, 3, 4, 4, 5, 5, 5, 6, 6, 7]


def test_no_elimination_below_three_patients():
    tab = decision_tables("boin", 0.3, 10)
    assert not tab.eliminate[:3].any()


def test_extrasafe_lowers_the_dose1_cutoff_only():
    plain = decision_tables("boin", 0.3, 12)
    safe = decision_tables("boin", 0.3, 12, extrasafe=True)
    assert (safe.eliminate == plain.eliminate).all()
    assert (safe.eliminate_first >= plain.eliminate_first).all()
    assert (safe.eliminate_first & ~plain.eliminate_first).any()


def test_i3p3_rules_hand_worked():
    # mTPI-2 (Guo W et al. 2017), EI = [0.25, 0.35]
    tab = decision_tables("i3+3", 0.3, 6)
    assert tab.action[3, 0] == ESCALATE  # 0 < 0.25
    assert tab.action[6, 2] == 0  # 0.333 in EI: stay
    assert tab.action[3, 1] == 0  # 0.333 in EI: stay
    assert tab.action[6, 3] == DEESCALATE  # 0.5 > 0.35 and 2/6 = 0.333 not below EI
    assert tab.action[2, 1] == 0  # 0.5 > 0.35 but (1-1)/2 = 0 < 0.25: stay


def test_mtpi2_intervals_cover_unit_interval():
    edges, ei = mtpi2_intervals(0.3, 0.05, 0.05)
    assert edges[0] == 0 and edges[-1] == 1
    assert edges[ei] == pytest.approx(0.25) and edges[ei + 1] == pytest.approx(0.35)
    assert np.all(np.diff(edges) > 0)


def test_mtpi2_zero_of_three_escalates_and_three_of_three_deescalates():
    tab = decision_tables("mtpi2", 0.3, 3)
    assert tab.action[3, 0] == ESCALATE
    assert tab.action[3, 3] == DEESCALATE


def test_unknown_design_is_an_input_error():
    with pytest.raises(InputError, match="not table-driven"):
        decision_tables("crm", 0.3, 10)
