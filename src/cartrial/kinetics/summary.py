"""Descriptive statistics of per-patient parameters, by group (n, geometric mean, geo CV%, ...).

Geometric CV% = 100 sqrt(exp(s^2) - 1) with s the SD (n - 1) of the log values, the convention
of PK reporting (PKNCA ``geocv``; WinNonlin "CV% Geometric Mean"). Geometric statistics use the
values > 0 only; ``n_geo`` says how many, so a zero is never dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cartrial.errors import InputError, RecordError
from cartrial.kinetics._groups import require_columns

SUMMARY_COLUMNS = [
    "n",
    "n_missing",
    "n_geo",
    "geo_mean",
    "geo_cv_pct",
    "mean",
    "sd",
    "median",
    "min",
    "max",
]


def summarise_parameters(
    table: pd.DataFrame,
    parameters: Sequence[str],
    *,
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per group x parameter: n, n_missing, n_geo, geo_mean, geo_cv_pct, mean, sd,
    median, min, max (PK summary convention).

    Groups with a missing ``by`` value are kept (shown as missing), never dropped.
    """
    by = list(by)
    parameters = list(parameters)
    require_columns(table, [*by, *parameters], where="summarise_parameters")
    long = table[by + parameters].melt(
        id_vars=by, value_vars=parameters, var_name="PARAMCD", value_name="value"
    )
    long["value"] = pd.to_numeric(long["value"], errors="raise").astype(float)
    v = long["value"].to_numpy()
    long["present"] = np.isfinite(v)
    pos = np.isfinite(v) & (v > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        long["logv"] = np.where(pos, np.log(np.where(pos, v, 1.0)), np.nan)
    long["value"] = np.where(np.isfinite(v), v, np.nan)
    keys = [*by, "PARAMCD"]
    grp = long.groupby(keys, sort=False, dropna=False)
    out = grp.agg(
        n=("present", "sum"),
        n_rows=("present", "size"),
        n_geo=("logv", "count"),
        log_mean=("logv", "mean"),
        log_sd=("logv", "std"),
        mean=("value", "mean"),
        sd=("value", "std"),
        median=("value", "median"),
        min=("value", "min"),
        max=("value", "max"),
    ).reset_index()
    out["n_missing"] = out["n_rows"] - out["n"]
    out["geo_mean"] = np.exp(out["log_mean"])
    out["geo_cv_pct"] = 100.0 * np.sqrt(np.expm1(out["log_sd"] ** 2))
    out = out.drop(columns=["n_rows", "log_mean", "log_sd"])
    out["PARAMCD"] = pd.Categorical(out["PARAMCD"], categories=parameters, ordered=True)
    out = out.sort_values([*by, "PARAMCD"], kind="stable", na_position="last")
    out["PARAMCD"] = out["PARAMCD"].astype(str)
    for col in ("n", "n_missing", "n_geo"):
        out[col] = out[col].astype(int)
    return out[[*keys, *SUMMARY_COLUMNS]].reset_index(drop=True)


def attach_groups(
    table: pd.DataFrame,
    groups: pd.DataFrame,
    *,
    columns: Sequence[str],
    on: str = "USUBJID",
    domain: str = "ADSL",
) -> pd.DataFrame:
    """Left-join subject-level grouping columns (dose, CRS grade, best response) onto ``table``.

    ``groups`` must hold one row per subject; subjects absent from it get missing groups, which
    the summaries show as their own (missing) group.
    """
    columns = list(columns)
    require_columns(groups, [on, *columns], where="attach_groups")
    require_columns(table, [on], where="attach_groups")
    dup = groups[on].duplicated(keep=False).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise RecordError(
            domain=domain,
            usubjid=str(groups[on].iloc[i]),
            variable=on,
            value=groups[on].iloc[i],
            rule="subject-level groups must have one row per subject",
        )
    clash = [c for c in columns if c in table.columns]
    if clash:
        raise InputError(f"attach_groups: columns {clash} already in the table")
    return table.merge(groups[[on, *columns]], on=on, how="left", validate="many_to_one")
