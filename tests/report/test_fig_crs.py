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
