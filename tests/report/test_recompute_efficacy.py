"""tools/recompute_efficacy.py's reverse Kaplan-Meier follow-up and Aalen-Johansen cumulative
incidence (Table 14.4.4), against hand-worked examples and statsmodels, and the efficacy
engine's ADTTE-column entry points against the same numbers."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cartrial.efficacy.adtte_columns import follow_up_from_adtte, pfs_incidence_from_adtte
from cartrial.efficacy.cuminc import cumulative_incidence
from cartrial.protocol.model import EndpointSettings

ROOT = Path(__file__).resolve().parents[2]

# R survival's aml data, maintained group (Miller RG, Survival Analysis, Wiley 1997): weeks,
# 1 = relapse, 0 = censored
AML_T = np.array([9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161], dtype=float)
AML_E = np.array([1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0], dtype=bool)
# five patients: progression at 2, death at 4, censored at 4, progression at 6, censored at 8
CI_T = np.array([2, 4, 4, 6, 8], dtype=float)
CI_CAUSE = np.array([1, 2, 0, 1, 0])


def _tool():
    spec = importlib.util.spec_from_file_location("recompute_efficacy",
                                                  ROOT / "tools" / "recompute_efficacy.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_reverse_km_median_follow_up_by_hand():
    """AML maintained arm, censoring as the event (Schemper & Smith 1996). Censored at 13, 28,
    45, 161; at a tie (13) the death leaves after the censoring is counted. At risk 10, 6, 3, 1:
    S = 9/10 = 0.9 at 13, 0.9 x 5/6 = 0.75 at 28, 0.75 x 2/3 = 0.5 at 45, 0 at 161. S is
    exactly 0.5 on [45, 161), so the median is the midpoint (45 + 161) / 2 = 103 weeks
    (Brookmeyer & Crowley 1982; R print.survfit). Lower limit, log-log band at 13: Var log S =
    1/(10 x 9), se = 0.10541, S^exp(1.95996 x 0.10541 / 0.10536) = 0.9^7.1056 = 0.473 <= 0.5,
    so 13; the upper band never reaches 0.5 before S = 0: not reached."""
    tool = _tool()
    assert tool.reverse_km_median(AML_T, AML_E, 0.95, "log-log") == (103.0, 13.0, pytest.approx(
        math.nan, nan_ok=True))
    got = follow_up_from_adtte(pd.Series(AML_T), pd.Series((~AML_E).astype(int)),
                               EndpointSettings(days_per_month=1.0))
    assert (got.median, got.ci_low) == (103.0, 13.0) and math.isnan(got.ci_high)
    assert (got.n, got.n_censored) == (11, 4)


def test_reverse_km_curve_is_statsmodels_survfuncright_on_the_reversed_indicator():
    """The engine's reverse curve and its Greenwood SE equal statsmodels' SurvfuncRight fitted
    to the reversed indicator at every reverse-event time (an implementation we do not own)."""
    from statsmodels.duration.survfunc import SurvfuncRight

    ref = SurvfuncRight(AML_T, (~AML_E).astype(float))
    got = follow_up_from_adtte(pd.Series(AML_T), pd.Series((~AML_E).astype(int)),
                               EndpointSettings(days_per_month=1.0)).fit.table
    at = got.set_index("time").loc[np.asarray(ref.surv_times)]
    np.testing.assert_allclose(at["surv"], ref.surv_prob, rtol=1e-12)
    ok = np.asarray(ref.surv_prob) > 0
    np.testing.assert_allclose(at["std_err"].to_numpy()[ok], np.asarray(ref.surv_prob_se)[ok],
                               rtol=1e-10)


def test_aalen_johansen_by_hand():
    """Progression (cause 1) and death (cause 2), all-cause S(t-) 1, 0.8, 0.6 at 2, 4, 6 with
    5, 4, 2 at risk (Aalen & Johansen 1978): F1(2) = 1 x 1/5 = 0.2, F1(6) = 0.2 + 0.6 x 1/2 =
    0.5; F2(6) = 0.8 x 1/4 = 0.2. Delta-method variance of F1(6) (Pintilie 2006):
    t=2: (0.5-0.2)^2 x 1/(5x4) + 1 x 1 x 4/125 - 2 x 0.3 x 1/25 = 0.0045 + 0.032 - 0.024;
    t=4: 0.3^2 x 1/(4x3) = 0.0075; t=6: 0.6^2 x 1 x 1/8 = 0.045; total 0.065, se 0.254951.
    F1(2): 1 x 4/125 = 0.032, se 0.178885 = sqrt(0.2 x 0.8 / 5). Log-scale 95% limits of
    F1(6): 0.5 exp(-1.959964 x 0.254951 / 0.5) = 0.184052, upper 1.359 capped at 1."""
    tool = _tool()
    f, lo, hi = tool.aalen_johansen_at(CI_T, CI_CAUSE, 6.0, 0.95)
    assert (f, round(lo, 6), hi) == (0.5, 0.184052, 1.0)
    f2 = tool.aalen_johansen_at(CI_T, np.array([2, 1, 0, 2, 0]), 6.0, 0.95)[0]
    assert f2 == pytest.approx(0.2, abs=1e-15)
    assert all(math.isnan(v) for v in tool.aalen_johansen_at(CI_T, CI_CAUSE, 8.5, 0.95))
    assert tool.aalen_johansen_at(CI_T, CI_CAUSE, 1.0, 0.95)[0] == 0.0
    # the engine (statsmodels CumIncidenceRight) gives the hand-worked standard errors
    eng = cumulative_incidence(CI_T, CI_CAUSE, {1: "prog", 2: "death"}, days_per_month=1.0)
    se = eng.table.query("cause == 'prog'").set_index("time")["std_err"]
    assert (round(se[2.0], 6), round(se[6.0], 6)) == (0.178885, 0.254951)


def test_engine_incidence_from_adtte_equals_the_tool():
    """The engine's ADTTE-column entry point and the script agree at the landmarks (both
    checked by hand above at 6)."""
    tool = _tool()
    pfs = pd.DataFrame({"USUBJID": list("abcde"), "AVAL": CI_T, "CNSR": [0, 0, 1, 0, 1],
                        "EVNTDESC": ["Disease progression", "Death", "", "Disease progression",
                                     ""]})
    lm, _ = pfs_incidence_from_adtte(pfs, EndpointSettings(days_per_month=1.0,
                                                           landmarks_months=[3.0, 6.0]))
    for row in lm.itertuples(index=False):
        code = np.where(CI_CAUSE == (1 if row.cause == "Disease progression" else 2), 1,
                        np.where(CI_CAUSE > 0, 2, 0))
        want = tool.aalen_johansen_at(CI_T, code, row.month, 0.95)
        np.testing.assert_allclose([row.cuminc, row.ci_low, row.ci_high], want, rtol=1e-10)
