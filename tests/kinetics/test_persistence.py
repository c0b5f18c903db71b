"""Persistence landmarks: detectable / not detectable / not evaluable, worked by hand."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from cartrial.efficacy import exact_ci
from cartrial.kinetics import persistence, persistence_summary


def test_landmark_rules() -> None:
    # month 1 = day 30.4375, window 7 -> a sample from day 23.4375 on counts.
    # month 3 = day 91.3125 -> from 84.3125.
    t = pd.DataFrame(
        {
            "USUBJID": ["a", "b", "c", "d"],
            "TLST": [90.0, 28.0, float("nan"), 21.0],
            "TLOBS": [180.0, 90.0, 90.0, 21.0],
        }
    )
    p = persistence(t).set_index("USUBJID")
    assert p.loc["a", "DETM1"] and p.loc["a", "DETM3"]  # quantifiable at day 90 >= 84.3
    assert p.loc["a", "DETM6"] is False or not p.loc["a", "DETM6"]  # sampled 180 >= 175.6, BLQ
    assert p.loc["b", "DETM1"] and not p.loc["b", "DETM3"]
    assert pd.isna(p.loc["b", "DETM6"])  # follow-up ended before month 6
    assert not p.loc["c", "DETM1"]  # never quantifiable, sampled to day 90
    assert pd.isna(p.loc["d", "DETM1"])  # last sample day 21 < 23.4: not evaluable
    s = persistence_summary(p.reset_index()).set_index("month")
    assert (s.loc[1.0, "n_evaluable"], s.loc[1.0, "n_detectable"]) == (3, 2)
    lo, hi = exact_ci(2, 3)
    assert_allclose([s.loc[1.0, "ci_low"], s.loc[1.0, "ci_high"]], [100 * lo, 100 * hi])
    assert s.loc[12.0, "n_evaluable"] == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.floats(0, 400)), st.floats(0, 400)),
        min_size=1,
        max_size=10,
    )
)
def test_detectable_later_implies_detectable_earlier(rows) -> None:
    t = pd.DataFrame(
        {
            "USUBJID": [f"P{i}" for i in range(len(rows))],
            "TLST": [float("nan") if a is None else min(a, b) for a, b in rows],
            "TLOBS": [b for _, b in rows],
        }
    )
    p = persistence(t)
    cols = ["DETM1", "DETM3", "DETM6", "DETM12"]
    for early, late in zip(cols, cols[1:], strict=False):
        later = p[late].fillna(False).astype(bool)
        assert (p.loc[later, early].fillna(False).astype(bool)).all()
        # evaluable later -> evaluable earlier
        assert (p.loc[p[late].notna(), early].notna()).all()
