"""Kaplan-Meier: R `aml` reference values, SAS LIFETEST bmt example, statsmodels/lifelines oracles.

Provenance of reference values:
- R survival 3.5-3, data `aml`: median 27; 95% CI log 18-45, log-log 13-34, plain 18-34
  (print.survfit), lower log band 0.47526 at t = 18, upper log band 0.45845 at t = 45
  (R survival: print.survfit median and Brookmeyer & Crowley, Biometrics 1982;38:29-41).
- SAS/STAT PROC LIFETEST documentation example (bmt, group ALL), 25th percentile CIs as shipped
  in statsmodels/duration/tests/test_survfunc.py::test_bmt with bmt.csv / bmt_results.csv.
- R survival's own tests/quantile.R expectations (survival 3.8-6 sources).
- R survival 3.5-3 output on 300 random data sets, committed with its script
  (data/km_quantiles.R -> km_quantiles.csv, km_median.csv).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from statsmodels.duration.survfunc import SurvfuncRight

from cartrial.efficacy import kaplan_meier, km_landmark, km_quantile, numbers_at_risk
from cartrial.errors import InputError

AML_TIME = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161, 5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45]
AML_EVENT = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]

SM_RESULTS = Path(statsmodels.__file__).parent / "duration" / "tests" / "results"


@pytest.mark.parametrize(
    ("transform", "ci"), [("log", (18, 45)), ("log-log", (13, 34)), ("plain", (18, 34))]
)
def test_aml_median_and_ci_match_r_print_survfit(transform, ci):
    km = kaplan_meier(AML_TIME, AML_EVENT, ci_transform=transform)
    assert km.median == 27
    assert km.median_ci == ci
    assert km.ci_transform == transform
    assert transform in km.method
    assert (km.n, km.n_events) == (23, 18)


def test_aml_log_band_values_at_the_crossings():
    tb = kaplan_meier(AML_TIME, AML_EVENT, ci_transform="log").table.set_index("time")
    assert_allclose(tb.loc[18.0, "ci_low"], 0.47526, atol=5e-6)
    assert_allclose(tb.loc[45.0, "ci_high"], 0.45845, atol=5e-6)


def test_midpoint_rule_when_flat_at_one_half():
    # R survival print.survfit: times 1, 2, 3, 4 all events -> median 2.5
    assert kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1]).median == 2.5
    # R survival: eight events at 1..8, S = 0.5 on [4, 5) -> R 4.5 (statsmodels/lifelines 5)
    assert kaplan_meier(np.arange(1, 9), np.ones(8, bool)).median == 4.5


def test_median_not_reached_is_nan():
    km = kaplan_meier([1, 2, 3, 4, 5], [1, 0, 0, 0, 0])
    assert np.isnan(km.median)
    assert np.isnan(km.median_ci[1])


@pytest.mark.parametrize(
    ("transform", "expected"), [("plain", (107, 276)), ("log-log", (86, 230)), ("log", (107, 332))]
)
def test_sas_lifetest_bmt_25th_percentile_ci(transform, expected):
    bmt = pd.read_csv(SM_RESULTS / "bmt.csv")
    all_ = bmt[bmt.Group == "ALL"]
    q, lo, hi = km_quantile(kaplan_meier(all_["T"], all_["Status"], ci_transform=transform), 0.25)
    assert (lo, hi) == expected


def test_bmt_surv_and_se_match_sas_results():
    bmt = pd.read_csv(SM_RESULTS / "bmt.csv")
    ref = pd.read_csv(SM_RESULTS / "bmt_results.csv")
    all_ = bmt[bmt.Group == "ALL"]
    tb = kaplan_meier(all_["T"], all_["Status"]).table
    ev = tb[tb.n_event > 0]
    assert_allclose(ev["time"], ref["t"])
    assert_allclose(ev["surv"], ref["s"], atol=1e-4)
    assert_allclose(ev["std_err"], ref["se"], atol=1e-4)  # SE of S (Greenwood)


def test_statsmodels_and_lifelines_agree_on_curve():
    from lifelines import KaplanMeierFitter

    km = kaplan_meier(AML_TIME, AML_EVENT)
    ev = km.table[km.table.n_event > 0]
    sf = SurvfuncRight(np.array(AML_TIME, float), np.array(AML_EVENT, float))
    assert_allclose(ev["surv"], sf.surv_prob)
    assert_allclose(ev["std_err"], sf.surv_prob_se)
    kmf = KaplanMeierFitter().fit(AML_TIME, AML_EVENT)
    ll = kmf.survival_function_.iloc[1:, 0]  # lifelines prepends t = 0
    assert_allclose(km.table["surv"], ll.to_numpy())
    # lifelines' band is the exponential-Greenwood (log-log) transform
    ci = kmf.confidence_interval_.iloc[1:]
    assert_allclose(km.table["ci_low"], ci.iloc[:, 0].to_numpy(), atol=1e-9)
    assert_allclose(km.table["ci_high"], ci.iloc[:, 1].to_numpy(), atol=1e-9)


def test_landmark_and_numbers_at_risk_by_hand():
    # aml: at t = 12 the curve is 0.739130 (after 5, 5, 8, 8, 9, 12); 23 - 6 = 17 at risk at 13
    km = kaplan_meier(AML_TIME, AML_EVENT)
    lm = km_landmark(km, [0, 12, 12.5, 200])
    assert_allclose(lm["surv"].iloc[:3], [1.0, 17 / 23, 17 / 23])
    assert np.isnan(lm["surv"].iloc[3])
    nar = numbers_at_risk(km, [0, 5, 5.5, 13, 161, 162])
    assert nar["n_risk"].tolist() == [23, 23, 21, 17, 1, 0]


def test_bad_input_is_refused():
    with pytest.raises(InputError, match="CNSR"):
        kaplan_meier([1, 2], [0, 2])
    with pytest.raises(InputError, match="missing"):
        kaplan_meier([1, np.nan], [1, 1])
    with pytest.raises(InputError, match="ci_transform"):
        kaplan_meier([1, 2], [1, 1], ci_transform="logit")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 50), st.booleans()), min_size=1, max_size=40),
    st.sampled_from(["log-log", "log", "plain"]),
)
def test_properties(obs, transform):
    t = np.array([o[0] for o in obs], float)
    e = np.array([o[1] for o in obs])
    km = kaplan_meier(t, e, ci_transform=transform)
    s = km.table["surv"].to_numpy()
    assert np.all(np.diff(s) <= 1e-12) and np.all((s >= 0) & (s <= 1))
    band = s > 0  # R: no band where S = 0
    assert np.isnan(km.table["ci_low"][~band]).all() and np.isnan(km.table["ci_high"][~band]).all()
    assert np.all(km.table["ci_low"][band] <= s[band] + 1e-12)
    assert np.all(km.table["ci_high"][band] >= s[band] - 1e-12)
    assert km.table["n_event"].sum() == e.sum()
    if not np.isnan(km.median) and not np.isnan(km.median_ci[0]):
        assert km.median_ci[0] <= km.median
    if not np.isnan(km.median) and not np.isnan(km.median_ci[1]):
        assert km.median <= km.median_ci[1]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 60), st.booleans()), min_size=2, max_size=50))
def test_curve_and_greenwood_equal_statsmodels(obs):
    t = np.array([o[0] for o in obs], float)
    e = np.array([o[1] for o in obs])
    if not e.any():
        return
    km = kaplan_meier(t, e)
    ev = km.table[km.table.n_event > 0]
    sf = SurvfuncRight(t, e.astype(float))
    assert_allclose(ev["time"], sf.surv_times)
    assert_allclose(ev["surv"], sf.surv_prob, atol=1e-12)
    finite = np.isfinite(ev["std_err_log"].to_numpy()) & (ev["surv"].to_numpy() > 0)
    assert_allclose(ev["std_err"][finite], sf.surv_prob_se[finite], atol=1e-10)


# R survival 3.8-6 tests/quantile.R (and its committed tests/quantile.Rout.save, every line TRUE):
# test1 without the NA-status row, default conf.type "log"; probs = 1 - qq.
_T1_TIME = [9, 1, 1, 6, 6, 8, 10]
_T1_EVENT = [1, 1, 0, 1, 1, 0, 0]
_T1_X = [0, 1, 1, 1, 0, 0, 0]
_QQ = [13 / 14, 6 / 7, 2 / 3, 0.5, 9 / 35, 0.1]


def test_r_quantile_test1_overall_curve_with_flat_at_the_end():
    # R: quantile = 1, 3.5, 6, 9, 9.5, NA; lower = 1, 1, 1, 6, 6, 9; upper all NA.
    # 9/35 is the last flat of the curve (9 to 10): R's midpoint with the last time, 9.5.
    km = kaplan_meier(_T1_TIME, _T1_EVENT, ci_transform="log")
    got = np.array([km_quantile(km, 1 - q) for q in _QQ])
    assert_allclose(got[:, 0], [1, 3.5, 6, 9, 9.5, np.nan])
    assert_allclose(got[:, 1], [1, 1, 1, 6, 6, 9])
    assert np.isnan(got[:, 2]).all()


def test_r_quantile_test1_curve_reaching_zero_has_no_band_there():
    # R, stratum x = 1: (t=1, S=2/3), (t=6, S=0). quantile = 1, 1, 3.5, 6, 6, 6;
    # lower = 1, 1, 1, 1, NA, NA; upper all NA: where S reaches 0 the band is NA
    # (survfit_confint), so the limits beyond the last finite band are "not reached".
    t = [tt for tt, x in zip(_T1_TIME, _T1_X, strict=True) if x == 1]
    e = [ee for ee, x in zip(_T1_EVENT, _T1_X, strict=True) if x == 1]
    km = kaplan_meier(t, e, ci_transform="log")
    got = np.array([km_quantile(km, 1 - q) for q in _QQ])
    assert_allclose(got[:, 0], [1, 1, 3.5, 6, 6, 6])
    assert_allclose(got[:, 1], [1, 1, 1, 1, np.nan, np.nan])
    assert np.isnan(got[:, 2]).all()
    assert np.isnan(km.median_ci[1])


@pytest.mark.parametrize("transform", ["log-log", "log", "plain"])
def test_band_is_missing_where_the_curve_is_zero(transform):
    # R survival survfit_confint: "NA if se != 0 for 0 (log), 0 and 1 (log-log)"; Greenwood's
    # std.err is Inf at S = 0, so the plain band is NA too (pmax(NaN, 0)).
    km = kaplan_meier([1, 2, 3, 4, 5], [1, 1, 1, 1, 1], ci_transform=transform)
    last = km.table.iloc[-1]
    assert last["surv"] == 0.0
    assert np.isnan(last["ci_low"]) and np.isnan(last["ci_high"])
    assert np.isfinite(km.table["ci_low"].iloc[:-1]).all()


def test_std_err_is_the_standard_error_of_s_as_r_summary_prints():
    # R survival summary.survfit: std.err <- fit$std.err * fit$surv (Greenwood SE of S);
    # survfit's own std.err (SE of log S) is kept as std_err_log. At S = 0, R prints NaN.
    # (The SAS LIFETEST StdErr column is checked in test_bmt_surv_and_se_match_sas_results.)
    tb = kaplan_meier(AML_TIME, AML_EVENT).table
    assert_allclose(tb["std_err"], tb["surv"] * tb["std_err_log"])
    zero = kaplan_meier([1, 2], [1, 1]).table
    assert np.isnan(zero["std_err"].iloc[-1]) and np.isinf(zero["std_err_log"].iloc[-1])


_R_Q = pd.read_csv(Path(__file__).parent / "data" / "km_quantiles.csv", comment="#")


def test_quantiles_and_limits_equal_r_survival_on_random_data():
    # R survival 3.5-3 quantile.survfit on 300 random data sets x 3 conf.types x 3 probs
    # (data/km_quantiles.R): ties, censoring, curves reaching 0, bands that are not monotone.
    bad = []
    for case, g in _R_Q.groupby("case", sort=False):
        t = [float(v) for v in g.time.iloc[0].split()]
        e = [int(v) for v in g.event.iloc[0].split()]
        for ct, h in g.groupby("conf_type", sort=False):
            km = kaplan_meier(t, e, ci_transform=ct)
            for r in h.itertuples():
                got = np.array(km_quantile(km, r.prob))
                want = np.array([r.quantile, r.lower, r.upper], dtype=float)
                if not np.allclose(got, want, equal_nan=True, rtol=0, atol=1e-9):
                    bad.append((case, ct, r.prob, got.tolist(), want.tolist()))
    assert not bad, bad[:5]


_R_MED = pd.read_csv(Path(__file__).parent / "data" / "km_median.csv", comment="#")


def test_median_and_ci_equal_r_print_survfit_on_random_data():
    # R survival 3.5-3 print.survfit (summary(fit)$table) on the same 300 data sets x 3 types
    data = _R_Q.drop_duplicates("case").set_index("case")
    bad = []
    for r in _R_MED.itertuples():
        t = [float(v) for v in data.loc[r.case, "time"].split()]
        e = [int(v) for v in data.loc[r.case, "event"].split()]
        km = kaplan_meier(t, e, ci_transform=r.conf_type)
        got = np.array([km.median, *km.median_ci])
        want = np.array([r.median, r.lcl, r.ucl], dtype=float)
        if not np.allclose(got, want, equal_nan=True, rtol=0, atol=1e-9):
            bad.append((r.case, r.conf_type, got.tolist(), want.tolist()))
    assert not bad, bad[:5]
    # the data include limits "not reached" because the band is missing where S = 0
    assert _R_MED.ucl.isna().sum() > 10
