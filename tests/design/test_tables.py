"""Decision tables (BOIN published rows, Liu & Yuan 2015; 3+3, Storer 1989; i3+3 and mTPI-2) and
writers."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from cartrial.design import I3plus3, Mtpi2
from cartrial.design.tables import (
    decision_table,
    decision_table_csv,
    decision_table_json,
    decision_table_markdown,
)
from cartrial.errors import InputError


def test_boin_cohort3_published_rows():
    # Liu & Yuan 2015 decision table, target 0.3, cohorts of 3, n = 3..30
    t = decision_table("boin", 0.3, cohort_size=3, max_n=30)
    assert t.summary["n"].tolist() == list(range(3, 31, 3))
    assert t.summary["escalate_if_le"].tolist() == [0, 1, 2, 2, 3, 4, 4, 5, 6, 7]
    assert t.summary["deescalate_if_ge"].tolist() == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert t.summary["eliminate_if_ge"].tolist() == [3, 4, 5, 7, 8, 9, 10, 11, 12, 14]


def test_boin_cohort1_published_rows():
    t = decision_table("boin", 0.3, cohort_size=1, max_n=12)
    s = t.summary[t.summary["n"] >= 3]
    assert s["escalate_if_le"].tolist() == [0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    assert s["deescalate_if_ge"].tolist() == [2, 2, 2, 3, 3, 3, 4, 4, 4, 5]
    assert s["eliminate_if_ge"].tolist() == [3, 3, 4, 4, 5, 5, 5, 6, 6, 7]
    # below 3 patients nothing is eliminated (Liu & Yuan 2015, BOIN elimination rule)
    assert t.summary.loc[t.summary["n"] < 3, "eliminate_if_ge"].isna().all()


def test_three_plus_three_table():
    t = decision_table("3+3")
    assert t.summary.to_dict(orient="list") == {
        "n": [3, 6],
        "escalate_if_le": [0, 1],
        "deescalate_if_ge": [2, 2],
        "eliminate_if_ge": [2, 2],
    }
    g = t.grid.set_index(["n", "y"])["decision"]
    assert (g[(3, 0)], g[(3, 1)], g[(3, 2)], g[(6, 1)], g[(6, 2)]) == ("E", "S", "DU", "E", "DU")


@pytest.mark.parametrize("name, cls", [("i3+3", I3plus3), ("mtpi2", Mtpi2)])
def test_interval_tables_agree_with_design_letters(name, cls):
    t = decision_table(name, 0.25, cohort_size=3, max_n=18)
    d = cls(n_doses=2, target=0.25)
    for r in t.grid.itertuples():
        if r.decision != "DU":
            assert d.letter(r.n, r.y) == r.decision
    for r in t.summary.itertuples():
        assert r.escalate_if_le < r.deescalate_if_ge
        if not pd.isna(r.eliminate_if_ge):
            assert r.deescalate_if_ge <= r.eliminate_if_ge


def test_writers_round_trip():
    t = decision_table("boin", 0.3, cohort_size=3, max_n=9)
    csv = pd.read_csv(io.StringIO(decision_table_csv(t)))
    assert csv["deescalate_if_ge"].tolist() == [2, 3, 4]
    js = json.loads(decision_table_json(t))
    assert js["design"] == "boin" and js["summary"][0] == {
        "n": 3,
        "escalate_if_le": 0,
        "deescalate_if_ge": 2,
        "eliminate_if_ge": 3,
    }
    assert {"n": 3, "y": 3, "decision": "DU"} in js["grid"]
    md = decision_table_markdown(t)
    assert "| Number of patients treated | 3 | 6 | 9 |" in md
    assert "| Eliminate if # of DLT >= | 3 | 4 | 5 |" in md


def test_na_for_missing_elimination_in_markdown():
    md = decision_table_markdown(decision_table("boin", 0.3, cohort_size=1, max_n=3))
    assert "| Eliminate if # of DLT >= | NA | NA | 3 |" in md


@pytest.mark.parametrize(
    "kw", [{"design": "crm"}, {"design": "boin", "max_n": 2}, {"design": "3+3", "cohort_size": 2}]
)
def test_bad_input(kw):
    with pytest.raises(InputError):
        decision_table(**kw)


def test_markdown_letter_grid():
    # mTPI-2, target 0.3: 3 DLTs of 3 eliminate (DU); 3 of 6 de-escalate (Beta(4, 4) peaks at
    # 0.5, above the EI); 3 of 9 stay (Beta(4, 7) peaks at 1/3, inside [0.25, 0.35])
    md = decision_table_markdown(decision_table("mtpi2", 0.3, max_n=9))
    assert "| 3 | DU | D | S |" in md
    assert "| # of DLT" not in decision_table_markdown(decision_table("boin"), grid=False)


_STOP = pd.read_csv(Path(__file__).parent / "data" / "boin_stop_boundary.csv", comment="#")


@pytest.mark.parametrize(
    ("target", "cutoff", "offset"),
    sorted({(r.target, r.cutoff, r.offset) for r in _STOP.itertuples()}),
)
def test_extrasafe_stop_row_equals_r_get_boundary(target, cutoff, offset):
    # R BOIN 2.7.2 get.boundary(extrasafe = TRUE)$stop_boundary (data/boin_stop_boundary.R),
    # cohorts of 1 so that every n is compared
    ref = _STOP[(_STOP.target == target) & (_STOP.cutoff == cutoff) & (_STOP.offset == offset)]
    t = decision_table("boin", target, cohort_size=1, max_n=int(ref.n.max()), cutoff=cutoff,
                       extrasafe=True, offset=offset)
    got = [None if pd.isna(v) else int(v) for v in t.summary["stop_if_ge"]]
    want = [None if pd.isna(v) else int(v) for v in ref.stop_if_ge]
    assert got == want
    assert "extrasafe" in t.method
    assert "Stop the trial" in decision_table_markdown(t)
    assert "stop_if_ge" in decision_table_csv(t).splitlines()[0]
    assert "stop_if_ge" not in decision_table("boin", target).summary.columns
    with pytest.raises(InputError, match="extrasafe"):
        decision_table("3+3", extrasafe=True)
