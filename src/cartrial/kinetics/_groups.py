"""Grouped numpy helpers: one integer group id per profile, reductions without Python loops."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cartrial.errors import InputError, RecordError, require_columns  # noqa: F401 (re-export)


def first_bad(
    df: pd.DataFrame,
    bad: np.ndarray,
    *,
    domain: str,
    variable: str,
    rule: str,
    seq_col: str | None = None,
    hint: str | None = None,
) -> None:
    """Raise RecordError for the first row where ``bad`` is True (naming subject and record)."""
    bad = np.asarray(bad, dtype=bool)
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    row = df.iloc[i]
    usubjid = row["USUBJID"] if "USUBJID" in df.columns else None
    seq: Any = row[seq_col] if seq_col and seq_col in df.columns else f"row {df.index[i]}"
    n = int(bad.sum())
    more = f" ({n} records)" if n > 1 else ""
    raise RecordError(
        domain=domain,
        usubjid=None if usubjid is None else str(usubjid),
        seq=seq,
        variable=variable,
        value=row[variable] if variable in df.columns else None,
        rule=rule + more,
        hint=hint,
    )


def as_bool(df: pd.DataFrame, column: str, *, domain: str, seq_col: str | None) -> np.ndarray:
    """A boolean column with no missing values: bool, or integers 0 / 1 (no 'Y'/'N' text)."""
    s = df[column]
    if s.dtype == bool:
        return s.to_numpy()
    if pd.api.types.is_integer_dtype(s) and str(s.dtype) != "boolean":
        v = s.to_numpy()
        first_bad(
            df,
            ~np.isin(v, (0, 1)),
            domain=domain,
            variable=column,
            seq_col=seq_col,
            rule=f"{column} must be True/False or 0/1",
        )
        return v == 1
    if str(s.dtype) == "boolean":
        first_bad(
            df,
            s.isna().to_numpy(),
            domain=domain,
            variable=column,
            seq_col=seq_col,
            rule=f"{column} must be True or False, not missing",
        )
        return s.to_numpy(dtype=bool)
    ok = s.map(lambda v: isinstance(v, bool | np.bool_)).to_numpy(dtype=bool)
    first_bad(
        df,
        ~ok,
        domain=domain,
        variable=column,
        seq_col=seq_col,
        rule=f"{column} must be True or False",
    )
    return s.to_numpy(dtype=bool)


def as_float(df: pd.DataFrame, column: str, *, domain: str, seq_col: str | None) -> np.ndarray:
    """A numeric column as float64 (text is an error, not coerced)."""
    s = df[column]
    if not (pd.api.types.is_numeric_dtype(s) and s.dtype != bool):
        bad = ~s.map(
            lambda v: (
                v is None or isinstance(v, int | float | np.number) and not isinstance(v, bool)
            )
        ).to_numpy(dtype=bool)
        first_bad(
            df,
            bad,
            domain=domain,
            variable=column,
            seq_col=seq_col,
            rule=f"{column} must be numeric",
        )
    return s.to_numpy(dtype=float, na_value=np.nan)


def group_ids(
    df: pd.DataFrame, keys: Sequence[str], *, domain: str, seq_col: str | None
) -> tuple[np.ndarray, pd.DataFrame]:
    """0-based group id per row (groups sorted by key) and the key table (one row per group)."""
    keys = list(keys)
    for k in keys:
        first_bad(
            df,
            df[k].isna().to_numpy(),
            domain=domain,
            variable=k,
            seq_col=seq_col,
            rule=f"profile key {k} must not be missing",
        )
    if len(df) == 0:
        return np.zeros(0, dtype=np.int64), pd.DataFrame({k: [] for k in keys})
    g = df.groupby(keys, sort=True, dropna=False)
    gid = g.ngroup().to_numpy(dtype=np.int64)
    table = g.size().reset_index()[keys]
    return gid, table


def group_reduce(
    ufunc: np.ufunc, values: np.ndarray, gid: np.ndarray, n_groups: int, fill: float
) -> np.ndarray:
    """ufunc.at reduction of ``values`` into ``n_groups`` slots initialised with ``fill``."""
    out = np.full(n_groups, fill, dtype=float)
    ufunc.at(out, gid, values)
    return out


def group_starts(gid_sorted: np.ndarray) -> np.ndarray:
    """Index of the first row of each run of equal ids (input sorted by id)."""
    if gid_sorted.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, gid_sorted[1:] != gid_sorted[:-1]])


def group_ids_one_per_time(
    df: pd.DataFrame, by: Sequence[str], t: np.ndarray, *, domain: str, seq_col: str | None,
    what: str,
) -> tuple[np.ndarray, pd.DataFrame]:
    """:func:`group_ids`, refusing two rows of one group at the same time (``what`` names them)."""
    g, keys = group_ids(df, by, domain=domain, seq_col=seq_col)
    dup = pd.DataFrame({"g": g, "t": t}).duplicated(keep=False).to_numpy()
    first_bad(df, dup, domain=domain, variable="time_days", seq_col=seq_col,
              rule=f"two {what} at the same time")
    return g, keys


def sampling_times(df: pd.DataFrame, *, domain: str, seq_col: str | None) -> np.ndarray:
    """``time_days`` as floats, refusing a missing or infinite time (first record named)."""
    t = as_float(df, "time_days", domain=domain, seq_col=seq_col)
    first_bad(df, ~np.isfinite(t), domain=domain, variable="time_days", seq_col=seq_col,
              rule="sampling time must be a finite number of days from infusion")
    return t


def optional_float(df: pd.DataFrame, column: str, *, domain: str,
                   seq_col: str | None) -> np.ndarray:
    """An optional numeric column as floats; all NaN when the column is absent."""
    if column not in df.columns:
        return np.full(len(df), np.nan)
    return as_float(df, column, domain=domain, seq_col=seq_col)



def positional(df: pd.DataFrame) -> pd.DataFrame:
    """``df.reset_index(drop=True)`` for a reader that changes nothing: ``df`` itself when its
    labels already are its positions (issue #18: a large trial's cytokine records, ~37 MiB at
    10,000 patients, were copied only to be read).

    Examples
    --------
    >>> df = pd.DataFrame({"A": [1, 2]})
    >>> positional(df) is df, positional(df.iloc[::-1]).index.tolist()
    (True, [0, 1])
    """
    idx = df.index
    if isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1 and idx.name is None:
        return df
    return df.reset_index(drop=True)
