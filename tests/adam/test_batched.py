"""A BatchedDataset is written one batch at a time with the bytes of its concatenated frame:
CSV, XPT v5 and define.html, for the example trial's ADLB and for random batches."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cartrial.adam import (
    BatchedDataset,
    derive_adae,
    derive_adlb,
    variable_metadata,
    write_adam,
)
from cartrial.data.xport import XportV5Writer
from cartrial.errors import InputError
from cartrial.protocol import load_protocol
from tests.adam import test_adae_adlb

P = load_protocol("ct071")
example = test_adae_adlb.example  # the example trial's study and ADSL (a module fixture)
KW = {"study": "CT071", "version": "0", "protocol_hash": "p" * 64, "data_hash": "d" * 64,
      "run_date": datetime(2024, 5, 1, 12, 30)}


def batched(batches: list[pd.DataFrame]) -> BatchedDataset:
    return BatchedDataset(sum(map(len, batches)), lambda: iter(batches))


def written(datasets: dict, out: Path) -> dict[str, bytes]:
    """Every file write_adam leaves in ``out`` (a leftover spill directory would show)."""
    paths = write_adam(datasets, out, **KW)
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(files) == sorted(p.name for p in paths)
    return files


def assert_batched_equals_whole(datasets: dict, tmp: Path) -> dict[str, bytes]:
    whole = {n: d.to_frame() if isinstance(d, BatchedDataset) else d
             for n, d in datasets.items()}
    ours = written(datasets, tmp / "batched")
    assert ours == written(whole, tmp / "whole")
    pd.testing.assert_frame_equal(variable_metadata(datasets), variable_metadata(whole))
    return ours


# --- the example trial ---------------------------------------------------------------------------

@pytest.mark.parametrize("subjects", [1, 100])
def test_example_adlb_in_subject_batches_gives_the_whole_frame_files(example, subjects,
                                                                     tmp_path):
    """ADLB derived subject batch by subject batch (as a large trial is), written batched."""
    study, adsl = example
    lb = study["LB"]
    ids = sorted(lb["USUBJID"].unique())
    batches = [derive_adlb(lb[lb["USUBJID"].isin(ids[i:i + subjects])], adsl, P)
               for i in range(0, len(ids), subjects)]
    assert sum(map(len, batches)) == len(lb) and len(batches) == -(-len(ids) // subjects)
    ae = derive_adae(study["AE"], adsl, P)
    files = assert_batched_equals_whole(
        {"ADSL": adsl, "ADLB": batched(batches), "ADAE": batched([ae.iloc[:5], ae.iloc[5:]])},
        tmp_path)
    assert files["adlb.csv"].count(b"\n") == len(lb) + 1
    assert f"<td>{len(lb)}</td>".encode() in files["define.html"]


# --- random batches --------------------------------------------------------------------------

TEXT = st.text(alphabet=list('ab ,"\n\r;é日\u00a0'), max_size=6)
NUMBER = st.one_of(st.just(np.nan), st.integers(-10**6, 10**6).map(float),
                   st.floats(-1e9, 1e9, allow_nan=False))
DATE = st.one_of(st.none(), st.dates(date(1900, 1, 1), date(2100, 12, 31)))
# text, numbers and dates; ANL01FL is a text column that may be all "" in a batch
COLUMNS = {"USUBJID": TEXT, "PARAMCD": TEXT, "AVAL": NUMBER, "BASE": NUMBER, "ADT": DATE,
           "ANL01FL": st.sampled_from(["Y", ""])}


@st.composite
def batch(draw, n: int) -> pd.DataFrame:
    """One batch; a column may be all missing in it, also with another dtype (float NaN, None,
    NaT), and a number column without NaN may come as int64."""
    cols = {}
    for c, values in COLUMNS.items():
        cols[c] = s = pd.Series(draw(st.lists(values, min_size=n, max_size=n)), dtype=object)
        if c in ("AVAL", "BASE"):
            cols[c] = s.astype(float)
            if n and draw(st.booleans()) and not cols[c].isna().any() and (
                    cols[c] == cols[c].round()).all():
                cols[c] = cols[c].astype(np.int64)
        elif c == "ADT":
            cols[c] = pd.Series(pd.to_datetime(s), dtype="datetime64[ns]")
        missing = draw(st.sampled_from([None, None, None, "empty", "nan", "none", "nat"]))
        if c == "ANL01FL" and missing == "empty":
            cols[c] = pd.Series([""] * n, dtype=object)
        elif missing in ("nan", "none", "nat"):
            cols[c] = pd.Series({"nan": np.nan, "none": None, "nat": pd.NaT}[missing],
                                index=range(n), dtype={"nan": float, "none": object,
                                                       "nat": "datetime64[ns]"}[missing])
    return pd.DataFrame(cols)


@st.composite
def batches(draw) -> list[pd.DataFrame]:
    return [draw(batch(n)) for n in draw(st.lists(st.integers(0, 6), min_size=1, max_size=5))]


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(parts=batches())
def test_random_batches_give_the_concatenated_frame_files(parts, tmp_path_factory):
    """Text with quotes, commas, line breaks and non-ASCII; NaN, whole and fractional numbers
    (float64 or int64); NaT; empty batches; all-missing columns, also of another dtype."""
    assert_batched_equals_whole({"ADLB": batched(parts)}, tmp_path_factory.mktemp("w"))


def test_an_all_missing_batch_takes_the_kind_of_the_others(tmp_path):
    """float NaN in a text and a date column, None in a number column, "" in a text column."""
    full = pd.DataFrame({"PARAMCD": ["ALT", "AST"], "ADT": pd.to_datetime(["2024-01-02", None]),
                         "AVAL": [1.5, 2.0], "ANL01FL": ["Y", ""]})
    gaps = pd.DataFrame({"PARAMCD": [np.nan] * 3, "ADT": [np.nan] * 3, "AVAL": [None] * 3,
                         "ANL01FL": [""] * 3})
    files = assert_batched_equals_whole({"ADLB": batched([gaps, full, gaps])}, tmp_path)
    meta = variable_metadata({"ADLB": batched([gaps, full, gaps])}).set_index("VARIABLE")
    assert meta["TYPE"].to_dict() == {"PARAMCD": "text", "ADT": "date", "AVAL": "num",
                                      "ANL01FL": "text"}
    assert meta["N_MISSING"].to_dict() == {"PARAMCD": 6, "ADT": 7, "AVAL": 6, "ANL01FL": 7}
    assert meta["EXAMPLE"].to_dict() == {"PARAMCD": "ALT", "ADT": "2024-01-02", "AVAL": "1.5",
                                         "ANL01FL": "Y"}
    assert files["adlb.csv"].decode().splitlines()[3:7] == [",,,", "ALT,2024-01-02,1.5,Y",
                                                            "AST,,2,", ",,,"]
    whole = batched([gaps, full, gaps]).to_frame()
    assert whole.dtypes.astype(str).tolist() == ["object", "datetime64[ns]", "float64", "object"]


def test_int_then_float_batches_give_the_float_example(tmp_path):
    """The example is the value in the concatenated dtype: 3.0 (float64), not 3 (int64)."""
    parts = [pd.DataFrame({"AVAL": [3, 4]}), pd.DataFrame({"AVAL": [np.nan, 0.5]})]
    meta = variable_metadata({"ADLB": batched(parts)})
    assert meta["EXAMPLE"].tolist() == ["3.0"]
    assert_batched_equals_whole({"ADLB": batched(parts)}, tmp_path)


def test_batches_widening_a_text_column_give_the_whole_frame_files(tmp_path, monkeypatch):
    """The XPT's records are written as the batches come, with the text widths known so far: a
    later, wider batch (and a batch deciding a column all missing until then) starts a stretch
    of its own; the stretches are joined with the whole frame's bytes."""
    joined = []
    append = XportV5Writer.append_file
    monkeypatch.setattr(XportV5Writer, "append_file",
                        lambda self, path, **kw: joined.append(kw["n_rows"]) or append(
                            self, path, **kw))
    narrow = pd.DataFrame({"PARAMCD": ["ALT", "AST"], "AVAL": [1.0, np.nan],
                           "ANL01FL": [np.nan, np.nan]})
    wide = pd.DataFrame({"PARAMCD": ["BILIRUBIN"], "AVAL": [2.0], "ANL01FL": ["Y"]})
    assert_batched_equals_whole({"ADLB": batched([narrow, narrow, wide, narrow])}, tmp_path)
    assert joined == [4, 3]  # the two first batches, then the wide batch and the last
    joined.clear()
    assert_batched_equals_whole({"ADLB": batched([wide, narrow, narrow])}, tmp_path / "b")
    assert joined == []  # one stretch: the file as written


