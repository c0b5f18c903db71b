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

import calendar
from contextlib import AbstractContextManager
from contextvars import ContextVar
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from cartrial.data.dtc_parse import (  # noqa: F401 - _PARSED: the memo, as it was named here
    _DAY_NS,
    _EPOCH,
    _FIRST,
    _LAST,
    _NAT,
    _PARSED,
    _many,
    _parse_one,
)
from cartrial.data.text import factorize_text, spread
from cartrial.data.validate_codes import column_codes, memo_scope

Precision = Literal["year", "month", "day", "time"]


def parse_dtc(values: pd.Series) -> pd.DataFrame:
    """Parse --DTC strings; each distinct text is parsed once per process (see ``_many``).

    Returns a frame with ``dt`` (Timestamp when at least the day is known, else NaT), ``year``,
    ``month``, ``day`` (nullable integers, missing when absent or invalid; ``Float64`` when no
    value carries that part), ``precision`` and ``valid`` (False when the text is not ISO 8601
    or names an impossible date such as 2024-02-30, or one outside pandas' nanosecond range).
    Empty values are valid with precision None. The same texts are parsed by many engines
    (safety, conduct, kinetics) at each decision date; a per-process table of parsed texts
    makes every call after the first a look-up.

    Parameters
    ----------
    values : pandas.Series
        --DTC texts (ISO 8601, possibly right-truncated); blanks and missing values allowed.

    Returns
    -------
    pandas.DataFrame
        One row per value, same index, with the columns above.

    References
    ----------
    CDISC SDTM Implementation Guide v3.4, 2021 (section 4.4, dates and times).

    Examples
    --------
    >>> parse_dtc(pd.Series(["2024-03-15T10:30", "2024-03", "2024-02-30"]))
                       dt  year  month   day precision  valid
    0 2024-03-15 10:30:00  2024      3    15      time   True
    1                 NaT  2024      3  <NA>     month   True
    2                 NaT  <NA>   <NA>  <NA>       day  False
    """
    codes, uniq = _distinct_texts(values)
    rows = _many(uniq)
    cols = list(zip(*rows, strict=True)) if rows else [()] * 7
    out: dict[str, object] = {
        "dt": np.asarray(cols[0], dtype=np.int64)[codes].view("datetime64[ns]")}
    valid = np.asarray(cols[5], dtype=bool)
    for k, name in ((1, "year"), (2, "month"), (3, "day")):
        raw = np.asarray(cols[k], dtype=object)
        present = ~pd.isna(raw)  # the parts are int or None
        num = np.where(present, raw, 0).astype(np.int64)
        if present.any() or not len(raw):
            out[name] = pd.arrays.IntegerArray(num[codes], ~(present & valid)[codes])
        else:
            out[name] = pd.array(np.full(len(codes), np.nan), dtype="Float64")
    out["precision"] = np.asarray(cols[4], dtype=object)[codes]
    out["valid"] = valid[codes]
    return pd.DataFrame(out, index=values.index, copy=False)


def distinct_datetimes(texts: np.ndarray) -> np.ndarray:
    """The date-time of each of a column's distinct --DTC texts, as :func:`parse_dtc`'s ``dt``
    (NaT when not complete to the day, invalid or missing), without its other columns.

    When every value is a ``str`` only the date-time is read from the process's table of parsed
    texts (issue #18: at 10,000 patients VS, FA and QS hold ~460,000 distinct date-times, whose
    year, month, day, precision and validity columns the safety engine never reads); otherwise
    :func:`parse_dtc` itself.

    Parameters
    ----------
    texts : numpy.ndarray
        Distinct values of a --DTC column (object array).

    Returns
    -------
    numpy.ndarray
        ``datetime64[ns]``, one per text.

    References
    ----------
    CDISC SDTM Implementation Guide v3.4, 2021 (section 4.4, dates and times).

    Examples
    --------
    >>> when = distinct_datetimes(np.array(["2024-03-15T10:30", "2024-03", ""], dtype=object))
    >>> when.dtype, [str(t) for t in when]
    (dtype('<M8[ns]'), ['2024-03-15T10:30:00.000000000', 'NaT', 'NaT'])
    """
    if all(type(t) is str for t in texts):
        return np.fromiter((p[0] for p in _many(texts)), dtype=np.int64,
                           count=len(texts)).view("datetime64[ns]")
    return parse_dtc(pd.Series(texts, dtype=object))["dt"].to_numpy()


_MEMO: ContextVar[dict | None] = ContextVar("cartrial_parse_dtc_memo", default=None)


def parse_dtc_memo() -> AbstractContextManager[None]:
    """Within the block, :func:`parse_dtc` of a column it has read before (the same array object
    and index) reuses that column's distinct texts instead of finding them again.

    For code that reads a study without changing it (validation parses each --DTC column for
    several rules); a column's codes (4 bytes a record) are held until the block ends, not the
    parsed frames (about 45 bytes a record). Nested blocks share nothing.

    Returns
    -------
    contextlib.AbstractContextManager
        The block (yields None).

    Examples
    --------
    >>> s = pd.Series(["2024-03-15", "2024-03"])
    >>> with parse_dtc_memo():
    ...     parse_dtc(s)["precision"].tolist() == parse_dtc(s)["precision"].tolist()
    True
    """
    return memo_scope(_MEMO)


