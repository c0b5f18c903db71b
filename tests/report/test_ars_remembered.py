"""report.ars_query.remembered and the cell computations that read it (issue #18): a fit or
summary that several cells of a table read is computed once per analysis data.

Regression tests: every cell computed on one frame, cell after cell (fits remembered), must
give what the same computation gives on a fresh copy of the frame for each cell (nothing
remembered: the code before the change computed every cell afresh); and a table's ARS files
are the same bytes whether it is written alone or with the other tables.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cartrial.report.ars import write_ars
from cartrial.report.ars_counts import count_cell, summary_cell
from cartrial.report.ars_efficacy import incidence_values, survival_values
from cartrial.report.ars_query import remembered
from cartrial.report.ars_tte import km_values
from cartrial.report.table import ReportTable

KM = {"time": "AVALM", "event": "CNSR == 0", "confidence_level": 0.95,
      "ci_transform": "log-log"}
TEST = {"time": "AVAL", "event": "CNSR == 0", "group": "TRT01A", "order": "TRT01AN",
        "confidence_level": 0.95, "ci_transform": "log-log", "days_per_month": 30.4375}
GROUPS = ["", "TRT01A == 'DL1 x'", "TRT01A == 'DL2 y'", "TRT01A == 'DL3 z'"]


def _adtte(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 45
    dose = rng.integers(0, 3, n)
    rows = []
    for p in ("PFS", "OS"):
        aval = np.round(rng.exponential(200, n), 0) + 1
        rows.append(pd.DataFrame({
            "USUBJID": [f"S{i:02d}" for i in range(n)], "PARAMCD": p, "AVAL": aval,
            "AVALM": aval / 30.4375, "CNSR": rng.integers(0, 2, n),
            "EVNTDESC": np.where(rng.random(n) < 0.6, "Disease progression",
                                 "Death"),
            "TRT01A": np.array(["DL1 x", "DL2 y", "DL3 z"])[dose], "TRT01AN": dose + 1.0,
            "ATOXGRN": rng.integers(0, 5, n).astype(float)}))
    return pd.concat(rows, ignore_index=True)


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k]
        for k in a)


def test_remembered_computes_once_per_frame_and_key() -> None:
    d, e = pd.DataFrame({"X": [1, 2]}), pd.DataFrame({"X": [1, 2]})
    calls: list[str] = []

    def make(tag: str):  # noqa: ANN202
        return lambda: calls.append(tag) or tag

    assert [remembered(d, ("a",), make("a")) for _ in range(3)] == ["a"] * 3
    assert remembered(d, ("b",), make("b")) == "b"
    assert remembered(e, ("a",), make("a2")) == "a2"  # another frame: computed afresh
    assert calls == ["a", "b", "a2"]


@pytest.mark.parametrize("seed", range(3))
def test_cells_on_one_frame_equal_cells_on_fresh_frames(seed: int) -> None:
    data = _adtte(seed)
    cells = [(fn, g, w, *rest)
             for g in GROUPS for w in ("PARAMCD == 'PFS'", "PARAMCD == 'OS'")
             for fn, *rest in [
                 (km_values, math.nan, KM), (km_values, 6.0, KM), (km_values, 12.0, KM),
                 (survival_values, TEST, "DL1"), (survival_values, TEST, ""),
                 (incidence_values, TEST, "Disease progression", 6.0),
                 (incidence_values, TEST, "Death without progression", 6.0),
                 (summary_cell, "AVALM"), (summary_cell, "AVAL"),
                 (count_cell, "", ""), (count_cell, "", "3"), (count_cell, "ATOXGRN >= 0", "")]]
    for fn, g, w, *rest in cells + cells[::-1]:  # each asked twice, in both orders
        got = fn(data, g, w, *rest)
        assert _same(got, fn(data.copy(), g, w, *rest)), (fn.__name__, g, w, rest)


ADSL = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"], "ITTFL": ["Y"] * 3,
                     "SAFFL": ["Y", "Y", None], "TRT01A": ["DL1 0.1", "DL1 0.1", None],
                     "DCSREAS": [None, None, None], "DTHFL": [None, "Y", None]})


def _table(number: str, rows: list[str], values: list[str]) -> ReportTable:
    return ReportTable(number, "T", "Leukapheresed", pd.DataFrame(
        {"row": rows, "column": ["Overall (N=3)"] * len(rows), "value": values}))


def test_tables_written_together_equal_tables_written_alone(tmp_path) -> None:
    """Tables on alike analysis data are computed in turn, their files listed in report
    order, each the same bytes as when the table is written alone."""
    tables = [_table("14.1.1", ["Infused (safety population)", "Died"], ["2", "1"]),
              _table("14.2.2", ["Escalate if"], ["0"]),
              ReportTable("14.3.6", "Deaths", "Safety (infused)", pd.DataFrame(
                  {"row": ["All deaths"], "column": ["Overall (N=2)"], "value": ["1"]}))]
    (tmp_path / "all").mkdir()
    together = write_ars(tables, {"ADSL": ADSL}, tmp_path / "all")
    assert [p.name for p in together] == [
        "table_14_1_1.ard.json", "table_14_1_1.ard.csv", "table_14_2_2.ard.json",
        "table_14_2_2.ard.csv", "table_14_3_6.ard.json", "table_14_3_6.ard.csv"]
    for i, t in enumerate(tables):
        alone = tmp_path / f"alone{i}"
        alone.mkdir()
        for p in write_ars([t], {"ADSL": ADSL}, alone):
            assert p.read_bytes() == (tmp_path / "all" / p.name).read_bytes()


def test_tables_of_one_name_are_written_in_report_order(tmp_path) -> None:
    """Two tables with one file name (so one analysis, one sort key: written in report order
    by the stable sort): the later one's files are the ones left, as before."""
    first = _table("14.1.1", ["Infused (safety population)"], ["2"])
    second = ReportTable("14.1.1", "P", "Leukapheresed", pd.DataFrame(
        {"row": ["Texts"], "column": ["Overall (N=3)"], "value": ["shown"]}))
    (tmp_path / "alone").mkdir()
    write_ars([second], {"ADSL": ADSL}, tmp_path / "alone")
    paths = write_ars([first, second], {"ADSL": ADSL}, tmp_path)
    assert [p.name for p in paths] == ["table_14_1_1.ard.json", "table_14_1_1.ard.csv"] * 2
    for p in paths:
        assert p.read_bytes() == (tmp_path / "alone" / p.name).read_bytes()
