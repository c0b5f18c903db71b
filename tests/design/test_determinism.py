"""Same inputs, same outputs: decisions, selections, tables and pathways are deterministic
(no random draw anywhere in the single-trial designs; CONTRIBUTING "Deterministic")."""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.design import TrialState, design_from_spec, dose_paths
from cartrial.design.tables import decision_table, decision_table_json
from cartrial.protocol import load_protocol

SPEC = load_protocol("ct071").design


@pytest.mark.parametrize("name", ["3+3", "boin", "tite-boin", "i3+3", "mtpi2", "crm", "tite-crm"])
def test_same_state_same_decision_and_paths(name):
    s = TrialState(n=(3, 6, 0), y=(0, 1, 0), current=1)
    a = design_from_spec(SPEC.model_copy(update={"name": name}), 3)
    b = design_from_spec(SPEC.model_copy(update={"name": name}), 3)
    assert a.decide(s) == b.decide(s) == a.decide(s)
    assert a.select(s).mtd == b.select(s).mtd
    pd.testing.assert_frame_equal(a.select(s).table, b.select(s).table)
    pd.testing.assert_frame_equal(dose_paths(a, s, cohorts=2), dose_paths(b, s, cohorts=2))


def test_table_text_is_byte_identical():
    assert decision_table_json(decision_table("mtpi2", 0.25)) == decision_table_json(
        decision_table("mtpi2", 0.25)
    )
