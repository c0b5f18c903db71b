"""Table 14.6.1's analysis metadata (report.ars_dose) and its recomputation from ADaM by
tools/recompute_dose.py, on hand-worked data.

Outside references: counts by hand, the Clopper-Pearson limits in closed form (x = 0: upper
1 - (alpha/2)^(1/n); x = n: lower (alpha/2)^(1/n); x = 1, n = 2: 1 - sqrt(0.975) and
sqrt(0.975); Clopper & Pearson, Biometrika 1934;26:404-13) and medians by hand. The example's
table is recomputed cell by cell in tests/report/test_ars_recompute.py (RECOMPUTED).
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pandas as pd
import pytest

from cartrial.report.ars_dose import ALSO, dose_profile
from cartrial.report.ars_metadata import analysis_for
from cartrial.report.ars_specs import computed_ard
from cartrial.report.table import ReportTable

TOOL = Path(__file__).resolve().parents[2] / "tools" / "recompute_dose.py"


def _tool(name: str = "recompute_dose"):
    spec = importlib.util.spec_from_file_location(name, TOOL.with_name(f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _adam() -> dict[str, pd.DataFrame]:
    """Three infused patients at DL1 (S1-S3), one at DL2 (S4), one not infused (S5)."""
    trt = ["DL1 0.1 x10^6/kg"] * 3 + ["DL2 0.3 x10^6/kg", ""]
    adsl = pd.DataFrame({"USUBJID": ["S1", "S2", "S3", "S4", "S5"], "TRT01A": trt,
                         "SAFFL": ["Y", "Y", "Y", "Y", None], "TRT01AN": [1, 1, 1, 2, None],
                         "DLTEVLFL": ["Y", "Y", None, "Y", None],
                         "DLTFL": ["Y", None, None, None, None]})
    adae = pd.DataFrame({"USUBJID": ["S1", "S1", "S2", "S5"], "CRSFL": ["Y", "Y", None, "Y"],
                         "ICANSFL": [None, None, "Y", None], "ATOXGRN": [1, 2, 1, 3]})
    adrs = pd.DataFrame({"USUBJID": ["S1", "S2", "S3", "S4", "S1"],
                         "PARAMCD": ["CBOR"] * 4 + ["OVR"],
                         "AVALC": ["CR", "PR", "SD", "PR", "CR"]})
    adpp = pd.DataFrame({"USUBJID": ["S1", "S2", "S3", "S4", "S1"],
                         "PARCAT1": ["CARTCELL"] * 4 + ["CARTRNSG"],
                         "PPTESTCD": "CMAX", "AVAL": [10.0, 30.0, 20.0, 5.0, 999.0],
                         "AVALU": "cells/uL"})
    return {"ADSL": adsl, "ADAE": adae, "ADRS": adrs, "ADPP": adpp}


ROWS = {"Patients infused, n": ("3", "1"),
        "DLT, n/N (%) [CI]": ("1/2 (50%) [1.3, 98.7]", "0/1 (0%) [0.0, 97.5]"),
        "CRS grade >= 2, n/N (%) [CI]": ("1/3 (33%) [0.8, 90.6]", "0/1 (0%) [0.0, 97.5]"),
        "ICANS grade >= 2, n/N (%) [CI]": ("0/3 (0%) [0.0, 70.8]", "0/1 (0%) [0.0, 97.5]"),
        "Overall response (PR or better), n/N (%) [CI]": ("2/3 (67%) [9.4, 99.2]",
                                                          "1/1 (100%) [2.5, 100.0]"),
        "CR or better, n/N (%) [CI]": ("1/3 (33%) [0.8, 90.6]", "0/1 (0%) [0.0, 97.5]"),
        "CAR+ T-cell Cmax (cells/uL), median (min, max)": ("20 (10, 30); n=3", "5 (5, 5); n=1")}


def _table() -> ReportTable:
    cols = ["DL1 0.1 x10^6/kg", "DL2 0.3 x10^6/kg"]
    cells = pd.DataFrame([(r, c, v[j]) for r, v in ROWS.items() for j, c in enumerate(cols)],
                         columns=["row", "column", "value"])
    return ReportTable("14.6.1", "Dose-toxicity, dose-response and dose-exposure by dose level",
                       "Infused patients", cells)


def test_where_clauses_of_each_row():
    assert dose_profile("CRS grade >= 2, n/N (%) [CI]", 0, None, {}) == {
        "where": "CRSFL == 'Y' and ATOXGRN >= 2"}
    assert dose_profile("CR or better, n/N (%) [CI]", 0, None, {})["where"] == \
        "PARAMCD == 'CBOR' and AVALC in ['sCR', 'CR']"
    assert dose_profile("Something else", 0, None, {}) is None
    assert set(ALSO) == {"ADAE", "ADRS", "ADPP"}


def test_hand_worked_table_recomputed_by_the_tool():
    """By hand: DL1 has S1-S3 infused; DLT-evaluable S1, S2, DLT S1 (1/2); CRS grade >= 2 S1
    only (S5's grade 3 is outside the population); ICANS S2 grade 1 (0/3); response CR, PR,
    SD (2/3, CR or better 1/3); Cmax of CAR+ T cells 10, 30, 20 (median 20; S1's transgene
    Cmax is another analyte). DL2: S4 alone (PR, Cmax 5). Each displayed number equals the
    value computed from ADaM and the tool's recomputation; the limits equal the closed forms."""
    t = _table()
    adam = _adam()
    meta = analysis_for(t)
    assert meta["recomputable"] and meta["also"] == ALSO
    ard = computed_ard(t, adam, meta)
    assert (ard["value_source"] == "ADaM").all()
    tool, tables = _tool(), _tool("recompute_tables")
    assert tool.stacked_on_adsl(meta)
    data = tool.dose_data(adam, meta)
    for r in ard.to_dict("records"):
        got = tool.dose_stat(data, r)
        assert got == pytest.approx(r["value"], rel=1e-9, abs=1e-12), r
        assert tables.same(got, r), r  # the ARD value and, at the decimals shown, the cell
    ci = ard.set_index(["row", "column", "statistic"])["value"]
    dl1, dl2 = "DL1 0.1 x10^6/kg", "DL2 0.3 x10^6/kg"
    assert ci[("DLT, n/N (%) [CI]", dl1, "ci_low")] == pytest.approx(
        100 * (1 - math.sqrt(0.975)), rel=1e-9)
    assert ci[("DLT, n/N (%) [CI]", dl1, "ci_high")] == pytest.approx(
        100 * math.sqrt(0.975), rel=1e-9)
    assert ci[("ICANS grade >= 2, n/N (%) [CI]", dl1, "ci_high")] == pytest.approx(
        100 * (1 - 0.025 ** (1 / 3)), rel=1e-9)
    assert ci[("Overall response (PR or better), n/N (%) [CI]", dl2, "ci_low")] == \
        pytest.approx(100 * 0.025, rel=1e-9)
    assert ci[("CAR+ T-cell Cmax (cells/uL), median (min, max)", dl1, "median")] == 20.0
