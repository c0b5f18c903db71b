"""The vectorised XPORT v5 writer against the reference, pyreadstat (ReadStat) 1.3.7: same input,
same bytes (SAS TS-140 layout), once pyreadstat's current-time stamps are set to ours."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cartrial.data.xport import (
    CHUNK_ROWS,
    XportV5Writer,
    ibm_from_ieee,
    text_width,
    times_of_day,
    write_xport_v5,
)
from cartrial.data.xport_header import parse_format
from cartrial.errors import InputError

STAMP = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")
EPOCH_STAMP = b"01JAN70:00:00:00"
HEADER_BYTES = 8 * 80  # the timestamps are in the first 8 records


def reference_bytes(df: pd.DataFrame, path: Path, **kw) -> bytes:
    """pyreadstat's file with its 16-byte ddMONyy:hh:mm:ss stamps set to the Unix epoch."""
    pyreadstat.write_xport(df, str(path), file_format_version=5, **kw)
    raw = path.read_bytes()
    head, n = STAMP.subn(EPOCH_STAMP, raw[:HEADER_BYTES])
    assert n == 4  # library header (2), member header, file-label record
    return head + raw[HEADER_BYTES:]


def our_bytes(df: pd.DataFrame, path: Path, **kw) -> bytes:
    write_xport_v5(df, path, **kw)
    return path.read_bytes()


def kwargs_for(df: pd.DataFrame, name: str = "DM", label: str = "Demographics") -> dict:
    return {"table_name": name, "file_label": label,
            "column_labels": [f"Label of {c}" for c in df.columns]}


def assert_same_as_pyreadstat(df: pd.DataFrame, tmp: Path, **kw) -> bytes:
    kw = kw or kwargs_for(df)
    ours = our_bytes(df, tmp / "ours.xpt", **kw)
    ref = reference_bytes(df, tmp / "ref.xpt", **kw)
    assert len(ours) % 80 == 0
    assert ours == ref
    return ours


HAND_MADE = {
    "numeric with NaN, zero, negatives": pd.DataFrame(
        {"AVAL": [1.0, np.nan, 0.0, -0.0, -2.5, 1 / 3, -1e-3, 100.0]}),
    "tiny and huge (IBM under/overflow, inf)": pd.DataFrame(
        {"X": [5e-324, 1e-300, 16.0**-65, 16.0**-64, 2.0**-260, 2.0**-261, 7.2e75, 2.0**248,
               2.0**249, 1e300, np.inf, -np.inf, -1e300, np.finfo(float).max]}),
    "integers (int64, Int64 with NA, bool)": pd.DataFrame(
        {"N": np.array([0, 1, -7, 2**40, 2**53], dtype=np.int64),
         "M": pd.array([1, None, 3, None, 5], dtype="Int64"),
         "FL": [True, False, True, True, False]}),
    "text with blanks and missing": pd.DataFrame(
        {"USUBJID": ["CT071-001", "", "CT071-003", None, np.nan],
         "ARM": ["", "", "", "", ""],
         "S": pd.array(["a", pd.NA, "ccc", "", pd.NA], dtype="string")}),
    "UTF-8 text": pd.DataFrame({"TERM": ["fièvre", "Größe", "", "日本語", "plain"]}),
    "single row": pd.DataFrame({"A": [3.25], "B": ["x"]}),
    "zero rows": pd.DataFrame({"A": pd.Series([], dtype=float),
                               "B": pd.Series([], dtype=object)}),
    "rows ending on a record boundary": pd.DataFrame({"A": np.arange(20.0)}),
    "200-byte text": pd.DataFrame({"COVAL": ["x" * 200, "é" * 100, "y"]}),
    "many columns": pd.DataFrame(
        {f"V{j:02d}": (np.arange(4.0) * j if j % 3 else [f"t{j}"] * 4) for j in range(45)}),
}


@pytest.mark.parametrize("case", list(HAND_MADE))
def test_same_bytes_as_pyreadstat(case: str, tmp_path: Path) -> None:
    assert_same_as_pyreadstat(HAND_MADE[case], tmp_path)


