"""Waterfall and spider plots: bars and lines coloured by best response, the IMWG 2016
thresholds (Kumar S et al., Lancet Oncol 2016;17:e328-46: serum M-protein >= 25 % reduction MR,
>= 50 % PR, >= 90 % VGPR; urine M-protein >= 90 % PR; dFLC >= 50 % PR), clipping stated."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from cartrial.report.fig_items import marker_data
from cartrial.report.fig_response import (
    THRESHOLDS,
    n_clipped,
    spider_figure,
    waterfall_figure,
)
from cartrial.report.figures import RESPONSE_STYLE


def _best() -> pd.DataFrame:
    return pd.DataFrame({"USUBJID": ["a", "b", "c", "d"], "PCHG": [-95.0, 150.0, -40.0, -60.0],
                         "BEST": ["VGPR", "PD", "MR", "PR"],
                         "MARKER": ["SERUM", "SERUM", "URINE", "FLC"]})


def test_thresholds_are_imwg_2016_per_marker():
    """The lines and their labels: -25 % MR (serum), -50 % PR (serum, dFLC), -90 % VGPR (serum)
    and PR (urine), as in the IMWG 2016 response table."""
    assert [t for t, _ in THRESHOLDS] == [-25.0, -50.0, -90.0]
    assert "MR (serum)" in THRESHOLDS[0][1]
    assert "PR (serum, dFLC)" in THRESHOLDS[1][1]
    assert "VGPR (serum)" in THRESHOLDS[2][1] and "PR (urine)" in THRESHOLDS[2][1]
    ax = waterfall_figure(_best()).axes[0]
    dashed = sorted(ln.get_ydata()[0] for ln in ax.lines if ln.get_linestyle() != "-")
    assert dashed == [-90.0, -50.0, -25.0]
    assert {lab for _, lab in THRESHOLDS} <= {t.get_text() for t in ax.texts}


def test_waterfall_bars_sorted_clipped_coloured_by_best_response_with_marker_letter():
    ax = waterfall_figure(_best()).axes[0]
    assert [p.get_height() for p in ax.patches] == [100.0, -40.0, -60.0, -95.0]
    assert [p.get_hatch() for p in ax.patches] == [RESPONSE_STYLE[r][1]
                                                   for r in ("PD", "MR", "PR", "VGPR")]
    assert [t.get_text() for t in ax.texts][:4] == ["S", "U", "F", "S"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["VGPR", "PR", "MR", "PD"]
    assert "(%)" in ax.get_ylabel()


@settings(max_examples=8, deadline=None)
@given(st.lists(st.floats(-100, 500, allow_nan=False), min_size=1, max_size=30))
def test_waterfall_bars_are_monotone(values):
    best = pd.DataFrame({"USUBJID": [f"s{i:02d}" for i in range(len(values))], "PCHG": values,
                         "BEST": "SD", "MARKER": "SERUM"})
    heights = np.array([p.get_height() for p in waterfall_figure(best).axes[0].patches])
    assert np.all(np.diff(heights) <= 0)
    assert np.all((heights >= -100) & (heights <= 100))


def test_spider_clips_at_100_and_marks_and_counts_the_clipped():
    s = pd.DataFrame({"USUBJID": ["a", "a", "b", "b", "b"], "DAY": [28, 56, 28, 56, 84],
                      "PCHG": [-20.0, 250.0, 10.0, -30.0, -95.0],
                      "BEST": ["PD", "PD", "VGPR", "VGPR", "VGPR"]})
    ax = spider_figure(s).axes[0]
    segs = ax.collections[0].get_segments()
    assert [len(x) for x in segs] == [2, 3]
    assert_allclose(segs[0][:, 1], [-20, 100])
    assert_allclose(segs[1][:, 1], [10, -30, -95])
    assert ax.collections[0].get_linestyles()[0][1] is not None  # PD (non-responder) dashed
    clipped = {ln.get_label(): ln for ln in ax.lines}["Clipped at +100%"]
    assert_allclose(clipped.get_xdata(), [56])
    assert n_clipped(s) == 1


def test_marker_data_takes_best_change_best_response_and_day0_convention():
    """ADY is the CDISC study day (infusion = day 1): day since infusion = ADY - 1."""
    a = pd.DataFrame({"USUBJID": ["A"] * 3 + ["B"] * 2,
                      "PARAMCD": ["OVR", "OVR", "CBOR", "OVR", "OVR"],
                      "AVALC": ["PR", "VGPR", "VGPR", "SD", "SD"],
                      "PCHG": [-60.0, -92.0, None, -10.0, None], "ADY": [29, 57, None, 29, 57],
                      "MDTYPE": ["SERUM", "SERUM", None, "FLC", "FLC"],
                      "EFFFL": ["Y", "Y", "Y", "Y", "Y"]})
    best, series = marker_data(a)
    assert best.values.tolist() == [["A", -92.0, "VGPR", "SERUM"], ["B", -10.0, "NE", "FLC"]]
    assert series["DAY"].tolist() == [28.0, 56.0, 28.0]


def test_a_large_waterfall_is_one_rasterised_collection():
    """Above DENSE patients the bars are one rasterised collection (a large trial's figure
    stays small), still sorted worst to best and clipped."""
    from cartrial.report.figures import DENSE

    n = DENSE + 1
    best = pd.DataFrame({"USUBJID": [f"s{i:04d}" for i in range(n)],
                         "PCHG": np.linspace(-100, 150, n), "BEST": "PR", "MARKER": "SERUM"})
    ax = waterfall_figure(best).axes[0]
    assert not ax.patches
    coll = ax.collections[0]
    heights = np.array([seg[1, 1] for seg in coll.get_segments()])
    assert coll.get_rasterized() and len(heights) == n
    assert heights[0] == 100.0 and np.all(np.diff(heights) <= 0)
