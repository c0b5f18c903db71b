"""ISO 8601 parsing, partial-date imputation and SDTM study days (CDISC SDTMIG v3.4, section 4.4:
ISO 8601 dates and --DY)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.data.dates import distinct_datetimes, impute_date, parse_dtc, study_day
from cartrial.data.dtc_parse import _ISO as ISO


@pytest.mark.parametrize(
    ("text", "valid", "precision"),
    [
        ("2024-03-05", True, "day"),
        ("2024-03-05T14:45", True, "time"),
        ("2024-03-05T14:45:00", True, "time"),
        ("2024-03", True, "month"),
        ("2024", True, "year"),
        ("", True, None),
        ("2024-02-30", False, "day"),  # impossible date
        ("2023-02-29", False, "day"),  # not a leap year
        ("2024-02-29", True, "day"),
        ("2024-13", False, "month"),
        ("2024-03-05T25:00", False, "time"),
        ("05/03/2024", False, None),
        ("2024-3-5", False, None),
    ],
)
def test_parse_dtc(text: str, valid: bool, precision: str | None) -> None:
    p = parse_dtc(pd.Series([text])).iloc[0]
    assert p["valid"] == valid
    if valid:
        assert p["precision"] == precision


def test_imputation_rules_and_flags() -> None:
    s = pd.Series(["2024-02", "2024", "2024-03-05", "2023-02"])
    start, sflag = impute_date(s, "start")
    end, eflag = impute_date(s, "end")
    assert list(start.dt.strftime("%Y-%m-%d")) == ["2024-02-01", "2024-01-01", "2024-03-05",
                                                   "2023-02-01"]
    assert list(end.dt.strftime("%Y-%m-%d")) == ["2024-02-29", "2024-12-31", "2024-03-05",
                                                 "2023-02-28"]
    assert list(sflag) == ["D", "M", None, "D"]
    assert list(eflag) == ["D", "M", None, "D"]


def test_study_day_has_no_day_zero() -> None:
    ref = pd.Series(pd.to_datetime(["2024-03-05"] * 4))
    d = pd.Series(pd.to_datetime(["2024-03-04", "2024-03-05", "2024-04-02", "2024-02-29"]))
    # infusion day is DY 1; protocol day 28 is DY 29; the day before infusion is DY -1
    assert list(study_day(d, ref)) == [-1, 1, 29, -5]


@settings(deadline=None)
@given(st.dates(min_value=pd.Timestamp("1950-01-01").date(),
                max_value=pd.Timestamp("2099-12-31").date()))
def test_complete_dates_round_trip(day) -> None:
    p = parse_dtc(pd.Series([day.isoformat()])).iloc[0]
    assert p["valid"] and p["dt"].date() == day


@settings(deadline=None)
@given(st.dates(min_value=pd.Timestamp("1950-01-01").date(),
                max_value=pd.Timestamp("2099-12-31").date()))
def test_imputed_partial_date_brackets_the_true_date(day) -> None:
    month = pd.Series([day.isoformat()[:7]])
    lo, _ = impute_date(month, "start")
    hi, _ = impute_date(month, "end")
    assert lo.iloc[0].date() <= day <= hi.iloc[0].date()


def _pandas_parse(values: pd.Series) -> pd.DataFrame:
    """The previous release's vectorised pandas parse (str.extract + to_datetime), kept here as
    the reference of the memoised per-text parse."""
    s = values.astype("string")
    parts = s.str.extract(ISO)
    blank = s.isna() | (s.str.strip() == "")
    matched = parts["y"].notna()
    y, m, d, hh, mm, ss = (pd.to_numeric(parts[k], errors="coerce") for k in "ymdHMS")
    dt = pd.to_datetime(s.where(matched & d.notna()).str.slice(0, 10), format="%Y-%m-%d",
                        errors="coerce")
    time_ok = (hh.isna() | (hh <= 23)) & (mm.isna() | (mm <= 59)) & (ss.isna() | (ss <= 59))
    dt = dt + pd.to_timedelta(hh.fillna(0), unit="h") + pd.to_timedelta(mm.fillna(0), unit="m")
    dt = dt + pd.to_timedelta(ss.fillna(0), unit="s")
    valid = blank | (matched & (m.isna() | ((m >= 1) & (m <= 12))) & (d.isna() | dt.notna())
                     & time_ok)
    precision = np.select([~matched, hh.notna(), d.notna(), m.notna()],
                          [None, "time", "day", "month"], "year")
    return pd.DataFrame({"dt": dt.where(valid & ~blank), "year": y.where(valid),
                         "month": m.where(valid), "day": d.where(valid),
                         "precision": pd.Series(np.where(blank, None, precision),
                                                index=values.index, dtype="object"),
                         "valid": valid.astype(bool)}, index=values.index)


_TEXTS = ["2024-03-05", "2024-03", "2024", "", "  ", "2024-02-30", "05/03/2024",
          "2024-03-05T14:45", "2024-03-05T14:45:07.25", "2024-13", "2024-13-01", "2024-00",
          "2024-03-05T25:00", "2024-03-05T23:60", "0000", "0000-01-01", "1500-06-01",
          "1677-09-21", "1677-09-22", "2262-04-11", "2262-04-12", "9999-12-31", "x", None]


@settings(deadline=None, max_examples=80)
@given(st.lists(st.sampled_from(_TEXTS), max_size=30))
def test_memoised_parse_equals_the_vectorised_pandas_parse(texts) -> None:
    """Regression test: the per-text memoised parse gives the previous release's frame exactly
    (values, dtypes, index), calendar validity judged by pandas' own strptime."""
    s = pd.Series(texts, dtype="object", index=range(100, 100 + len(texts)))
    pd.testing.assert_frame_equal(parse_dtc(s), _pandas_parse(s.astype("string").fillna("")))


