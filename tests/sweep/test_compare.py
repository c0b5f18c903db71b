"""Design comparison across scenarios: hand-built results with hand-computed summaries."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure

from cartrial.design.oc_result import OVERALL_COLUMNS
from cartrial.errors import InputError
from cartrial.sweep.compare import (
    BY_CELL_COLUMNS,
    BY_DESIGN_COLUMNS,
    compare_designs,
    plot_design_comparison,
    plot_tradeoff,
    select_above_mtd,
)
from cartrial.sweep.store import CellProblem, SweepResults

# Two designs x two scenarios, 3 doses. Scenario "s1": true MTD dose 2; "s2": no acceptable
# dose (true MTD 0), so every selection is an overdose selection.
SEL = {  # % selected per dose
    ("A", "s1"): [10.0, 60.0, 20.0],
    ("B", "s1"): [20.0, 60.0, 10.0],
    ("A", "s2"): [5.0, 3.0, 2.0],
    ("B", "s2"): [1.0, 1.0, 0.0],
}
PCS = {("A", "s1"): 60.0, ("B", "s1"): 60.0, ("A", "s2"): 90.0, ("B", "s2"): 98.0}
MTD = {"s1": 2, "s2": 0}
N = {("A", "s1"): 24.0, ("B", "s1"): 30.0, ("A", "s2"): 6.0, ("B", "s2"): 3.0}


def results(cells=tuple(SEL), missing=(), problems=()):
    per, rows = [], []
    for d, s in cells:
        for j, v in enumerate(SEL[(d, s)], start=1):
            per.append({"design_id": d, "scenario_id": s, "dose": j, "true_tox": 0.1 * j,
                        "pct_selected": v})  # fmt: skip
        row = dict.fromkeys(OVERALL_COLUMNS, 1.0)
        row |= {"true_mtd": MTD[s], "pct_correct_selection": PCS[(d, s)],
                "mean_sample_size": N[(d, s)], "pct_patients_above_mtd": 10.0 if d == "A" else 5.0,
                "mean_duration_days": 100.0 * N[(d, s)]}  # fmt: skip
        rows.append({"design_id": d, "scenario_id": s, "seed": 1, "n_trials": 100} | row)
    return SweepResults(pd.DataFrame(per), pd.DataFrame(rows), {}, "h", missing, problems)


def test_overdose_selection_sums_doses_above_the_true_mtd():
    r = results()
    v = select_above_mtd(r.per_dose, r.overall)
    assert v[("A", "s1")] == 20.0  # dose 3 only
    assert v[("B", "s1")] == 10.0
    assert v[("A", "s2")] == 10.0  # no acceptable dose: all selections (5 + 3 + 2)
    assert v[("B", "s2")] == 2.0


def test_by_design_means_and_ranks():
    c = compare_designs(results())
    assert tuple(c.by_design.columns) == BY_DESIGN_COLUMNS
    assert tuple(c.by_cell.columns) == BY_CELL_COLUMNS
    bd = c.by_design.set_index("design_id")
    # PCS: A (60 + 90)/2 = 75, B (60 + 98)/2 = 79 -> B first
    assert list(c.by_design["design_id"]) == ["B", "A"]
    assert bd.loc["A", "mean_pct_correct_selection"] == 75.0
    assert bd.loc["B", "min_pct_correct_selection"] == 60.0
    # ranks: s1 tie (1.5 each); s2 B=1, A=2 -> A 1.75, B 1.25
    assert bd.loc["A", "mean_rank_pcs"] == 1.75 and bd.loc["B", "mean_rank_pcs"] == 1.25
    assert bd.loc["A", "mean_pct_select_above_mtd"] == 15.0  # (20 + 10)/2
    assert bd.loc["A", "max_pct_select_above_mtd"] == 20.0
    assert bd.loc["B", "mean_sample_size"] == 16.5  # (30 + 3)/2
    assert bd.loc["B", "mean_duration_days"] == 1650.0
    assert (bd["n_scenarios"] == 2).all()


def test_incomplete_sweep_is_refused_unless_allowed():
    partial = results(cells=[("A", "s1"), ("B", "s1"), ("A", "s2")], missing=(("B", "s2"),))
    with pytest.raises(InputError, match="incomplete"):
        compare_designs(partial)
    c = compare_designs(partial, allow_incomplete=True)
    # only s1 has both designs: means over s1 alone
    assert (c.by_design["n_scenarios"] == 1).all()
    assert "1 incomplete scenario(s) left out" in c.method
    bad = results(problems=(CellProblem("f", "A", "s1", "checksum", None),))
    with pytest.raises(InputError):
        compare_designs(bad)


def test_empty_results_refused():
    empty = results(cells=[])
    with pytest.raises(InputError):
        compare_designs(empty, allow_incomplete=True)


def test_figures_are_returned_not_shown():
    c = compare_designs(results())
    f = plot_design_comparison(c)
    assert isinstance(f, Figure) and len(f.axes) == 4
    assert [t.get_text() for t in f.axes[0].get_yticklabels()] == ["B", "A"]
    t = plot_tradeoff(c, label_top=1)
    assert isinstance(t, Figure) and len(t.axes[0].texts) == 1
