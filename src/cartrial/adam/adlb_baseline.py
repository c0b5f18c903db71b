"""ADLB's baseline record of each subject and parameter (ABLFL) found with integer arrays.

The rule (:func:`cartrial.adam.adlb.derive_var_ablfl`; CDISC ADaMIG v1.3, 2021, BDS baseline
variables): within a subject and PARAMCD, the record flagged LBBLFL = "Y" when one is flagged,
otherwise the last record with a result on or before the infusion day (by date, then input
order). Here the (USUBJID, PARAMCD) pairs are factorised once and the groups' flags, last
candidates and baseline values found by ``bincount``, one ``lexsort`` and fancy indexing,
instead of pandas' groupby/sort/reindex over text keys (issue #18: an ADLB batch of a large
trial holds ~90,000 records).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam.column_profile import distinct
from cartrial.errors import RecordError


def group_codes(usubjid: np.ndarray, paramcd: np.ndarray) -> tuple[np.ndarray, int]:
    """Each record's (USUBJID, PARAMCD) pair as a code 0, 1, ... (pandas' factorize, which
    groupby uses for the same keys) and the number of pairs; a missing value (None, NaN,
    pd.NA) is one value of its own, as ``DataFrame.duplicated`` and ``reindex`` match it."""
    subj, param = (_codes(np.asarray(v, dtype=object)) for v in (usubjid, paramcd))
    n_subj = int(subj.max()) + 1 if len(subj) else 0
    codes, uniq = pd.factorize(param.astype(np.int64) * max(n_subj, 1) + subj)
    return codes, len(uniq)


def _codes(values: np.ndarray) -> np.ndarray:
    """``pd.factorize(values, use_na_sentinel=False)[0]`` up to the numbering: equal values,
    equal codes; the missing values (None, NaN, pd.NA) one code. Each distinct object is hashed once
    (:func:`cartrial.adam.column_profile.distinct`: the batch holds one object per value)."""
    codes, uniq = distinct(values)
    return np.where(codes < 0, len(uniq), codes)


def baseline_flags(group: np.ndarray, n_groups: int, adt: np.ndarray, pre: np.ndarray,
                   flagged: np.ndarray, keyless: np.ndarray) -> np.ndarray:
    """ABLFL as booleans: in a group with a flagged record the flagged records, else the last
    ``pre`` record by date (``datetime64`` values; NaT only where ``pre`` is False) and input
    order. ``keyless`` records (USUBJID or PARAMCD missing: in no group of pandas' groupby,
    whose missing "any" counted as true) are baseline when flagged."""
    any_flag = np.bincount(group[flagged], minlength=n_groups) > 0
    derived = np.zeros(len(group), dtype=bool)
    cand = np.flatnonzero(pre)
    if len(cand):
        order = np.lexsort((cand, adt[cand].view(np.int64), group[cand]))
        g = group[cand][order]
        last = np.ones(len(g), dtype=bool)
        last[:-1] = g[1:] != g[:-1]  # the last of each group's run
        derived[cand[order][last]] = True
    return np.where(any_flag[group] | keyless, flagged, derived & ~keyless)


def baseline_values(group: np.ndarray, n_groups: int, abl: np.ndarray, frame: pd.DataFrame
                    ) -> tuple[np.ndarray, np.ndarray]:
    """BASE and BASEC of each record: AVAL and AVALC of its group's baseline record (NaN and
    "" without one). RecordError (domain LB, the subject, LBSEQ, LBBLFL) on a group's second
    baseline record, the first such in record order."""
    rows = np.flatnonzero(abl)
    uniq, first = np.unique(group[rows], return_index=True)
    if len(uniq) < len(rows):
        dup = np.ones(len(rows), dtype=bool)
        dup[first] = False
        r = frame.iloc[rows[np.flatnonzero(dup)[0]]]
        raise RecordError(domain="LB", usubjid=r["USUBJID"], seq=r["LBSEQ"], variable="LBBLFL",
                          value="Y", rule=f"more than one baseline record for {r['PARAMCD']}")
    at = np.full(n_groups, -1, dtype=np.int64)
    at[group[rows]] = rows
    row_bl = at[group]
    has = row_bl >= 0
    aval = frame["AVAL"].to_numpy()
    base = aval[row_bl] if has.all() else np.where(has, aval[row_bl].astype(float), np.nan)
    basec = np.full(len(group), "", dtype=object)
    basec[has] = frame["AVALC"].to_numpy(dtype=object)[row_bl[has]]
    basec[pd.isna(basec)] = ""
    return base, basec
