"""Shared helpers of the ADaM builders: imputed dates, first/last per subject, lookups."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from cartrial.data import impute_date
from cartrial.data.text import spread
from cartrial.errors import require_columns

SUBJECT_KEYS = ("STUDYID", "USUBJID")
_HINT = 4096  # a factorising hash table's first size (it grows as values come)


def require(df: pd.DataFrame, cols: Sequence[str], where: str) -> None:
    """Raise InputError naming every ADaM/SDTM variable ``df`` lacks (``where``: the dataset)."""
    require_columns(df, cols, where=where, noun="variable")


def dtc_date(values: pd.Series, kind: str = "start",
             min_dates: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """(date normalised to the day, imputation flag) per CDISC ADaMIG v1.3: partial
    dates are imputed only in ADaM (start -> first day, end -> last day; a start not before
    ``min_dates`` when its range holds it, see :func:`cartrial.data.dates.impute_date`)."""
    d, f = impute_date(values, kind=kind, min_dates=min_dates)  # type: ignore[arg-type]
    return d.dt.normalize(), f


def complete_days(texts: np.ndarray) -> np.ndarray:
    """Per ISO 8601 text, its day when the first 10 characters are a complete date
    (``YYYY-MM-DD``), else NaT (datetime64[ns])."""
    day = pd.Series(texts, dtype=object).astype(str).str.slice(0, 10)
    parsed = pd.to_datetime(day.where(day.str.len() == 10), format="%Y-%m-%d", errors="coerce")
    return parsed.to_numpy(dtype="datetime64[ns]")


def start_days(texts: np.ndarray) -> np.ndarray:
    """Per --DTC text, :func:`dtc_date`'s start-imputed day (datetime64[ns], NaT when blank
    or invalid)."""
    return dtc_date(pd.Series(texts, dtype=object))[0].to_numpy(dtype="datetime64[ns]")


def latest_per_subject(usubjid: pd.Series, dtc: pd.Series,
                       days: Callable[[np.ndarray], np.ndarray]) -> pd.Series:
    """Per USUBJID (sorted, missing identifiers left out), the latest of ``days`` of its
    records' texts, NaT when it has none. ``days`` maps distinct texts (an object array, no
    missing value) to dates, one each: each distinct text is read once (a large LB holds
    millions of records but a few thousand dates), the maximum taken per subject code.

    Examples
    --------
    >>> u = pd.Series(["S2", "S1", "S2", None])
    >>> d = pd.Series(["2024-01-05", "2024-02", "2024-03-01T10:00", "2025-01-01"])
    >>> latest_per_subject(u, d, start_days).dt.strftime("%Y-%m-%d").to_dict()
    {'S1': '2024-02-01', 'S2': '2024-03-01'}
    """
    # hash tables grown to the distinct values, not sized to the records (pandas' default: at
    # 10,000 patients ~140 MiB for LB's 3.5 million records; issue #18: memory)
    codes, uniq = pd.factorize(dtc.astype(object), use_na_sentinel=True, size_hint=_HINT)
    dates = spread(days(np.asarray(uniq, dtype=object)), codes, np.datetime64("NaT", "ns"))
    # the maximum per subject code, not a groupby on the identifiers' text (at 10,000 patients
    # LB's 3.5 million records: ~140 MiB of hashing and sorting; issue #18: memory)
    subject, names = pd.factorize(np.asarray(usubjid, dtype=object), use_na_sentinel=True,
                                  size_hint=_HINT)
    known = subject >= 0
    nat = np.iinfo(np.int64).min  # NaT's integer: below every date, as groupby's max skips it
    latest = np.full(len(names), nat, dtype=np.int64)
    np.maximum.at(latest, subject[known], dates.view(np.int64)[known])
    out = pd.Series(latest.view("datetime64[ns]"), index=pd.Index(np.asarray(names, dtype=object)))
    return out.sort_index()  # as groupby orders its keys


def latest_complete_date(usubjid: pd.Series, dtc: pd.Series) -> pd.Series:
    """Per USUBJID, the latest complete date (``YYYY-MM-DD`` in the first 10 characters of the
    ISO 8601 text; partial and missing dates ignored), NaT when it has none
    (:func:`latest_per_subject` of :func:`complete_days`)."""
    return latest_per_subject(usubjid, dtc, complete_days)


def first_per_subject(df: pd.DataFrame, date_col: str, value_cols: Sequence[str] = (),
                      *, last: bool = False) -> pd.DataFrame:
    """One row per USUBJID: the record with the earliest (or latest) ``date_col``."""
    d = df.dropna(subset=[date_col]).sort_values(["USUBJID", date_col], kind="stable")
    pick = d.groupby("USUBJID", sort=False).tail(1) if last else d.groupby(
        "USUBJID", sort=False).head(1)
    return pick[["USUBJID", date_col, *value_cols]].set_index("USUBJID")


def as_dates(values: pd.Series) -> pd.Series:
    """``values`` itself when already datetime64 (``pandas.to_datetime`` would walk it again),
    else ``pandas.to_datetime(values)`` (text or object input)."""
    return values if pd.api.types.is_datetime64_any_dtype(values.dtype) else pd.to_datetime(values)


def days_between(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """Whole days later - earlier (float, NaN when either is missing)."""
    return (as_dates(later) - as_dates(earlier)).dt.days.astype(float)


def study_day_from(dates: pd.Series, ref: pd.Series) -> pd.Series:
    """ADY: SDTMIG study day (no day 0) from the analysis date and the reference date."""
    diff = (as_dates(dates).dt.normalize() - as_dates(ref).dt.normalize()).dt.days
    return pd.Series(np.where(diff >= 0, diff + 1, diff), index=dates.index).where(diff.notna())


def yn(mask: pd.Series | np.ndarray) -> np.ndarray:
    """ADaM flag: "Y" or missing (empty string is written as missing)."""
    return np.where(np.asarray(mask, dtype=bool), "Y", "")


def sorted_rows(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """``df.sort_values(by, kind="stable").reset_index(drop=True)`` with one copy of the rows:
    the order is taken from the key variables alone (sorting the frame itself copied it three
    times over: take, consolidation, reset_index; issue #18: memory).

    Examples
    --------
    >>> df = pd.DataFrame({"K": ["b", "a", "b"], "V": [1, 2, 3]}, index=[7, 8, 9])
    >>> sorted_rows(df, ["K"]).equals(df.sort_values(["K"], kind="stable").reset_index(drop=True))
    True
    """
    order = df[by].reset_index(drop=True).sort_values(by, kind="stable").index.to_numpy()
    out = df.take(order)
    out.index = pd.RangeIndex(len(out))  # as reset_index(drop=True) gives it
    return out
