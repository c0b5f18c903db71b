"""report.ars_specs: a table's analysis data hold the variables its cells read (issue #18).

The analysis data of a table are the population joined with the dataset's records; at
10,000 patients, every ADSL variable joined onto every ADPP record was most of the memory of
writing the analysis results. Regression tests: the analysis data of the variables read are
the whole analysis data's columns of those variables (the same records, values, types and
index), on every table of the example; and the cells computed on them are the cells computed
on the whole frame.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cartrial.report.ars_clause import clause_names
from cartrial.report.ars_metadata import analysis_for
from cartrial.report.ars_specs import analysis_data, ard_records, variables, variables_read
from cartrial.report.table import ReportTable

ADSL = pd.DataFrame({"USUBJID": ["1", "2", "3", "4"], "SAFFL": ["Y", "Y", "Y", None],
                     "TRT01A": ["DL1 a", "DL1 a", "DL2 b", None], "AGE": [50, 61, 72, 45],
                     "AVAL": [9.0, 9.0, 9.0, 9.0]})  # a name the datasets also hold
ADAE = pd.DataFrame({"USUBJID": ["1", "1", "3", "4", "9"],
                     "TRTEMFL": ["Y", "Y", None, "Y", "Y"], "CRSFL": ["Y", None, "Y", "Y", "Y"],
                     "AEBODSYS": ["Immune", "General", "Immune", "Immune", "Immune"],
                     "AEDECOD": ["CRS", "Fever", "CRS", "CRS", "CRS"],
                     "ATOXGRN": [2.0, 1.0, 3.0, 4.0, 1.0], "AVAL": [1.0, 2.0, 3.0, 4.0, 5.0]})
ADSYND = pd.DataFrame({"USUBJID": ["1", "3", "4"], "PARCAT1": ["CRS", "CRS", "ICANS"],
                       "PARAMCD": ["CRSDURDY", "CRSDURDY", "ICNDURDY"],
                       "AVAL": [3.0, 6.0, 2.0], "EPISODE": [1, 1, 1]})
DS = {"ADSL": ADSL, "ADAE": ADAE, "ADSYND": ADSYND}


def _same_frame(few: pd.DataFrame, whole: pd.DataFrame) -> None:
    assert list(few.columns) == [c for c in whole.columns if c in set(few.columns)]
    pd.testing.assert_frame_equal(few, whole[list(few.columns)])


@pytest.mark.parametrize("meta", [
    {"datasets": ["ADSL"], "population": "ADSL.SAFFL == 'Y'", "where": ""},
    {"datasets": ["ADSL"], "population": "", "where": ""},
    {"datasets": ["ADAE"], "population": "ADSL.SAFFL == 'Y'", "where": "TRTEMFL == 'Y'"},
    {"datasets": ["ADAE"], "population": "", "where": ""},
    {"datasets": ["ADAE", "ADSYND"], "population": "ADSL.SAFFL == 'Y'", "where": "CRSFL == 'Y'",
     "also": {"ADSYND": "PARCAT1 == 'CRS'"}},
    {"datasets": ["ADSL", "ADAE"], "population": "ADSL.SAFFL == 'Y'", "where": "",
     "also": {"ADAE": "CRSFL == 'Y'"}},
    {"datasets": ["ADSYND", "ADAE"], "population": "ADSL.SAFFL == 'Y'", "where": "",
     "derived": {"CRSMAX": {"dataset": "ADAE", "where": "CRSFL == 'Y'",
                            "variable": "ATOXGRN", "function": "max", "missing": 0}}}])
@pytest.mark.parametrize("columns", [{"AVAL"}, {"TRT01A", "ATOXGRN"}, {"AGE", "PARAMCD"},
                                     {"CRSMAX", "EPISODE", "NOTHERE"}, set()])
def test_the_variables_kept_are_those_of_the_whole_analysis_data(meta, columns) -> None:
    """Regression test: restricted to some variables, the analysis data are the whole
    analysis data's columns of those variables (USUBJID, the derived ones always): ADSL's
    AVAL stays ADSL's where ADSL holds it, the datasets' records as they are joined and
    stacked."""
    whole = analysis_data(DS, meta)
    few = analysis_data(DS, meta, columns)
    assert set(few.columns) == (set(whole.columns) & (columns | {"USUBJID"})) | set(
        meta.get("derived", {}))
    _same_frame(few, whole)
    assert set(whole.columns) == variables(DS, meta)


def test_variables_read_by_the_cells() -> None:
    cells = [({"where": "AEDECOD == 'CRS'", "denominator_where": "SAFFL == 'Y'"},
              "TRT01A == 'DL1 a'", ""),
             ({"where": "PARAMCD == 'CRSDURDY'", "variable": "AVAL"}, "", ""),
             ({"where": "CRSFL == 'Y'"}, "", "grade 3"),  # the worst grade: ATOXGRN
             ({"where": "TRTEMFL == 'Y'", "compute": len, "reads": frozenset({"AGE"})}, "",
              "")]
    assert variables_read(cells) == {"USUBJID", "AEDECOD", "SAFFL", "TRT01A", "PARAMCD",
                                     "AVAL", "CRSFL", "ATOXGRN", "TRTEMFL", "AGE"}
    assert variables_read([({"where": "CRSFL == 'Y'"}, "", "grade >= 3")]) == {
        "USUBJID", "CRSFL", "ATOXGRN"}


@pytest.mark.parametrize("cell", [{"where": "AVAL > 1", "compute": len},  # reads not named
                                  {"where": "AVAL > 1", "compute": len, "reads": None},
                                  {"where": "AVAL > @limit"}])  # not Python: pandas' own
def test_variables_read_are_not_known(cell) -> None:
    assert variables_read([({"where": "SAFFL == 'Y'"}, "", ""), (cell, "", "")]) is None


def _teae(rows: list[str], number: str = "14.3.1") -> ReportTable:
    return ReportTable(number, "TEAE", "Safety", pd.DataFrame(
        {"row": rows, "column": ["DL1 (N=2)"] * len(rows), "value": ["1 (50.0%)"] * len(rows),
         "indent": [int(r == "CRS") for r in rows]}))


def test_a_table_reads_a_frame_of_the_variables_its_cells_read() -> None:
    """The frame of a table holds what its cells read; a table on the same data reading no
    more reuses it, one reading more gets a frame of its own in its place."""
    frames: dict = {}
    meta = analysis_for(_teae(["Any TEAE"]))
    ard_records(_teae(["Any TEAE"]), DS, meta, frames=frames)
    (held, data), = frames.values()
    assert held == {"USUBJID", "TRT01A", "TRTEMFL"} and set(data.columns) == held
    ard_records(_teae(["Any TEAE"], "14.3.1.1"), DS, analysis_for(_teae([], "14.3.1.1")),
                frames=frames)
    assert frames[next(iter(frames))][1] is data  # nothing more read: the same frame
    ard_records(_teae(["Immune", "CRS"]), DS, meta, frames=frames)
    (held, data), = frames.values()
    assert held == {"USUBJID", "TRT01A", "AEBODSYS", "AEDECOD"} == set(data.columns)


def test_a_cell_of_a_variable_not_produced_is_still_shown_as_displayed() -> None:
    """The absent-variable check reads the whole analysis data's variables, not the frame of
    the variables read."""
    ds = {**DS, "ADAE": ADAE.drop(columns="AEBODSYS")}  # not produced in this run
    recs = ard_records(_teae(["Any TEAE", "Immune"]), ds, analysis_for(_teae([])))
    assert [r["value_source"] for r in recs] == ["ADaM", "ADaM", "displayed", "displayed"]
    assert recs[0]["value"] == 1.0  # of DL1's two patients, 1 has a TEAE


def _adtte(n: int = 40) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(7)
    ids = [f"S{i:02d}" for i in range(n)]
    dose = rng.integers(0, 2, n)
    adsl = pd.DataFrame({"USUBJID": ids, "ITTFL": "Y", "SAFFL": "Y",
                         "TRT01A": np.array(["DL1 a", "DL2 b"])[dose], "TRT01AN": dose + 1.0,
                         **{f"X{k}": rng.random(n) for k in range(20)}})  # not read
    parts = []
    for p in ("PFS", "OS"):
        aval = np.round(rng.exponential(200, n), 0) + 1
        parts.append(pd.DataFrame({
            "USUBJID": ids, "PARAMCD": p, "AVAL": aval, "AVALM": aval / 30.4375,
            "CNSR": rng.integers(0, 2, n), "EVNTDESC": np.where(
                rng.random(n) < 0.6, "Disease progression", "Death"),
            **{f"Y{k}": rng.random(n) for k in range(10)}}))
    return {"ADSL": adsl, "ADTTE": pd.concat(parts, ignore_index=True)}


def _same_records(a: list[dict], b: list[dict]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.keys() == y.keys()
        assert all(x[k] == y[k] or (x[k] != x[k] and y[k] != y[k]) for k in x), (x, y)


@pytest.mark.parametrize(("number", "rows", "settings"), [
    ("14.4.3", {"PFS: patients": "1", "PFS: events / censored": "1 / 1",
                "PFS: median (95% CI), months": "1.0 (1.0, 1.0)",
                "PFS: median (min-max), months": "1.0 (1.0-1.0)",
                "OS: event-free at 6 months (95% CI)": "1.0% (1.0, 1.0)"}, {}),
    ("14.4.4", {"PFS: log-rank test across dose levels": "chi-square 1.0, 1 df, p = 1.0",
                "OS: hazard ratio vs DL1 (95% CI)": "1.0 (1.0, 1.0)",
                "Median follow-up (reverse Kaplan-Meier, OS), months (95% CI)":
                    "1.0 (1.0, 1.0)",
                "Disease progression: cumulative incidence at 6 months, % (95% CI)":
                    "1.0% (1.0, 1.0)"},
     {"test": {"confidence_level": 0.95, "ci_transform": "log-log",
               "days_per_month": 30.4375}})])
def test_computed_cells_read_the_variables_they_name(number, rows, settings) -> None:
    """Regression test: the Kaplan-Meier, log-rank, Cox, follow-up and cumulative incidence
    cells (``compute``, with the variables they read named) give on the frame of the
    variables read what they give on the whole analysis data."""
    from cartrial.report.ars_specs import data_key

    ds = _adtte()
    cols = ["DL1 (N=20)", "DL2 (N=20)", "Overall (N=40)"]
    t = ReportTable(number, "TTE", "ITT", pd.DataFrame(
        {"row": [r for r in rows for _ in cols], "column": cols * len(rows),
         "value": [v for v in rows.values() for _ in cols]}),
        footnotes=("Median with 95% CI by Brookmeyer-Crowley, log-log transform.",),
        analysis=settings)
    meta = analysis_for(t)
    frames: dict = {}
    few = ard_records(t, ds, meta, frames=frames)
    (held, data), = frames.values()
    assert held is not None and not {"X0", "Y0"} & set(data.columns)
    whole = ard_records(t, ds, meta, frames={data_key(meta): (None, analysis_data(ds, meta))})
    computed = {r["row"] for r in whole if r["value_source"] == "ADaM" and r["value"] == r["value"]}
    assert computed == set(rows)
    _same_records(few, whole)


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> tuple[dict, list[dict]]:
    from tests.report._pipeline import analysed

    out = analysed(tmp_path_factory).out
    ds = {p.stem.upper(): pd.read_csv(p, keep_default_na=False, na_values=[""],
                                      low_memory=False) for p in sorted((out / "adam").glob(
                                          "*.csv"))}
    docs = [json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((out / "tables").glob("*.ard.json"))]
    return ds, [d for d in docs if d["analysis"]["recomputable"]]


def test_every_example_table_reads_its_analysis_data_restricted(example) -> None:
    """Regression test: for every table of the example described cell by cell, the analysis
    data of the variables its results read (groups, where-clauses, variables summarised,
    the worst grade; the computed cells' own variables: those the metadata's settings name)
    are the whole analysis data's columns of them."""
    ds, docs = example
    assert len(docs) >= 25
    for doc in docs:
        meta = doc["analysis"]
        read = {"USUBJID", "ATOXGRN", "CNSR", "EVNTDESC", "CRSMAX", "AVAL"}
        for r in doc["results"]:
            for clause in (r["group"], r["where"], r["denominator_where"]):
                read |= clause_names(clause) if clause else set()
            read |= {r["variable"]} - {""}
        for setting in (meta.get("km") or {}, meta.get("test") or {}):
            read |= {v for k, v in setting.items() if k in ("time", "group", "order")}
        whole = analysis_data(ds, meta)
        _same_frame(analysis_data(ds, meta, read), whole)


