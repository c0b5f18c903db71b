"""Figures: assert on the data each figure draws, and on byte-identical serialisation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from cartrial.efficacy import kaplan_meier
from cartrial.errors import InputError
from cartrial.report.figures import (
    at_risk_counts,
    cytokine_figure,
    figure_bytes,
    grade_timeline_figure,
    kinetics_figure,
    km_figure,
    spider_figure,
    swimmer_figure,
    waterfall_figure,
)

# R `aml` "Maintained" arm (R survival package data set `aml`; Miller RG, Survival Analysis, Wiley
# 1981): 9, 13, 13+, 18, 23, 28+, 31, 34, 45+, 48, 161+
AML_T = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161]
AML_E = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0]


def test_km_draws_the_fitted_steps_and_numbers_at_risk():
    km = kaplan_meier(AML_T, np.array(AML_E, bool))
    fig = km_figure({"Maintained": km.table}, risk_times=[0, 20, 40, 60])
    ax = fig.axes[0]
    line = ax.lines[0]
    assert_allclose(line.get_ydata()[1:], km.table["surv"])
    assert_allclose(line.get_xdata()[1:], km.table["time"])
    # hand count of the aml data: at risk at 0: 11; at 20: 7 (23 onwards); at 40: 3; at 60: 1
    texts = [t.get_text() for t in fig.axes[1].texts]
    assert texts == ["11", "7", "3", "1"]
    # censor marks at 13, 28, 45, 161
    assert_allclose(ax.lines[1].get_xdata(), [13, 28, 45, 161])


def test_at_risk_beyond_last_time_is_zero():
    tb = pd.DataFrame({"time": [1.0, 5.0], "n_risk": [4, 2]})
    assert at_risk_counts(tb, np.array([0.0, 1.0, 3.0, 5.0, 6.0])).tolist() == [4, 4, 2, 2, 0]


def test_km_needs_curves():
    with pytest.raises(InputError, match="no curves"):
        km_figure({})


def test_svg_is_byte_identical_and_dateless():
    km = kaplan_meier(AML_T, np.array(AML_E, bool))
    a = figure_bytes(km_figure({"A": km.table}), "svg")
    b = figure_bytes(km_figure({"A": km.table}), "svg")
    assert a == b
    assert b"<dc:date>" not in a
    assert figure_bytes(km_figure({"A": km.table}), "png")[:8] == b"\x89PNG\r\n\x1a\n"


def test_swimmer_lanes_and_markers():
    lanes = pd.DataFrame({"USUBJID": ["S1", "S2"], "GROUP": ["DL1", "DL2"], "START": [-20, -15],
                          "END": [200, 90], "ONGOING": [True, False]})
    events = pd.DataFrame({"USUBJID": ["S1", "S1", "S2", "S2"], "DAY": [-20, 0, 28, 90],
                           "EVENT": ["Apheresis", "Infusion", "PR", "Death"]})
    fig = swimmer_figure(lanes, events)
    ax = fig.axes[0]
    segs = ax.collections[0].get_segments()
    assert_allclose(segs[0], [[-20, 1], [200, 1]])  # S1 on top
    assert_allclose(segs[1], [[-15, 0], [90, 0]])
    by_label = {ln.get_label(): ln for ln in ax.lines}
    assert_allclose(by_label["Death"].get_xdata(), [90])
    assert_allclose(by_label["Ongoing"].get_ydata(), [1])


def test_waterfall_sorted_worst_to_best_and_clipped():
    best = pd.DataFrame({"USUBJID": ["a", "b", "c"], "GROUP": ["DL1", "DL1", "DL2"],
                         "PCHG": [-95.0, 150.0, -40.0]})
    fig = waterfall_figure(best)
    heights = [s[1, 1] for s in fig.axes[0].collections[0].get_segments()]
    assert heights == [100.0, -40.0, -95.0]


def test_spider_one_line_per_patient():
    s = pd.DataFrame({"USUBJID": ["a", "a", "b", "b", "b"], "GROUP": ["DL1"] * 5,
                      "DAY": [28, 56, 28, 56, 84], "PCHG": [-20, -60, 10, -30, -95]})
    segs = spider_figure(s).axes[0].collections[0].get_segments()
    assert [len(x) for x in segs] == [2, 3]
    assert_allclose(segs[1][:, 1], [10, -30, -95])


def test_kinetics_median_per_nominal_day_on_log_axis():
    c = pd.DataFrame({"USUBJID": ["a", "a", "b", "b", "c"], "GROUP": ["DL1"] * 5,
                      "DAY": [7, 14, 8, 14, 7], "NOMDAY": [7, 14, 7, 14, 7],
                      "CONC": [100.0, 1000.0, 300.0, 3000.0, 200.0]})
    ax = kinetics_figure(c).axes[0]
    med = ax.lines[0]
    assert_allclose(med.get_xdata(), [7, 14])
    assert_allclose(med.get_ydata(), [200.0, 2000.0])
    assert ax.get_yscale() == "log"


def test_cytokine_panels():
    v = pd.DataFrame({"GROUP": ["DL1"] * 4, "CYTOKINE": ["IL6", "IL6", "IL6", "TNFA"],
                      "NOMDAY": [1, 1, 3, 1], "VALUE": [10.0, 30.0, 5.0, 2.0], "UNIT": "ng/L"})
    fig = cytokine_figure(v)
    assert_allclose(fig.axes[0].lines[0].get_ydata(), [20.0, 5.0])
    assert fig.axes[0].get_title() == "IL6 (ng/L)"


def test_grade_timeline_keeps_daily_worst_grade():
    g = pd.DataFrame({"USUBJID": ["a", "a", "a", "b"], "SYNDROME": ["CRS", "CRS", "ICANS", "CRS"],
                      "DAY": [1, 1, 5, 2], "GRADE": [1, 3, 2, 1]})
    fig = grade_timeline_figure(g, max_day=7)
    crs = np.asarray(fig.axes[0].images[0].get_array())
    icans = np.asarray(fig.axes[1].images[0].get_array())
    assert crs[0, 1] == 3 and crs[1, 2] == 1 and crs.sum() == 4
    assert icans[0, 5] == 2 and icans.sum() == 2


def test_missing_columns_are_named():
    with pytest.raises(InputError, match="PCHG"):
        waterfall_figure(pd.DataFrame({"USUBJID": [], "GROUP": []}))


@settings(max_examples=8, deadline=None)
@given(st.lists(st.floats(-100, 500, allow_nan=False), min_size=1, max_size=30))
def test_waterfall_bars_are_monotone(values):
    best = pd.DataFrame({"USUBJID": [f"s{i:02d}" for i in range(len(values))], "GROUP": "DL1",
                         "PCHG": values})
    heights = np.array([s[1, 1] for s in waterfall_figure(best).axes[0].collections[0]
                        .get_segments()])
    assert np.all(np.diff(heights) <= 0)
    assert np.all((heights >= -100) & (heights <= 100))


def test_dose_colours_are_the_okabe_ito_palette() -> None:
    """Group colours are the published Okabe-Ito colour-blind-safe palette (Wong B, Nat Methods
    2011;8:441, Figure 2: its RGB values written as hex)."""
    from cartrial.report.figures import PALETTE

    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
                 "#000000"}
    assert set(PALETTE) == okabe_ito and len(PALETTE) == 8
