"""Efficacy, kinetics and exposure analyses of ``tools/recompute_tables.py`` beyond counts and
summaries, knowing nothing of cartrial (standard library, numpy, pandas, scipy).

* ``derived``: a subject-level grouping variable an analysis derives from another ADaM dataset
  (Table 14.5.5's CRSMAX: each patient's maximum ADAE ATOXGRN of the CRS records, 0 without
  one), added to the analysis data before the groups are taken.
* ``test``: Spearman's rank correlation (``scipy.stats.spearmanr``; Spearman C, Am J Psychol
  1904;15:72-101) of the row's records, ``x`` against ``y``: the results ``estimate`` (rho) and
  ``in_parentheses`` (its two-sided p-value).
* a number shown in scientific notation (``7.98e-06``) is compared at its significant digits.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

TEST_STATS = ("estimate", "in_parentheses")


def with_derived(data: pd.DataFrame, adam: dict[str, pd.DataFrame], analysis: dict
                 ) -> pd.DataFrame:
    """The analysis data with the analysis' ``derived`` subject-level variables added."""
    out = data
    for name, d in (analysis.get("derived") or {}).items():
        src = adam[d["dataset"]].query(d["where"], engine="python")
        per = src.groupby("USUBJID")[d["variable"]].agg(d["function"])
        out = out.assign(**{name: out["USUBJID"].map(per).astype(float).fillna(d["missing"])})
    return out


def rank_stat(data: pd.DataFrame, r: dict, test: dict) -> float:
    """rho (``estimate``) or its p-value (``in_parentheses``) over the records of the row
    (its where-clause; the row's group, if any) with a value of ``x``."""
    g = data.query(r["group"], engine="python") if r["group"] else data
    f = g.query(r["where"], engine="python")
    f = f[pd.to_numeric(f[test["x"]], errors="coerce").notna()]
    if test["method"] != "spearman":
        raise ValueError(f"test {test['method']!r} is not known")
    x = f[test["x"]].to_numpy(dtype=float)
    y = f[test["y"]].to_numpy(dtype=float)
    if len(x) < 3:
        return math.nan
    rho, p = stats.spearmanr(x, y)
    return float(rho if r["statistic"] == "estimate" else p)


def is_test(analysis: dict, r: dict) -> bool:
    """The result is a statistic of the analysis' test."""
    return bool(analysis.get("test")) and r["statistic"] in TEST_STATS


def shown_sci(value: float, shown: str) -> str | None:
    """``value`` in the scientific notation of ``shown`` (``7.98e-06``: 3 significant digits),
    None when ``shown`` is not in that notation."""
    if "e" not in shown:
        return None
    mantissa = shown.split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return f"{value:.{decimals}e}" if np.isfinite(value) else None
