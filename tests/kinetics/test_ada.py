"""ADA categories on crafted patients (Shankar et al., AAPS J 2014;16:658, harmonised terms)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from cartrial.efficacy import exact_ci
from cartrial.errors import RecordError
from cartrial.kinetics import ada_summary, classify_ada

# (usubjid, [(day, positive, titer), ...])
CASES = {
    # negative at baseline, positive at 28 only, negative later -> TI, transient
    "TI-TRANSIENT": [(0, False, None), (28, True, 8), (90, False, None), (180, False, None)],
    # negative at baseline, positive at 28 and 180 (152 days >= 112) -> TI, persistent
    "TI-PERSIST-SPAN": [(0, False, None), (28, True, 8), (90, False, None), (180, True, 4)],
    # positive at the last sample only -> TI, persistent (last sample positive)
    "TI-PERSIST-LAST": [(0, False, None), (28, False, None), (90, True, 2)],
    # positive at baseline (titer 10), 40 at day 28 = 4-fold -> boosted
    "TB": [(-2, True, 10), (28, True, 40), (90, False, None)],
    # positive at baseline (10), 20 at day 28 < 4-fold -> not boosted
    "BASE-NOT-BOOSTED": [(-2, True, 10), (28, True, 20), (90, True, 30)],
    "NEG": [(0, False, None), (28, False, None)],
    "NO-POST": [(0, False, None)],
    # no baseline sample, positive at day 28 -> TI with BASE_MISSING flag
    "NO-BASE": [(28, True, 16), (90, True, 16)],
}


def frame(cases=CASES) -> pd.DataFrame:
    rows = [
        {
            "USUBJID": k,
            "time_days": float(t),
            "positive": p,
            "titer": np.nan if ti is None else float(ti),
        }
        for k, v in cases.items()
        for (t, p, ti) in v
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def status() -> pd.DataFrame:
    return classify_ada(frame()).set_index("USUBJID")


def test_categories(status) -> None:
    expected = {
        "TI-TRANSIENT": "TREATMENT-INDUCED",
        "TI-PERSIST-SPAN": "TREATMENT-INDUCED",
        "TI-PERSIST-LAST": "TREATMENT-INDUCED",
        "TB": "TREATMENT-BOOSTED",
        "BASE-NOT-BOOSTED": "BASELINE POSITIVE, NOT BOOSTED",
        "NEG": "NEGATIVE",
        "NO-POST": "NOT EVALUABLE",
        "NO-BASE": "TREATMENT-INDUCED",
    }
    assert status.ADACAT.to_dict() == expected


def test_persistence_and_time_to_ada(status) -> None:
    assert status.loc["TI-TRANSIENT", "PERSIST"] == "TRANSIENT"
    assert status.loc["TI-PERSIST-SPAN", "PERSIST"] == "PERSISTENT"
    assert status.loc["TI-PERSIST-LAST", "PERSIST"] == "PERSISTENT"
    assert status.loc["TB", "PERSIST"] == "TRANSIENT"  # boosted at 28 only, negative at 90
    assert status.loc["NEG", "PERSIST"] is None
    assert status.loc["TI-PERSIST-LAST", "TTADA"] == 90.0
    assert status.loc["TB", "TTADA"] == 28.0
    assert math.isnan(status.loc["BASE-NOT-BOOSTED", "TTADA"])


def test_titers_and_flags(status) -> None:
    assert status.loc["TB", "TITERFR"] == 4.0 and status.loc["TB", "BASETITR"] == 10.0
    assert status.loc["BASE-NOT-BOOSTED", "TITERPK"] == 30.0
    assert status.loc["NO-BASE", "FLAGS"] == "BASE_MISSING"
    assert pd.isna(status.loc["NO-BASE", "BASEPOS"])


def test_fold_rise_setting() -> None:
    from cartrial.protocol.model import KineticsSettings

    s = classify_ada(
        frame({"X": CASES["BASE-NOT-BOOSTED"]}), KineticsSettings(ada_titer_fold_rise=3)
    )
    assert s.iloc[0].ADACAT == "TREATMENT-BOOSTED"  # 30 >= 3 x 10


def test_rate_with_exact_ci(status) -> None:
    s = ada_summary(status.reset_index()).iloc[0]
    # evaluable: all but NO-POST = 7; TE: 4 TI + 1 TB = 5.
    assert (s.n_patients, s.n_evaluable, s.n_ti, s.n_tb, s.n_te) == (8, 7, 4, 1, 5)
    assert s.n_baseline_pos == 2
    lo, hi = exact_ci(5, 7)
    assert_allclose([s.pct_te, s.ci_low, s.ci_high], [500 / 7, 100 * lo, 100 * hi])
    assert (s.n_persistent, s.n_transient) == (3, 2)


def test_positive_baseline_without_titer_is_an_error() -> None:
    bad = frame({"CT-7": [(-1, True, None), (28, True, 40)]})
    with pytest.raises(RecordError) as exc:
        classify_ada(bad)
    assert exc.value.finding.usubjid == "CT-7" and exc.value.finding.variable == "titer"


@st.composite
def ada_patient(draw):
    days = sorted(draw(st.sets(st.integers(-7, 400), min_size=1, max_size=7)))
    rows = []
    for d in days:
        pos = draw(st.booleans())
        rows.append((d, pos, float(2 ** draw(st.integers(0, 10))) if pos else None))
    return rows


@settings(max_examples=60, deadline=None)
@given(st.lists(ada_patient(), min_size=1, max_size=8))
def test_category_invariants(patients) -> None:
    s = classify_ada(frame({f"P{i}": p for i, p in enumerate(patients)}))
    assert not (s.TI & s.TB).any()
    assert (s.TE == (s.TI | s.TB)).all()
    assert ((s.ADACAT == "NOT EVALUABLE") == (s.NPOST == 0)).all()
    assert (s.TB <= s.BASEPOS.fillna(False).astype(bool)).all()
    te = s[s.TE]
    assert (te.TTADA > 0).all() and te.PERSIST.isin(["PERSISTENT", "TRANSIENT"]).all()
    assert s.loc[~s.TE, "PERSIST"].isna().all()
