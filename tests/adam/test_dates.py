"""latest_complete_date (cartrial.adam._dates, behind ADSL's LSTALVDT) per subject code, not
by a groupby on the identifiers' text (issue #18: memory): the same Series as the groupby it
replaces (regression test: that path is the reference), on the example trial's dated domains
and on messy text (missing identifiers, partial, padded and impossible dates, NULs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.adam._dates import latest_complete_date
from cartrial.data.text import spread

TEXT = pd.StringDtype("python")


def _replaced(usubjid: pd.Series, dtc: pd.Series) -> pd.Series:
    codes, uniq = pd.factorize(dtc.astype(object), use_na_sentinel=True)
    day = pd.Series(uniq, dtype=object).astype(str).str.slice(0, 10)
    parsed = pd.to_datetime(day.where(day.str.len() == 10), format="%Y-%m-%d", errors="coerce")
    dates = spread(parsed.to_numpy(dtype="datetime64[ns]"), codes, np.datetime64("NaT", "ns"))
    return pd.Series(dates).groupby(usubjid.to_numpy()).max()


@pytest.mark.parametrize("dtype", [TEXT, object])
def test_messy_text_gives_the_replaced_result(dtype):
    rng = np.random.default_rng(5)
    n = 5_000
    subjects = np.array(["S3", "S1", "S2", "S10", " S1", "a\x00b", None, "S4"], dtype=object)
    dates = np.array(["2024-01-02", "2024-05", "2024-02-30", "2023-12-31T10:00", "", None,
                      " 2024-03-01", "2024-03-01", "2025-01-01\x00", "abc"], dtype=object)
    u = pd.Series(subjects[rng.integers(len(subjects), size=n)], dtype=dtype)
    d = pd.Series(dates[rng.integers(len(dates), size=n)], dtype=dtype)
    d[u.eq("S4").fillna(False).to_numpy(dtype=bool)] = "2024-02"  # no complete date
    got = latest_complete_date(u, d)
    pd.testing.assert_series_equal(got, _replaced(u, d), check_exact=True)
    assert pd.isna(got["S4"])


def test_example_trial_dates_give_the_replaced_result(tmp_path):
    from cartrial.data import load_study
    from cartrial.example import simulate_trial, write_example
    from cartrial.protocol import load_protocol

    write_example(simulate_trial(load_protocol("ct071")), tmp_path)
    study = load_study(tmp_path)
    for dom, col in (("LB", "LBDTC"), ("AE", "AEENDTC"), ("CM", "CMSTDTC"), ("EX", "EXSTDTC")):
        df = study[dom]
        pd.testing.assert_series_equal(latest_complete_date(df["USUBJID"], df[col]),
                                       _replaced(df["USUBJID"], df[col]), check_exact=True)


def test_no_records():
    e = pd.Series([], dtype=TEXT)
    pd.testing.assert_series_equal(latest_complete_date(e, e), _replaced(e, e),
                                   check_exact=True, check_index_type=False)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sorted_rows_equals_sorting_the_frame(seed):
    """sorted_rows (ADPP, ADPC, ADCYT, ADHTOX) against the frame's own stable sort and
    reset_index it replaces (regression test), on repeated keys (stability), missing keys of
    each kind, NULs, dates and a mixed-dtype frame with an index of its own."""
    from cartrial.adam._dates import sorted_rows

    rng = np.random.default_rng(seed)
    n = 3_000
    text = np.array(["S1", "S10", "S2", "a\x00b", "", None, np.nan, "\u00e9"], dtype=object)
    df = pd.DataFrame({
        "USUBJID": pd.Series(text[rng.integers(len(text), size=n)], dtype=object),
        "P": pd.array(text[rng.integers(3, size=n)], dtype=TEXT),
        "D": pd.to_datetime(pd.Series(["2024-01-01", None, "2023-05-05"])[
            rng.integers(3, size=n)].to_numpy()),
        "V": rng.random(n), "B": rng.integers(2, size=n).astype(bool)},
        index=pd.Index(rng.permutation(n) * 3))
    for by in (["USUBJID"], ["USUBJID", "P"], ["USUBJID", "D", "P"]):
        want = df.sort_values(by, kind="stable").reset_index(drop=True)
        got = sorted_rows(df, by)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
