"""Regression tests (the faster code against the code it replaced, not an outside reference):
the per-text ISO 8601 parser of :mod:`cartrial.data.dates` now reads the match's groups as a
tuple and looks texts up in the per-process table without a Python call per hit (issue #18);
ADaM's study days (:func:`cartrial.adam._dates.study_day_from`) no longer pass columns that
are already datetime64 through ``pandas.to_datetime``. Each is compared with a copy of the
replaced code, on seeded texts and damaged ones (impossible dates, bad months and hours,
leap days, years at and beyond pandas' range, non-ASCII digits, a trailing newline, blanks).
The parsing rules themselves are checked against SDTMIG v3.4 section 4.4 in test_dates.py."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from cartrial.adam._dates import days_between, study_day_from
from cartrial.data import dates

# --- the replaced parser, kept verbatim as the reference -------------------------------------
_NAT = np.iinfo(np.int64).min
_NS = {"H": 3_600_000_000_000, "M": 60_000_000_000, "S": 1_000_000_000}
_ISO = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2})(?::(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?)?)?)?$"
)
_FIRST, _LAST, _EPOCH = date(1677, 9, 22), date(2262, 4, 11), date(1970, 1, 1)


def _old_parse_one(text: str) -> tuple:
    if text.strip() == "":
        return (_NAT, None, None, None, None, True, None)
    m = _ISO.search(text)
    if m is None:
        return (_NAT, None, None, None, None, False, None)
    g = {k: (int(v) if v is not None else None) for k, v in m.groupdict().items()}
    y, mo, d = g["y"], g["m"], g["d"]
    precision = ("time" if g["H"] is not None else "day" if d is not None
                 else "month" if mo is not None else "year")
    valid = (mo is None or 1 <= mo <= 12) and (g["H"] is None or g["H"] <= 23) and (
        g["M"] is None or g["M"] <= 59) and (g["S"] is None or g["S"] <= 59)
    ns, day = _NAT, None
    if d is not None:
        try:
            when = date(y, mo, d)
        except ValueError:
            when = None
        if when is None or not _FIRST <= when <= _LAST:
            valid = False
        elif valid:
            day = (when - _EPOCH).days
            ns = day * 86_400_000_000_000 + sum((g[k] or 0) * _NS[k] for k in _NS)
    return (ns, y, mo, d, precision, valid, day)


DAMAGED = ["2024-02-30", "2024-02-29", "2023-02-29", "2024-13", "2024-00", "2024-13-01",
           "2024-06-15T25:00", "2024-06-15T24:00", "2024-06-15T10:61", "2024-06-15T10:30:60",
           "2024-06-15T10:30:59.999", "2024-06-15T10", "15/06/2024", "2024/06/15", "", "   ",
           "1677-09-21", "1677-09-22", "2262-04-11T23:47:16", "2262-04-12", "0000-01-01",
           "9999-12-31", "1677", "2262-05", "20251231", "2025-12-31 12:00", "2024-06-15\n",
           "\u0662\u0660\u0662\u0664-06-15", "\uff12\uff10\uff12\uff14-06", "2024-06-15T",
           "2024-6-15", " 2024-06-15", "2024-06-15Z", "2024-06-15T10:30:00.5"]


def _texts(seed: int, n: int = 3000) -> list[str]:
    rng = np.random.default_rng(seed)
    y, m, d = rng.integers(1990, 2040, n), rng.integers(0, 14, n), rng.integers(0, 33, n)
    h, mi, s = rng.integers(0, 26, n), rng.integers(0, 62, n), rng.integers(0, 62, n)
    cut = rng.integers(0, 6, n)
    out = [f"{y[k]:04d}-{m[k]:02d}-{d[k]:02d}T{h[k]:02d}:{mi[k]:02d}:{s[k]:02d}"
           [: (4, 7, 10, 13, 16, 19)[cut[k]]] for k in range(n)]
    return out + DAMAGED


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_parser_equals_replaced_parser(seed: int) -> None:
    texts = _texts(seed)
    assert [dates._parse_one(t) for t in texts] == [_old_parse_one(t) for t in texts]
    assert dates._many(texts) == [_old_parse_one(t) for t in texts]  # the table's hits too


def test_table_look_up_parses_once_and_bounds_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    from cartrial.data import dtc_parse

    monkeypatch.setattr(dtc_parse, "_PARSED", {})  # the table lives where it is filled
    first = dates._many(["2024-03", "2024-03", "x"])
    assert len(dtc_parse._PARSED) == 2 and first[0] is first[1]
    assert dates._many(["2024-03"])[0] is first[0]


def test_time_past_pandas_range_is_invalid_not_an_overflow() -> None:
    """Bug found here (main raised OverflowError): 2262-04-11 after 23:47:16 lies past
    ``pandas.Timestamp.max`` (2262-04-11 23:47:16.854775807, pandas' documented limit) and is
    therefore invalid, as the docstring of parse_dtc says of dates outside the range."""
    got = dates.parse_dtc(pd.Series(["2262-04-11T23:47:16", "2262-04-11T23:47:17",
                                     "2262-04-11T23:59:59"]))
    assert got["valid"].tolist() == [True, False, False]
    assert got["dt"].iloc[0] == pd.Timestamp.max.floor("s") and got["dt"].iloc[1:].isna().all()


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_study_day_from_datetime_input_unchanged(unit: str) -> None:
    rng = np.random.default_rng(7)
    base = np.datetime64("2024-03-10T00:00", "s")
    adt = base + rng.integers(-400, 400, 200).astype("timedelta64[D]") + rng.integers(
        0, 86_400, 200).astype("timedelta64[s]")
    ref = base + rng.integers(-3, 3, 200).astype("timedelta64[D]")
    a = pd.Series(adt.astype(f"datetime64[{unit}]"), index=np.arange(200) * 3)
    r = pd.Series(ref.astype(f"datetime64[{unit}]"), index=a.index)
    a.iloc[::11], r.iloc[::13] = pd.NaT, pd.NaT

    def old(dates_: pd.Series, ref_: pd.Series) -> pd.Series:  # the replaced expression
        diff = (pd.to_datetime(dates_).dt.normalize()
                - pd.to_datetime(ref_).dt.normalize()).dt.days
        return pd.Series(np.where(diff >= 0, diff + 1, diff), index=dates_.index).where(
            diff.notna())

    pd.testing.assert_series_equal(study_day_from(a, r), old(a, r))
    pd.testing.assert_series_equal(
        days_between(a, r), (pd.to_datetime(a) - pd.to_datetime(r)).dt.days.astype(float))
    text = a.dt.strftime("%Y-%m-%d")  # text input is still converted
    pd.testing.assert_series_equal(study_day_from(text, r), old(text, r))


def _old_parse_dtc(values: pd.Series) -> pd.DataFrame:
    """The replaced parse_dtc (column by column into a frame), on the same distinct texts."""
    codes, uniq = dates._distinct_texts(values)
    rows = [_old_parse_one(u) for u in uniq]
    cols = list(zip(*rows, strict=True)) if rows else [()] * 7
    dt = np.asarray(cols[0], dtype=np.int64)[codes].view("datetime64[ns]")
    out = pd.DataFrame({"dt": dt}, index=values.index)
    valid = np.asarray(cols[5], dtype=bool)
    for k, name in ((1, "year"), (2, "month"), (3, "day")):
        raw = np.asarray(cols[k], dtype=object)
        present = np.array([v is not None for v in raw], dtype=bool)
        num = np.where(present, raw, 0).astype(np.int64)
        if present.any() or not len(raw):
            arr = pd.arrays.IntegerArray(num[codes], ~(present & valid)[codes])
        else:
            arr = pd.array(np.full(len(codes), np.nan), dtype="Float64")
        out[name] = arr
    out["precision"] = pd.Series(np.asarray(cols[4], dtype=object)[codes], index=values.index,
                                 dtype="object")
    out["valid"] = valid[codes]
    return out


@pytest.mark.parametrize("values", [
    pd.Series(_texts(4) + [None, np.nan], dtype=object),
    pd.Series(_texts(5)[:50] + [None], dtype="string", index=np.arange(51)[::-1] * 2),
    pd.Series([], dtype=object), pd.Series([None, np.nan]), pd.Series(["2024", "2025-13"]),
    pd.Series(["2024-03", "2024-02-30", ""]),
])
def test_parse_dtc_equals_replaced_frame(values: pd.Series) -> None:
    new, old = dates.parse_dtc(values), _old_parse_dtc(values)
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    assert list(new.dtypes) == list(old.dtypes)


@pytest.mark.parametrize("kind", ["start", "end"])
def test_impute_date_string_column_equals_object_path(kind: str) -> None:
    """A ``string`` column now takes its codes from ``column_codes`` (no missing-value scan of
    ``to_numpy(na_value=None)``); the object path (unchanged) is the reference."""
    texts = _texts(6)[:400] + [None, "", "2024", "2024-02"]
    s = pd.Series(texts, dtype="string", index=np.arange(len(texts)) * 2)
    floor = pd.Series(pd.Timestamp("2024-02-10"), index=s.index)
    for min_dates in (None, floor):
        new = dates.impute_date(s, kind, min_dates)  # type: ignore[arg-type]
        old = dates.impute_date(s.astype(object), kind, min_dates)  # type: ignore[arg-type]
        pd.testing.assert_series_equal(new[0], old[0], check_exact=True)
        pd.testing.assert_series_equal(new[1], old[1], check_exact=True)
