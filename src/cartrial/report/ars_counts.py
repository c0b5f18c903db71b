"""The statistics of one cell of a table described cell by cell (:mod:`cartrial.report.
ars_specs`): distinct subjects meeting a where-clause over those of the group (with the exact
interval), or the summary of a variable over the cell's records, computed on row positions
(:func:`cartrial.report.ars_query.rows`) without copying the records.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd

from cartrial.report.ars_query import remembered, rows, select, subjects


def count_cell(data: pd.DataFrame, group: str, where: str, denominator_where: str,
           worst: str) -> dict[str, float]:
    """n, N, percent and exact CI of a cell: distinct subjects of the group meeting ``where``
    over those of the group meeting ``denominator_where``.

    Parameters
    ----------
    data : pandas.DataFrame
        The table's analysis data (USUBJID, and ATOXGRN with ``worst``).
    group, where, denominator_where : str
        The column's, the row's and the denominator's pandas query expressions ("": every
        record of the group).
    worst : str
        A grade: a subject counts when the highest ATOXGRN of its records meeting ``where``
        (missing grades skipped) equals it ("": every subject with such a record).

    Returns
    -------
    dict of str to float
        n, denominator, pct and ci_low, ci_high (percent, Clopper-Pearson 95%; NaN when the
        denominator is 0).

    References
    ----------
    Clopper CJ, Pearson ES. Biometrika 1934;26:404-13.

    Examples
    --------
    >>> d = pd.DataFrame({"USUBJID": ["1", "1", "2", "3"], "G": ["a", "a", "a", "b"],
    ...                   "ATOXGRN": [3.0, 1.0, 2.0, 3.0]})
    >>> c = count_cell(d, "G == 'a'", "ATOXGRN >= 1", "", "3")
    >>> c["n"], c["denominator"], c["pct"]
    (1.0, 2.0, 50.0)
    """
    codes, k = subjects(data)
    at = rows(data, group, where)
    hit = codes[at]
    if worst:
        grade = data["ATOXGRN"]
        if grade.dtype.kind not in "fiu":  # pandas compares what the column holds
            top = select(data, group, where).groupby("USUBJID")["ATOXGRN"].max()
            n = int((top == float(worst)).sum())
        else:  # the highest grade per subject (missing grades skipped), as groupby().max()
            g = grade.to_numpy(dtype=float)[at]
            keep = (hit >= 0) & ~np.isnan(g)
            top = np.full(k, -np.inf)
            np.maximum.at(top, hit[keep], g[keep])
            n = int(np.count_nonzero(top == float(worst)))
    else:
        n = _distinct(hit)
    big = remembered(data, ("denominator", group, denominator_where),
                     lambda: _distinct(codes[rows(data, group, denominator_where)]))
    lo, hi = _exact_ci(n, big) if big else (math.nan, math.nan)
    return {"n": float(n), "denominator": float(big),
            "pct": 100.0 * n / big if big else math.nan,
            "ci_low": 100.0 * float(lo), "ci_high": 100.0 * float(hi)}


def _distinct(codes) -> int:  # noqa: ANN001
    """The number of distinct subjects among codes (-1: missing USUBJID, not counted)."""
    return int(np.unique(codes[codes >= 0]).size)


@lru_cache(maxsize=4096)
def _exact_ci(n: int, big: int) -> tuple[float, float]:
    from cartrial.efficacy.binomial import exact_ci

    return exact_ci(n, big)


def _values(data: pd.DataFrame, group: str, where: str, var: str):  # noqa: ANN202
    """``var`` over the records of the cell as numbers, missing and non-numbers dropped."""
    at = rows(data, group, where)
    col = data[var]
    if col.dtype.kind in "fiub":
        v = col.to_numpy(dtype=float)[at]
        return v[~np.isnan(v)]
    return pd.to_numeric(col.take(at), errors="coerce").dropna().to_numpy(dtype=float)


def summary_cell(data: pd.DataFrame, group: str, where: str, var: str) -> dict[str, float]:
    """n, median, min, max, geometric mean and CV%, mean, SD and quartiles of ``var`` over the
    records of the cell.

    Parameters
    ----------
    data : pandas.DataFrame
        The table's analysis data.
    group, where : str
        The column's and the row's pandas query expressions ("": every record).
    var : str
        The variable summarised (missing values and text that is not a number left out).

    Returns
    -------
    dict of str to float
        n, median, min, max, geo_mean, geo_cv_pct (over the positive values), mean, sd, q1,
        q3 (R type 7); NaN where not defined.

    References
    ----------
    Kirkwood TBL. Biometrics 1979;35:908-9 (geometric mean and CV).

    Examples
    --------
    >>> d = pd.DataFrame({"G": ["a", "a", "a", "b"], "AVAL": [1.0, 4.0, None, 9.0]})
    >>> s = summary_cell(d, "G == 'a'", "AVAL >= 0", "AVAL")
    >>> s["n"], s["median"], s["geo_mean"]
    (2.0, 2.5, 2.0)
    """
    return dict(remembered(data, ("summary", group, where, var),
                           lambda: _summary(_values(data, group, where, var))))


def _summary(v: np.ndarray) -> dict[str, float]:
    """The statistics of :func:`summary_cell` of the values (once per cell's records: a
    variable's n, mean (SD), median (Q1, Q3) and range rows read the same records)."""
    logs = np.log(v[v > 0])
    s = float(np.std(logs, ddof=1)) if len(logs) > 1 else math.nan
    return {"n": float(len(v)), "median": float(np.median(v)) if len(v) else math.nan,
            "min": float(v.min()) if len(v) else math.nan,
            "max": float(v.max()) if len(v) else math.nan,
            "geo_mean": float(np.exp(logs.mean())) if len(logs) else math.nan,
            "geo_cv_pct": 100.0 * math.sqrt(math.expm1(s * s)) if s == s else math.nan,
            "mean": float(v.mean()) if len(v) else math.nan,
            "sd": float(np.std(v, ddof=1)) if len(v) > 1 else math.nan,
            "q1": float(np.percentile(v, 25)) if len(v) else math.nan,
            "q3": float(np.percentile(v, 75)) if len(v) else math.nan}
