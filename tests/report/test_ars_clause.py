"""Compiled where-clauses (report.ars_clause, report.ars_query.rows) against pandas' own
``DataFrame.query(expr, engine="python")``, the evaluator the analysis-results where-clauses are
written for: hand-picked edge cases (missing values, text against numbers, ``in`` lists, chained
comparisons, methods) and seeded random combinations of them; and, as a regression test, every
where-clause of the example report's analysis results on the example's ADaM data."""

from __future__ import annotations

import gc
import json
import weakref

import numpy as np
import pandas as pd
import pytest

from cartrial.report import ars_query
from cartrial.report.ars_clause import compile_clause
from cartrial.report.ars_query import rows, select, subjects

EDGE = pd.DataFrame({
    "USUBJID": ["1", "1", "2", "3", "4", "5", None, "6"],
    "S": ["Y", "N", None, "Y", np.nan, "", "Y", "y"],
    "X": [1.0, 2.0, np.nan, 3.0, 4.0, np.nan, 0.0, -1.0],
    "I": [1, 2, 3, 4, 5, 6, 7, 8],
    "M": ["1", 1, 2.5, None, "CR", "2", np.nan, 3],  # text and numbers in one column
    "C": pd.Categorical(["CR", "PR", None, "CR", "SD", "PD", "PR", None]),
    "B": [True, False, True, True, False, False, True, False],
    "N": pd.array([1, None, 3, 4, None, 6, 7, 8], dtype="Int64"),
    "P": ["Cmax (cells/uL)", "AUC x", "Peak", "y Peak", "Cmax", "z", "Peak", "w"],
    "Q": ["Cmax (cells/uL)", None, "Peak", "y Peak", "Cmax", None, "Peak", "w"],
}, index=[7, 3, 9, 1, 0, 2, 11, 5])

CLAUSES = [
    "S == 'Y'", "S != 'Y'", "'Y' == S", "S == ''", "S.fillna('') == ''",
    "S.fillna('') != 'Y'", "S.isna()", "S.notna()", "S.isnull()", "S in ['Y', 'N']",
    "S not in ['Y', 'N']", "S in ['Y', None]", "S == ['Y', 'N']", "S != ['Y']",
    "X >= 2", "X < 2", "X == 3", "X != 3", "X.isna()", "1 <= X < 4", "X > -1 and X <= 3",
    "not X >= 2", "not (S == 'Y' or X > 2)", "X in [1, 2, 3]", "X not in [1.0]",
    "I == 3", "I != '3'", "I == '3'", "I in [1, 3, 5]", "I > 2 and I < 7 or I == 8",
    "M == 1", "M == '1'", "M != '1'", "M in ['1', 1, 'CR']", "M.isna()",
    "C == 'CR'", "C != 'CR'", "C in ['CR', 'PR']", "C.isna()",
    "B", "B == True", "not B", "B and S == 'Y'",
    "N >= 3", "N == 4", "N.isna()", "N in [1, 3]",
    "P.str.endswith(' Peak')", "P.str.startswith('Cmax')", "P.str.contains('Peak')",
    "S == 'Y' and P.str.endswith('Peak')", "Q.fillna('').str.endswith('Peak')",
    "X + 1 > 2", "X * 2 >= I", "I - 1 == X", "X.abs() > 0.5", "X.between(1, 3)",
    "S == 'Y' & X > 1", "S == 'Y' | X > 3",  # & and | in the text: pandas reads them itself
    "index > 2", "USUBJID.fillna('') != ''", "S.str.upper() == 'Y'",
]


def _same_as_query(data: pd.DataFrame, *exprs: str) -> None:
    expected = data
    for e in exprs:
        if e:
            expected = expected.query(e, engine="python")
    pd.testing.assert_frame_equal(select(data, *exprs), expected)
    np.testing.assert_array_equal(data.index[rows(data, *exprs)], expected.index)


@pytest.mark.parametrize("expr", CLAUSES)
def test_a_clause_selects_the_rows_of_dataframe_query(expr: str) -> None:
    _same_as_query(EDGE, expr)
    _same_as_query(EDGE, expr)  # remembered: the same answer


def test_a_clause_on_a_group_is_query_on_the_group() -> None:
    for group in ("S == 'Y'", "X >= 1"):
        for expr in CLAUSES:
            _same_as_query(EDGE, group, expr)


def test_the_errors_are_the_errors_of_query() -> None:
    """A missing value in the answer (``str.endswith`` of a missing text) and an unknown
    column raise what ``DataFrame.query`` raises; on a group without the missing value, the
    clause works as query works on that group."""
    with pytest.raises(ValueError, match="NA / NaN"):
        EDGE.query("Q.str.endswith('Peak')", engine="python")
    with pytest.raises(ValueError, match="NA / NaN"):
        select(EDGE, "Q.str.endswith('Peak')")
    _same_as_query(EDGE, "Q.fillna('') != ''", "Q.str.endswith('Peak')")
    with pytest.raises(pd.errors.UndefinedVariableError, match="NOSUCH"):
        select(EDGE, "NOSUCH == 1")