def test_labels_and_names(tmp_path: Path) -> None:
    df = pd.DataFrame({"STUDYID": ["CT071"], "AGE": [61.0], "X": ["é"]})
    kw = {"table_name": "ADSL", "file_label": "Subject-Level Analysis Dataset",
          "column_labels": ["Study Identifier", "Age", "x" * 40]}
    ours = assert_same_as_pyreadstat(df, tmp_path, **kw)
    assert b"ADSL    SASDATA 6.06    bsd4.2" in ours[5 * 80:6 * 80]
    assert b"Subject-Level Analysis Dataset" in ours[6 * 80:7 * 80]
    assert b"STUDYID Study Identifier" in ours
    # a namestr is 140 bytes; 3 of them span 6 records (padded with blanks)
    assert ours[8 * 80 + 3 * 140:14 * 80] == b" " * (6 * 80 - 3 * 140)


def test_created_stamp(tmp_path: Path) -> None:
    df = pd.DataFrame({"A": [1.0]})
    ours = our_bytes(df, tmp_path / "a.xpt", **kwargs_for(df),
                     created=datetime(2024, 3, 5, 14, 7, 9))
    assert STAMP.findall(ours[:HEADER_BYTES]) == [b"05MAR24:14:07:09"] * 4
    default = our_bytes(df, tmp_path / "b.xpt", **kwargs_for(df))
    assert STAMP.findall(default[:HEADER_BYTES]) == [EPOCH_STAMP] * 4


def test_ibm_known_values() -> None:
    """TS-140 examples: 1 = 0x4110..., -1 = 0xC110..., 0.1 = 0x401999999999999A truncated."""
    x = np.array([1.0, -1.0, 100.0, 0.5, 0.0, np.nan])
    got = [f"{v:016X}" for v in ibm_from_ieee(x)]
    assert got == ["4110000000000000", "C110000000000000", "4264000000000000",
                   "4080000000000000", "0000000000000000", "2E00000000000000"]


def test_chunking_gives_the_same_bytes(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = 2_503
    df = pd.DataFrame({
        "A": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
        "T": np.array(["", "Y", "N", "ÉCHEC"], dtype=object)[rng.integers(0, 4, n)],
        "B": rng.integers(0, 100, n).astype(float),
        # more distinct values than a chunk has rows: encoded chunk by chunk, not via one table
        "ID": [f"CT071-{i:05d}" + ("é" * (i == n - 1)) for i in range(n)],
    })
    kw = kwargs_for(df)
    whole = our_bytes(df, tmp_path / "whole.xpt", **kw, chunk_rows=10 * n)
    chunked = our_bytes(df, tmp_path / "chunked.xpt", **kw, chunk_rows=100)
    assert whole == chunked
    assert whole == reference_bytes(df, tmp_path / "ref.xpt", **kw)


@pytest.mark.parametrize("column", [
    pd.Series(pd.to_datetime(["2024-01-01"])).dt.tz_localize("UTC"),
    pd.Series(pd.to_datetime(["2024-01-01 00:00:00.000001"])),  # a time of day: not a date
    pd.Series([1, "a"], dtype=object),
    pd.Series(pd.Categorical(["a"])),
    pd.Series([1 + 2j]),
])
def test_bad_dtype_names_the_column(column: pd.Series, tmp_path: Path) -> None:
    df = pd.DataFrame({"OK": [1.0] * len(column), "BADCOL": column.to_numpy()})
    if isinstance(column.dtype, pd.CategoricalDtype | pd.DatetimeTZDtype):
        df["BADCOL"] = column
    with pytest.raises(InputError, match="BADCOL"):
        write_xport_v5(df, tmp_path / "x.xpt", **kwargs_for(df))


ascii_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12)
utf8_text = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF,
                                  blacklist_categories=("Cs",)), max_size=6)
# IBM 370 doubles reach 16**63 (~7.2e75); ReadStat saturates from 2**249, so stay below it
floats = st.floats(min_value=-1e74, max_value=1e74, width=64) | st.just(np.nan)


