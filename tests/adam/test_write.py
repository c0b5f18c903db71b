"""The column-wise ADaM writers agree with the foundation's per-value conventions."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cartrial.adam.write import adam_csv_text, write_adam_xpt
from cartrial.data import to_csv_text
from cartrial.errors import InputError


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=False, width=64),
                          st.integers(-10**12, 10**12).map(float)), min_size=1, max_size=30),
       st.lists(st.one_of(st.none(), st.text(max_size=8)), min_size=1, max_size=30))
def test_csv_text_equals_the_foundation_writer(nums, texts):
    n = min(len(nums), len(texts))
    df = pd.DataFrame({"X": np.array(nums[:n], dtype=float), "T": pd.Series(texts[:n],
                                                                           dtype=object),
                       "D": pd.to_datetime(["2024-01-02"] * n)})
    assert adam_csv_text(df) == to_csv_text(df)


def test_xpt_limits_are_collected_not_truncated(tmp_path):
    df = pd.DataFrame({"TOOLONGNAME": [1.0], "T": ["é" * 101]})  # 202 bytes in 101 characters
    with pytest.raises(InputError) as e:
        write_adam_xpt(df, tmp_path / "x.xpt", "ADX", "x",
                       {"TOOLONGNAME": "ok", "T": "Label with a non-ASCII é"})
    msg = str(e.value)
    assert "variable name 'TOOLONGNAME' longer than 8" in msg
    assert "label of T must be <= 40 ASCII" in msg
    assert "T: 1 value(s) over 200 bytes" in msg
    assert not (tmp_path / "x.xpt").exists()


def test_chunked_csv_file_equals_one_piece(tmp_path):
    from cartrial.adam.write import write_adam_csv

    df = pd.DataFrame({"A": np.arange(10, dtype=float) / 3, "B": list("abcdefghij")})
    for rows in (1, 3, 10, 100):
        write_adam_csv(df, tmp_path / f"{rows}.csv", chunk_rows=rows)
        assert (tmp_path / f"{rows}.csv").read_text() == adam_csv_text(df)
    write_adam_csv(df.iloc[:0], tmp_path / "empty.csv")
    assert (tmp_path / "empty.csv").read_text() == adam_csv_text(df.iloc[:0])


DATES = st.dates(date(1900, 1, 1), date(2100, 12, 31)).map(pd.Timestamp)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet=list('ab ,"\r\n\t;é'), max_size=6),
                          st.one_of(st.none(), st.text(alphabet=list('x",\n'), max_size=3)),
                          st.one_of(st.none(), DATES)),
                min_size=0, max_size=12))
def test_csv_quoting_and_dates_equal_pandas(rows):
    """Quoted delimiters, quotes and line breaks, blanks and missing dates: pandas' text."""
    df = pd.DataFrame(rows, columns=["T", "U", "D"]).astype({"T": object, "U": object})
    df["D"] = pd.to_datetime(df["D"])
    assert adam_csv_text(df) == to_csv_text(df)
    assert adam_csv_text(df[["T"]]) == to_csv_text(df[["T"]])  # one column: csv module rules


def test_xpt_dates_are_sas_dates_with_date9(tmp_path):
    """ADaMIG timing variables (*DT) are numeric dates in the XPT; the CSV keeps ISO 8601."""
    dates = pd.to_datetime(["2024-03-05", None, "1959-12-31", "2000-02-29"])
    df = pd.DataFrame({"USUBJID": ["S1", "S2", "S3", "S4"], "ADT": dates,
                       "TRTSDT": pd.to_datetime(["2024-01-10"] * 4), "AVAL": [1.0, 2, 3, 4]})
    labels = {"USUBJID": "Unique Subject Identifier", "ADT": "Analysis Date",
              "TRTSDT": "Date of First Exposure to Treatment", "AVAL": "Analysis Value"}
    write_adam_xpt(df, tmp_path / "adx.xpt", "ADX", "Test", labels)
    back, meta = pyreadstat.read_xport(str(tmp_path / "adx.xpt"))
    assert meta.original_variable_types == {"USUBJID": None, "ADT": "DATE9", "TRTSDT": "DATE9",
                                            "AVAL": None}
    assert meta.readstat_variable_types["ADT"] == "double"
    assert back["ADT"].tolist()[0] == date(2024, 3, 5)
    assert [None if pd.isna(v) else v for v in back["ADT"]] == [
        date(2024, 3, 5), None, date(1959, 12, 31), date(2000, 2, 29)]
    assert back["TRTSDT"].tolist() == [date(2024, 1, 10)] * 4
    assert back["USUBJID"].tolist() == ["S1", "S2", "S3", "S4"]
    assert adam_csv_text(df).splitlines()[1:3] == ["S1,2024-03-05,2024-01-10,1",
                                                   "S2,,2024-01-10,2"]


