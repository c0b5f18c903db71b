"""Kinetics figure: linear time axis, log concentration, the LLOQ drawn and labelled, the
median per nominal day (medians worked by hand)."""

from __future__ import annotations

import pandas as pd
from numpy.testing import assert_allclose

from cartrial.report.fig_kinetics import common_lloq, kinetics_figure


def test_kinetics_linear_time_log_concentration_with_lloq_and_median():
    c = pd.DataFrame({"USUBJID": ["a", "a", "b", "b", "c"], "GROUP": ["DL1"] * 5,
                      "DAY": [7, 14, 8, 14, 7], "NOMDAY": [7, 14, 7, 14, 7],
                      "CONC": [100.0, 1000.0, 300.0, 3000.0, 200.0]})
    ax = kinetics_figure(c, lloq=10.0, unit="copies/\u00b5g gDNA").axes[0]
    med = ax.lines[0]
    assert_allclose(med.get_xdata(), [7, 14])
    assert_allclose(med.get_ydata(), [200.0, 2000.0])
    assert ax.get_xscale() == "linear" and ax.get_yscale() == "log"
    lloq = {ln.get_label(): ln for ln in ax.lines}["LLOQ"]
    assert_allclose(lloq.get_ydata(), [10.0, 10.0])
    assert "LLOQ 10 copies/\u00b5g gDNA" in [t.get_text() for t in ax.texts]
    assert ax.get_ylim()[0] < 10.0


def test_common_lloq_refuses_to_pick_one_of_several():
    assert common_lloq(pd.Series([10.0, 10.0, None])) == 10.0
    assert common_lloq(pd.Series([10.0, 5.0])) is None
    assert common_lloq(pd.Series([], dtype=float)) is None