@st.composite
def frames(draw) -> pd.DataFrame:
    n = draw(st.integers(0, 30))
    n_cols = draw(st.integers(1, 6))
    cols = {}
    for j in range(n_cols):
        kind = draw(st.sampled_from(["float", "ascii", "utf8"]))
        if kind == "float":
            cols[f"C{j}"] = np.array(draw(st.lists(floats, min_size=n, max_size=n)), dtype=float)
        else:
            strat = ascii_text if kind == "ascii" else utf8_text
            cols[f"C{j}"] = pd.Series(draw(st.lists(strat, min_size=n, max_size=n)),
                                      dtype=object)
    return pd.DataFrame(cols, index=range(n))


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(df=frames())
def test_random_frames_round_trip_and_match(df: pd.DataFrame, tmp_path: Path) -> None:
    ours = assert_same_as_pyreadstat(df, tmp_path)
    back, _ = pyreadstat.read_xport(str(tmp_path / "ours.xpt"))
    assert list(back.columns) == list(df.columns)
    n = len(back)
    if n < len(df):
        # a format limit, not the writer's: all-blank text rows at the end are indistinguishable
        # from the blank padding of the last 80-byte record, so the reader drops them
        tail = df.iloc[n:]
        assert all(df[c].dtype == object for c in df.columns)
        assert (tail.apply(lambda s: s.str.strip(" ")) == "").all(axis=None)
    assert n <= len(df)
    for c in df.columns:
        if df[c].dtype == object:
            # the reader strips trailing blanks, which the fixed-width field cannot keep apart
            assert back[c].tolist() == [v.rstrip(" ") for v in df[c].iloc[:n]]
        else:
            np.testing.assert_allclose(back[c].to_numpy(), df[c].to_numpy()[:n], rtol=1e-15,
                                       atol=16.0**-65, equal_nan=True)
    assert len(ours) % 80 == 0


# --- formats (variable_format) and dates -------------------------------------------------------

FORMATS_READSTAT_TAKES = [
    "DATE9.", "DATE9", "DATE.", "DATE", "BEST12.", "BEST12.2", "8.3", "12.", ".2", "5", ".", "F8.",
    "E8601DA10.", "YYMMDD10.", "COMMA10.2", "z5.", "date9.", "A1B9.", "AB_9.", "_9.", "X", "A1",
    "ABC", "AB1C", "ABCDEFGH9.",
]
TEXT_FORMATS_READSTAT_TAKES = ["$20.", "$CHAR20.", "$", "$.", "$5", "$CHAR", "$A", "$ABCDEFG9."]


@pytest.mark.parametrize("fmt", FORMATS_READSTAT_TAKES)
def test_numeric_formats_same_bytes_as_pyreadstat(fmt: str, tmp_path: Path) -> None:
    df = pd.DataFrame({"A": [1.0, np.nan], "B": [2.0, 3.0], "T": ["x", "yy"]})
    kw = kwargs_for(df) | {"variable_format": {"A": fmt, "T": "$20."}}
    ours = assert_same_as_pyreadstat(df, tmp_path, **kw)
    name, width, decimals = parse_format(fmt)
    namestr = ours[8 * 80:8 * 80 + 140]
    assert namestr[56:64] == name.encode().ljust(8)  # nform
    assert int.from_bytes(namestr[64:66], "big") == width  # nfl
    assert int.from_bytes(namestr[66:68], "big") == decimals  # nfd
    assert namestr[72:86] == b" " * 8 + b"\0" * 6  # niform, nifl, nifd untouched


@pytest.mark.parametrize("fmt", TEXT_FORMATS_READSTAT_TAKES)
def test_text_formats_same_bytes_as_pyreadstat(fmt: str, tmp_path: Path) -> None:
    df = pd.DataFrame({"T": ["x", "yy", None], "A": [1.0, 2.0, 3.0]})
    assert_same_as_pyreadstat(df, tmp_path, **kwargs_for(df), variable_format={"T": fmt})


@pytest.mark.parametrize("fmt", ["BEST12.2.", "DATE9. ", " DATE9.", "$20.2", "..", "1A.", "é9.",
                                 "$$5.", "DATE9.."])
