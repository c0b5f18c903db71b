"""Values rounded to a precision declared per parameter (issue #16 point 4).

The convention is the default of the junco R package (Johnson & Johnson, CRAN), vignette
"Formatting tools to simplify adjustment of decimal precision", whose table reads, with X the
decimals to which the individual values are captured or derived:

    individual values X; mean X+1; SD or SE X+2; median X+1; min, max X.

That table is transcribed below as the outside reference; the declared precisions are the ones
the issue asks for (CAR+ T cells/uL 1 decimal, cytokines pg/mL 1 decimal, percentages 1
decimal, ages whole years).
"""

from __future__ import annotations

import re

import pytest

from cartrial.errors import InputError
from cartrial.report.labels import PRECISION, STAT_EXTRA, decimals, nca_precision_key
from cartrial.report.table import fmt_dec, fmt_median_range
from tests.report._pipeline import analysed

JUNCO_DEFAULT = {"value": 0, "mean": 1, "sd": 2, "se": 2, "median": 1, "min": 0, "max": 0}


def test_statistic_extra_decimals_are_the_junco_default_convention():
    assert {k: STAT_EXTRA[k] for k in JUNCO_DEFAULT} == JUNCO_DEFAULT
    # quartiles are read like the median, the geometric mean like the mean
    assert STAT_EXTRA["q1"] == STAT_EXTRA["q3"] == STAT_EXTRA["median"]
    assert STAT_EXTRA["geo_mean"] == STAT_EXTRA["mean"]


def test_declared_precisions_are_the_ones_asked_for():
    assert PRECISION["CARTCELL"] == 1 and PRECISION["CYTOKINE"] == 1
    assert PRECISION["PCT"] == 1 and PRECISION["AGE"] == 0
    assert decimals("IL6") == 1 and decimals("IFNG", "median") == 2


def test_nca_parameters_take_their_analytes_precision_and_times_days():
    assert nca_precision_key("CARTCELL", "CMAX") == "CARTCELL"
    assert nca_precision_key("CARTCELL", "AUC0_28") == "CARTCELL"
    assert nca_precision_key("CARTRNSG", "TMAX") == "DAYS"


@pytest.mark.parametrize(("args", "cell"), [
    # hand-rounded: CAR+ T cells (X = 1): median 2 decimals, min and max 1
    ((74.21, 30.06, 1330.4, 3, "CARTCELL"), "74.21 [30.1-1,330.4] (3)"),
    # transgene copies (X = 0): median 1 decimal, min and max whole copies
    ((12364.94, 27.6, 78200.0, 18, "CARTRNSG"), "12,364.9 [28-78,200] (18)"),
    # cytokine pg/mL (X = 1)
    ((38.8, 33.2, 59.25, 3, "IL6"), "38.80 [33.2-59.2] (3)"),
    # days (X = 0)
    ((14.0, 7.0, 27.0, 18, "DAYS"), "14.0 [7-27] (18)"),
])
def test_median_range_cells_follow_the_declared_precision(args, cell):
    assert fmt_median_range(*args) == cell


def test_missing_is_ne_and_undeclared_parameters_are_refused():
    assert fmt_dec(float("nan"), 2) == "NE"
    with pytest.raises(InputError, match="no declared precision for parameter 'WEIGHT'"):
        decimals("WEIGHT")
    with pytest.raises(InputError, match="unknown statistic"):
        decimals("AGE", "mode")


def _decimals(number: str) -> int:
    return len(number.split(".")[1]) if "." in number else 0


def test_kinetics_table_of_the_example_report_uses_the_declared_precision(tmp_path_factory):
    """Every median [min-max] cell of Table 14.5.1: median X+1 and min/max X decimals, X from
    the parameter's declared precision."""
    s = analysed(tmp_path_factory)
    text = (s.out / "tables" / "table_14_5_1.txt").read_text(encoding="utf-8")
    cell = re.compile(r"(-?[\d,]+(?:\.\d+)?) \[(-?[\d,]+(?:\.\d+)?)-(-?[\d,]+(?:\.\d+)?)\] \(\d+\)")
    seen = 0
    for line in text.splitlines():
        if "median [min-max]" not in line:
            continue
        analyte = "CARTCELL" if line.startswith("CAR+ T cells") else "CARTRNSG"
        param = "TMAX" if "Tmax" in line else ("TLST" if "Tlast" in line else "CMAX")
        x = PRECISION[nca_precision_key(analyte, param)]
        for med, lo, hi in cell.findall(line):
            assert (_decimals(med), _decimals(lo), _decimals(hi)) == (x + 1, x, x), line
            seen += 1
    assert seen >= 12
