"""report.ars_query.select: the rows of pandas' own ``DataFrame.query`` (the reference: the
evaluator the analysis-results where-clauses are written for), on every where-clause shape the
ARS tables use, and never a remembered answer for another frame."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
import pytest

from cartrial.report.ars_query import evaluate, select

DATA = pd.DataFrame({
    "USUBJID": ["1", "1", "2", "3", "4", "5"],
    "SAFFL": ["Y", "Y", "Y", None, "Y", "Y"],
    "TRT01A": ["DL1 x", "DL1 x", None, "DL2 y", "DL2 y", "DL1 x"],
    "AEDECOD": ["Anaemia", "Pyrexia", "Anaemia", None, "Cytokine release syndrome", "Fatigue"],
    "ATOXGRN": [3.0, 1.0, 4.0, np.nan, 2.0, 5.0],
    "AVALC": ["CR", "PR", "NE", None, "sCR", "PD"],
    "PARAM": ["Cmax (cells/uL)", "AUC0-28 (day*cells/uL)", "x", "y", "Cmax (cells/uL)", "z"],
    "DTHADY": [10, 20, 30, 40, 50, 60],
    **{f"X{i}": range(6) for i in range(40)},  # the width select avoids paying for
}, index=[5, 3, 9, 1, 0, 2])

WHERES = [
    "SAFFL == 'Y'",
    "AEDECOD == 'Anaemia' and ATOXGRN >= 3",
    "TRT01A.fillna('') == ''",
    "AVALC in ['sCR', 'CR', 'VGPR', 'PR']",
    "AVALC == 'NE' or AVALC.fillna('') == ''",
    "PARAM.str.endswith(' (cells/uL)')",
    "ATOXGRN.isna()",
    "SAFFL == 'Y' and DTHADY <= 30",
    "not (SAFFL == 'Y')",
    "index > 2",  # an index name: pandas' own resolvers
]


@pytest.mark.parametrize("where", WHERES)
def test_select_gives_the_rows_of_dataframe_query(where: str) -> None:
    expected = DATA.query(where, engine="python")
    pd.testing.assert_frame_equal(select(DATA, where), expected)
    pd.testing.assert_frame_equal(select(DATA, where), expected)  # remembered: the same


def test_evaluate_gives_dataframe_eval() -> None:
    pd.testing.assert_series_equal(evaluate(DATA, "ATOXGRN >= 3"),
                                   DATA.eval("ATOXGRN >= 3", engine="python"))


def test_an_unknown_column_is_the_error_pandas_gives() -> None:
    with pytest.raises(pd.errors.UndefinedVariableError, match="NOSUCH"):
        select(DATA, "NOSUCH == 1")


def test_a_new_frame_is_never_answered_from_another_frame() -> None:
    """A frame built after another was freed (possibly at the same address) is evaluated
    afresh."""
    for n in range(30):
        d = pd.DataFrame({"A": np.arange(n + 1)})
        assert len(select(d, "A >= 0")) == n + 1
        del d
        gc.collect()


@pytest.mark.parametrize("expr", WHERES[:4])
def test_select_of_some_columns_is_select_of_those_columns(expr: str) -> None:
    """Regression test: ``columns`` keeps those columns of what ``select`` returns (rows,
    values, types, index, the order given)."""
    cols = ["TRT01A", "USUBJID", "ATOXGRN", "DTHADY"]
    pd.testing.assert_frame_equal(select(DATA, expr, columns=cols), select(DATA, expr)[cols])