def date_of(values: pd.Series) -> pd.Series:
    """The date of each --DTC text, its time left out: ``parse_dtc(values.str.slice(0, 10))
    ["dt"]``, with each distinct text sliced and parsed once (a large LB holds millions of
    records but a few thousand distinct date-times).

    Parameters
    ----------
    values : pandas.Series
        --DTC texts; missing allowed.

    Returns
    -------
    pandas.Series
        ``datetime64[ns]`` (NaT where the first ten characters are no whole valid date), same
        index.

    Examples
    --------
    >>> date_of(pd.Series(["2024-03-15T10:30", "2024-03", None, "2024-02-30"])).tolist()
    [Timestamp('2024-03-15 00:00:00'), NaT, NaT, NaT]
    """
    codes, uniq = column_codes(values)  # factorize_text, remembered inside codes_memo()
    ns = np.asarray([p[0] for p in _many([str(u)[:10] for u in uniq])], dtype=np.int64)
    return pd.Series(spread(ns, codes, _NAT).view("datetime64[ns]"), index=values.index,
                     name="dt")


def dtc_valid(values: pd.Series) -> np.ndarray:
    """``parse_dtc(values)["valid"]`` as a boolean array, decided once per distinct text
    (validation's DATE_INVALID reads nothing else of the parse).

    Parameters
    ----------
    values : pandas.Series
        --DTC texts; blanks and missing values allowed (valid).

    Returns
    -------
    numpy.ndarray
        One bool per value: False where the text is not ISO 8601 or names an impossible date.

    Examples
    --------
    >>> dtc_valid(pd.Series(["2024-03-15T10:30", "2024-02-30", None, "15/03/2024"])).tolist()
    [True, False, True, False]
    """
    codes, uniq = _distinct_texts(values)
    return np.array([p[5] for p in _many(uniq)], dtype=bool)[codes]


def dtc_after(values: pd.Series, limit: pd.Timestamp) -> np.ndarray:
    """Which valid --DTC texts lie after ``limit``: a whole date (with its time) later than it,
    or a partial date whose earliest day is (``2032-06`` after 2025-12-31 12:00; ``2025-12``
    not); decided once per distinct text. Invalid and missing texts are never after.

    Parameters
    ----------
    values : pandas.Series
        --DTC texts.
    limit : pandas.Timestamp
        The transfer or data cut-off (naive).

    Returns
    -------
    numpy.ndarray
        One bool per value.

    Examples
    --------
    >>> dtc_after(pd.Series(["2026-01-01", "2025-12", "2026", "2025-12-31T13:00", "2026-13"]),
    ...           pd.Timestamp("2025-12-31 12:00")).tolist()
    [True, False, True, True, False]
    """
    codes, uniq = _distinct_texts(values)
    lim, year, month = limit.value, limit.year, limit.month
    after = [valid and ((ns != _NAT and ns > lim) or (y is not None and (
        y > year or (y == year and (mo or 1) > month))))
        for ns, y, mo, _d, _p, valid, _day in _many(uniq)]
    return np.array(after, dtype=bool)[codes]