def test_formats_both_writers_refuse(fmt: str, tmp_path: Path) -> None:
    df = pd.DataFrame({"A": [1.0]})
    with pytest.raises(InputError, match=r"'A'.*not a SAS format"):
        write_xport_v5(df, tmp_path / "x.xpt", **kwargs_for(df), variable_format={"A": fmt})
    with pytest.raises(pyreadstat.ReadstatError):
        pyreadstat.write_xport(df, str(tmp_path / "r.xpt"), file_format_version=5,
                               variable_format={"A": fmt})


@pytest.mark.parametrize(("fmt", "message"), [
    ("E8601DATX10.", "longer than 8"),  # ReadStat cuts the name to 8 without a word
    ("99999.", "over 32767"),  # ReadStat wraps it into the 16-bit field
    ("BEST12.40000", "over 32767"),
    ("$20.", "does not fit a num column"),
])
def test_formats_refused_where_readstat_writes_something_else(fmt: str, message: str,
                                                               tmp_path: Path) -> None:
    df = pd.DataFrame({"A": [1.0]})
    with pytest.raises(InputError, match=message):
        write_xport_v5(df, tmp_path / "x.xpt", **kwargs_for(df), variable_format={"A": fmt})
    assert not (tmp_path / "x.xpt").exists()


def test_format_checks_name_the_problem(tmp_path: Path) -> None:
    df = pd.DataFrame({"A": [1.0], "T": ["x"], "D": pd.to_datetime(["2024-01-01"])})
    kw = kwargs_for(df)
    for fmt, message in [({"T": "BEST12."}, "does not fit a text column"),
                         ({"NOPE": "DATE9."}, r"not in the frame: \['NOPE'\]"),
                         ({"D": "DATETIME20."}, "'D'.*datetime/time format"),
                         ({"D": "E8601DT19."}, "'D'.*datetime/time format"),
                         ({"D": "$10."}, "does not fit a date column")]:
        with pytest.raises(InputError, match=message):
            write_xport_v5(df, tmp_path / "x.xpt", **kw, variable_format=fmt)


def as_date_objects(df: pd.DataFrame) -> pd.DataFrame:
    """The frame pyreadstat converts itself: datetime64 columns as ``datetime.date`` objects."""
    return df.assign(**{c: df[c].dt.date for c in df.columns
                        if pd.api.types.is_datetime64_dtype(df[c])})


def assert_dates_same_as_pyreadstat(df: pd.DataFrame, tmp: Path, **kw) -> bytes:
    kw = kwargs_for(df) | kw
    ours = our_bytes(df, tmp / "ours.xpt", **kw)
    assert ours == reference_bytes(as_date_objects(df), tmp / "ref.xpt", **kw)
    return ours


DATE_TEXT = ["2024-03-05", None, "1959-12-31", "1960-01-01", "2000-02-29", "1900-02-28",
             "1904-02-29", "1677-09-22", "2262-04-11", "1960-01-02", "1582-10-15"]


@pytest.mark.parametrize("unit", ["ns", "us", "ms", "s"])
@pytest.mark.parametrize("fmt", [None, {"ADT": "DATE9."}, {"ADT": "YYMMDD10.", "AVAL": "8.2"},
                                 {"ADT": ""}])
def test_dates_same_bytes_as_pyreadstat_on_date_objects(unit: str, fmt: dict | None,
                                                        tmp_path: Path) -> None:
    """NaT, dates before 1960, leap days (2000, 1904) and the ends of the nanosecond range."""
    text = DATE_TEXT if unit != "ns" else DATE_TEXT[:-1]  # 1582 is outside datetime64[ns]
    adt = pd.Series(np.array(text, dtype=f"datetime64[{unit}]"))
    df = pd.DataFrame({"ADT": adt, "AVAL": np.arange(len(text), dtype=float),
                       "USUBJID": [f"S{i}" for i in range(len(text))]})
    kw = {} if fmt is None else {"variable_format": fmt}
    ours = assert_dates_same_as_pyreadstat(df, tmp_path, **kw)
    obs = ours.index(b"HEADER RECORD*******OBS") + 80
    width = 8 + 8 + len(f"S{len(text) - 1}")  # ADT, AVAL, USUBJID
    adt_bytes = [ours[obs + i * width:obs + i * width + 8].hex() for i in range(4)]
    # 2024-03-05 = day 23440; NaT = '.'; 1959-12-31 = -1; 1960-01-01 = 0 (IBM 370 doubles)
    assert adt_bytes == ["445b900000000000", "2e00000000000000", "c110000000000000", "0" * 16]