def test_xpt_dates_with_a_time_of_day_are_refused_with_the_other_problems(tmp_path):
    df = pd.DataFrame({"ADT": pd.to_datetime(["2024-03-05 10:30", "2024-03-06 00:00"]),
                       "T": ["é" * 101, "x"]})
    with pytest.raises(InputError) as e:
        write_adam_xpt(df, tmp_path / "x.xpt", "ADX", "x", {"ADT": "Analysis Date", "T": "T"})
    assert "ADT: 1 date(s) with a time of day (first 2024-03-05 10:30:00)" in str(e.value)
    assert "T: 1 value(s) over 200 bytes" in str(e.value)
    assert not (tmp_path / "x.xpt").exists()


def test_a_missing_label_names_the_dataset_and_the_variables(tmp_path):
    """A column without a label is an InputError naming dataset and variables, not a KeyError,
    both when the labels are passed and when the ADaM metadata has none."""
    from cartrial.adam.write import write_adam

    df = pd.DataFrame({"USUBJID": ["S1"], "FOO": [1.0], "BAR": ["x"]})
    with pytest.raises(InputError, match=r"^ADX: no label for variable\(s\) FOO, BAR;"):
        write_adam_xpt(df, tmp_path / "x.xpt", "ADX", "x", {"USUBJID": "Subject"})
    with pytest.raises(InputError, match=r"^ADSL: no label for variable\(s\) FOO, BAR;"):
        write_adam({"ADSL": df}, tmp_path, study="S", version="1", protocol_hash="a",
                   data_hash="b", run_date=pd.Timestamp("2025-01-01").to_pydatetime())
    assert not (tmp_path / "x.xpt").exists()


def _pandas_text(s: pd.Series) -> list[str]:
    """pandas' own text of a column (the formula as_text used for every column before issue
    #18's fast path for columns of text)."""
    return s.astype(object).where(s.notna(), "").astype(str).tolist()


@pytest.mark.parametrize("values", [
    ["a", None, "", "b\x00c", np.nan, "é", pd.NA],           # text with every kind of missing
    [None, None], [], ["x"],                                  # empty, all missing
    ["a", 1, 2.5, None], [1.0, np.nan], [b"raw", "t"],       # not all text: pandas decides
    [np.str_("s"), "t"],                                      # a str subclass
])
def test_as_text_is_pandas_text(values):
    """The fast path (all values str or missing) against pandas' astype(str) formula."""
    from cartrial.adam.write_csv import as_text

    for s in (pd.Series(values, dtype=object), pd.Series(values, dtype=object).iloc[::-1]):
        got = as_text(s)
        assert got.tolist() == _pandas_text(s) and got.index.equals(s.index)
        assert got.dtype == object
    text = [v for v in values if isinstance(v, str)] + [None]
    for dtype in ("string", "category"):
        s = pd.Series(text, dtype=dtype)
        assert as_text(s).tolist() == _pandas_text(s)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=list('ab,"\n\r\x00é'), max_size=5)),
                min_size=1, max_size=20))
def test_quoting_search_agrees_with_pandas(texts):
    """A column none of whose values needs quotes is left as it is by one search; pandas'
    to_csv (through the foundation writer) is the reference."""
    df = pd.DataFrame({"A": pd.Series(texts, dtype=object), "B": ["x"] * len(texts)})
    assert adam_csv_text(df) == to_csv_text(df)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.text(alphabet=list('ab,"\n\x00é'), max_size=4)),
                          st.one_of(st.none(), st.floats(width=64),
                                    st.integers(-10**16, 10**16).map(float)),
                          st.one_of(st.none(), DATES)), max_size=15))
def test_coded_text_is_pandas_text_once_per_value(rows):
    """coded_text (each distinct value converted once; what the CSV and XPT writers of a
    BatchedDataset share) against pandas' astype(str) formula and the foundation's number
    text; a column of other objects or booleans is left to as_text (None)."""
    from cartrial.adam.write_csv import _numbers_as_text, coded_text
    from cartrial.data.write import _fmt_number

    df = pd.DataFrame(rows, columns=["T", "X", "D"]).astype({"T": object, "X": float})
    df["D"] = pd.to_datetime(df["D"])
    codes, values = coded_text(df["T"])
    assert values[codes].tolist() == _pandas_text(df["T"])
    codes, values = coded_text(df["X"])
    assert values[codes].tolist() == [_fmt_number(v) for v in df["X"]]
    assert _numbers_as_text(df["X"]).tolist() == values[codes].tolist()
    codes, values = coded_text(df["D"])
    assert values[codes].tolist() == [("" if pd.isna(v) else v.strftime("%Y-%m-%d"))
                                      for v in df["D"]]
    assert coded_text(pd.Series([True, False])) is None
    assert coded_text(pd.Series(["a", 1, None], dtype=object)) is None


