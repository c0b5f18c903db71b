"""Recompute helpers of the safety tables, knowing nothing of cartrial (imported by
``tools/recompute_tables.py``; standard library and pandas only).

A table whose analysis metadata carry ``also`` ({dataset: where-clause}) reads the records of
several ADaM datasets: Table 14.3.2 counts patients by worst CRS grade on ADAE records and
summarises the onset, duration and therapy of the derived episodes on ADSYND records. The
analysis data are then the union of the population left-joined with the first dataset's records
(as for every table) and the population's records of each further dataset meeting its
where-clause, stacked: a record holds the variables of its own dataset (the others missing), so
a cell's where-clause selects the records of the dataset it names, counts stay distinct
USUBJIDs, and a summary runs over the selected records only.
"""

from __future__ import annotations

import pandas as pd


def add_datasets(data: pd.DataFrame, pop: pd.DataFrame, adam: dict[str, pd.DataFrame],
                 analysis: dict) -> pd.DataFrame:
    """``data`` (population left-joined with the first dataset) with the population's records
    of each further dataset in ``analysis["also"]`` (dataset -> where-clause) stacked below."""
    parts = [data]
    for name, where in (analysis.get("also") or {}).items():
        d = adam[name].query(where, engine="python") if where else adam[name]
        keep = ["USUBJID"] + [c for c in d.columns if c not in pop.columns]
        parts.append(pop.merge(d[keep], on="USUBJID", how="inner"))
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else data