def test_a_time_zone_on_a_batch_without_values_is_no_problem(tmp_path):
    """All NaT with a time zone in one batch beside naive dates: the dates of the whole frame;
    dates with a time zone are refused (the XPT not written)."""
    zoned = GOOD.assign(ADT=pd.Series([pd.NaT], dtype="datetime64[ns, UTC]"))
    assert_batched_equals_whole({"ADLB": batched([zoned, GOOD, zoned])}, tmp_path)
    dated = GOOD.assign(ADT=GOOD["ADT"].dt.tz_localize("UTC"))
    assert_refused([GOOD.assign(ADT=pd.NaT), dated, GOOD.assign(ADT=pd.NaT)], tmp_path / "z",
                   r"ADT: dates with a time zone \(datetime64\[ns, UTC\]\) cannot be SAS dates")
    assert not (tmp_path / "z" / "adlb.xpt").exists()


# --- refusals, and no spill directory left behind -------------------------------------------------

GOOD = pd.DataFrame({"PARAMCD": ["ALT"], "AVAL": [1.0], "ADT": pd.to_datetime(["2024-01-02"])})


def assert_refused(parts: list[pd.DataFrame], tmp: Path, message: str,
                   n_rows: int | None = None) -> None:
    data = batched(parts) if n_rows is None else BatchedDataset(n_rows, lambda: iter(parts))
    with pytest.raises(InputError, match=message):
        write_adam({"ADLB": data}, tmp, **KW)
    assert not list(tmp.glob(".*")), "the spill directory is removed"


