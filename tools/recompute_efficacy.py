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
* ``test`` ``survival``, the median follow-up row: the reverse Kaplan-Meier median of the
  row's records (censoring taken as the event; Schemper M, Smith TL, Control Clin Trials
  1996;17:343-6), the curve and its Greenwood standard error by statsmodels ``SurvfuncRight``
  on the reversed indicator, times in months (``AVAL / days_per_month``), the
  Brookmeyer-Crowley limits where the pointwise band (the analysis' ``ci_transform``) first
  reaches 0.5 (Brookmeyer R, Crowley J, Biometrics 1982;38:29-41).
* ``test`` ``survival``, a cumulative incidence row (``timepoint`` in months): the
  Aalen-Johansen estimate of the cause named in the row (the analysis' ``causes``: row label ->
  EVNTDESC of the event, the other causes competing; Aalen OO, Johansen S, Scand J Stat
  1978;5:141-50), its delta-method standard error (Pintilie M, Competing Risks: A Practical
  Perspective, Wiley 2006, chapter 4) and the log-scale limits F exp(+-z se / F) (upper capped
  at 1, none where F = 0), written here with numpy; not estimable after the last time observed.
* a number shown in scientific notation (``7.98e-06``) is compared at its significant digits.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

TEST_STATS = {"spearman": ("estimate", "in_parentheses"),
              "survival": ("chisq", "df", "p_value", "estimate", "pct", "ci_low", "ci_high")}
FOLLOW_UP = "Median follow-up"


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
    if r["row"].startswith(FOLLOW_UP) or r["timepoint"] != "":  # per column, not across
        g = f.query(r["group"], engine="python") if r["group"] else f
        return follow_up_or_incidence(g, r, test)
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


def follow_up_or_incidence(f: pd.DataFrame, r: dict, test: dict) -> float:
    """The median follow-up (or a limit) of the records, or, at the row's ``timepoint``, the
    percentage (or a limit) of the cumulative incidence of the row's cause."""
    months = f[test["time"]].to_numpy(dtype=float) / test["days_per_month"]
    event = f.eval(test["event"], engine="python").to_numpy(dtype=bool)
    if r["row"].startswith(FOLLOW_UP):
        return reverse_km_median(months, event, test["confidence_level"],
                                 test["ci_transform"])[("estimate", "ci_low",
                                                        "ci_high").index(r["statistic"])]
    cause = r["row"].split(": cumulative incidence at ", 1)[0]
    desc = f[test["cause_variable"]].fillna("").to_numpy(dtype=object)
    codes = np.zeros(len(f), dtype=int)  # 0 censored, 1 the row's cause, 2 the competing ones
    codes[event] = np.where(desc[event] == test["causes"][cause], 1, 2)
    est = aalen_johansen_at(months, codes, float(r["timepoint"]), test["confidence_level"])
    return 100 * est[("pct", "ci_low", "ci_high").index(r["statistic"])]


def bands(s: np.ndarray, se_log: np.ndarray, level: float, transform: str
          ) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise limits of a survival curve s from the standard error of log s, on the plain,
    log or log-log scale (Kalbfleisch JD, Prentice RL, The Statistical Analysis of Failure
    Time Data, Wiley 1980); none where s = 0."""
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        if transform == "log-log":
            lo = np.where(s >= 1, 1.0, s ** np.exp(-z * se_log / np.log(s)))
            hi = np.where(s >= 1, 1.0, s ** np.exp(z * se_log / np.log(s)))
        elif transform == "log":
            lo, hi = s * np.exp(-z * se_log), np.minimum(s * np.exp(z * se_log), 1.0)
        else:
            lo = np.clip(s - z * se_log * s, 0, 1)
            hi = np.clip(s + z * se_log * s, 0, 1)
    return np.where(s > 0, lo, np.nan), np.where(s > 0, hi, np.nan)


def first_at_half(times: np.ndarray, y: np.ndarray) -> float:
    """The first time the curve y is at or below 0.5 (NaN: never); when it is exactly 0.5
    there and drops below later, the midpoint of that flat (Brookmeyer R, Crowley J,
    Biometrics 1982;38:29-41: the median and its limits where S, its lower and its upper
    limit cross 0.5)."""
    ok = ~np.isnan(y)
    x, y = times[ok], y[ok]
    at = np.flatnonzero(y <= 0.5 + 1e-9)
    if not at.size:
        return math.nan
    i = at[0]
    below = np.flatnonzero(y < 0.5 - 1e-9)
    if abs(y[i] - 0.5) <= 1e-9 and below.size:
        return float((x[i] + x[below[0]]) / 2)
    return float(x[i])


def reverse_km_median(months: np.ndarray, event: np.ndarray, level: float, transform: str
                      ) -> tuple[float, float, float]:
    """(median follow-up, lower, upper limit): the Kaplan-Meier curve of the censoring times
    (event and censoring swapped) by statsmodels ``SurvfuncRight``, its median and the
    Brookmeyer-Crowley limits on the ``transform`` scale (NaN: not reached)."""
    from statsmodels.duration.survfunc import SurvfuncRight

    if not len(months) or event.all():  # nobody censored: no follow-up curve
        return math.nan, math.nan, math.nan
    fit = SurvfuncRight(months, (~event).astype(float))
    times = np.asarray(fit.surv_times, dtype=float)
    s = np.asarray(fit.surv_prob, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se_log = np.asarray(fit.surv_prob_se, dtype=float) / s  # Greenwood, of log S
    lo, hi = bands(s, se_log, level, transform)
    return first_at_half(times, s), first_at_half(times, lo), first_at_half(times, hi)


def aalen_johansen_at(months: np.ndarray, cause: np.ndarray, at: float, level: float
                      ) -> tuple[float, float, float]:
    """(F, lower, upper) of cause 1 at ``at`` with competing causes >= 2 and 0 = censored.

    F(t) = sum over the times t_j <= t of S(t_j-) d1_j / n_j, S the all-cause Kaplan-Meier
    curve, d1_j the cause-1 events and n_j the number at risk at t_j (Aalen & Johansen 1978);
    Var F(t) = sum [F(t) - F(t_j)]^2 d_j / (n_j (n_j - d_j)) + sum S(t_j-)^2 d1_j (n_j - d1_j)
    / n_j^3 - 2 sum [F(t) - F(t_j)] S(t_j-) d1_j / n_j^2 (the delta method; d_j the events of
    any cause; Pintilie 2006, chapter 4). NaN after the last time observed; no limits where
    F = 0."""
    times = np.unique(months)
    if not len(times) or at > times[-1]:
        return math.nan, math.nan, math.nan
    keep = times[times <= at]
    n = np.array([(months >= x).sum() for x in keep], dtype=float)
    d = np.array([((months == x) & (cause > 0)).sum() for x in keep], dtype=float)
    d1 = np.array([((months == x) & (cause == 1)).sum() for x in keep], dtype=float)
    s_before = np.concatenate([[1.0], np.cumprod(1 - d / n)[:-1]])
    f_j = np.cumsum(s_before * d1 / n)
    f = float(f_j[-1]) if len(f_j) else 0.0
    if f == 0:
        return 0.0, math.nan, math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.where(n > d, d / (n * (n - d)), 0.0)
    var = (((f - f_j) ** 2 * greenwood).sum() + (s_before ** 2 * d1 * (n - d1) / n ** 3).sum()
           - 2 * ((f - f_j) * s_before * d1 / n ** 2).sum())
    half = stats.norm.ppf(0.5 + level / 2) * math.sqrt(var) / f
    return f, f * math.exp(-half), min(f * math.exp(half), 1.0)
