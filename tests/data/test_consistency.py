"""ICE totals checked from the columns' codes (cartrial.data.consistency._ice).

Regression test: the ICE_TOTAL_MISMATCH findings are those of the rule before (a pandas pivot
table of the records, ``aggfunc="first"``), on generated assessments with missing subjects,
dates and results, repeated records and totals that disagree with their items.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.data.consistency import ICE_ITEMS, ICE_TOTAL, _ice
from cartrial.data.report_frame import COLUMNS, finding_frame


def _ice_before(qs: pd.DataFrame) -> pd.DataFrame:
    """``_ice`` as it was (the reference)."""
    ice = qs[qs["QSTESTCD"].isin([*ICE_ITEMS, ICE_TOTAL]).fillna(False).to_numpy(bool)]
    key = ["USUBJID", "QSDTC"]
    wide = ice.pivot_table(index=key, columns="QSTESTCD", values="QSSTRESN", aggfunc="first")
    if ICE_TOTAL not in wide or not set(ICE_ITEMS) <= set(wide.columns):
        return pd.DataFrame(columns=COLUMNS)
    items = wide[list(ICE_ITEMS)]
    whole = items.notna().all(axis=1) & wide[ICE_TOTAL].notna()
    bad_keys = wide.index[whole & (items.sum(axis=1) != wide[ICE_TOTAL])]
    if not len(bad_keys):
        return pd.DataFrame(columns=COLUMNS)
    sums = items.sum(axis=1)
    tot = ice[ice["QSTESTCD"] == ICE_TOTAL]
    idx = pd.MultiIndex.from_frame(tot[key].astype(object))
    mask = idx.isin(bad_keys)
    expected = [sums.get(k, np.nan) for k in idx]
    return finding_frame("QS", tot, mask, "QSORRES", tot["QSORRES"], "ICE_TOTAL_MISMATCH",
                         [f"ICE total is not the sum of the collected items ICE01-ICE05 ({e:g})"
                          for e, m in zip(expected, mask, strict=True) if m])


def _qs(seed: int, n_assessments: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(n_assessments):
        subject = None if rng.random() < 0.05 else f"S{a % 9}"
        dtc = None if rng.random() < 0.05 else f"2024-03-{1 + a % 20:02d}"
        scores = rng.integers(0, 3, len(ICE_ITEMS)).astype(float)
        for test, v in zip([*ICE_ITEMS, ICE_TOTAL],
                           [*scores, scores.sum() + (rng.random() < 0.3)], strict=True):
            v = np.nan if rng.random() < 0.05 else float(v)
            for _ in range(1 + (rng.random() < 0.1)):  # a record given twice
                rows.append((subject, test, dtc, v, None if np.isnan(v) else f"{v:g}"))
        rows.append((subject, "QSALL", dtc, 1.0, "1"))
    rng.shuffle(rows)
    df = pd.DataFrame(rows, columns=["USUBJID", "QSTESTCD", "QSDTC", "QSSTRESN", "QSORRES"])
    for c in ("USUBJID", "QSTESTCD", "QSDTC", "QSORRES"):
        df[c] = df[c].astype("string")
    df.insert(1, "QSSEQ", np.arange(len(df), dtype=float))
    return df


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_ice_totals_are_those_of_the_pivot_table(seed: int) -> None:
    qs = _qs(seed)
    got, want = _ice(qs), _ice_before(qs)
    assert len(want) > 3
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))


def test_an_item_never_collected_finds_nothing() -> None:
    qs = _qs(5)
    assert len(_ice(qs[qs["QSTESTCD"] != "ICE03"])) == 0 == len(_ice_before(
        qs[qs["QSTESTCD"] != "ICE03"]))
