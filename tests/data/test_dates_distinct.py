"""Regression tests (the fast path against the slower one it replaced, not an outside reference):
validation's DATE_INVALID and DATE_FUTURE rules decide each distinct --DTC text once
(:func:`cartrial.data.dates.dtc_valid`, :func:`cartrial.data.dates.dtc_after`) instead of
reading the whole :func:`cartrial.data.dates.parse_dtc` frame. The parsing itself is checked
against SDTMIG v3.4 section 4.4 examples in test_dates.py; here equality with the parse_dtc
formulation on seeded texts, damaged ones included (impossible dates, bad months and hours,
non-ISO text, blanks, missing values, years outside pandas' range, partial dates at the limit)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.data.dates import dtc_after, dtc_valid, parse_dtc, parse_dtc_memo

DAMAGED = ["2024-02-30", "2024-13", "2024-13-01", "2024-06-15T25:00", "2024-06-15T10:61",
           "15/06/2024", "2024/06/15", "", "   ", None, np.nan, "1492-10-12", "2999-01-01",
           "2025-12", "2025", "2026", "2025-12-31T12:00", "2025-12-31T12:00:01",
           "2025-12-31T11:59:59.5", "2026-01", "20251231", "2025-12-31 12:00"]


def _texts(seed: int, n: int = 4000) -> pd.Series:
    rng = np.random.default_rng(seed)
    y = rng.integers(2023, 2028, n)
    m = rng.integers(1, 13, n)
    d = rng.integers(1, 32, n)  # days 29-31 make impossible dates in short months
    h = rng.integers(0, 24, n)
    cut = rng.integers(0, 4, n)  # year, month, day or date-time precision
    out = []
    for k in range(n):
        full = f"{y[k]:04d}-{m[k]:02d}-{d[k]:02d}T{h[k]:02d}:30"
        out.append(full[: (4, 7, 10, 16)[cut[k]]])
    out += DAMAGED
    return pd.Series(rng.permutation(np.array(out, dtype=object)), dtype=object)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_valid_equals_parse_dtc(seed: int) -> None:
    s = _texts(seed)
    np.testing.assert_array_equal(dtc_valid(s), parse_dtc(s)["valid"].to_numpy())
    with parse_dtc_memo():  # as validation calls it: codes remembered per column
        np.testing.assert_array_equal(dtc_valid(s), parse_dtc(s)["valid"].to_numpy())
        np.testing.assert_array_equal(dtc_valid(s), parse_dtc(s)["valid"].to_numpy())


def _after_by_frame(s: pd.Series, limit: pd.Timestamp) -> np.ndarray:
    """The rule as written before, on the parsed frame."""
    p = parse_dtc(s)
    y, m = p["year"].to_numpy(float), p["month"].fillna(1).to_numpy(float)
    with np.errstate(invalid="ignore"):
        return ((p["dt"] > limit).fillna(False).to_numpy(bool)
                | (y > limit.year) | ((y == limit.year) & (m > limit.month)))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("limit", ["2025-12-31 12:00", "2024-06-15", "2026-02-28 23:59:59.25"])
def test_after_equals_the_frame_rule(seed: int, limit: str) -> None:
    s = _texts(seed)
    lim = pd.Timestamp(limit)
    got = dtc_after(s, lim)
    np.testing.assert_array_equal(got, _after_by_frame(s, lim))
    assert got.any() and not got.all()


def test_damaged_texts_are_invalid_not_dropped() -> None:
    s = pd.Series(DAMAGED, dtype=object)
    valid = dtc_valid(s)
    assert len(valid) == len(DAMAGED)
    bad = {t for t, v in zip(DAMAGED, valid, strict=True) if not v}
    assert {"2024-02-30", "2024-13", "15/06/2024", "1492-10-12", "20251231"} <= bad
    assert not (dtc_after(s, pd.Timestamp("2025-12-31 12:00")) & ~valid).any()


def test_unit_swapped_decided_per_distinct_unit_text() -> None:
    """Regression test: RESULT_UNIT_SWAPPED reads --ORRESU as a number once per distinct text
    (padded, missing and non-numeric units among seeded records); the records reported are those
    of the per-record formulation it replaced."""
    from cartrial.data import data_model
    from cartrial.data.results import result_findings

    rng = np.random.default_rng(7)
    n = 3000
    orres = rng.choice(["4.2", "g/L", "x", "39,7", "<0.5", None, " 5 "], n).astype(object)
    orresu = rng.choice(["g/L", " 12 ", "3.5", "", None, "abc", "1e3"], n).astype(object)
    lb = pd.DataFrame({"USUBJID": [f"S{i % 40}" for i in range(n)],
                       "LBSEQ": np.arange(1, n + 1, dtype=float), "LBTESTCD": "ALB",
                       "LBORRES": orres, "LBORRESU": orresu})
    got = [(f.seq, f.rule_id) for f in result_findings("LB", lb, data_model())
           if f.rule_id in ("RESULT_UNIT_SWAPPED", "RESULT_NOT_NUMBER", "DECIMAL_COMMA")]
    unit_num = pd.to_numeric(lb["LBORRESU"].astype("string").str.strip(), errors="coerce").notna()
    swapped = lb["LBORRES"].eq("g/L") & unit_num
    want = set(lb.loc[swapped, "LBSEQ"])
    assert {s for s, r in got if r == "RESULT_UNIT_SWAPPED"} == want and want
    assert len(got) == len({s for s, _ in got})  # one finding a record, none dropped
