"""Findings records grouped by test, specimen and units: what unit standardisation and the
results' checks work on a group at a time (:mod:`cartrial.data.standardize`,
:mod:`cartrial.data.results`), found from the columns' codes (issue #18: no pandas ``groupby``
over a large domain's text columns).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.validate_codes import column_codes


def _key(s: pd.Series | None, n: int) -> tuple[np.ndarray, list]:
    """Codes and values of a grouping column, missing read as "" (as ``fillna("")``)."""
    if s is None:
        return np.zeros(n, dtype=np.intp), [""]
    codes, uniq = column_codes(s)
    values = list(uniq)
    if (codes < 0).any():
        k = values.index("") if "" in values else len(values)
        if k == len(values):
            values.append("")
        codes = np.where(codes < 0, k, codes)
    return codes, values


def unit_groups(name: str, df: pd.DataFrame) -> tuple[np.ndarray, list[tuple]]:
    """Per record its group of (test code, specimen, original unit, standard unit), -1 without
    a test code; and each group's values (what ``groupby([...]).ngroup()`` on the columns, the
    last three filled with "", tells apart; an absent column is all "").

    Parameters
    ----------
    name : str
        Findings domain code (the columns are ``{name}TESTCD``, ``{name}SPEC``,
        ``{name}ORRESU`` and ``{name}STRESU``).
    df : pandas.DataFrame
        The records (only --TESTCD is required).

    Returns
    -------
    tuple
        Group codes (numbered in order of first appearance, in the smallest signed type) and
        the list of each group's (test, specimen, original unit, standard unit).

    Examples
    --------
    >>> lb = pd.DataFrame({"LBTESTCD": ["HGB", "K", None, "HGB"],
    ...                    "LBORRESU": ["g/L", "mmol/L", "g/L", None]}, dtype="string")
    >>> group, groups = unit_groups("LB", lb)
    >>> group.tolist(), groups
    ([0, 1, -1, 2], [('HGB', '', 'g/L', ''), ('K', '', 'mmol/L', ''), ('HGB', '', '', '')])
    """
    n = len(df)
    t, t_values = column_codes(df[f"{name}TESTCD"])
    keys = [(np.maximum(t, 0), list(t_values)),
            _key(df.get(f"{name}SPEC"), n),
            _key(df.get(f"{name}ORRESU"), n),
            _key(df.get(f"{name}STRESU"), n)]  # absent: all missing, read as ""
    combined = keys[0][0].astype(np.int64)
    size = len(keys[0][1]) + 1
    for codes, values in keys[1:]:
        size *= len(values)
        if size >= 2**62:  # renumbered first: kept below rows x values, never overflows
            combined = pd.factorize(combined)[0].astype(np.int64)
            size = (int(combined.max()) + 1 if n else 1) * len(values)
        combined = combined * len(values) + codes
    # one code per distinct combination (an injective number of it: the same first-appearance
    # numbering as renumbering after each column)
    present = np.flatnonzero(t >= 0)
    group = np.full(n, -1, dtype=np.min_scalar_type(-n - 1))  # a large LB: 4 bytes a record
    found = pd.factorize(combined[present])[0]
    del combined
    group[present] = found
    # factorize numbers in order of first appearance: a group's first record is where the
    # running maximum of the codes first reaches it (what np.unique's return_index gave,
    # without sorting every record); taken in place (no record-long temporaries: a large
    # LB's load peaks in its standardisation)
    np.maximum.accumulate(found, out=found)
    first = np.flatnonzero(found[1:] > found[:-1]) + 1
    first = np.concatenate([np.zeros(min(len(found), 1), dtype=first.dtype), first])
    groups = [tuple(values[codes[i]] for codes, values in keys) for i in present[first]]
    return group, groups
