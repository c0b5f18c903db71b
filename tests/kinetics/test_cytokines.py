"""Cytokine baseline, peak, fold change and AUC to day 28, worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from cartrial.errors import RecordError
from cartrial.kinetics import cytokine_parameters
from cartrial.kinetics._groups import positional
from cartrial.protocol.model import KineticsSettings


def data(usubjid, cyt, times, values, lloq=2.0):
    return pd.DataFrame(
        {
            "USUBJID": usubjid,
            "CYTOKINE": cyt,
            "time_days": [float(x) for x in times],
            "value": [np.nan if v is None else float(v) for v in values],
            "blq": [v is None for v in values],
            "lloq": lloq,
        }
    )


def test_il6_profile_by_hand() -> None:
    # BLQ at day -1 (baseline = LLOQ/2 = 1), peaks 100 at day 5 (tie at day 7 -> first).
    d = data("a", "IL6", [-1, 1, 5, 7, 14, 28], [None, 10, 100, 100, 20, 5])
    r = cytokine_parameters(d).iloc[0]
    assert (r.BASE, r.PEAK, r.TPEAK, r.FCPEAK) == (1.0, 100.0, 5.0, 100.0)
    # Linear trapezoid from day 0 (baseline 1 placed at day 0):
    # 0-1: (1+10)/2 = 5.5; 1-5: 4*110/2 = 220; 5-7: 2*200/2 = 200; 7-14: 7*120/2 = 420;
    # 14-28: 14*25/2 = 175 -> 1020.5
    assert_allclose(r.AUC0_28, 1020.5)
    assert r.FLAGS == ""


def test_auc_interpolates_at_day_28_and_partial_is_missing() -> None:
    d = pd.concat(
        [
            data("a", "IL10", [0, 14, 42], [4, 60, 4]),
            data("b", "IL10", [0, 14, 21], [4, 60, 4]),
        ]
    )
    r = cytokine_parameters(d).set_index("USUBJID")
    # a: 0-14: 14*64/2 = 448; c28 = 60 + (4-60)*14/28 = 32; 14-28: 14*(60+32)/2 = 644.
    assert_allclose(r.loc["a", "AUC0_28"], 448 + 644)
    assert math.isnan(r.loc["b", "AUC0_28"]) and "AUC_PARTIAL" in r.loc["b", "FLAGS"]
    tol = cytokine_parameters(d, KineticsSettings(auc_end_tolerance_days=7)).set_index("USUBJID")
    assert_allclose(tol.loc["b", "AUC0_28"], 448 + 7 * 64 / 2)
    assert "AUC_TRUNC" in tol.loc["b", "FLAGS"]


def test_blq_imputation_options() -> None:
    d = data("a", "TNFA", [0, 3], [None, 8], lloq=4.0)
    assert cytokine_parameters(d).iloc[0].BASE == 2.0
    assert cytokine_parameters(d, KineticsSettings(cytokine_blq="lloq")).iloc[0].BASE == 4.0
    z = cytokine_parameters(d, KineticsSettings(cytokine_blq="zero")).iloc[0]
    assert z.BASE == 0.0 and math.isnan(z.FCPEAK) and "BASE_ZERO" in z.FLAGS


def test_no_baseline_flagged() -> None:
    r = cytokine_parameters(data("a", "IL2", [2, 5], [3, 9])).iloc[0]
    assert math.isnan(r.BASE) and math.isnan(r.FCPEAK) and "NO_BASE" in r.FLAGS
    assert r.PEAK == 9.0


def test_blq_without_lloq_is_an_error() -> None:
    d = data("CT-9", "IL8", [0, 3], [None, 8], lloq=np.nan)
    with pytest.raises(RecordError) as exc:
        cytokine_parameters(d)
    assert exc.value.finding.usubjid == "CT-9" and exc.value.finding.variable == "lloq"


def test_parameters_read_a_positionally_indexed_frame_without_copying_it() -> None:
    """Regression (issue #18): records indexed by position are read as they are
    (``_groups.positional``), others re-indexed first; the parameters are the same and the
    input is not changed."""
    d = pd.DataFrame({"USUBJID": "01", "CYTOKINE": "IL6", "time_days": [0, 1, 3, 7, 28],
                      "value": [5.0, 50.0, 200.0, 20.0, 5.0], "blq": False})
    shuffled = d.set_axis([9, 3, 5, 1, 0])
    before = d.copy()
    assert positional(d) is d and positional(shuffled).index.tolist() == [0, 1, 2, 3, 4]
    pd.testing.assert_frame_equal(cytokine_parameters(shuffled), cytokine_parameters(d),
                                  check_exact=True)
    pd.testing.assert_frame_equal(d, before)
