"""The ARS writer on small hand-made frames: metadata and ARD files, deterministic bytes, clear
errors. Counts are checked against hand counts of the frames; the parser tests are regression
tests of the report's own cell formats."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cartrial.errors import InputError
from cartrial.report.ars import parse_cell, write_ars
from cartrial.report.table import ReportTable

ADSL = pd.DataFrame({
    "USUBJID": ["S1", "S2", "S3", "S4"], "ITTFL": ["Y"] * 4, "SAFFL": ["Y", "Y", "Y", None],
    "TRT01A": ["DL1 0.1", "DL1 0.1", "DL2 0.3", None], "DLTEVLFL": ["Y", "Y", "Y", None],
    "EFFFL": ["Y", "Y", None, None], "PPCLFL": [None] * 4, "POPCD": ["RRMM"] * 4,
    "EOSSTT": ["ONGOING", "DISCONTINUED", "ONGOING", "DISCONTINUED"],
    "DCSREAS": [None, "DEATH", None, "MANUFACTURING FAILURE"], "DTHFL": [None, "Y", None, None]})


def _populations() -> ReportTable:
    rows = [("Infused (safety population)", 0), ("Efficacy-evaluable", 0),
            ("Discontinued from study", 0), ("Death", 1), ("Manufacturing failure", 1)]
    vals = {"Infused (safety population)": ["2", "1", "0", "3"],
            "Efficacy-evaluable": ["2", "0", "0", "2"],
            "Discontinued from study": ["1", "0", "1", "2"], "Death": ["1", "0", "0", "1"],
            "Manufacturing failure": ["0", "0", "1", "1"]}
    cols = ["DL1 (N=2)", "DL2 (N=1)", "Not infused (N=1)", "Overall (N=4)"]
    cells = [(r, c, vals[r][i], ind) for r, ind in rows for i, c in enumerate(cols)]
    return ReportTable("14.1.1", "Analysis populations and disposition", "Leukapheresed",
                       pd.DataFrame(cells, columns=["row", "column", "value", "indent"]))


@pytest.mark.parametrize(("text", "stats"), [
    ("0", [("n", "0")]),
    ("12 (85.7%)", [("n", "12"), ("pct", "85.7")]),
    ("0 [0.0, 84.2]", [("n", "0"), ("ci_low", "0.0"), ("ci_high", "84.2")]),
    ("1 (25.0%) [0.6, 80.6] of 4", [("n", "1"), ("pct", "25.0"), ("ci_low", "0.6"),
                                    ("ci_high", "80.6"), ("denominator", "4")]),
    ("151.10 [30.1-1,330.0] (4)", [("median", "151.10"), ("min", "30.1"),
                                   ("max", "1,330.0"), ("n", "4")]),
    ("3.0 (1.0-6.0)", [("median", "3.0"), ("min", "1.0"), ("max", "6.0")]),
    ("21,296.4 (40.6%)", [("geo_mean", "21,296.4"), ("geo_cv_pct", "40.6")]),
    ("0.22 (0.388)", [("estimate", "0.22"), ("in_parentheses", "0.388")]),
    ("54\u201367", [("min", "54"), ("max", "67")]),
    ("DEATH", [("text", "DEATH")]),
])
def test_parse_cell(text, stats):
    """Regression: the report's cell formats name their statistics."""
    assert parse_cell(text) == stats


def test_quartiles_are_not_a_confidence_interval():
    assert parse_cell("60.0 (54.8, 65.5)", "Median (Q1, Q3)") == [
        ("median", "60.0"), ("q1", "54.8"), ("q3", "65.5")]
    assert parse_cell("12.1 (8.3, 17.0)", "PFS, median (95% CI)")[1][0] == "ci_low"
    assert parse_cell("60.3 (6.70)", "Mean (SD)") == [("mean", "60.3"), ("sd", "6.70")]


def test_population_counts_from_adsl(tmp_path):
    """Hand counts of ADSL above: every cell's n from the ADSL flags and the dose group."""
    write_ars([_populations()], {"ADSL": ADSL}, tmp_path)
    doc = json.loads((tmp_path / "table_14_1_1.ard.json").read_text(encoding="utf-8"))
    assert doc["analysis"]["population"] == "ADSL.ITTFL == 'Y'"
    assert doc["analysis"]["recomputable"] and doc["analysis"]["rows_not_recomputed"] == []
    res = doc["results"]
    assert all(r["value_source"] == "ADaM" and r["value"] == float(r["shown"]) for r in res)
    by = {(r["row"], r["column"]): r for r in res}
    assert by[("Death", "DL1 (N=2)")]["where"] == "DCSREAS == 'DEATH'"
    assert by[("Manufacturing failure", "Not infused (N=1)")]["group"] == (
        "TRT01A.fillna('') == ''")


def test_files_are_byte_identical(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    pa = write_ars([_populations()], {"ADSL": ADSL}, a)
    pb = write_ars([_populations()], {"ADSL": ADSL}, b)
    assert [p.read_bytes() for p in pa] == [p.read_bytes() for p in pb]


def test_unknown_table_is_refused(tmp_path):
    t = ReportTable("14.9.9", "New", "All", pd.DataFrame(
        {"row": ["a"], "column": ["c"], "value": ["1"]}))
    with pytest.raises(InputError, match=r"table 14\.9\.9: no analysis metadata"):
        write_ars([t], {"ADSL": ADSL}, tmp_path)


def test_column_without_dose_in_adsl_is_refused(tmp_path):
    t = ReportTable("14.1.1", "P", "L", pd.DataFrame(
        {"row": ["Efficacy-evaluable"], "column": ["DL7 (N=0)"], "value": ["0"]}))
    with pytest.raises(InputError, match=r"column 'DL7 \(N=0\)' matches 0 values of "
                                         r"ADSL\.TRT01A"):
        write_ars([t], {"ADSL": ADSL}, tmp_path)


def test_a_cell_on_a_variable_not_derived_is_recorded_as_displayed(tmp_path):
    """A run whose safety engine refused the data has no ADSL DLTEVLFL: a cell reading it is
    recorded as shown (value_source "displayed", named under rows_not_recomputed), not
    recomputed from a variable that is not there (it stopped the run with pandas'
    UndefinedVariableError before)."""
    t = ReportTable("14.1.1", "P", "L", pd.DataFrame(
        {"row": ["DLT-evaluable", "Efficacy-evaluable"], "column": ["DL1 (N=2)"] * 2,
         "value": ["2", "2"]}))
    write_ars([t], {"ADSL": ADSL.drop(columns="DLTEVLFL")}, tmp_path)
    doc = json.loads((tmp_path / "table_14_1_1.ard.json").read_text(encoding="utf-8"))
    by = {r["row"]: r for r in doc["results"]}
    assert by["DLT-evaluable"]["value_source"] == "displayed"
    assert by["DLT-evaluable"]["where"] == ""
    assert by["Efficacy-evaluable"]["value_source"] == "ADaM"
    assert doc["analysis"]["rows_not_recomputed"] == ["DLT-evaluable"]


def test_freed_pages_handed_back_before_each_analysis_data(tmp_path, monkeypatch):
    """Issue #18 (memory): before a table's analysis data are made (not when the table reads
    the frame of the one before), the heap's freed pages are handed back; the files are the
    same."""
    import cartrial.report.ars as ars

    calls = []
    monkeypatch.setattr(ars, "release_freed_memory", lambda: calls.append(1))
    write_ars([_populations(), _populations()], {"ADSL": ADSL}, tmp_path)
    assert calls == [1]  # the second table reads the first one's analysis data
