"""Dose-transition pathways (escalation get_dose_paths conventions) and the tree figure."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from cartrial.design import Boin, ThreePlusThree, TrialState, design_from_spec
from cartrial.design.paths import dose_paths, dose_paths_figure
from cartrial.errors import InputError
from cartrial.protocol import load_protocol


def test_boin_one_cohort_from_the_start():
    # From dose 1 with no data: 0/3 escalate, 1/3 stay (lambda_e < 1/3 <= lambda_d),
    # 2/3 de-escalate -> stay at the lowest dose, 3/3 eliminates dose 1 -> stop (Liu & Yuan 2015,
    # BOIN decision and elimination rules)
    p = dose_paths(Boin(n_doses=3, target=0.3), cohorts=1)
    kids = p[p["cohort"] == 1].set_index("path")
    assert kids["action"].to_dict() == {
        "1NNN": "escalate",
        "1NNT": "stay",
        "1NTT": "stay",
        "1TTT": "stop",
    }
    assert kids.loc["1NNN", "next_dose"] == 2
    assert kids.loc["1TTT", "eliminated"] == "1,2,3"


def test_tree_size_and_terminal_nodes():
    p = dose_paths(Boin(n_doses=3, target=0.3), cohorts=3)
    # every non-terminal node of cohorts 0..2 has 4 children; stop nodes have none
    for c in range(3):
        parents = p[(p["cohort"] == c) & (p["action"] != "stop")]
        assert (p["cohort"] == c + 1).sum() == 4 * len(parents)
    assert p["node_id"].is_unique


def test_three_plus_three_paths_and_start_state():
    d = ThreePlusThree(n_doses=3)
    s = TrialState(n=(3, 3, 0), y=(0, 1, 0), current=1)
    p = dose_paths(d, s, cohorts=1)
    assert p.loc[0, "action"] == "stay"  # 1/3: three more at dose 2
    kids = p[p["cohort"] == 1].set_index("path")["action"].to_dict()
    # 1/6 escalates; >= 2/6 exceeds the MTD and dose 1 has only 3 patients: expand it to 6
    assert kids == {
        "2NNN": "escalate",
        "2NNT": "de-escalate",
        "2NTT": "de-escalate",
        "2TTT": "de-escalate",
    }


def test_ct071_protocol_paths():
    proto = load_protocol("ct071")
    d = design_from_spec(proto.design, len(proto.dose_levels))
    p = dose_paths(d, TrialState.empty(2, proto.start_index), cohorts=2)
    assert set(p["next_dose"].dropna().astype(int)) <= {1, 2}


def test_figure_is_returned_not_saved():
    fig = dose_paths_figure(dose_paths(Boin(n_doses=3, target=0.3), cohorts=2))
    assert isinstance(fig, Figure) and len(fig.axes) == 1


def test_bad_input():
    with pytest.raises(InputError):
        dose_paths(Boin(n_doses=3, target=0.3), cohorts=0)
    with pytest.raises(InputError, match="fewer cohorts"):
        dose_paths(Boin(n_doses=3, target=0.3), cohorts=9)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(["3+3", "boin", "i3+3", "mtpi2", "crm"]), st.integers(2, 4))
def test_property_no_path_recommends_an_eliminated_dose(name, k):
    spec = load_protocol("ct071").design.model_copy(update={"name": name, "target": 0.25})
    d = design_from_spec(spec, k)
    p = dose_paths(d, cohorts=2)
    for r in p.itertuples():
        elim = {int(e) for e in r.eliminated.split(",") if e}
        if not pd.isna(r.next_dose):
            assert int(r.next_dose) not in elim