def test_date_column_round_trip(tmp_path: Path) -> None:
    dates = pd.to_datetime(["2024-02-29", None, "1955-06-15", "1960-01-01", "2023-12-31"])
    df = pd.DataFrame({"ASTDT": dates, "AENDT": dates[::-1], "AVAL": [1.0, 2, 3, 4, 5]})
    assert_dates_same_as_pyreadstat(df, tmp_path, variable_format={"ASTDT": "DATE9."})
    back, meta = pyreadstat.read_xport(str(tmp_path / "ours.xpt"))
    assert meta.original_variable_types == {"ASTDT": "DATE9", "AENDT": "DATE", "AVAL": None}
    assert meta.readstat_variable_types == {"ASTDT": "double", "AENDT": "double", "AVAL": "double"}
    for c in ("ASTDT", "AENDT"):  # datetime.date back, NaN for NaT
        got = [None if pd.isna(v) else v for v in back[c]]
        assert got == [None if pd.isna(v) else v.date() for v in df[c]]
    back64, _ = pyreadstat.read_xport(str(tmp_path / "ours.xpt"), dates_as_pandas_datetime=True)
    pd.testing.assert_series_equal(back64["ASTDT"], df["ASTDT"], check_dtype=False)


def test_date_columns_pyreadstat_cannot_tell_stay_numeric_dates(tmp_path: Path) -> None:
    """All NaT (pyreadstat: datetime) or no rows (pyreadstat: text) is still a numeric date
    column: the same bytes as pyreadstat's for NaN day numbers with the date format."""
    for df in (pd.DataFrame({"D": pd.Series([pd.NaT, pd.NaT], dtype="datetime64[ns]")}),
               pd.DataFrame({"D": pd.Series([], dtype="datetime64[ns]")})):
        kw = kwargs_for(df)
        ours = our_bytes(df, tmp_path / "ours.xpt", **kw)
        days = pd.DataFrame({"D": np.full(len(df), np.nan)})
        assert ours == reference_bytes(days, tmp_path / "ref.xpt", **kw,
                                       variable_format={"D": "DATE"})
        ours9 = our_bytes(df, tmp_path / "ours.xpt", **kw, variable_format={"D": "DATE9."})
        assert ours9 == reference_bytes(days, tmp_path / "ref.xpt", **kw,
                                        variable_format={"D": "DATE9."})


def test_dates_in_chunks(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    n = 1_001
    days = rng.integers(-40_000, 40_000, n).astype("datetime64[D]").astype("datetime64[ns]")
    df = pd.DataFrame({"ADT": pd.Series(days).mask(rng.random(n) < 0.1), "X": rng.normal(size=n)})
    kw = kwargs_for(df) | {"variable_format": {"ADT": "DATE9.", "X": "BEST12."}}
    chunked = our_bytes(df, tmp_path / "chunked.xpt", **kw, chunk_rows=97)
    assert chunked == assert_dates_same_as_pyreadstat(df, tmp_path, **kw)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=st.lists(st.one_of(st.none(), st.dates(date(1700, 1, 1), date(2200, 12, 31))),
                     min_size=1, max_size=25))  # no rows: pyreadstat writes text
def test_random_dates_match_and_round_trip(days: list, tmp_path: Path) -> None:
    df = pd.DataFrame({"ADT": pd.Series(pd.to_datetime(days), dtype="datetime64[ns]"),
                       "N": np.arange(len(days), dtype=float)})
    assert_dates_same_as_pyreadstat(df, tmp_path, variable_format={"ADT": "DATE9."})
    back, _ = pyreadstat.read_xport(str(tmp_path / "ours.xpt"))
    assert [None if pd.isna(v) else v for v in back["ADT"]] == days


# --- the streaming writer (XportV5Writer): parts of a frame give the whole frame's bytes -------

