"""Efficacy, kinetics and exposure analyses of ``tools/recompute_tables.py`` beyond counts and
summaries, knowing nothing of cartrial (standard library, numpy, pandas, scipy).

* ``derived``: a subject-level grouping variable an analysis derives from another ADaM dataset
  (Table 14.5.5's CRSMAX: each patient's maximum ADAE ATOXGRN of the CRS records, 0 without
  one), added to the analysis data before the groups are taken.
* ``test``: Spearman's rank correlation (``scipy.stats.spearmanr``; Spearman C, Am J Psychol
  1904;15:72-101) of the row's records, ``x`` against ``y``: the results ``estimate`` (rho) and
  ``in_parentheses`` (its two-sided p-value).
* ``test`` ``survival``: the log-rank test across the groups (``chisq``, ``df``,
  ``p_value``; statsmodels ``survdiff``; Mantel N, Cancer Chemother Rep 1966;50:163-70) and the
  Cox hazard ratio of the column's group against the reference level named in the row
  ("hazard ratio vs DL1"; Efron ties, Wald CI; statsmodels ``PHReg``; Cox DR, J R Stat Soc B
  1972;34:187-220), over the records of the row.
* a number shown in scientific notation (``7.98e-06``) is compared at its significant digits.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

TEST_STATS = {"spearman": ("estimate", "in_parentheses"),
              "survival": ("chisq", "df", "p_value", "estimate", "ci_low", "ci_high")}


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
    if test["method"] == "survival":
        return survival_stat(data, r, test)
    if test["method"] != "spearman":
        raise ValueError(f"test {test['method']!r} is not known")
    g = data.query(r["group"], engine="python") if r["group"] else data
    f = g.query(r["where"], engine="python")
    f = f[pd.to_numeric(f[test["x"]], errors="coerce").notna()]
    x = f[test["x"]].to_numpy(dtype=float)
    y = f[test["y"]].to_numpy(dtype=float)
    if len(x) < 3:
        return math.nan
    rho, p = stats.spearmanr(x, y)
    return float(rho if r["statistic"] == "estimate" else p)


def is_test(analysis: dict, r: dict) -> bool:
    """The result is a statistic of the analysis' test."""
    test = analysis.get("test")
    return bool(test) and r["statistic"] in TEST_STATS[test["method"]]


def survival_stat(data: pd.DataFrame, r: dict, test: dict) -> float:
    """Log-rank chi-square / df / p across the groups, or the hazard ratio (and its Wald
    limits) of the column's group against the row's reference level, from a Cox model with one
    indicator per non-reference level."""
    from statsmodels.duration.hazard_regression import PHReg
    from statsmodels.duration.survfunc import survdiff

    f = data.query(r["where"], engine="python")
    f = f[f[test["group"]].notna() & f[test["time"]].notna()]
    t = f[test["time"]].to_numpy(dtype=float)
    ev = f.eval(test["event"], engine="python").to_numpy(dtype=int)
    lv = f[[test["group"], test["order"]]].drop_duplicates().sort_values(test["order"])
    levels = lv[test["group"]].tolist()
    s = r["statistic"]
    if s in ("chisq", "df", "p_value"):
        chisq, p = survdiff(t, ev, f[test["group"]].to_numpy())
        return float({"chisq": chisq, "df": len(levels) - 1, "p_value": p}[s])
    ref_label = r["row"].split("hazard ratio vs ", 1)[1].split(" (", 1)[0]
    ref = [v for v in levels if str(v).split(" ")[0] == ref_label][0]
    others = [v for v in levels if v != ref]
    x = np.column_stack([(f[test["group"]] == v).to_numpy(dtype=float) for v in others])
    fit = PHReg(t, x, status=ev, ties="efron").fit()
    k = others.index(f.query(r["group"], engine="python")[test["group"]].iloc[0])
    lo, hi = np.exp(fit.conf_int()[k])
    return float({"estimate": np.exp(fit.params[k]), "ci_low": lo, "ci_high": hi}[s])


def shown_sci(value: float, shown: str) -> str | None:
    """``value`` in the scientific notation of ``shown`` (``7.98e-06``: 3 significant digits),
    None when ``shown`` is not in that notation."""
    if "e" not in shown:
        return None
    mantissa = shown.split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return f"{value:.{decimals}e}" if np.isfinite(value) else None
