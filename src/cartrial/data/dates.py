"""ISO 8601 --DTC values: parsing, precision, imputation and study days.

SDTM keeps partial dates right-truncated (``2024-03``, ``2024``); imputation belongs to analysis
(CDISC SDTMIG 3.4 section 4.4; ADaMIG v1.3). Imputation rules:
- start dates (``kind="start"``): missing day -> first day of the month, missing month and day
  -> 1 January (admiral ``derive_vars_dt(date_imputation = "first")``);
- end dates (``kind="end"``): missing day -> last day of the month, missing month -> 31 December
  (admiral ``"last"``);
the flag (``DTF``) is ``"D"`` when the day was imputed, ``"M"`` when month and day were, ``None``
when the date was complete. Times are never imputed for date-level derivations.
Study day (SDTMIG): ``DY = date - RFSTDTC + 1`` on or after the reference date, ``date - RFSTDTC``
before it; there is no day 0. Protocol day N (infusion = day 0) is therefore --DY N + 1 for N >= 0.
"""

from __future__ import annotations

import re
from typing import Literal

import numpy as np
import pandas as pd

from cartrial.data.text import spread

_ISO = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2})(?::(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?)?)?)?$"
)

Precision = Literal["year", "month", "day", "time"]


def parse_dtc(values: pd.Series) -> pd.DataFrame:
    """Parse --DTC strings, vectorised; each distinct value is parsed once (see ``_parse``).

    Returns a frame with ``dt`` (Timestamp when at least the day is known, else NaT), ``year``,
    ``month``, ``day`` (floats, NaN when absent), ``precision`` and ``valid`` (False when the text
    is not ISO 8601 or names an impossible date such as 2024-02-30). Empty values are valid with
    precision None.
    """
    s = values.astype("string").fillna("")  # missing and blank parse alike
    uniq = pd.Series(pd.unique(s), dtype="string")
    parsed = _parse(uniq)
    pos = pd.Index(uniq).get_indexer(s)
    out = parsed.iloc[pos].reset_index(drop=True)
    out.index = values.index
    return out


def _parse(values: pd.Series) -> pd.DataFrame:
    """The parse itself, on distinct values (see :func:`parse_dtc` for the columns)."""
    s = values.astype("string")
    parts = s.str.extract(_ISO)
    blank = s.isna() | (s.str.strip() == "")
    matched = parts["y"].notna()
    y = pd.to_numeric(parts["y"], errors="coerce")
    m = pd.to_numeric(parts["m"], errors="coerce")
    d = pd.to_numeric(parts["d"], errors="coerce")
    hh = pd.to_numeric(parts["H"], errors="coerce")
    mm = pd.to_numeric(parts["M"], errors="coerce")
    ss = pd.to_numeric(parts["S"], errors="coerce")
    text = s.where(matched & d.notna())
    # Let pandas judge calendar validity (Feb 30, month 13, hour 25) on complete dates.
    date_part = text.str.slice(0, 10)
    dt = pd.to_datetime(date_part, format="%Y-%m-%d", errors="coerce")
    time_ok = (hh.isna() | (hh <= 23)) & (mm.isna() | (mm <= 59)) & (ss.isna() | (ss <= 59))
    dt = dt + pd.to_timedelta(hh.fillna(0), unit="h") + pd.to_timedelta(mm.fillna(0), unit="m")
    dt = dt + pd.to_timedelta(ss.fillna(0), unit="s")
    month_ok = m.isna() | ((m >= 1) & (m <= 12))
    day_ok = d.isna() | dt.notna()
    valid = blank | (matched & month_ok & day_ok & time_ok)
    precision = np.select(
        [~matched, hh.notna(), d.notna(), m.notna()], [None, "time", "day", "month"], "year"
    )
    precision = np.where(blank, None, precision)
    out = pd.DataFrame(
        {
            "dt": dt.where(valid & ~blank),
            "year": y.where(valid),
            "month": m.where(valid),
            "day": d.where(valid),
            "precision": pd.Series(precision, index=values.index, dtype="object"),
            "valid": valid.astype(bool),
        },
        index=values.index,
    )
    return out


def impute_date(
    values: pd.Series, kind: Literal["start", "end"] = "start"
) -> tuple[pd.Series, pd.Series]:
    """(date, flag) with partial dates imputed per the module rules; invalid/blank -> NaT.

    Each distinct text is imputed once and spread back to the rows (a lab domain of a large
    trial holds millions of dates but a few thousand distinct ones)."""
    codes, uniq = pd.factorize(values.astype("string"), use_na_sentinel=True)
    date, flag = _impute(pd.Series(uniq, dtype="string"), kind)
    return (pd.Series(spread(date.to_numpy(dtype="datetime64[ns]"), codes,
                             np.datetime64("NaT", "ns")), index=values.index),
            pd.Series(spread(flag.to_numpy(dtype=object), codes, None), index=values.index,
                      dtype="object"))


def _impute(values: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """:func:`impute_date` on distinct values."""
    p = parse_dtc(values)
    y, m, d = p["year"], p["month"], p["day"]
    if kind == "start":
        mi, di = m.fillna(1), d.fillna(1)
    else:
        mi = m.fillna(12)
        first = pd.to_datetime(
            pd.DataFrame({"year": y.fillna(1970), "month": mi.fillna(1), "day": 1}), errors="coerce"
        )
        di = d.fillna(pd.Series(first.dt.days_in_month, index=values.index))
    ok = y.notna()
    date = pd.to_datetime(
        pd.DataFrame({"year": y.fillna(1970), "month": mi, "day": di}), errors="coerce"
    ).where(ok)
    flag = pd.Series(
        np.where(~ok, None, np.where(m.isna(), "M", np.where(d.isna(), "D", None))),
        index=values.index,
        dtype="object",
    )
    return date, flag


def study_day(dates: pd.Series, reference: pd.Series) -> pd.Series:
    """SDTMIG --DY: no day 0; NaN where either date is missing (dates are normalised to days)."""
    a = pd.to_datetime(dates).dt.normalize()
    b = pd.to_datetime(reference).dt.normalize()
    diff = (a - b).dt.days
    return pd.Series(np.where(diff >= 0, diff + 1, diff), index=dates.index).where(diff.notna())
