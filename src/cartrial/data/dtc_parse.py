"""One ISO 8601 --DTC text parsed, each distinct text once per process (issue #18).

:mod:`cartrial.data.dates` parses a column's distinct texts through :func:`_many`: the same
texts are parsed by validation, the engines and the ADaM build (safety, conduct, kinetics at
each decision date), so a per-process table of parsed texts makes every call after the first a
look-up. :func:`forget_parsed` empties it once its texts are no longer read (``analyze``, after
the ADaM build: at 10,000 patients it holds ~250,000 texts, about 50 MiB).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

import numpy as np

_ISO = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2})(?::(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?)?)?)?$"
)

_NAT = np.iinfo(np.int64).min
_NS = {"H": 3_600_000_000_000, "M": 60_000_000_000, "S": 1_000_000_000}
_DAY_NS = 86_400_000_000_000
_FIRST = date(1677, 9, 22)  # first and last whole days of pandas' datetime64[ns] range
_LAST = date(2262, 4, 11)
_PARSED: dict[str, tuple] = {}
_INTS: dict[int | None, int | None] = {}  # the numbers the table holds, each one object
_MAX_NS = np.iinfo(np.int64).max


def _many(texts: Iterable[str]) -> list[tuple]:
    """Per text: (dt ns or NaT, year, month, day as extracted or None, precision, valid, epoch
    day), memoised per process (bounded: the table is emptied past 10**6 texts)."""
    get = _PARSED.get
    return [get(t) or _miss(t) for t in texts]  # a parsed tuple is never empty (falsy)


def forget_parsed() -> None:
    """Empty the process's table of parsed --DTC texts (the memo of :func:`_many`, which
    :func:`cartrial.data.dates.parse_dtc` and the other parsers read).

    The table is filled by validation and read by the engines and the ADaM build, which parse
    the same texts again; it holds about 200 bytes a distinct text (50 MiB at 10,000 patients,
    the findings domains' date-times) and keeps those texts alive. ``analyze`` empties it once
    those domains are freed after the ADaM build (the report's stages parse the few dates of
    the domains left, again). Results are the same either way: only the time to parse differs.

    Examples
    --------
    >>> _ = _many(["2024-03-15T10:30"])
    >>> forget_parsed()
    >>> len(_PARSED)
    0
    """
    _PARSED.clear()
    _INTS.clear()


def _miss(text: str) -> tuple:
    """Parse ``text`` and remember it in the per-process table, its year and epoch day as
    the table's one object of that number (a few thousand distinct days among ~250,000 texts
    at 10,000 patients: 56 of a remembered text's ~200 bytes)."""
    if len(_PARSED) > 1_000_000:
        forget_parsed()
    ns, y, mo, d, precision, valid, day = _parse_one(text)
    hit = _PARSED[text] = (ns, _INTS.setdefault(y, y), mo, d, precision, valid,
                           _INTS.setdefault(day, day))
    return hit


def _parse_one(text: str) -> tuple:
    """One text's tuple of :func:`_many`, without the memo."""
    if text.strip() == "":
        return (_NAT, None, None, None, None, True, None)
    m = _ISO.search(text)
    if m is None:
        return (_NAT, None, None, None, None, False, None)
    ys, ms, ds, hs, mis, ss = m.groups()
    y = int(ys)
    mo = int(ms) if ms is not None else None
    d = int(ds) if ds is not None else None
    h = int(hs) if hs is not None else None
    mi = int(mis) if mis is not None else None
    sec = int(ss) if ss is not None else None
    precision = ("time" if h is not None else "day" if d is not None
                 else "month" if mo is not None else "year")
    valid = (mo is None or 1 <= mo <= 12) and (h is None or h <= 23) and (
        mi is None or mi <= 59) and (sec is None or sec <= 59)
    ns, day = _NAT, None
    if d is not None:
        try:
            when = date(y, mo, d)  # type: ignore[arg-type]
        except ValueError:
            when = None
        if when is None or not _FIRST <= when <= _LAST:
            valid = False
        elif valid:
            day = (when - _EPOCH).days
            ns = (day * _DAY_NS + (h or 0) * _NS["H"] + (mi or 0) * _NS["M"]
                  + (sec or 0) * _NS["S"])
            if ns > _MAX_NS:  # 2262-04-11 after 23:47:16, past pandas.Timestamp.max
                ns, day, valid = _NAT, None, False
    return (ns, y, mo, d, precision, valid, day)


_EPOCH = date(1970, 1, 1)
