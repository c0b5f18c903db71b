"""Recompute the report's tables from the ADaM files alone, knowing nothing of cartrial.

Usage: ``python tools/recompute_tables.py OUT`` where OUT is a folder written by ``cartrial
analyze`` (``OUT/adam/*.csv`` and ``OUT/tables/*.ard.json``). Imports only the standard library,
numpy, pandas and scipy.

For every table whose analysis metadata say it is recomputable, each displayed statistic of its
analysis results dataset (ARD) is recomputed from the ADaM CSV files. The population is the ADSL
records whose flag (``analysis.population``) is "Y" (no flag: every ADSL record), left-joined
with the records of the analysis dataset meeting ``analysis.where`` (with ``analysis.also``,
the records of further datasets stacked below: tools/recompute_safety.py); a result's ``group`` and
``where`` are pandas query expressions. With ``variable``, the statistic summarises that
variable's values over the matching records (n, median, min, max, geometric mean and CV%);
otherwise n counts distinct USUBJID (with ``worst_grade``: subjects whose highest ATOXGRN among
the matching records equals that grade), N the subjects of the group meeting
``denominator_where``; percentages 100 n / N; 95% CIs Clopper-Pearson by scipy.stats.beta
(Clopper CJ, Pearson ES, Biometrika 1934;26:404-13). Mean, SD (n - 1) and quartiles (R
quantile type 7) summarise a variable as n and median do. A table whose analysis carries ``km``
(time variable, event expression, confidence level, CI transform) gets its events, censored,
Kaplan-Meier medians with Brookmeyer-Crowley limits and landmark percentages (at the result's
``timepoint``) from a Kaplan-Meier estimate written here with numpy. Each value is compared
with the ARD value (unrounded; to 8 significant digits, the CSV files carrying 10) and,
formatted with the decimals shown (either rounding of halves), with the number shown in the
table. A table whose metadata read ADSL with the records of further datasets stacked below
(Table 14.6.1, dose-toxicity, -response and -exposure) is recomputed by tools/recompute_dose.py.
Prints one line per table and exits 1 when a number differs.
"""

from __future__ import annotations

import json
import math
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from recompute_dose import dose_data, dose_stat, stacked_on_adsl  # noqa: E402  (Table 14.6.1)
from recompute_efficacy import (  # noqa: E402
    bands,
    first_at_half,
    is_test,
    rank_stat,
    shown_sci,
    with_derived,
)
from recompute_safety import add_datasets  # noqa: E402  (several datasets of a safety table)

KM_STATS = ("events", "censored", "estimate", "pct", "ci_low", "ci_high")


def read_adam(adam_dir: Path) -> dict[str, pd.DataFrame]:
    """Every ADaM CSV of the folder, by dataset name (``ADSL``); empty text is missing."""
    return {p.stem.upper(): pd.read_csv(p, keep_default_na=False, na_values=[""],
                                        low_memory=False)
            for p in sorted(adam_dir.glob("*.csv"))}


def population_data(adam: dict[str, pd.DataFrame], analysis: dict) -> pd.DataFrame:
    adsl = adam["ADSL"]
    pop = adsl  # no population flag: every ADSL record (the enrolled patients)
    if analysis["population"]:
        var = analysis["population"].split(".", 1)[1].split(" ")[0]
        pop = adsl[adsl[var] == "Y"]
    name = analysis["datasets"][0]
    if name == "ADSL":
        return pop
    d = adam[name]
    if analysis["where"]:
        d = d.query(analysis["where"], engine="python")
    keep = ["USUBJID"] + [c for c in d.columns if c not in pop.columns]
    return add_datasets(pop.merge(d[keep], on="USUBJID", how="left"), pop, adam, analysis)


def clopper_pearson(n: int, big: int, level: float = 0.95) -> tuple[float, float]:
    a = 1 - level
    lo = 0.0 if n == 0 else stats.beta.ppf(a / 2, n, big - n + 1)
    hi = 1.0 if n == big else stats.beta.ppf(1 - a / 2, n + 1, big - n)
    return 100 * float(lo), 100 * float(hi)