def test_end_imputation_outside_the_nanosecond_range_is_missing_not_an_error() -> None:
    """A year pandas cannot hold (1500) imputes to NaT with its flag; the pandas version raised."""
    date, flag = impute_date(pd.Series(["1500-06", "1500", "2262-04", "2024-02"]), "end")
    assert date.isna().tolist() == [True, True, True, False]
    assert flag.tolist() == ["D", "M", "D", "D"]


@settings(max_examples=50)
@given(st.lists(st.sampled_from(["2024-02-29", "2024-02", "2024", "", None, "2023-02-30",
                                 "2024-03-05T10:30", "bad"]), max_size=20),
       st.sampled_from(["start", "end"]))
def test_impute_date_on_repeats_equals_one_value_at_a_time(values, kind) -> None:
    """Imputation is done once per distinct text: the same as imputing each record alone."""
    s = pd.Series(values, dtype="object", index=np.arange(len(values)) * 2)
    date, flag = impute_date(s, kind)
    for i, v in zip(s.index, values, strict=True):
        d1, f1 = impute_date(pd.Series([v], dtype="object"), kind)
        assert (pd.isna(date[i]) and pd.isna(d1[0])) or date[i] == d1[0]
        assert flag[i] == f1[0]


def test_a_partial_start_in_the_infusion_month_is_not_imputed_before_the_infusion():
    """admiral's ADAE template imputes AE starts with ``min_dates = exprs(TRTSDT)``: only a
    date inside the partial date's range raises the imputation (worked by hand)."""
    import pandas as pd

    from cartrial.data.dates import impute_date

    text = pd.Series(["2024-03", "2024", "2024-02", "2024-03-05", "2023", ""])
    floor = pd.Series(pd.to_datetime(["2024-03-10 14:30"] * 6))
    d, f = impute_date(text, "start", min_dates=floor)
    assert d.astype(str).tolist() == ["2024-03-10 14:30:00", "2024-03-10 14:30:00",
                                      "2024-02-01 00:00:00", "2024-03-05 00:00:00",
                                      "2023-01-01 00:00:00", "NaT"]
    assert f.tolist() == ["D", "M", "D", None, "M", None]


DISTINCT_TEXTS = ["2026-03-02T10:30", "2026-03-02", "2026-03", "2026-02-30", "", " ",
                  "15/03/2026", "2026-03-04T23:59:59", "2262-04-12", "2026-03-05T10:30:15.5"]


def test_distinct_datetimes_equal_parse_dtc() -> None:
    """Regression (the code against its own parse_dtc): the date-times of distinct texts read
    from the parsed-text table equal parse_dtc's, for text and values that are not text."""
    for texts in (DISTINCT_TEXTS, [*DISTINCT_TEXTS, 20260302], [1.5, "2026-03-02"]):
        arr = np.array(texts, dtype=object)
        want = parse_dtc(pd.Series(arr, dtype=object))["dt"].to_numpy()
        got = distinct_datetimes(arr)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got.view("i8"), want.view("i8"))