@settings(max_examples=25, deadline=None)
@given(st.integers(16, 120), st.data())
def test_runs_of_few_combinations_give_pandas_text(n, data):
    """Columns with few distinct values and a column of other objects (coded from its
    text); pandas' to_csv (the foundation writer) is the reference."""
    def pick(values: list) -> list:
        return data.draw(st.lists(st.sampled_from(values), min_size=n, max_size=n))

    df = pd.DataFrame({"A": pick(["S1", "S2", 'q"1', None]), "B": pick([1.0, 2.5, np.nan]),
                       "C": pick(["x", "y,z", ""]), "ID": np.arange(n, dtype=float),
                       "D": pd.to_datetime(pick(["2024-01-02", None])), "E": pick(["Y", ""])})
    df["G"] = pd.Series(pick(["a", 1, None]), dtype=object)  # not all text: value by value
    assert adam_csv_text(df) == to_csv_text(df)


def test_padded_records_in_many_chunks_give_pandas_text(monkeypatch):
    """The lines built as padded records (csv_chunks), a buffer of a few records at a time:
    quoting, non-ASCII text, missing values, numbers, dates, other objects; pandas' to_csv (the
    foundation writer) is the reference, for whole frames and rows cut into chunks."""
    import cartrial.adam.write_csv as write_csv

    rng = np.random.default_rng(5)
    n = 1_000
    df = pd.DataFrame({"A": rng.choice(["S1", "S2", "a,b", None, "é\u20ac"], n),
                       "B": rng.choice([1.0, 2.5, np.nan, -1e-7, 123456.789], n),
                       "C": rng.choice(["Y", "", 'q"'], n),
                       "D": pd.to_datetime(rng.choice(["2024-01-02", None], n)),
                       "G": pd.Series(rng.choice(np.array(["a", 1, None], dtype=object), n),
                                      dtype=object)})  # not all text: coded from its text
    monkeypatch.setattr(write_csv, "_RECORD_BYTES", 7 * 40)  # a few records a chunk
    chunks = list(write_csv.csv_chunks(df, chunk_rows=64))
    assert len(chunks) > 20
    assert b"".join(chunks).decode() == to_csv_text(df)
    assert adam_csv_text(df.iloc[:0]) == to_csv_text(df.iloc[:0])


def test_csv_written_with_the_thread_is_csv_chunks(tmp_path, monkeypatch):
    """Regression test (write_csv against csv_chunks, the code against itself): the padded
    records in two buffers taking turns, the padding removed by the file's thread, which is
    slowed so that a buffer filled again too soon would show; header or not, a NUL (text
    joined as text)."""
    import time

    import cartrial.adam.write_csv as write_csv
    import cartrial.data.xport_thread as xport_thread

    class Slow:
        def __init__(self, path, mode):
            self.real = open(path, mode)  # noqa: SIM115 - closed by close()

        def write(self, data):
            time.sleep(0.002)
            return self.real.write(data)

        def close(self):
            self.real.close()

    rng = np.random.default_rng(3)
    df = pd.DataFrame({"A": rng.choice(["S1", "a,b", None, "é"], 700),
                       "B": rng.choice([1.0, np.nan, 0.125], 700)})
    monkeypatch.setattr(write_csv, "_RECORD_BYTES", 5 * 12)
    monkeypatch.setattr(xport_thread, "open", Slow, raising=False)
    for frame, header in ((df, True), (df, False), (df.assign(A="x\x00"), True)):
        with xport_thread.ThreadedFile(tmp_path / "t.csv") as f:
            write_csv.write_csv(f, frame, header=header)
        expected = b"".join(write_csv.csv_chunks(frame, header=header))
        assert (tmp_path / "t.csv").read_bytes() == expected
    assert b"".join(write_csv.csv_chunks(df)).decode() == to_csv_text(df)


def test_text_with_a_nul_is_joined_as_text():
    """A NUL cannot be told from numpy's padding: that frame's text is joined by str.join."""
    from cartrial.adam.write_csv import _csv_fields

    df = pd.DataFrame({"A": ["a\x00", "b"], "B": [1.0, 2.0]})
    assert _csv_fields(df, {}) is None
    assert adam_csv_text(df) == to_csv_text(df) == "A,B\na\x00,1\nb,2\n"


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(
    st.one_of(st.none(), st.text(alphabet=list('ab,"\n\x00é'), max_size=4)),
    st.one_of(st.none(), st.floats(width=64), st.integers(-10**16, 10**16).map(float)),
    st.one_of(st.none(), DATES), st.booleans()), max_size=15))
