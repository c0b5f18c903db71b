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

    Parameters
    ----------
    table : pandas.DataFrame
        One row per profile with the parameter columns and the ``by`` columns.
    parameters : sequence of str
        Numeric parameter columns (e.g. CMAX, AUC0_28), in output order.
    by : sequence of str, default ()
        Grouping columns (e.g. the dose level, the analyte).

    Returns
    -------
    pandas.DataFrame
        Columns by..., PARAMCD, n, n_missing, n_geo (values > 0 used by the geometric
        statistics), geo_mean, geo_cv_pct (100 sqrt(exp(s^2) - 1)), mean, sd, median, min, max.

    Raises
    ------
    InputError
        When a column is absent.
    ValueError
        When a parameter column holds text that is not a number.

    References
    ----------
    Denney W, Duvvuri S, Buckeridge C. J Pharmacokinet Pharmacodyn 2015;42:S65 (PKNCA
    ``geocv``).

    Examples
    --------
    Hand check: geometric mean of 1 and 2 is sqrt(2); s = ln(2) / sqrt(2) = 0.490, so the
    geometric CV is 100 sqrt(exp(0.240) - 1) = 52.1 %.

    >>> t = pd.DataFrame({"CMAX": [1.0, 2.0, None]})
    >>> summarise_parameters(t, ["CMAX"]).round(2)[["n", "n_missing", "geo_mean", "geo_cv_pct"]]
       n  n_missing  geo_mean  geo_cv_pct
    0  2          1      1.41       52.11
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

    Subjects absent from ``groups`` get missing groups, which the summaries show as their own
    (missing) group.

    Parameters
    ----------
    table : pandas.DataFrame
        Per-profile rows with the ``on`` column.
    groups : pandas.DataFrame
        One row per subject: ``on`` and ``columns``.
    columns : sequence of str
        Grouping columns to add; none may already be in ``table``.
    on : str, default "USUBJID"
        Subject key.
    domain : str, default "ADSL"
        Named in errors.

    Returns
    -------
    pandas.DataFrame
        ``table`` with ``columns`` added (left join, row order kept).

    Raises
    ------
    InputError
        When a column is absent or already in ``table``.
    RecordError
        When a subject has two rows in ``groups``.

    Examples
    --------
    >>> t = pd.DataFrame({"USUBJID": ["01", "02"], "CMAX": [10.0, 20.0]})
    >>> g = pd.DataFrame({"USUBJID": ["01"], "DOSE": ["DL1"]})
    >>> attach_groups(t, g, columns=["DOSE"])
      USUBJID  CMAX DOSE
    0      01  10.0  DL1
    1      02  20.0  NaN
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


def parameters_from_records(
    records: pd.DataFrame,
    *,
    keys: Sequence[str],
    parameter: str = "PARAMCD",
    value: str = "AVAL",
    domain: str = "ADPP",
) -> pd.DataFrame:
    """The per-profile table :func:`summarise_parameters` reads, from BDS records (ADaM ADPP,
    ADCYT): one row per ``keys``, one column per value of ``parameter`` holding ``value``.

    The ADaM entry point of the summaries: the report's kinetics tables summarise the ADaM
    datasets through it, so each rule stays in this module.

    Parameters
    ----------
    records : pandas.DataFrame
        One row per profile and parameter (``keys``, ``parameter``, ``value``).
    keys : sequence of str
        Columns identifying one profile (e.g. USUBJID, PARCAT1, PARCAT2).
    parameter : str, default "PARAMCD"
        The column naming the parameter (ADPP: PPTESTCD).
    value : str, default "AVAL"
        The numeric analysis value.
    domain : str, default "ADPP"
        Named in errors.

    Returns
    -------
    pandas.DataFrame
        ``keys`` then one float column per parameter (in order of first appearance), rows in
        the order of the sorted keys; a parameter a profile lacks is missing.

    Raises
    ------
    InputError
        When a column is absent.
    RecordError
        When a profile has two records of one parameter, or a value is not a number.

    Examples
    --------
    >>> r = pd.DataFrame({"USUBJID": ["01", "01", "02"], "PPTESTCD": ["CMAX", "TMAX", "CMAX"],
    ...                   "AVAL": [10.0, 7.0, 20.0]})
    >>> parameters_from_records(r, keys=["USUBJID"], parameter="PPTESTCD")
      USUBJID  CMAX  TMAX
    0      01  10.0   7.0
    1      02  20.0   NaN
    """
    keys = list(keys)
    require_columns(records, [*keys, parameter, value], where="parameters_from_records")
    dup = records.duplicated([*keys, parameter], keep=False).to_numpy()
    num = pd.to_numeric(records[value], errors="coerce")
    bad = dup | (num.isna() & records[value].notna()).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        r = records.iloc[i]
        raise RecordError(domain=domain, usubjid=str(r.get("USUBJID", "")),
                          variable=value if not dup[i] else parameter,
                          value=r[value] if not dup[i] else r[parameter],
                          rule="one numeric value per profile and parameter")
    wide = records.assign(**{value: num.astype(float)}).pivot(
        index=keys, columns=parameter, values=value)
    order = list(dict.fromkeys(records[parameter]))
    wide = wide.reindex(columns=order).sort_index(kind="stable").reset_index()
    wide.columns.name = None
    return wide