def test_seeded_random_clauses_select_the_rows_of_dataframe_query() -> None:
    """150 clauses drawn (seed 18) from the atoms above joined by and / or / not, with and
    without a group first."""
    atoms = [c for c in CLAUSES if "&" not in c and "|" not in c and "Q.str" not in c
             and c != "index > 2"]
    rng = np.random.default_rng(18)
    for _ in range(150):
        k = int(rng.integers(1, 4))
        parts = [f"({atoms[i]})" for i in rng.choice(len(atoms), k)]
        expr = parts[0]
        for p in parts[1:]:
            expr = f"{expr} {'and' if rng.random() < 0.5 else 'or'} {p}"
        expr = f"not ({expr})" if rng.random() < 0.3 else expr
        group = atoms[int(rng.integers(len(atoms)))] if rng.random() < 0.5 else ""
        _same_as_query(EDGE, group, expr)


def test_what_is_compiled_and_what_pandas_evaluates() -> None:
    assert compile_clause("AEBODSYS == 'Blood' and AEDECOD == 'Anaemia'") is not None
    assert compile_clause("PARCAT1 in ['IL6'] and PARAM.str.endswith(' Peak')") is not None
    for left in ("A == 1 & B == 2", "A == A.max()", "A.shift() == 1", "`A B` == 1",
                 "A == @x", "A.fillna(value=0) == 0", "(A + 1) == 'x'"):
        assert compile_clause(left) is None, left


def test_the_cache_holds_positions_only_and_lets_the_frame_go() -> None:
    """Regression test: what is kept per frame is arrays of row positions (never a copy of
    the records), dropped when the frame is freed."""
    d = EDGE.copy()
    for expr in CLAUSES[:20]:
        rows(d, "S == 'Y'", expr)
    subjects(d)
    known = ars_query._FRAMES[id(d)]
    kept = [*known.clauses.values(), *known.by_pandas.values()]
    assert kept and all(v is None or (isinstance(v, np.ndarray) and v.dtype.kind == "i")
                        for v in kept)
    gone = weakref.ref(d)
    key = id(d)
    del d, known, kept
    gc.collect()
    assert gone() is None and key not in ars_query._FRAMES


@pytest.fixture(scope="module")
def example_clauses(tmp_path_factory) -> list[tuple[dict, list[tuple[str, str, str]]]]:
    from tests.report._pipeline import analysed

    out = analysed(tmp_path_factory).out
    found = []
    for p in sorted((out / "tables").glob("*.ard.json")):
        doc = json.loads(p.read_text(encoding="utf-8"))
        trio = sorted({(r["group"], r["where"], r["denominator_where"])
                       for r in doc["results"] if r["where"]})
        if trio:
            found.append((doc["analysis"], trio))
    return found


def test_every_clause_of_the_example_ars_selects_the_rows_of_query(example_clauses,
                                                                   tmp_path_factory) -> None:
    """Regression test: on the example's ADaM datasets (the CSV files the report wrote, read
    back as tools/recompute_tables.py reads them), every group, where-clause and denominator
    clause of every table's analysis results is compiled (none left to pandas) and selects,
    combined as the cells combine them, the rows ``DataFrame.query`` selects."""
    from cartrial.report.ars_specs import analysis_data
    from tests.report._pipeline import analysed

    adam = analysed(tmp_path_factory).out / "adam"
    ds = {p.stem.upper(): pd.read_csv(p, keep_default_na=False, na_values=[""],
                                      low_memory=False) for p in sorted(adam.glob("*.csv"))}
    checked = 0
    assert len(example_clauses) >= 25
    for meta, trio in example_clauses:
        for clause in (meta["population"].removeprefix("ADSL."), meta["where"]):
            assert not clause or compile_clause(clause) is not None, clause
        data = analysis_data(ds, meta)
        named = set().union(*(compile_clause(e).names for t in trio for e in t if e))
        few = data[sorted(named)]  # the reference on the columns the clauses read: quicker
        groups = {g: few.query(g, engine="python") if g else few for g, _, _ in trio}
        for group, where, den in trio:
            for expr in (where, den):
                expected = groups[group].query(expr, engine="python") if expr else \
                    groups[group]
                np.testing.assert_array_equal(data.index[rows(data, group, expr)],
                                              expected.index, err_msg=f"{group} | {expr}")
            checked += 1
    assert checked >= 500


def test_clause_names_are_the_columns_read():
    from cartrial.report.ars_clause import clause_names

    assert clause_names("DLTEVLFL == 'Y' and DLTFL == 'Y'") == {"DLTEVLFL", "DLTFL"}
    assert clause_names("AVALC in ['CR', 'PR'] and not AVAL.isna()") == {"AVALC", "AVAL"}
    assert clause_names("TRT01A.fillna('') == ''") == {"TRT01A"}
    assert clause_names("AVAL > @limit") is None  # pandas' local variables: not Python


def test_variables_of_a_computation() -> None:
    from cartrial.report.ars_clause import variables_of

    assert variables_of(["AVAL", "TRT01A"], "CNSR == 0", "PARAM.str.endswith(' Peak')") == {
        "AVAL", "TRT01A", "CNSR", "PARAM"}
    assert variables_of(["AVAL"]) == {"AVAL"}
    assert variables_of(["AVAL", ""]) is None  # a setting not given: not known
    assert variables_of(["AVAL"], "AVAL > @limit") is None  # pandas' @: not Python syntax
