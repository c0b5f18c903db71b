"""Findings records grouped by test, specimen and units (cartrial.data.unit_groups).

Regression test: the groups are those of the rule before (``standardize._groups``, which
renumbered the combination after each column and sorted every record to find each group's
first).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.unit_groups import _key, unit_groups
from cartrial.data.validate_codes import column_codes


def _groups_before(name: str, df: pd.DataFrame) -> tuple[np.ndarray, list[tuple]]:
    """``unit_groups`` as it was (``standardize._groups``: a renumbering after each column,
    ``np.unique`` for each group's first record), the reference of the regression test."""
    n = len(df)
    t, t_values = column_codes(df[f"{name}TESTCD"])
    keys = [(np.maximum(t, 0), list(t_values)), _key(df.get(f"{name}SPEC"), n),
            _key(df[f"{name}ORRESU"], n), _key(df.get(f"{name}STRESU"), n)]
    combined = keys[0][0].astype(np.int64)
    for codes, values in keys[1:]:
        combined = pd.factorize(combined * len(values) + codes)[0].astype(np.int64)
    present = np.flatnonzero(t >= 0)
    group = np.full(n, -1, dtype=np.min_scalar_type(-n - 1))
    group[present] = pd.factorize(combined[present])[0]
    _u, first = np.unique(group[present], return_index=True)
    return group, [tuple(values[codes[i]] for codes, values in keys) for i in present[first]]


def test_unit_groups_are_those_of_the_rule_before() -> None:
    """Regression: each record's group of (test, specimen, units) and the groups' values are
    those of the previous rule, on generated records (missing values and "" in each key)."""
    rng = np.random.default_rng(11)
    for n in (0, 1, 7, 500):
        def pick(values: list, n: int = n) -> pd.Series:
            return pd.Series(np.asarray(values, dtype=object)[rng.integers(0, len(values), n)],
                             dtype="string")

        df = pd.DataFrame({"LBTESTCD": pick(["HGB", "K", None, "CA"]),
                           "LBSPEC": pick(["SERUM", "", None]),
                           "LBORRESU": pick(["g/L", "g/dL", None, ""]),
                           "LBSTRESU": pick(["g/L", None])})
        for frame in (df, df.drop(columns=["LBSPEC", "LBSTRESU"])):
            got, want = unit_groups("LB", frame), _groups_before("LB", frame)
            assert got[0].tolist() == want[0].tolist() and got[1] == want[1]