@pytest.mark.parametrize("values", [["DL1 a", None, "DL1 a", "DL2 b", ""],
                                    [1, 1.0, True, None, "1"], [np.nan, np.nan], []])
def test_texts_of_a_column_are_the_set_of_its_records_texts(values):
    """Regression test (issue #18: CPU): the distinct texts of a column (texts taken once per
    distinct value) are the texts of every record not missing; values equal in Python but
    written differently (1, 1.0, True) stay apart."""
    from cartrial.report.ars_specs import _texts

    for col in (pd.Series(values, dtype=object), pd.Series(values, dtype=object).astype(
            "category")):
        assert _texts(col) == set(col.dropna().astype(str))


def test_variables_of_held_datasets_read_without_decoding() -> None:
    """Regression test: the variables of held ADaM datasets (adam.HeldDatasets) are those of
    the frames, and reading them decodes no dataset."""
    import pandas as pd

    from cartrial.adam.held_datasets import HeldDatasets
    from cartrial.report.ars_specs import variables

    frames = {"ADSL": pd.DataFrame({"USUBJID": ["S1"], "SAFFL": ["Y"]}),
              "ADRS": pd.DataFrame({"USUBJID": ["S1"] * 10_000, "AVALC": ["CR"] * 10_000})}
    held = HeldDatasets(frames)
    assert variables(held, {"datasets": ["ADRS"]}) == variables(frames, {"datasets": ["ADRS"]})
    assert held._last is None  # no dataset decoded (reading one keeps it there:)
    assert held["ADRS"] is held._last