def test_kind_mismatch_names_the_dataset_column_and_kinds(tmp_path):
    bad = GOOD.assign(AVAL=["1.0"])
    assert_refused([GOOD, GOOD, bad], tmp_path,
                   "ADLB: column 'AVAL' is num in batch 0 but text in batch 2")
    assert not (tmp_path / "adlb.csv").exists() and not (tmp_path / "adlb.xpt").exists()
    assert_refused([GOOD, GOOD.assign(ADT=["2024-01-02"])], tmp_path,
                   "column 'ADT' is date in batch 0 but text in batch 1")
    assert_refused([GOOD, GOOD.assign(PARAMCD=[True])], tmp_path,
                   "column 'PARAMCD' is text in batch 0 but bool in batch 1")
    assert_refused([GOOD, GOOD[["AVAL", "PARAMCD", "ADT"]]], tmp_path,
                   r"batch 1 has the columns \['AVAL', 'PARAMCD', 'ADT'\]")


def test_xpt_limits_are_counted_over_all_batches(tmp_path):
    """A value over 200 bytes or a time of day in a later batch is refused, counted over all
    rows as for the whole frame; the XPT is not written."""
    long = GOOD.assign(PARAMCD=["é" * 101])
    timed = GOOD.assign(ADT=pd.to_datetime(["2024-01-03 10:30"]))
    assert_refused([GOOD, long, GOOD, long, timed, timed], tmp_path,
                   r"ADLB: cannot be written as XPT v5: PARAMCD: 2 value\(s\) over 200 bytes")
    assert_refused([GOOD, timed, timed.assign(ADT=pd.to_datetime(["2024-01-04 01:00"]))],
                   tmp_path, r"ADT: 2 date\(s\) with a time of day \(first 2024-01-03 10:30:00\)")
    assert not (tmp_path / "adlb.xpt").exists()
    with pytest.raises(InputError) as whole:
        write_adam({"ADLB": pd.concat([GOOD, long, timed, long])}, tmp_path / "w", **KW)
    with pytest.raises(InputError) as parts:
        write_adam({"ADLB": batched([GOOD, long, timed, long])}, tmp_path / "b", **KW)
    assert str(parts.value) == str(whole.value)


def test_spill_directory_is_removed_after_an_error_in_the_batches(tmp_path):
    def make():
        yield GOOD
        yield GOOD
        raise RuntimeError("the derivation failed")

    with pytest.raises(RuntimeError, match="derivation failed"):
        write_adam({"ADLB": BatchedDataset(3, make)}, tmp_path, **KW)
    assert list(tmp_path.iterdir()) == []


def test_declared_rows_and_at_least_one_batch(tmp_path):
    assert_refused([GOOD, GOOD], tmp_path, "the batches have 2 rows, the dataset declares 3",
                   n_rows=3)
    assert_refused([], tmp_path, "needs at least one batch", n_rows=0)
    with pytest.raises(InputError, match="at least one batch"):
        batched([]).to_frame()


def test_batched_dataset_can_be_read_twice():
    data = BatchedDataset(3, lambda: (GOOD for _ in range(3)))
    assert len(data) == 3
    assert [len(b) for b in data.batches()] == [1, 1, 1] == [len(b) for b in data.batches()]
    pd.testing.assert_frame_equal(data.to_frame(), pd.concat([GOOD] * 3, ignore_index=True))
