"""result_findings: which records are of a numeric or a coded test is decided per distinct test
code (issue #18); a missing or unknown test code is neither, in every kind of column (regression
tests: they pass on the code before, which asked each record's text with isin)."""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.data.results import result_findings
from cartrial.data.spec import data_model


@pytest.mark.parametrize("dtype", ["string", object])
def test_missing_and_unknown_test_codes_are_neither_numeric_nor_coded(dtype) -> None:
    vs = pd.DataFrame({"USUBJID": ["S1"] * 5, "VSSEQ": [1.0, 2.0, 3.0, 4.0, 5.0],
                       "VSTESTCD": pd.Series(["TEMP", None, "NOPE", "TEMP", "TEMP"],
                                             dtype=dtype),
                       "VSORRES": ["high", "high", "high", "39,7", "38.5"],
                       "VSORRESU": ["C"] * 5})
    got = [(f.seq, f.rule_id) for f in result_findings("VS", vs, data_model())]
    assert got == [(1.0, "RESULT_NOT_NUMBER"), (4.0, "DECIMAL_COMMA")]


def test_a_coded_results_standard_text_is_checked_only_for_coded_tests() -> None:
    model = data_model()
    coded = next(c for c, t in model.tests["LB"].items() if t.is_coded)
    lb = pd.DataFrame({"USUBJID": ["S1"] * 3, "LBSEQ": [1.0, 2.0, 3.0],
                       "LBTESTCD": pd.Series([coded, None, coded], dtype="string"),
                       "LBORRES": ["negative", "negative", "positive"],
                       "LBSTRESC": ["NEGATIVE", "POSITIVE", "NEGATIVE"],
                       "LBSTRESN": [float("nan")] * 3})
    got = [(f.seq, f.rule_id) for f in result_findings("LB", lb, model)]
    assert got == [(3.0, "STRESC_MISMATCH")]
