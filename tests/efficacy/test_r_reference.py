"""Survival analyses against R survival 3.5-3 output committed in validation/data.

The reference files are written by ``validation/r/survival_reference.R`` (R 4.2.2, survival 3.5-3
from github.com/cran/survival commit bb63412, seed 20261206); each starts with '#' provenance lines.
Two data sets: a seeded synthetic cohort with weekly (tied) times and competing causes, and
survival::aml (Miller 1981). Deterministic quantities must agree to rounding (1e-9 relative).
Assertions marked xfail expose the Kaplan-Meier defects of issue #17 (std_err is the SE of log S,
not of S; a [0, 0] band where S = 0 instead of R's NA) that are fixed on another branch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cartrial.efficacy import (
    cox_ph,
    cumulative_incidence,
    km_by_group,
    logrank_test,
    median_follow_up,
)

DATA = Path(__file__).resolve().parents[2] / "validation" / "data"
RTOL = 1e-9


# The R script writes the limits as lower/upper; the house name is ci_low/ci_high.
R_NAMES = {"lower": "ci_low", "upper": "ci_high"}


def _ref(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, comment="#").rename(columns=R_NAMES)


def _cohort() -> pd.DataFrame:
    return _ref("survival_input.csv")


def _dataset(name: str) -> tuple[pd.Series, pd.Series, pd.Series, float]:
    """(time, event, group, days_per_month): aml is in weeks and read with a unit of 1."""
    if name == "aml":
        a = _ref("survival_aml.csv")
        return a["months"], a["status"], a["group"], 1.0
    d = _cohort()
    return d["days"], d["status"], d["dose"].astype(str), 30.4375


def _close(a: object, b: object) -> None:
    np.testing.assert_allclose(
        np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=RTOL, atol=1e-12
    )


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("survival_*.csv")))
def test_reference_files_state_their_provenance(name):
    head = (DATA / name).read_text().splitlines()[:3]
    assert all(line.startswith("# ") for line in head)
    text = "\n".join(head)
    for needle in (
        "R 4.2.2",
        "survival 3.5.3",
        "bb6341251a2d6be0237e1ffe0318fc602a0b32e1",
        "seed 20261206",
        "validation/r/survival_reference.R",
    ):
        assert needle in text


_KM_CASES = [
    (ds, conf, col)
    for ds in ("ct071sim", "aml")
    for conf in ("log-log", "log")
    for col in ("time", "n_risk", "n_event", "n_censor", "surv", "std_err", "ci_low", "ci_high")
]


@pytest.mark.parametrize(
    ("ds", "conf", "col"),
    [pytest.param(*c, id="-".join(c)) for c in _KM_CASES],
)
def test_km_by_group_table_equals_survfit(ds, conf, col):
    t, e, g, dpm = _dataset(ds)
    got = km_by_group(t, e, g, ci_transform=conf, days_per_month=dpm).table
    ref = _ref("survival_km.csv")
    ref = ref[(ref["dataset"] == ds) & (ref["conf_type"] == conf)]
    assert got["group"].astype(str).tolist() == ref["group"].astype(str).tolist()
    _close(got[col], ref[col])


@pytest.mark.parametrize(
    ("ds", "conf"),
    [
        ("ct071sim", "log-log"),
        ("ct071sim", "log"),
        ("aml", "log-log"),
        pytest.param("aml", "log", id="aml-log-S-reaches-0"),
    ],
)
def test_km_by_group_medians_equal_print_survfit(ds, conf):
    t, e, g, dpm = _dataset(ds)
    got = km_by_group(t, e, g, ci_transform=conf, days_per_month=dpm).summary
    ref = _ref("survival_median.csv")
    ref = ref[(ref["dataset"] == ds) & (ref["conf_type"] == conf)]
    assert got["n"].tolist() == ref["n"].tolist()
    assert got["events"].tolist() == ref["events"].tolist()
    for col in ("median", "ci_low", "ci_high"):  # NaN = not reached, as R's NA
        _close(got[col], ref[col])


@pytest.mark.parametrize(
    ("ds", "test"), [("ct071sim", "logrank"), ("ct071sim", "stratified"), ("aml", "logrank")]
)
def test_logrank_equals_survdiff(ds, test):
    t, e, g, dpm = _dataset(ds)
    strata = _cohort()["stratum"] if test == "stratified" else None
    got = logrank_test(t, e, g, strata=strata, days_per_month=dpm)
    ref = _ref("survival_logrank.csv")
    ref = ref[(ref["dataset"] == ds) & (ref["test"] == test)]
    assert got.table["group"].astype(str).tolist() == ref["group"].astype(str).tolist()
    assert got.table["n"].tolist() == ref["n"].tolist()
    _close(got.table["observed"], ref["observed"])
    _close(got.table["expected"], ref["expected"])
    assert got.df == ref["df"].iloc[0]
    assert got.statistic == pytest.approx(ref["chisq"].iloc[0], rel=RTOL)
    assert got.p_value == pytest.approx(ref["p_value"].iloc[0], rel=1e-7)
    assert got.stratified == (test == "stratified") and got.days_per_month == dpm


def test_aml_logrank_equals_the_textbook_value():
    # Miller 1981 aml data: chi-square 3.4 on 1 df, p = 0.07 (R survdiff, as printed)
    t, e, g, dpm = _dataset("aml")
    got = logrank_test(t, e, g, days_per_month=dpm)
    assert round(got.statistic, 1) == 3.4 and round(got.p_value, 2) == 0.07


@pytest.mark.parametrize("model", ["dose_level+age", "dose_level+age|stratum", "group"])
def test_cox_efron_equals_coxph(model):
    ref = _ref("survival_cox.csv")
    ref = ref[ref["model"] == model]
    if model == "group":
        t, e, g, dpm = _dataset("aml")
        x, strata = pd.DataFrame({"group": g}), None
    else:
        d = _cohort()
        t, e, dpm = d["days"], d["status"], 30.4375
        x = pd.DataFrame({"dose_level": d["dose"].astype(str), "age": d["age"]})
        strata = d["stratum"] if model.endswith("stratum") else None
    got = cox_ph(t, e, x, strata=strata, days_per_month=dpm)
    assert got.table["term"].tolist() == ref["term"].tolist()
    # Newton-Raphson stops at R's / statsmodels' own tolerances: agreement to 1e-6
    for col in ("coef", "se", "hr", "ci_low", "ci_high", "z", "p_value"):
        np.testing.assert_allclose(got.table[col], ref[col], rtol=1e-6)
    r0 = ref.iloc[0]
    for ours, theirs in (
        (got.loglik_null, "loglik_null"),
        (got.loglik, "loglik"),
        (got.lr_statistic, "lr_chisq"),
        (got.wald_statistic, "wald_chisq"),
        (got.score_statistic, "score_chisq"),
    ):
        assert ours == pytest.approx(r0[theirs], rel=1e-6)
    assert (got.n, got.n_events) == (r0["n"], r0["n_events"])


@pytest.mark.parametrize("group", ["Overall", "1", "2", "3"])
def test_cumulative_incidence_equals_aalen_johansen_survfit(group):
    d = _cohort()
    if group != "Overall":
        d = d[d["dose"] == int(group)]
    got = cumulative_incidence(d["days"], d["cause"], {1: "relapse", 2: "nrm"}).table
    ref = _ref("survival_cuminc.csv")
    ref = ref[ref["group"].astype(str) == group]
    for cause in ("relapse", "nrm"):
        a, b = got[got["cause"] == cause], ref[ref["cause"] == cause]
        _close(a["time"], b["time"])
        assert a["n_risk"].tolist() == b["n_risk"].tolist()
        for col in ("cuminc", "std_err", "ci_low", "ci_high"):
            _close(a[col], b[col])


@pytest.mark.parametrize("conf", ["log-log", "log"])
def test_median_follow_up_equals_reverse_survfit(conf):
    d = _cohort()
    got = median_follow_up(d["days"], d["status"], ci_transform=conf)
    ref = _ref("survival_followup.csv")
    r = ref[ref["conf_type"] == conf].iloc[0]
    assert got.n == r["n"] and got.days_per_month == 30.4375
    _close([got.median, got.ci_low, got.ci_high], [r["median"], r["ci_low"], r["ci_high"]])
