"""Kaplan-Meier figure: the curve, band, censoring marks and numbers at risk against R survival
3.5-3 (validation/data, produced by validation/r/survival_reference.R) and hand counts."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from cartrial.efficacy import kaplan_meier, numbers_at_risk
from cartrial.errors import InputError
from cartrial.report.fig_km import km_figure, risk_ticks

DATA = Path(__file__).resolve().parents[2] / "validation" / "data"


def _r(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, comment="#")


def _aml_maintained():
    aml = _r("survival_aml.csv")
    m = aml[aml["group"] == "Maintained"]
    return kaplan_meier(m["months"].to_numpy(float), m["status"].to_numpy() == 1)


def test_at_risk_row_equals_r_survfit_n_risk_at_the_event_times():
    """R: summary(survfit(Surv(months, status) ~ group, data = aml)) prints n.risk at each event
    time of the Maintained arm; the figure's at-risk row at those times prints the same."""
    ref = _r("survival_km.csv")
    ref = ref[(ref["dataset"] == "aml") & (ref["conf_type"] == "log-log")
              & (ref["group"] == "Maintained")]
    fig = km_figure({"Maintained": _aml_maintained()}, risk_times=ref["time"].to_numpy(float))
    got = [int(t.get_text()) for t in fig.axes[1].texts]
    assert got == ref["n_risk"].astype(int).tolist()


def test_at_risk_row_equals_hand_counts_and_the_engine_at_each_tick():
    """aml Maintained (Miller 1981): 9, 13, 13+, 18, 23, 28+, 31, 34, 45+, 48, 161+. Still under
    observation (time >= t) at 0: 11; at 20: 7; at 40: 3; at 60: 1; at 170: 0 (counted by
    hand), which is also the KM engine's numbers_at_risk."""
    km = _aml_maintained()
    ticks = [0, 20, 40, 60, 170]
    fig = km_figure({"Maintained": km}, risk_times=ticks)
    got = [int(t.get_text()) for t in fig.axes[1].texts]
    assert got == [11, 7, 3, 1, 0]
    assert got == numbers_at_risk(km, ticks)["n_risk"].tolist()
    assert_allclose(fig.axes[0].get_xticks(), ticks)


def test_curve_band_and_censor_marks_are_r_survfit():
    """Steps at R's survival estimates, band between R's log-log limits (where S > 0),
    '|' marks at the censored times 13, 28, 45, 161."""
    ref = _r("survival_km.csv")
    ref = ref[(ref["dataset"] == "aml") & (ref["conf_type"] == "log-log")
              & (ref["group"] == "Maintained")]
    fig = km_figure({"Maintained": _aml_maintained()})
    ax = fig.axes[0]
    step = ax.lines[0]
    xs, ys = np.asarray(step.get_xdata()), np.asarray(step.get_ydata())
    for t, s in zip(ref["time"], ref["surv"], strict=True):
        assert_allclose(ys[np.flatnonzero(xs == t)[0]], s, rtol=1e-9)
    band = ax.collections[0].get_paths()[0].vertices
    for t, lo, hi in zip(ref["time"], ref["lower"], ref["upper"], strict=True):
        at = band[np.isclose(band[:, 0], t), 1]
        assert np.isclose(at, lo, rtol=1e-6).any() and np.isclose(at, hi, rtol=1e-6).any()
    cens = [ln for ln in ax.lines if ln.get_marker() == "|"][0]
    assert_allclose(cens.get_xdata(), [13, 28, 45, 161])


def test_legend_names_curve_band_and_censoring_and_axes_have_units():
    fig = km_figure({"All patients": _aml_maintained()}, xlabel="Months since leukapheresis",
                    ylabel="Progression-free survival probability")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["All patients", "95% CI (pointwise)", "Censored"]
    assert ax.get_xlabel() == "Months since leukapheresis"
    assert fig.axes[1].get_title(loc="left") == "Number at risk"
    assert [t.get_text() for t in fig.axes[1].get_yticklabels()] == ["All patients"]


def test_risk_ticks_are_round_month_steps():
    assert risk_ticks(24.7).tolist() == [0, 6, 12, 18, 24, 30]
    assert risk_ticks(5.0).tolist() == [0, 1, 2, 3, 4, 5]


def test_km_needs_curves():
    with pytest.raises(InputError, match="no curves"):
        km_figure({})


def test_km_figures_of_the_example_report_draw_the_population_of_table_14_4_3(tmp_path_factory):
    """Each Kaplan-Meier figure states N = the Overall "patients" count of its endpoint in
    Table 14.4.3 (all leukapheresed for PFS and OS, responders for DOR) and the data cut-off."""
    from tests.report._pipeline import analysed

    s = analysed(tmp_path_factory)
    html = s.report.read_text(encoding="utf-8")
    table = (s.out / "tables" / "table_14_4_3.txt").read_text(encoding="utf-8").splitlines()
    cols = table[3].split()
    for fig, ep in (("f14_4_4", "PFS"), ("f14_4_5", "OS"), ("f14_4_6", "DOR")):
        row = next(ln for ln in table if ln.startswith(f"{ep}: patients")).split()
        n_table = int(row[2:][cols.index("Overall") - len(cols)])
        pop = re.search(rf'id="{fig}">.*?<div class="pop">Population: ([^<]*)</div>', html,
                        re.S).group(1)
        assert f"N = {n_table}. Data cut-off: " in pop, (ep, pop)
        assert ("Responders" in pop) == (ep == "DOR")