def summary(values: pd.Series, statistic: str) -> float:
    """A statistic of a variable's values: n, median, min, max, geometric mean and geometric
    CV% = 100 sqrt(exp(s^2) - 1), s the SD of the logs of the positive values (Kirkwood TBL,
    Biometrics 1979;35:908-9)."""
    v = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    logs = np.log(v[v > 0])
    if statistic == "n":
        return float(len(v))
    if statistic in ("median", "min", "max"):
        return float(getattr(np, statistic)(v)) if len(v) else math.nan
    if statistic == "mean":
        return float(v.mean()) if len(v) else math.nan
    if statistic == "sd":  # n - 1 in the denominator
        return float(np.sqrt(((v - v.mean()) ** 2).sum() / (len(v) - 1))) if len(v) > 1 \
            else math.nan
    if statistic in ("q1", "q3"):
        return quantile7(v, 0.25 if statistic == "q1" else 0.75)
    if statistic == "geo_mean":  # scipy's geometric mean of the positive values
        return float(stats.gmean(v[v > 0])) if len(logs) else math.nan
    if statistic == "geo_cv_pct":
        s = float(np.std(logs, ddof=1)) if len(logs) > 1 else math.nan
        return 100 * math.sqrt(math.expm1(s * s)) if s == s else math.nan
    raise ValueError(f"statistic {statistic!r} is not a summary statistic")


def quantile7(v: np.ndarray, p: float) -> float:
    """R's quantile(type = 7): x[j] + g (x[j+1] - x[j]) with h = (n - 1) p, j = floor(h),
    g = h - j on the sorted values (Hyndman RJ, Fan Y, Am Stat 1996;50:361-5)."""
    if not len(v):
        return math.nan
    x = np.sort(v)
    h = (len(x) - 1) * p
    j = int(math.floor(h))
    return float(x[j] + (h - j) * (x[min(j + 1, len(x) - 1)] - x[j]))


