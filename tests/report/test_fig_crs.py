"""CRS / ICANS onset-and-duration figure: structure on hand-built episodes (days worked by hand
in each test)."""

from __future__ import annotations

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from cartrial.report.fig_crs import THERAPY, crs_icans_figure, syndrome_bars
from cartrial.report.figures import GRADE_STYLE


def _episodes():
    crs = pd.DataFrame({"USUBJID": ["A", "B", "C"], "EPISODE": [1, 1, 1],
                        "ONSET_DAY": [1.3, 2.0, 4.5], "LAST_DAY": [4.3, 9.0, 6.5],
                        "RESOLVED": [True, True, False], "RESOLUTION_DAY": [5.3, 10.0, None],
                        "MAX_GRADE": [1, 3, 2]})
    icans = pd.DataFrame({"USUBJID": ["B"], "EPISODE": [1], "ONSET_DAY": [6.0],
                          "LAST_DAY": [7.0], "RESOLVED": [True], "RESOLUTION_DAY": [8.0],
                          "MAX_GRADE": [2]})
    tp_crs = pd.DataFrame({"USUBJID": ["B", "B", "B", "C"], "DAY": [2.0, 3.0, 4.0, 4.5],
                           "EPISODE": [1, 1, 1, 1], "TOCILIZUMAB": [False, True, True, False],
                           "STEROID": [False, False, True, False]})
    tp_icans = pd.DataFrame({"USUBJID": ["B"], "DAY": [6.0], "EPISODE": [1], "STEROID": [True]})
    return {"CRS": crs, "ICANS": icans}, {"CRS": tp_crs, "ICANS": tp_icans}


def test_bars_run_from_onset_to_resolution_or_last_assessment():
    """A: 1.3 -> resolved 5.3; B: 2.0 -> 10.0 (grade 3); C unresolved: 4.5 -> last 6.5; D has
    no dose (not infused) and is not drawn. B's first tocilizumab at day 3, first steroid at 4
    (CRS) and 6 (ICANS)."""
    ep, tp = _episodes()
    dose = pd.Series({"A": "DL1", "B": "DL2", "C": "DL2"})
    bars, tx = syndrome_bars(ep, tp, dose)
    crs = bars[bars["SYNDROME"] == "CRS"]
    assert crs[["START", "END"]].values.tolist() == [[1.3, 5.3], [2.0, 10.0], [4.5, 6.5]]
    assert crs["RESOLVED"].tolist() == [True, True, False]
    got = {(r.SYNDROME, r.THERAPY): r.DAY for r in tx.itertuples()}
    assert got == {("CRS", "TOCILIZUMAB"): 3.0, ("CRS", "STEROID"): 4.0,
                   ("ICANS", "STEROID"): 6.0}


def test_figure_panels_bars_markers_grouped_by_dose():
    ep, tp = _episodes()
    dose = pd.Series({"A": "DL1", "B": "DL2", "C": "DL2", "E": "DL2"})
    bars, tx = syndrome_bars(ep, tp, dose)
    fig = crs_icans_figure(bars, tx, totals=dose.value_counts().to_dict())
    crs, icans = fig.axes[0], fig.axes[1]
    assert crs.get_title() == "CRS (ASTCT 2019)" and icans.get_title() == "ICANS (ASTCT 2019)"
    # rows: DL1 block (A, top, y 2), then DL2 by onset: B (y 1), C (y 0)
    widths = {round(p.get_y() + p.get_height() / 2, 6): p for p in crs.patches}
    assert widths[2.0].get_x() == pytest.approx(1.3) and widths[2.0].get_width() == 4.0
    assert widths[1.0].get_hatch() == GRADE_STYLE[3][1]
    lines = {ln.get_label(): ln for ln in crs.lines}
    toci = lines[THERAPY["TOCILIZUMAB"][2]]
    assert_allclose(toci.get_xdata(), [3.0])
    assert_allclose(toci.get_ydata(), [1.0 + THERAPY["TOCILIZUMAB"][3]])
    assert len(icans.patches) == 1
    arrows = [t for t in crs.texts if getattr(t, "arrow_patch", None) is not None]
    assert [a.xy[1] for a in arrows] == [0.0]  # C unresolved
    labels = [t.get_text() for t in crs.texts if getattr(t, "arrow_patch", None) is None]
    assert labels == ["DL1 (1 of 1)", "DL2 (2 of 3)"]
    legend = [t.get_text() for t in icans.get_legend().get_texts()]
    assert legend[:3] == ["Grade 1", "Grade 2", "Grade 3"]
    assert "Tocilizumab (first dose)" in legend and "Corticosteroid (first dose)" in legend


def test_bars_coloured_by_the_protocols_primary_grade_source():
    """Issue #16 point 1: with the investigator-reported grade primary, each episode takes the
    reported grade of the AE record matched to it. P1: AE "Cytokine release syndrome" grade 2
    from day 1 to 3 while the daily observations show only fever >= 38.0 C (ASTCT grade 1,
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38, CRS table); P2 has a fever
    episode and no AE record (not reported)."""
    from cartrial.report.fig_crs import primary_grades
    from cartrial.safety import grade_crs, grade_icans
    from cartrial.safety.grade_source import syndrome_events

    ae = pd.DataFrame({"USUBJID": ["P1"], "SEQ": [1], "AEDECOD": ["Cytokine release syndrome"],
                       "GRADE": [2], "START_DAY": [1.0], "END_DAY": [3.0]})
    obs = pd.DataFrame({"USUBJID": ["P1", "P1", "P2", "P2"], "DAY": [1.2, 2.2, 4.0, 5.0],
                        "TEMP": [38.6, 37.0, 38.4, 37.0]})
    crs = grade_crs(obs)
    icans = grade_icans(pd.DataFrame({"USUBJID": ["P1", "P2"], "DAY": [1.0, 1.0],
                                      "ICE": [10, 10]}))
    bars, tx = syndrome_bars({"CRS": crs.episodes}, {"CRS": crs.timepoints},
                             pd.Series({"P1": "DL1", "P2": "DL1"}))
    assert bars.set_index("USUBJID")["GRADE"].to_dict() == {"P1": 1.0, "P2": 1.0}
    ev = syndrome_events(ae, crs, icans, "reported")
    rep = primary_grades(bars, ev, "reported").set_index("USUBJID")["GRADE"]
    assert rep["P1"] == 2.0 and pd.isna(rep["P2"])
    assert primary_grades(bars, ev, "derived")["GRADE"].tolist() == [1.0, 1.0]
    fig = crs_icans_figure(primary_grades(bars, ev, "reported"), tx)
    legend = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert "Grade 2" in legend and "Not reported as an AE" in legend and "Grade 1" not in legend
