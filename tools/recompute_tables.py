"""Recompute the report's tables from the ADaM files alone, knowing nothing of cartrial.

Usage: ``python tools/recompute_tables.py OUT`` where OUT is a folder written by ``cartrial
analyze`` (``OUT/adam/*.csv`` and ``OUT/tables/*.ard.json``). Imports only the standard library,
numpy, pandas and scipy.

For every table whose analysis metadata say it is recomputable, each displayed statistic of its
analysis results dataset (ARD) is recomputed from the ADaM CSV files. The population is the ADSL
records whose flag (``analysis.population``) is "Y" (no flag: every ADSL record), left-joined
with the records of the analysis dataset meeting ``analysis.where``; a result's ``group`` and
``where`` are pandas query expressions. With ``variable``, the statistic summarises that
variable's values over the matching records (n, median, min, max, geometric mean and CV%);
otherwise n counts distinct USUBJID (with ``worst_grade``: subjects whose highest ATOXGRN among
the matching records equals that grade), N the subjects of the group meeting
``denominator_where``; percentages 100 n / N; 95% CIs Clopper-Pearson by scipy.stats.beta
(Clopper CJ, Pearson ES, Biometrika 1934;26:404-13). Each value is compared with the ARD value
(unrounded; to 8 significant digits, the CSV files carrying 10) and, formatted with the decimals
shown, with the number shown in the table. Prints one line per table and exits 1 when a number
differs.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats


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
    return pop.merge(d[keep], on="USUBJID", how="left")


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
    if statistic == "geo_mean":  # scipy's geometric mean of the positive values
        return float(stats.gmean(v[v > 0])) if len(logs) else math.nan
    if statistic == "geo_cv_pct":
        s = float(np.std(logs, ddof=1)) if len(logs) > 1 else math.nan
        return 100 * math.sqrt(math.expm1(s * s)) if s == s else math.nan
    raise ValueError(f"statistic {statistic!r} is not a summary statistic")


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
    if s in ("ci_lower", "ci_upper"):
        return clopper_pearson(n, big)[s == "ci_upper"] if big else math.nan
    raise ValueError(f"statistic {s!r} cannot be recomputed from counts")


def shown_as(value: float, shown: str) -> str:
    """``value`` with as many decimals as the displayed number has (thousands separated when
    it is)."""
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    return f"{value:,.{decimals}f}" if "," in shown else f"{value:.{decimals}f}"


def check_table(doc: dict, adam: dict[str, pd.DataFrame]) -> tuple[int, list[str], list[str]]:
    """(results recomputed, differences, results without a where-clause) of one table."""
    data = population_data(adam, doc["analysis"])
    done, diffs, skipped = 0, [], []
    for r in doc["results"]:
        if r["statistic"] == "text":
            continue
        where = f"{doc['table']} [{r['row']} | {r['column']} | {r['statistic']}]"
        if not r["where"]:
            skipped.append(where)
            continue
        v = recompute(data, r)
        # the ADaM CSV files carry 10 significant digits: equal to 8
        ok_value = r["value"] is not None and bool(np.isclose(v, r["value"], rtol=1e-8,
                                                             atol=1e-12))
        if not ok_value or shown_as(v, r["shown"]) != r["shown"]:
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
