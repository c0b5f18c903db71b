"""CDISC Dataset-JSON v1.1 writer and reader (cartrial.data.dataset_json).

Outside references (tests/adam/data/PROVENANCE.md): the CDISC Dataset-JSON v1.1 JSON schema
and CDISC's own example ADSL (the CDISC pilot study) as Dataset-JSON and as XPT, from
github.com/cdisc-org/DataExchange-DatasetJson (MIT licence).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from typer.testing import CliRunner

from cartrial.adam import BatchedDataset
from cartrial.adam.write import adam_csv_text, write_adam
from cartrial.data.dataset_json import read_dataset_json, write_dataset_json
from cartrial.errors import InputError, RecordError
from tests.adam._analysed import RUN_DATE
from tests.adam._analysed import analysed as _analysed

DATA = Path(__file__).parent / "data"
SCHEMA = json.loads((DATA / "dataset-json-1.1.schema.json").read_text(encoding="utf-8"))
# the JSON type of each dataType (specification, "Supported Column Data Type Combinations")
JSON_TYPES = {"string": str, "integer": int, "double": (int, float), "float": (int, float),
              "boolean": bool, "date": str, "datetime": str, "decimal": str}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def _independent_read(path: Path) -> dict:
    """Reads a Dataset-JSON file with plain json and the specification's rules only (nothing of
    cartrial): every row as wide as the columns, each value null or of its dataType's JSON type,
    dates ISO 8601, text no longer than the column's length in bytes."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["datasetJSONVersion"].startswith("1.1")
    assert doc["records"] == len(doc["rows"])
    cols = doc["columns"]
    for row in doc["rows"]:
        assert len(row) == len(cols)
        for c, v in zip(cols, row, strict=True):
            if v is None:
                continue
            assert isinstance(v, JSON_TYPES[c["dataType"]]), (c["name"], v)
            if c["dataType"] == "string":
                assert len(v.encode("utf-8")) <= c["length"], (c["name"], v)
            if c.get("targetDataType") == "integer":
                pattern = ISO_DATE if c["dataType"] == "date" else ISO_DATETIME
                assert pattern.match(v), (c["name"], v)
    return doc


def _na_as_none(df: pd.DataFrame) -> pd.DataFrame:
    """Missing text (None, NaN, pd.NA) as None and nullable numbers as float, so that frames
    compare on values."""
    out = {}
    for c in df.columns:
        s = df[c]
        if not isinstance(s.dtype, np.dtype) and pd.api.types.is_numeric_dtype(s):
            out[c] = s.astype(float)
        elif not isinstance(s.dtype, np.dtype) or pd.api.types.is_object_dtype(s):
            out[c] = s.astype(object).where(s.notna(), None)
    return df.assign(**out)


def _schema_errors(docs: list[dict]) -> list:
    """The CDISC schema's errors over ``docs`` (the test is skipped without jsonschema, after
    the plain-json checks have run)."""
    jsonschema = pytest.importorskip("jsonschema")
    cls = jsonschema.validators.validator_for(SCHEMA)
    return [e for doc in docs for e in cls(SCHEMA).iter_errors(doc)]


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """The example trial analysed with ``adam_format="dataset-json"`` and its ADaM frames."""
    return _analysed(tmp_path_factory)


def test_every_adam_dataset_round_trips(analysed):
    adam, frames = analysed
    assert {"ADSL", "ADAE", "ADLB", "ADRS", "ADTTE"} <= set(frames)
    for name, df in frames.items():
        back, meta = read_dataset_json(adam / f"{name.lower()}.json")
        assert meta.name == name and meta.header["records"] == len(df)
        assert list(meta.labels) == list(df.columns)
        pd.testing.assert_frame_equal(_na_as_none(back), _na_as_none(df.reset_index(drop=True)),
                                      check_dtype=False)
        for c in df.columns:  # numbers stay numbers, dates stay dates, text stays text
            for test in (pd.api.types.is_datetime64_any_dtype, pd.api.types.is_float_dtype):
                assert test(back[c]) == test(df[c]), (name, c)
        # the same values as the CSV written beside it
        assert adam_csv_text(back) == (adam / f"{name.lower()}.csv").read_text(), name
        assert not (adam / f"{name.lower()}.xpt").exists()


