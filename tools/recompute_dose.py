"""Recompute Table 14.6.1 (dose-toxicity, dose-response and dose-exposure by dose level) from
the ADaM files alone, knowing nothing of cartrial (imported by ``tools/recompute_tables.py``;
standard library, numpy, pandas and scipy only).

The table's analysis metadata name ADSL first (population: the flag ``analysis.population``)
and, in ``analysis.also``, further datasets with the records each contributes (ADAE: CRS and
ICANS; ADRS: the confirmed best overall response; ADPP: the CAR+ T-cell Cmax and AUC0-28d). The
analysis data are the population's ADSL records with those records stacked below, each carrying
its patient's ADSL variables, so that a row's where-clause selects the records of the dataset
it names. For each result of the analysis results dataset:

- a column's group (``TRT01A == 'DL1 ...'``, the dose received) keeps the patients of the dose;
- a count n is the number of distinct USUBJID among the group's records meeting ``where``, its
  denominator the distinct USUBJID meeting ``denominator_where`` (without one: every patient of
  the group); the percentage 100 n / N; the 95% interval the exact Clopper-Pearson interval,
  here by ``scipy.stats.binomtest(n, N).proportion_ci(method="exact")`` (an implementation
  other than the beta quantiles of recompute_tables.py; Clopper CJ, Pearson ES, Biometrika
  1934;26:404-13);
- a summary (``variable``) is the median, minimum, maximum and number of the variable's
  values over the group's records meeting ``where`` (numpy).

The table shows no fitted dose-response model (no logistic or isotonic row): its numbers are
the per-dose counts, rates and exposure summaries above. The design's estimates of Table 14.6.2
(isotonic DLT probabilities, posterior utilities, the selected dose) are the design engine's
decisions on the escalation patients, not ADaM analyses; its metadata say so.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats


def stacked_on_adsl(analysis: dict) -> bool:
    """The analysis reads ADSL with the records of further datasets stacked (Table 14.6.1)."""
    return analysis["datasets"][:1] == ["ADSL"] and bool(analysis.get("also"))


def dose_data(adam: dict[str, pd.DataFrame], analysis: dict) -> pd.DataFrame:
    """The population's ADSL records, then each further dataset's records meeting its
    where-clause, with the patient's ADSL variables (the population's patients only)."""
    adsl = adam["ADSL"]
    pop = adsl
    if analysis["population"]:
        flag = analysis["population"].split(".", 1)[1].split(" ")[0]
        pop = adsl[adsl[flag] == "Y"]
    parts = [pop]
    for name, where in analysis["also"].items():
        d = adam[name].query(where, engine="python") if where else adam[name]
        own = ["USUBJID"] + [c for c in d.columns if c not in pop.columns]
        parts.append(pop.merge(d[own], on="USUBJID", how="inner"))
    return pd.concat(parts, ignore_index=True)


def _subjects(data: pd.DataFrame, where: str) -> set[str]:
    return set(data.query(where, engine="python")["USUBJID"].astype(str)) if where else \
        set(data["USUBJID"].astype(str))


def dose_stat(data: pd.DataFrame, r: dict) -> float:
    """One result of the table's analysis results dataset, recomputed from ``data``."""
    g = data.query(r["group"], engine="python") if r["group"] else data
    s = r["statistic"]
    if r.get("variable"):
        v = pd.to_numeric(g.query(r["where"], engine="python")[r["variable"]],
                          errors="coerce").dropna().to_numpy(dtype=float)
        if s == "n":
            return float(len(v))
        return float({"median": np.median, "min": np.min, "max": np.max}[s](v)) if len(v) \
            else math.nan
    n = len(_subjects(g, r["where"]))
    big = len(_subjects(g, r["denominator_where"]))
    if s == "n":
        return float(n)
    if s == "denominator":
        return float(big)
    if not big:
        return math.nan
    if s == "pct":
        return 100 * n / big
    ci = stats.binomtest(n, big).proportion_ci(confidence_level=0.95, method="exact")
    return 100 * float(ci.low if s == "ci_low" else ci.high)