def _distinct_texts(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct texts) of a --DTC column, missing as ""; inside
    :func:`parse_dtc_memo` remembered per column (codes as int32: 4 bytes a record)."""
    memo = _MEMO.get()
    key = id(values.array)
    if memo is not None:
        hit = memo.get(key)
        if hit is not None and hit[0] is values.array and hit[1] is values.index:
            return hit[2], hit[3]
    if values.dtype == "string":  # the column's codes (known inside validation), missing as ""
        codes, uniq = column_codes(values)
        if (codes < 0).any():
            where = np.flatnonzero(uniq == "")
            k = int(where[0]) if len(where) else len(uniq)
            uniq = uniq if len(where) else np.append(uniq, np.asarray([""], dtype=object))
            codes = np.where(codes < 0, k, codes)
    else:
        s = values.astype("string").fillna("")  # missing and blank parse alike
        codes, uniq = factorize_text(s.to_numpy(dtype=object))
    if memo is not None:
        codes = codes.astype(np.int32) if len(uniq) < 2**31 else codes
        memo[key] = (values.array, values.index, codes, uniq)
    return codes, uniq


def impute_date(
    values: pd.Series, kind: Literal["start", "end"] = "start",
    min_dates: pd.Series | None = None,
) -> tuple[pd.Series, pd.Series]:
    """(date, flag) with partial dates imputed per the module rules; invalid/blank -> NaT.

    Each distinct text is imputed once and spread back to the rows (a lab domain of a large
    trial holds millions of dates but a few thousand distinct ones).

    Parameters
    ----------
    values : pandas.Series
        --DTC texts, possibly partial (``2024-03``, ``2024``).
    kind : {"start", "end"}
        ``"start"`` imputes the first day (1 January), ``"end"`` the last day (31 December).
    min_dates : pandas.Series, optional
        On the index of ``values``: a date the imputed start may not precede when the partial
        date's range holds it (an AE starting "2024-03" in the month of a 2024-03-10 infusion
        starts on 2024-03-10, not 2024-03-01, so it is not wrongly called pre-treatment), as
        admiral's ``derive_vars_dt(min_dates = exprs(TRTSDT))`` in its ADAE template. The
        value is used as given (with its time, if any); the flag is kept. Only with
        ``kind="start"``.

    Returns
    -------
    tuple of pandas.Series
        The imputed dates (datetime64, NaT when blank or invalid) and the flag (``DTF``:
        ``"D"``, ``"M"`` or None), both on the index of ``values``.

    References
    ----------
    CDISC ADaM Implementation Guide v1.3, 2021 (date imputation flags --DTF).

    Examples
    --------
    >>> dates, flags = impute_date(pd.Series(["2024-02", "2024", "2024-03-15"]), kind="end")
    >>> dates.dt.strftime("%Y-%m-%d").tolist(), flags.tolist()
    (['2024-02-29', '2024-12-31', '2024-03-15'], ['D', 'M', None])
    >>> infusion = pd.Series(pd.to_datetime(["2024-03-10", "2024-03-10", "2024-03-10"]))
    >>> d, _ = impute_date(pd.Series(["2024-03", "2024-02", "2024-03-05"]), "start", infusion)
    >>> d.dt.strftime("%Y-%m-%d").tolist()
    ['2024-03-10', '2024-02-01', '2024-03-05']
    """
    codes, uniq = column_codes(values) if values.dtype == "string" else factorize_text(
        values.astype("string").to_numpy(dtype=object, na_value=None))  # missing: code -1
    parsed = _many(uniq)
    done = [_impute_one(p, kind) for p in parsed]
    nat = np.datetime64("NaT", "ns")
    date_ns = np.asarray([v[0] for v in done], dtype=np.int64).view("datetime64[ns]")
    flag = np.asarray([v[1] for v in done], dtype=object)
    dates = pd.Series(spread(date_ns, codes, nat), index=values.index)
    flags = pd.Series(spread(flag, codes, None), index=values.index, dtype="object")
    if min_dates is not None and kind == "start":
        floor = pd.to_datetime(min_dates.reindex(values.index))
        # the last day of each partial date's range, from the same parsed texts
        end_ns = np.asarray([_impute_one(p, "end")[0] for p in parsed],
                            dtype=np.int64).view("datetime64[ns]")
        latest = pd.Series(spread(end_ns, codes, nat), index=values.index)
        raise_to = (flags.notna() & (dates < floor)
                    & (floor.dt.normalize() <= latest)).to_numpy(dtype=bool)
        dates = dates.mask(raise_to, floor)
    return dates, flags


def _impute_one(parsed: tuple, kind: str) -> tuple[int, str | None]:
    """(date ns or NaT, flag) of one parsed text (``_many``), per the module's rules."""
    _, y, mo, d, _, valid, _ = parsed
    if y is None or not valid:
        return _NAT, None
    flag = "M" if mo is None else "D" if d is None else None
    if not 1677 <= y <= 2262:  # outside datetime64[ns] (and year 0, which no calendar has)
        return _NAT, flag
    mi = mo or (1 if kind == "start" else 12)
    when = date(y, mi, d or (1 if kind == "start" else calendar.monthrange(y, mi)[1]))
    if not _FIRST <= when <= _LAST:
        return _NAT, flag
    return (when - _EPOCH).days * _DAY_NS, flag


def study_day(dates: pd.Series, reference: pd.Series) -> pd.Series:
    """SDTMIG --DY: no day 0; NaN where either date is missing (dates are normalised to days).

    Parameters
    ----------
    dates : pandas.Series
        Dates of the observations (anything ``pandas.to_datetime`` reads).
    reference : pandas.Series
        Reference start date per row (RFSTDTC), aligned with ``dates``.

    Returns
    -------
    pandas.Series
        Study day: ``date - reference + 1`` on or after the reference, ``date - reference``
        before it.

    References
    ----------
    CDISC SDTM Implementation Guide v3.4, 2021 (study day variables --DY).

    Examples
    --------
    >>> ref = pd.Series(["2024-03-10", "2024-03-10"])
    >>> study_day(pd.Series(["2024-03-10", "2024-03-09"]), ref).tolist()
    [1, -1]
    """
    a = pd.to_datetime(dates).dt.normalize()
    b = pd.to_datetime(reference).dt.normalize()
    diff = (a - b).dt.days
    return pd.Series(np.where(diff >= 0, diff + 1, diff), index=dates.index).where(diff.notna())
