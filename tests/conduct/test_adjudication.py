"""The committee's DLT calls over the engine's (cartrial.conduct.adjudication).

The rule checked is the protocol's evaluability rule (completed window or DLT; BOIN, Liu & Yuan,
J R Stat Soc C 2015;64:507-23, section 2) applied to the committee's call; the expectations are
worked by hand from that rule, not produced by the code.
"""

import pandas as pd
import pytest

from cartrial.conduct import apply_adjudications
from cartrial.errors import InputError


def _patients():
    return pd.DataFrame({
        "USUBJID": ["A", "B", "C", "D"],
        "DLT": ["yes", "pending", "yes", "no"],
        "FOLLOWUP_DAY": [30.0, 10.0, 12.0, 15.0],
        "DLT_EVALUABLE": [True, False, True, False],
        "EVALUABILITY": ["DLT", "in window", "DLT", "left before end of window"],
    })


def _adj(rows):
    return pd.DataFrame(rows, columns=["USUBJID", "DLT", "RATIONALE", "ADJ_DATE"])


def test_overrides_follow_the_evaluability_rule():
    a = _adj([["A", "no", "fever was infection", "2024-02-01"],
              ["B", "yes", "grade 4 ICANS reported late", "2024-02-01"],
              ["C", "no", "not related", "2024-02-01"],
              ["D", "yes", "event after withdrawal counts", "2024-02-01"]])
    out = apply_adjudications(_patients(), a, 28).set_index("USUBJID")
    # A: window completed, no DLT -> evaluable no; B: DLT -> evaluable yes;
    # C: inside the window without DLT -> pending; D: left early, DLT -> evaluable yes
    assert out["DLT"].to_dict() == {"A": "no", "B": "yes", "C": "pending", "D": "yes"}
    assert out["DLT_EVALUABLE"].to_dict() == {"A": True, "B": True, "C": False, "D": True}
    assert (out["DLT_SOURCE"] == "committee").all()
    assert out.loc["C", "ENGINE_DLT"] == "yes"


def test_only_adjudications_known_at_the_cutoff_apply_latest_wins():
    a = _adj([["B", "yes", "first call", "2024-02-01"],
              ["B", "no", "revised: event not related", "2024-03-01"]])
    early = apply_adjudications(_patients(), a, 28, "2024-02-15").set_index("USUBJID")
    assert early.loc["B", "DLT"] == "yes"
    late = apply_adjudications(_patients(), a, 28).set_index("USUBJID")
    assert late.loc["B", "DLT"] == "pending"
    assert late.loc["B", "ADJ_RATIONALE"] == "revised: event not related"
    none = apply_adjudications(_patients(), a, 28, "2024-01-01")
    assert (none["DLT_SOURCE"] == "engine").all()


@pytest.mark.parametrize("row, needle", [
    (["A", "maybe", "x", "2024-02-01"], "must be yes or no"),
    (["A", "yes", " ", "2024-02-01"], "RATIONALE is empty"),
    (["Z", "yes", "x", "2024-02-01"], "not an escalation patient"),
])
def test_bad_adjudications_are_refused_naming_the_record(row, needle):
    with pytest.raises(InputError, match=needle) as e:
        apply_adjudications(_patients(), _adj([row]), 28)
    assert f"USUBJID={row[0]}" in str(e.value)