def test_example_files_pass_the_cdisc_schema_and_an_independent_reader(analysed):
    adam, frames = analysed
    docs = []
    for name in frames:
        docs.append(doc := _independent_read(adam / f"{name.lower()}.json"))
        assert doc["datasetJSONCreationDateTime"] == "2025-06-01T12:00:00"
        adt = [c for c in doc["columns"] if c["name"] in ("ADT", "TRTSDT")]
        assert all(c["dataType"] == "date" and c["targetDataType"] == "integer" for c in adt)
    assert _schema_errors(docs) == []


def test_reader_agrees_with_cdisc_xpt_of_the_same_dataset():
    """CDISC's ADSL as Dataset-JSON, read here, equals CDISC's ADSL as XPT read by pyreadstat:
    values, dates, dataset and variable labels."""
    df, meta = read_dataset_json(DATA / "cdisc-adsl.json")
    xpt, xmeta = pyreadstat.read_xport(str(DATA / "cdisc-adsl.xpt"))
    assert list(df.columns) == list(xpt.columns) and len(df) == len(xpt) == 254
    assert meta.labels == xmeta.column_names_to_labels
    assert meta.label == "Subject-Level Analysis"
    for c in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            expect = pd.to_datetime(xpt[c])
            pd.testing.assert_series_equal(df[c], expect, check_names=False)
        elif pd.api.types.is_numeric_dtype(df[c]):
            np.testing.assert_allclose(df[c].to_numpy(float), xpt[c].to_numpy(float),
                                       rtol=1e-12, err_msg=c)
        else:
            assert df[c].fillna("").tolist() == xpt[c].tolist(), c
    assert df.loc[0, "RFSTDTC"] == "2014-01-02"  # SDTM text date stays text


def test_written_file_equals_the_specification_shape(tmp_path):
    """The specification's ADaM example: dates as ISO text, targetDataType integer, lengths in
    bytes, missing as null and empty text as ""."""
    df = pd.DataFrame({"USUBJID": ["01-701-1015", "01-701-1023"], "AGE": [63, 64],
                       "ASTDT": pd.to_datetime(["2014-01-03", None]),
                       "AVAL": [1.5, np.nan], "DTHFL": ["", None], "AETERM": ["é", "ab"]})
    path = tmp_path / "adae.json"
    write_dataset_json(df, path, name="ADAE", label="Adverse Events Analysis Dataset",
                       labels={"USUBJID": "Unique Subject Identifier"}, keys=["USUBJID"])
    doc = _independent_read(path)
    cols = {c["name"]: c for c in doc["columns"]}
    assert cols["USUBJID"] == {"itemOID": "IT.ADAE.USUBJID", "name": "USUBJID",
                               "label": "Unique Subject Identifier", "dataType": "string",
                               "length": 11, "keySequence": 1}
    assert cols["ASTDT"]["targetDataType"] == "integer" and cols["AETERM"]["length"] == 2
    assert doc["rows"][0] == ["01-701-1015", 63, "2014-01-03", 1.5, "", "é"]
    assert doc["rows"][1] == ["01-701-1023", 64, None, None, None, "ab"]
    assert doc["datasetJSONCreationDateTime"] == "1970-01-01T00:00:00"  # no clock
    assert _schema_errors([doc]) == []
    assert _schema_errors([{k: v for k, v in doc.items() if k != "label"}])  # not vacuous


def test_batches_give_the_bytes_of_the_whole_frame(tmp_path):
    """Regression test: a dataset written batch by batch (an all-missing batch of another dtype,
    integers in one batch and floats in another) has the bytes of its concatenated frame."""
    a = pd.DataFrame({"X": [1, 2], "T": [None, None], "D": pd.to_datetime(["2024-01-02"] * 2)})
    b = pd.DataFrame({"X": [0.5], "T": ["abc"], "D": pd.to_datetime(["2024-01-03"])})
    whole = pd.concat([a.astype({"X": float}), b], ignore_index=True)
    kw = {"name": "ADX", "label": "X", "labels": {}}
    write_dataset_json(lambda: iter([a, b]), tmp_path / "b.json", **kw)
    write_dataset_json(whole, tmp_path / "w.json", **kw)
    assert (tmp_path / "b.json").read_bytes() == (tmp_path / "w.json").read_bytes()
    write_dataset_json(whole, tmp_path / "w2.json", **kw)
    assert (tmp_path / "w2.json").read_bytes() == (tmp_path / "w.json").read_bytes()


