"""The single-trial designs and the lock-step simulator's (n, y) tables give the same decisions
(issue #3: "Part B's simulator must make the same decisions as your single-trial designs").

Regression test since issue #19: the designs' letters are read from these tables.
"""

from __future__ import annotations

import pytest

from cartrial.design import Boin, I3plus3, Mtpi2, elimination_count
from cartrial.design.simulate_tables import DEESCALATE, ESCALATE, STAY, decision_tables

CODE = {"E": ESCALATE, "S": STAY, "D": DEESCALATE}


@pytest.mark.parametrize("target", [0.2, 0.25, 0.3, 0.33])
@pytest.mark.parametrize("name, cls", [("boin", Boin), ("i3+3", I3plus3), ("mtpi2", Mtpi2)])
def test_letters_and_elimination_agree(name, cls, target):
    n_max = 30
    sim = decision_tables(name, target, n_max)
    d = cls(n_doses=2, target=target)
    for n in range(1, n_max + 1):
        cnt = elimination_count(n, target)
        for y in range(n + 1):
            elim = cnt is not None and y >= cnt
            assert bool(sim.eliminate[n, y]) == elim, (n, y)
            expected = DEESCALATE if elim else CODE[d.letter(n, y)]
            assert int(sim.action[n, y]) == expected, (name, target, n, y)
