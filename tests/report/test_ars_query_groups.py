"""report.ars_query: a value-by-value where-clause evaluated once per group of records holding
the same values (issue #18: the ARS analysis data of a large trial hold a few hundred
distinct texts in 100,000 records), and a cell's records as the kept ones among a clause's.

The reference is pandas' own ``DataFrame.query`` (the evaluator the clauses are written for),
on seeded frames whose object columns mix what a clause may tell apart: None, NaN and
``pd.NA``; 1, 1.0 and True; "" and text with NUL characters; equal text held as one object or
as several; numbers and text in one column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.report.ars_query import _among, rows, select

POOL = ["Y", "N", "", "CR", "PR", "IL6 Peak", "IL6 Fold change at peak", "\x00a", "\x00b",
        None, float("nan"), pd.NA]
MIXED = POOL + [1, 1.0, True, 2.5]
WHERES = [
    "A == 'Y'", "A != 'Y'", "A in ['CR', 'PR']", "A not in ['CR', '']", "A.fillna('') == ''",
    "A.isna()", "A.notna() and B == 'N'", "A == 'Y' or B.fillna('') == ''",
    "not (A == 'CR')", "B.str.endswith(' Peak')", "M == 1",
    "M.astype('str') == '1.0'", "M.astype('str') == 'True'", "M.isna() and A == 'Y'",
    "M in [1, 'Y']", "A.astype('str') == 'nan'", "A == 'Y' and X >= 3", "A.str.startswith('I')",
]


def _frame(seed: int, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def col(pool: list, shared: bool) -> np.ndarray:
        out = np.empty(n, dtype=object)
        for i, k in enumerate(rng.integers(0, len(pool), n)):
            v = pool[k]
            out[i] = v if shared or not isinstance(v, str) else "".join(list(v))
        return out

    text = [v for v in POOL if isinstance(v, str) or v is None]
    return pd.DataFrame({"A": col(POOL, rng.random() < 0.5),
                         "B": col(text + ["IL8 Peak"], rng.random() < 0.5),
                         "M": col(MIXED, True), "X": rng.integers(0, 6, n).astype(float)},
                        index=rng.permutation(n) + 7)


@pytest.mark.parametrize("seed", range(12))
def test_clauses_select_the_records_pandas_selects(seed: int) -> None:
    data = _frame(seed)
    for where in WHERES:
        try:
            expected = data.query(where, engine="python")
        except (TypeError, ValueError, AttributeError) as e:  # pandas refuses: so do we
            with pytest.raises(type(e)):
                select(data, where)
            continue
        pd.testing.assert_frame_equal(select(data, where), expected, check_exact=True)


@pytest.mark.parametrize("seed", range(12))
def test_a_clause_among_the_records_of_another(seed: int) -> None:
    data = _frame(seed)
    for a, b in [("A == 'Y'", "B.fillna('') == ''"), ("A.notna()", "M == 1"),
                 ("", "A in ['CR', 'PR']"), ("X >= 2", "A != 'Y'")]:
        expected = data.query(a, engine="python") if a else data
        expected = expected.query(b, engine="python")
        got = rows(data, a, b)
        assert (np.diff(got) > 0).all()
        pd.testing.assert_frame_equal(data.iloc[got], expected, check_exact=True)


@pytest.mark.parametrize("seed", range(30))
def test_kept_positions_are_numpys_intersection(seed: int) -> None:
    """``_among`` against ``np.intersect1d`` (both ways it takes: binary search, and a
    True/False per record when the kept positions are many)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 2000))
    for p, q in [(0.5, 0.5), (0.01, 0.9), (0.9, 0.01), (0.0, 0.5), (1.0, 1.0)]:
        out = np.flatnonzero(rng.random(n) < p).astype(rng.choice([np.int32, np.int64]))
        whole = np.flatnonzero(rng.random(n) < q).astype(np.int32)
        got = _among(out, whole, n)
        assert got.tolist() == np.intersect1d(out, whole, assume_unique=True).tolist()