def test_xpt_from_the_csv_codes_is_the_xpt_from_the_values(rows, tmp_path_factory):
    """Regression test (the code against itself): write_adam's frames hand the CSV's codes
    (column_codes) to write_adam_xpt, which then encodes each distinct text and number once
    (numbers: -0.0, NaN, infinities, nullable integers); the file is
    the one written from the values, and the one write_xport_v5 writes of the converted frame
    (write_adam_xpt's writer before it took codes)."""
    from cartrial.adam.write_xpt import _XptColumns, column_codes
    from cartrial.data.xport import write_xport_v5

    df = pd.DataFrame(rows, columns=["T", "X", "D", "FL"]).astype({"T": object, "X": float})
    df["D"] = pd.to_datetime(df["D"])
    df["N"] = pd.Series(range(len(df)), dtype="Int64").where(df["X"].notna())
    labels = dict.fromkeys(df.columns, "a label")
    tmp = tmp_path_factory.mktemp("xc")
    write_adam_xpt(df, tmp / "values.xpt", "ADX", "x", labels)
    write_adam_xpt(df, tmp / "codes.xpt", "ADX", "x", labels, coded=column_codes(df)[1])
    assert (tmp / "codes.xpt").read_bytes() == (tmp / "values.xpt").read_bytes()
    cols = _XptColumns("ADX", list(df.columns), labels)
    write_xport_v5(cols.convert(df)[0], tmp / "v5.xpt", table_name="ADX", file_label="x",
                   column_labels=cols.labels, variable_format={"D": "DATE9."})
    assert (tmp / "v5.xpt").read_bytes() == (tmp / "values.xpt").read_bytes()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=300))
def test_fractions_text_is_the_f_string(values):
    """Regression test: the numbers' text by one %-formatting of all of them against the
    f-string it replaces, value by value (and against pandas' writer through csv text)."""
    from cartrial.adam.write_csv import fractions_text

    assert fractions_text(np.array(values, dtype=float)) == [f"{v:.10g}" for v in values]


def test_fractions_text_of_extreme_values():
    from cartrial.adam.write_csv import fractions_text

    rng = np.random.default_rng(11)
    values = np.concatenate([rng.normal(size=5_000) * 10.0 ** rng.integers(-300, 300, 5_000),
                             [5e-324, -1e-320, 1.7976931348623157e308, 1 / 3, 1e15 + 0.5,
                              9.9999999995e-5, -0.0]])
    assert fractions_text(values) == [f"{v:.10g}" for v in values.tolist()]


def test_define_xml_of_frames_from_the_writers_codes(tmp_path):
    """Regression test: define.xml written from the parameters and terms gathered with the
    CSV's codes (``add_params_coded``) equals define.xml gathering them itself
    (``add_params``, the rule replaced), on frames with PARAMCD/PARAM/AVALU, coded variables,
    flags, missing values and Python-backed text."""
    from datetime import datetime

    from cartrial.adam.define_xml import define_xml
    from cartrial.adam.write import write_adam

    text = pd.StringDtype("python")
    adsl = pd.DataFrame({"STUDYID": "CT071", "USUBJID": ["S1", "S2", "S3"],
                         "SEX": pd.array(["F", None, "M"], dtype=text),
                         "SAFFL": ["Y", "", "Y"], "AGE": [61.0, 70.0, np.nan]})
    adlb = pd.DataFrame({"STUDYID": "CT071", "USUBJID": ["S1", "S1", "S2", "S3"],
                         "PARAMCD": ["ALT", "AST", "ALT", None],
                         "PARAM": ["ALT (U/L)", "AST (U/L)", "ALT (U/L)", None],
                         "AVAL": [1.0, 2.5, np.nan, 3.0], "AVALC": ["", "", "NEG", None],
                         "AVALU": pd.array(["U/L", "U/L", None, ""], dtype=text),
                         "ABLFL": ["Y", "", "Y", ""],
                         "ANRIND": ["LOW", "NORMAL", "", "HIGH"]})
    run = datetime(2025, 1, 1)
    write_adam({"ADSL": adsl, "ADLB": adlb}, tmp_path, study="CT071", version="1",
               protocol_hash="a", data_hash="b", run_date=run)
    want = define_xml({"ADSL": adsl, "ADLB": adlb}, study="CT071", version="1", created=run)
    assert (tmp_path / "define.xml").read_text(encoding="utf-8") == want
    assert "ALT (U/L)" in want and "NORMAL" in want