def test_batched_adam_dataset_through_write_adam(tmp_path):
    """Regression test: write_adam's Dataset-JSON of a BatchedDataset equals that of its frame."""
    parts = [pd.DataFrame({"USUBJID": ["S-1"], "AVAL": [1.0]}),
             pd.DataFrame({"USUBJID": ["S-2"], "AVAL": [np.nan]})]
    batched = BatchedDataset(2, lambda: iter(parts))
    kw = {"study": "CT071", "version": "t", "protocol_hash": "p", "data_hash": "d",
          "run_date": RUN_DATE, "format": "dataset-json"}
    write_adam({"ADLB": batched}, tmp_path / "b", **kw)
    write_adam({"ADLB": batched.to_frame()}, tmp_path / "w", **kw)
    for f in ("adlb.json", "adlb.csv"):
        assert (tmp_path / "b" / f).read_bytes() == (tmp_path / "w" / f).read_bytes()


def test_values_json_cannot_hold_are_refused_with_their_record(tmp_path):
    df = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "LBSEQ": [1, 2], "AVAL": [1.0, np.inf],
                       "T": ["a", "b"]})
    with pytest.raises(RecordError) as e:
        write_dataset_json(df, tmp_path / "x.json", name="ADLB", label="x", labels={})
    assert (e.value.finding.usubjid, e.value.finding.seq, e.value.finding.variable) == (
        "S-2", 2, "AVAL")
    mixed = df.assign(AVAL=1.0, T=pd.Series(["a", 3], dtype=object))
    with pytest.raises(RecordError, match="text only"):
        write_dataset_json(mixed, tmp_path / "x.json", name="ADLB", label="x", labels={})
    zoned = df.assign(AVAL=1.0, ADT=pd.to_datetime(["2024-01-01"] * 2).tz_localize("UTC"))
    with pytest.raises(InputError, match="time zone"):
        write_dataset_json(zoned, tmp_path / "x.json", name="ADLB", label="x", labels={})
    fine = pd.DataFrame({"ADTM": pd.to_datetime(["2024-01-02 10:30:00.25", None])})
    write_dataset_json(fine, tmp_path / "f.json", name="ADX", label="x", labels={})
    pd.testing.assert_frame_equal(read_dataset_json(tmp_path / "f.json")[0], fine)
    with pytest.raises(InputError, match="format must be"):
        write_adam({}, tmp_path, study="s", version="v", protocol_hash="p", data_hash="d",
                   run_date=RUN_DATE, format="sas7bdat")


def test_reader_refuses_a_broken_file(tmp_path):
    p = tmp_path / "x.json"
    write_dataset_json(pd.DataFrame({"A": [1]}), p, name="X", label="x", labels={})
    doc = json.loads(p.read_text())
    doc["records"] = 2
    p.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="records is 2 but there are 1 rows"):
        read_dataset_json(p)
    p.write_text("{")
    with pytest.raises(InputError, match="cannot be read as JSON"):
        read_dataset_json(p)


def test_sdtm_example_as_dataset_json_from_the_cli(tmp_path):
    from cartrial.cli.main import app

    out = tmp_path / "sdtm"
    r = CliRunner().invoke(app, ["example", "ct071", "-p", "ct071", "--out", str(out),
                                 "--patients", "6", "--format", "dataset-json", "--json"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["example", "ct071", "-p", "ct071", "--out", str(out),
                                 "--format", "sas7bdat"])
    assert r.exit_code == 2
    write_csv = tmp_path / "csv"
    CliRunner().invoke(app, ["example", "ct071", "-p", "ct071", "--out", str(write_csv),
                             "--patients", "6"])
    docs = []
    for csv in sorted(write_csv.glob("*.csv")):
        df = pd.read_csv(csv, dtype=str, keep_default_na=False)
        docs.append(_independent_read(out / f"{csv.stem}.json"))
        back, meta = read_dataset_json(out / f"{csv.stem}.json")
        assert list(back.columns) == list(df.columns) and len(back) == len(df), csv.stem
        for c in [c for c in back.columns if back[c].dtype == "object"]:  # text as in the CSV
            assert back[c].fillna("").tolist() == df[c].tolist(), (csv.stem, c)
    dm = json.loads((out / "dm.json").read_text())
    assert {c["name"]: c["dataType"] for c in dm["columns"]}["RFSTDTC"] == "datetime"
    assert _schema_errors(docs) == []


def test_analyze_refuses_an_unknown_format_before_the_work(tmp_path):
    from cartrial.cli.main import app

    r = CliRunner().invoke(app, ["analyze", str(tmp_path), "-p", "ct071", "--out",
                                 str(tmp_path / "out"), "--format", "sas7bdat"])
    assert r.exit_code == 2 and "--format must be xpt or dataset-json" in r.output
    assert not (tmp_path / "out").exists()