def parts_of(df: pd.DataFrame, cuts: list[int]) -> list[pd.DataFrame]:
    bounds = [0, *sorted(cuts), len(df)]
    return [df.iloc[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def stream(parts: list[pd.DataFrame], path: Path, **kw) -> bytes:
    """The parts through XportV5Writer, kinds and text widths taken from the parts alone."""
    df = parts[0]
    kinds = ["date" if pd.api.types.is_datetime64_dtype(df[c]) else
             "text" if df[c].dtype == object else "num" for c in df.columns]
    widths = {c: max(text_width(p[c]) for p in parts)
              for c, k in zip(df.columns, kinds, strict=True) if k == "text"}
    with XportV5Writer(path, columns=list(df.columns), kinds=kinds, text_widths=widths,
                       **kw) as w:
        for p in parts:
            w.write(p)
    return path.read_bytes()


@st.composite
def frames_with_dates(draw) -> pd.DataFrame:
    df = draw(frames())
    if draw(st.booleans()):
        days = draw(st.lists(st.one_of(st.none(), st.dates(date(1700, 1, 1), date(2200, 1, 1))),
                             min_size=len(df), max_size=len(df)))
        df["ADT"] = pd.Series(pd.to_datetime(days), dtype="datetime64[ns]", index=df.index)
    return df


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(df=frames_with_dates(), data=st.data())
def test_streamed_parts_give_the_whole_frame_bytes(df: pd.DataFrame, data, tmp_path: Path) -> None:
    """Random cuts (empty parts too) and chunk sizes; a text column's width is the largest of
    its parts' widths, the one the whole frame gives."""
    parts = parts_of(df, data.draw(st.lists(st.integers(0, len(df)), max_size=4)))
    chunk_rows = data.draw(st.sampled_from([2, 7, CHUNK_ROWS]))
    fmt = {"ADT": "DATE9."} if "ADT" in df else {}
    kw = kwargs_for(df) | {"created": datetime(2024, 5, 1), "variable_format": fmt}
    for c in df.columns:
        if df[c].dtype == object:
            assert max(text_width(p[c]) for p in parts) == text_width(df[c])
    whole = our_bytes(df, tmp_path / "whole.xpt", **kw, chunk_rows=chunk_rows)
    assert stream(parts, tmp_path / "parts.xpt", **kw, chunk_rows=chunk_rows) == whole


def test_streamed_parts_with_many_distinct_values(tmp_path: Path) -> None:
    """More distinct values than a chunk has rows (the whole-frame writer's slice path)."""
    n = 1_000
    df = pd.DataFrame({"ID": [f"CT071-{i:05d}" + "é" * (i == 700) for i in range(n)],
                       "A": np.arange(n) / 7})
    kw = kwargs_for(df) | {"chunk_rows": 64}
    assert (stream(parts_of(df, [0, 300, 300, 999]), tmp_path / "p.xpt", **kw)
            == our_bytes(df, tmp_path / "w.xpt", **kw))


def test_streaming_writer_refuses_parts_that_do_not_fit(tmp_path: Path) -> None:
    kw = {"table_name": "ADX", "file_label": "x", "columns": ["A", "T"],
          "column_labels": ["a", "t"], "kinds": ["num", "text"], "text_widths": {"T": 2}}
    good = pd.DataFrame({"A": [1.0], "T": ["ab"]})
    for bad, message in [
        (pd.DataFrame({"T": ["ab"], "A": [1.0]}), r"part has columns \['T', 'A'\]"),
        (pd.DataFrame({"A": ["1"], "T": ["ab"]}), "column 'A': a text column in a part of a num"),
        (pd.DataFrame({"A": [1.0], "T": ["abc"]}), "'T': a value of 3 bytes does not fit"),
        (pd.DataFrame({"A": [1.0], "T": ["é" * 2]}), "'T': a value of 4 bytes does not fit"),
    ]:
        path = tmp_path / "x.xpt"
        with pytest.raises(InputError, match=message), XportV5Writer(path, **kw) as w:
            w.write(good)
            w.write(bad)
        assert not path.exists()  # an incomplete file is removed
    with pytest.raises(InputError, match="'T': a text column needs a width"):
        XportV5Writer(tmp_path / "y.xpt", **kw | {"text_widths": {}})
    with pytest.raises(InputError, match=r"kinds \['float'\]"):
        XportV5Writer(tmp_path / "y.xpt", **kw | {"kinds": ["float", "text"]})
    with pytest.raises(InputError, match="2 column labels and 1 kinds"):
        XportV5Writer(tmp_path / "y.xpt", **kw | {"kinds": ["num"]})
    with pytest.raises(InputError, match="time of day"), XportV5Writer(
            tmp_path / "d.xpt", **kw | {"columns": ["D", "T"], "kinds": ["date", "text"]}) as w:
        w.write(pd.DataFrame({"D": pd.to_datetime(["2024-01-01 12:00"]), "T": ["a"]}))
    assert not (tmp_path / "y.xpt").exists() and not (tmp_path / "d.xpt").exists()


def test_streaming_writer_without_parts_is_the_empty_frame(tmp_path: Path) -> None:
    df = pd.DataFrame({"A": pd.Series([], dtype=float), "T": pd.Series([], dtype=object)})
    kw = kwargs_for(df)
    w = XportV5Writer(tmp_path / "s.xpt", columns=["A", "T"], kinds=["num", "text"],
                      text_widths={"T": 1}, **kw)
    w.close()
    w.close()  # again: nothing
    assert (tmp_path / "s.xpt").read_bytes() == assert_same_as_pyreadstat(df, tmp_path)


# --- stretches written with the widths known so far, joined (XportV5Writer.append_file) --------

def stretch(part: pd.DataFrame, path: Path, kinds: list[str], widths: dict[str, int],
            **kw) -> XportV5Writer:
    """One part as a file of its own with its own kinds and text widths."""
    with XportV5Writer(path, columns=list(part.columns), kinds=kinds, text_widths=widths,
                       **kw) as w:
        w.write(part)
    return w


def part_kinds(df: pd.DataFrame) -> list[str]:
    return ["date" if pd.api.types.is_datetime64_dtype(df[c]) else
            "text" if df[c].dtype == object else "num" for c in df.columns]


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(df=frames_with_dates(), data=st.data())
def test_stretches_of_their_own_widths_joined_give_the_whole_frame_bytes(
        df: pd.DataFrame, data, tmp_path: Path) -> None:
    """Each part written with the widths of the parts so far (running maximum), then joined by
    append_file: the whole frame's bytes, the records padded where a part was narrower."""
    parts = parts_of(df, data.draw(st.lists(st.integers(0, len(df)), max_size=4)))
    kw = kwargs_for(df) | {"created": datetime(2024, 5, 1)}
    kinds = part_kinds(df)
    texts = [c for c, k in zip(df.columns, kinds, strict=True) if k == "text"]
    widths, stretches = dict.fromkeys(texts, 1), []
    for i, p in enumerate(parts):
        widths = {c: max(widths[c], text_width(p[c])) for c in texts}
        stretches.append((tmp_path / f"{i}.xpt", widths, len(p)))
        stretch(p, stretches[-1][0], kinds, widths, **kw)
    whole = our_bytes(df, tmp_path / "whole.xpt", **kw)
    with XportV5Writer(tmp_path / "joined.xpt", columns=list(df.columns), kinds=kinds,
                       text_widths=widths, **kw) as w:
        for path, part_widths, rows in stretches:
            w.append_file(path, kinds=kinds, text_widths=part_widths, n_rows=rows)
    assert (tmp_path / "joined.xpt").read_bytes() == whole


def test_a_column_of_another_kind_in_a_stretch_is_joined_as_missing_values(tmp_path: Path):
    """A column all missing in a stretch written as numbers (or text) joins a text (or number)
    column as blanks (or '.'); a value there is refused, never dropped."""
    df = pd.DataFrame({"T": [None, None, "abc", "d"], "A": [np.nan, np.nan, 1.5, 2.0],
                       "D": pd.to_datetime([None, None, "2024-01-02", None])})
    kw = kwargs_for(df) | {"created": datetime(2024, 5, 1)}
    first = pd.DataFrame({"T": [np.nan, np.nan], "A": [None, None], "D": [np.nan, np.nan]})
    first["A"] = first["A"].astype(object)
    stretch(first, tmp_path / "0.xpt", ["num", "text", "num"], {"A": 1}, **kw)
    stretch(df.iloc[2:], tmp_path / "1.xpt", ["text", "num", "date"], {"T": 3},
            variable_format={"D": "DATE9."}, **kw)
    joined = tmp_path / "joined.xpt"
    with XportV5Writer(joined, columns=list(df.columns), kinds=["text", "num", "date"],
                       text_widths={"T": 3}, variable_format={"D": "DATE9."}, **kw) as w:
        w.append_file(tmp_path / "0.xpt", kinds=["num", "text", "num"], text_widths={"A": 1},
                      n_rows=2)
        w.append_file(tmp_path / "1.xpt", kinds=["text", "num", "date"],
                      text_widths={"T": 3}, n_rows=2)
    assert joined.read_bytes() == our_bytes(df, tmp_path / "whole.xpt",
                                            variable_format={"D": "DATE9."}, **kw)
    stretch(pd.DataFrame({"T": [3.0], "A": [1.0], "D": [np.nan]}), tmp_path / "v.xpt",
            ["num", "num", "num"], {}, **kw)
    stretch(df.iloc[2:3], tmp_path / "w.xpt", ["text", "num", "date"], {"T": 4}, **kw)
    for path, kinds, widths, message in [
            (tmp_path / "v.xpt", ["num", "num", "num"], {}, "'T': num values in"),
            (tmp_path / "w.xpt", ["text", "num", "date"], {"T": 4},
             r"\['T'\]: wider in"),
            (tmp_path / "1.xpt", ["text", "num"], {"T": 3}, "2 kinds for 3 columns")]:
        with pytest.raises(InputError, match=message), XportV5Writer(
                tmp_path / "bad.xpt", columns=list(df.columns), kinds=["text", "num", "date"],
                text_widths={"T": 3}, **kw) as w:
            w.append_file(path, kinds=kinds, text_widths=widths, n_rows=1)
        assert not (tmp_path / "bad.xpt").exists()
    short = "1280 bytes, not the 1360 of 5 records of 19 bytes"  # 2 records in the file
    with pytest.raises(InputError, match=short), XportV5Writer(
            tmp_path / "bad.xpt", columns=list(df.columns), kinds=["text", "num", "date"],
            text_widths={"T": 3}, **kw) as w:
        w.append_file(tmp_path / "1.xpt", kinds=["text", "num", "date"], text_widths={"T": 3},
                      n_rows=5)


def test_times_of_day_in_any_unit_and_at_the_ends_of_the_range():
    """What the XPT writers refuse as a SAS date (shared by write_xpt's batch checks)."""
    for unit in ("s", "ms", "us", "ns"):
        s = pd.Series(np.array(["2024-01-02T00:00", "2024-01-02T00:00:01", "NaT",
                                "1677-09-22T00:00"], dtype=f"M8[{unit}]"))
        assert times_of_day(s).tolist() == [False, True, False, False]


def test_records_built_in_a_reused_buffer_of_a_few_rows(tmp_path: Path, monkeypatch) -> None:
    """The records of each chunk are built in one buffer kept for the file (at most
    BUFFER_BYTES: here a few records, so chunks are cut by it, not by chunk_rows): parts of
    growing and shrinking sizes, text and numbers, give the bytes of the whole frame."""
    import cartrial.data.xport as xport

    n = 500
    df = pd.DataFrame({"ID": [f"S{i % 37}" + "x" * (i % 5) for i in range(n)],
                       "A": np.arange(n) / 3, "B": np.where(np.arange(n) % 4, 1.5, np.nan)})
    kw = kwargs_for(df) | {"chunk_rows": 64}
    whole = our_bytes(df, tmp_path / "w.xpt", **kw)
    monkeypatch.setattr(xport, "BUFFER_BYTES", 7 * (8 + 8 + 6))  # seven records
    assert our_bytes(df, tmp_path / "w7.xpt", **kw) == whole
    assert stream(parts_of(df, [3, 3, 200, 210, 499]), tmp_path / "p.xpt", **kw) == whole