def kaplan_meier(t: np.ndarray, event: np.ndarray, level: float, transform: str
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(distinct times, S, lower, upper): S(t) = prod over event times <= t of (1 - d/n)
    (Kaplan EL, Meier P, J Am Stat Assoc 1958;53:457-81), Greenwood's variance of log S,
    pointwise limits on the plain, log or log-log scale (Kalbfleisch JD, Prentice RL, The
    Statistical Analysis of Failure Time Data, Wiley 1980); no limits where S = 0."""
    times = np.unique(t)
    d = np.array([event[t == x].sum() for x in times], dtype=float)
    n = np.array([(t >= x).sum() for x in times], dtype=float)
    s = np.cumprod(1 - d / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(np.cumsum(np.where(d > 0, d / (n * (n - d)), 0.0)))
    lo, hi = bands(s, se, level, transform)
    return times, s, lo, hi


def km_stat(data: pd.DataFrame, r: dict, km: dict) -> float:
    """A Kaplan-Meier result of the records of the cell: events and censored (event: the
    analysis' km.event), the median and its limits, or at ``timepoint`` the percentage
    event-free (S at the last time <= timepoint; NaN after the last time observed)."""
    g = data.query(r["group"], engine="python") if r["group"] else data
    f = g.query(r["where"], engine="python")
    t = f[km["time"]].to_numpy(dtype=float)
    ev = f.eval(km["event"], engine="python").to_numpy(dtype=bool)
    s = r["statistic"]
    if s in ("events", "censored"):
        return float(ev.sum() if s == "events" else (~ev).sum())
    if not len(t):
        return math.nan
    times, surv, lo, hi = kaplan_meier(t, ev, km["confidence_level"], km["ci_transform"])
    if r["timepoint"] != "":
        at = float(r["timepoint"])
        if at > times[-1]:
            return math.nan
        k = np.flatnonzero(times <= at)
        col = {"pct": surv, "ci_low": lo, "ci_high": hi}[s]
        return 100 * float(col[k[-1]]) if k.size else 100.0
    return first_at_half(times, {"estimate": surv, "ci_low": lo, "ci_high": hi}[s])


def recompute(data: pd.DataFrame, r: dict) -> float:
    """One ARD result (statistic ``r["statistic"]``) from the analysis data."""
    g = data.query(r["group"], engine="python") if r["group"] else data
    if r.get("variable"):
        return summary(g.query(r["where"], engine="python")[r["variable"]], r["statistic"])
    den = g.query(r["denominator_where"], engine="python") if r["denominator_where"] else g
    hit = g.query(r["where"], engine="python")
    if r["worst_grade"]:
        n = int((hit.groupby("USUBJID")["ATOXGRN"].max() == float(r["worst_grade"])).sum())
    else:
        n = int(hit["USUBJID"].nunique())
    big = int(den["USUBJID"].nunique())
    s = r["statistic"]
    if s == "n":
        return float(n)
    if s == "denominator":
        return float(big)
    if s == "pct":
        return 100 * n / big if big else math.nan
    if s in ("ci_low", "ci_high"):
        return clopper_pearson(n, big)[s == "ci_high"] if big else math.nan
    raise ValueError(f"statistic {s!r} cannot be recomputed from counts")


def shown_as(value: float, shown: str) -> str:
    """``value`` with as many decimals as the displayed number has (thousands separated when
    it is)."""
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    return f"{value:,.{decimals}f}" if "," in shown else f"{value:.{decimals}f}"


def shown_half_up(value: float, shown: str) -> str:
    """``value`` with the decimals shown, halves rounded away from zero (SAS ROUND; the
    baseline table's convention) where Python's formatting rounds the binary value."""
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    q = Decimal(1).scaleb(-decimals)
    return str(Decimal(repr(float(value))).quantize(q, rounding=ROUND_HALF_UP))


def same(v: float, r: dict) -> bool:
    """The recomputed value equals the ARD value (to 8 significant digits, the CSV files
    carrying 10) and, at the decimals shown, the number shown; not estimable (NaN) matches a
    missing ARD value shown as NE or NR."""
    if v != v:
        return r["value"] is None and r["shown"] in ("NE", "NR")
    if r["value"] is None or not np.isclose(v, r["value"], rtol=1e-8, atol=1e-12):
        return False
    return r["shown"] in (shown_as(v, r["shown"]), shown_half_up(v, r["shown"]),
                          shown_sci(v, r["shown"]))


def check_table(doc: dict, adam: dict[str, pd.DataFrame]) -> tuple[int, list[str], list[str]]:
    """(results recomputed, differences, results without a where-clause) of one table."""
    dose = stacked_on_adsl(doc["analysis"])  # ADSL with records of other datasets: 14.6.1
    data = dose_data(adam, doc["analysis"]) if dose else with_derived(
        population_data(adam, doc["analysis"]), adam, doc["analysis"])
    done, diffs, skipped = 0, [], []
    for r in doc["results"]:
        if r["statistic"] == "text":
            continue
        where = f"{doc['table']} [{r['row']} | {r['column']} | {r['statistic']}]"
        if not r["where"]:
            skipped.append(where)
            continue
        km = doc["analysis"].get("km")
        v = dose_stat(data, r) if dose else \
            rank_stat(data, r, doc["analysis"]["test"]) if is_test(doc["analysis"], r) else \
            km_stat(data, r, km) if km and r["statistic"] in KM_STATS else recompute(data, r)
        if not same(v, r):
            diffs.append(f"{where}: recomputed {v!r}, ARD {r['value']!r}, shown {r['shown']}")
        done += 1
    return done, diffs, skipped


def main(out: str) -> int:
    root = Path(out)
    adam = read_adam(root / "adam")
    failed = False
    for path in sorted((root / "tables").glob("*.ard.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        a = doc["analysis"]
        if not a.get("recomputable"):
            print(f"{doc['caption']}: not recomputed ({a.get('reason', '')})")
            continue
        done, diffs, skipped = check_table(doc, adam)
        failed |= bool(diffs)
        print(f"{doc['caption']}: {done} numbers recomputed, {len(diffs)} differ"
              + (f", {len(skipped)} without a where-clause" if skipped else ""))
        for d in diffs:
            print("  " + d)
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python tools/recompute_tables.py OUT", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
