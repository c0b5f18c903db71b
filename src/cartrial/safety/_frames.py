"""Input checks shared by the graders: required columns, strict typing, record-naming errors.

Nothing is coerced silently: a value that is not a clear boolean / number raises a
:class:`~cartrial.errors.RecordError` naming the frame, subject, record, variable and value.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from contextvars import ContextVar

import numpy as np
import pandas as pd

from cartrial.data.text import factorize_text, upper_stripped
from cartrial.data.validate_codes import memo_scope, object_values
from cartrial.errors import InputError, RecordError, require_columns  # noqa: F401 (re-export)

_TRUE = {"Y", "YES", "TRUE", "T", "1", "1.0"}
_FALSE = {"N", "NO", "FALSE", "F", "0", "0.0", ""}


def record_ids(df: pd.DataFrame) -> np.ndarray:
    """The record identifier used in error messages: ``SEQ`` if present, else the 1-based row."""
    if "SEQ" in df.columns:
        return df["SEQ"].to_numpy()
    return np.arange(1, len(df) + 1)


def fail(df: pd.DataFrame, mask: np.ndarray, *, domain: str, variable: str, rule: str,
         hint: str | None = None, values: np.ndarray | None = None) -> None:
    """Raise a :class:`RecordError` for the first record where ``mask`` is true (if any)."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return
    i = int(np.flatnonzero(mask)[0])
    n = int(mask.sum())
    usubjid = str(df["USUBJID"].iloc[i]) if "USUBJID" in df.columns else None
    if values is not None:
        value = values[i]
    elif variable in df.columns:
        value = df[variable].iloc[i]
    else:
        value = None
    extra = f"{n} record(s) affected" if n > 1 else None
    hint = "; ".join(h for h in (hint, extra) if h) or None
    raise RecordError(domain=domain, usubjid=usubjid, seq=record_ids(df)[i], variable=variable,
                      value=value, rule=rule, hint=hint)


def as_bool(df: pd.DataFrame, col: str, *, domain: str, default: bool | None = False) -> np.ndarray:
    """Strict boolean column: bool, 0/1 or Y/N/TRUE/FALSE. Missing -> ``default`` (or error)."""
    if col not in df.columns:
        if default is None:
            raise InputError(f"{domain}: missing column {col!r}")
        return np.full(len(df), default, dtype=bool)
    s = df[col]
    if s.dtype == bool:
        return s.to_numpy()
    out = np.full(len(df), default if default is not None else False, dtype=bool)
    isna = s.isna().to_numpy()
    if default is None:
        fail(df, isna, domain=domain, variable=col, rule="a yes/no value is required")
    # the flags asked of the few distinct texts, spread by code (np.isin of every record's
    # text sorts Python strings)
    codes, uniq = factorize_text(text_values(s))
    is_t = np.isin(uniq, list(_TRUE))[codes]
    is_f = np.isin(uniq, list(_FALSE))[codes]
    fail(df, ~(is_t | is_f | isna), domain=domain, variable=col,
         rule="must be a yes/no flag (Y/N, TRUE/FALSE, 1/0)")
    out[is_t] = True
    out[is_f & ~isna] = False
    return out


def as_float(df: pd.DataFrame, col: str, *, domain: str, required: bool = False) -> np.ndarray:
    """Strict numeric column (NaN where empty); text that is not a number raises."""
    if col not in df.columns:
        if required:
            raise InputError(f"{domain}: missing column {col!r}")
        return np.full(len(df), np.nan)
    s = df[col]
    num = pd.to_numeric(s, errors="coerce")
    bad = num.isna().to_numpy() & s.notna().to_numpy()
    if s.dtype == object:
        bad &= s.astype("string").str.strip().fillna("").ne("").to_numpy()
    fail(df, bad, domain=domain, variable=col, rule="must be a number")
    out = num.to_numpy(dtype=float)
    if required:
        fail(df, np.isnan(out), domain=domain, variable=col, rule="a value is required")
    return out


def as_text(df: pd.DataFrame, col: str, default: str = "") -> np.ndarray:
    """Upper-case stripped text (missing -> ``default``)."""
    if col not in df.columns:
        return np.full(len(df), default, dtype=object)
    return text_values(df[col], default)


def text_values(s: pd.Series, default: str = "") -> np.ndarray:
    """``upper_stripped(s).fillna(default)`` as an object array, without its two string-array
    conversions when ``s`` holds text already (object or python-backed ``string`` dtype whose
    distinct values are all ``str``): factorised once, stripped and upper-cased per distinct
    value, spread back. Missing (None, NaN, pd.NA, NaT) -> ``default``, as before; anything
    else (numbers in an object column, pyarrow strings) goes the general way."""
    dt = s.dtype
    if dt == np.dtype("O") or (isinstance(dt, pd.StringDtype) and dt.storage == "python"):
        codes, uniq = factorize_text(object_values(s))
        if all(type(u) is str for u in uniq):
            done = np.empty(len(uniq) + 1, dtype=object)
            done[:-1] = [u.strip().upper() for u in uniq]
            done[-1] = default
            return done[codes]
    return upper_stripped(s).fillna(default).to_numpy(dtype=object)


def map_categories(df: pd.DataFrame, col: str, lookup: dict[str, object], *, domain: str,
                   rule: str, default: str = "") -> np.ndarray:
    """Map free text to category rows; unknown values raise (never silently dropped)."""
    txt = as_text(df, col, default)
    keys = pd.unique(txt)
    unknown = [k for k in keys if k not in lookup]
    if unknown:
        mask = np.isin(txt, unknown)
        fail(df, mask, domain=domain, variable=col, rule=rule,
             hint="allowed: " + ", ".join(sorted({k for k in lookup if k})))
    return txt


def held_values(s: pd.Series) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """The values of ``s`` as it holds them, to take rows of and build a frame from: a numpy
    column's own ``ndarray``, else its extension array (the dtype kept either way). Not
    ``s.array``: for a numpy column that is a ``NumpyExtensionArray``, whose ``to_numpy``
    (called by every Series or frame built from it) scans an object column for missing values
    (pandas 2.3: ~3 ms per 100,000 text records, several times per batch of a large trial's
    graded labs).

    Examples
    --------
    >>> type(held_values(pd.Series(["a", "b"]))).__name__
    'ndarray'
    >>> held_values(pd.Series(["a", None], dtype="string")).dtype
    string[python]
    """
    return s.to_numpy() if isinstance(s.dtype, np.dtype) else s.array


#: the two values of a Y / empty flag column, each one object
_FLAG_TEXT = np.array(["", "Y"], dtype=object)


def yes_flags(mask: np.ndarray) -> np.ndarray:
    """``"Y"`` where ``mask``, else ``""``, as the object column a frame holds: what a frame
    makes of ``np.where(mask, "Y", "")`` (a ``<U1`` array, turned into a Python string per
    record when put into the frame), with each value one shared object.

    Examples
    --------
    >>> yes_flags(np.array([True, False])).tolist()
    ['Y', '']
    """
    return _FLAG_TEXT.take(np.asarray(mask, dtype=bool).view(np.int8))


def sorted_text_codes(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(s, sort=True)`` (codes, uniques: an Index of ``s``'s dtype) of a text
    column, its distinct values sorted by numpy instead of Python's comparisons (a few
    milliseconds instead of ~50 for the ~40,000 distinct date-times of 3,000 patients' CRS
    records). Python and numpy order text alike, code point by code point, except that numpy
    ignores trailing NUL characters, and pandas 2 hashes text only up to a NUL (pandas issue
    #34551): a column with a NUL in a value, or values that are not all text, is left to
    pandas.

    Examples
    --------
    >>> codes, uniq = sorted_text_codes(pd.Series(["b", None, "a", "b"], dtype="string"))
    >>> codes.tolist(), uniq.tolist(), uniq.dtype
    ([1, -1, 0, 1], ['a', 'b'], string[python])
    """
    if not (s.dtype == object or isinstance(s.dtype, pd.StringDtype)):
        return pd.factorize(s, sort=True)
    done = exact_sorted_codes(object_values(s))
    if done is None:
        return pd.factorize(s, sort=True)
    return done[0], pd.Index(done[1], dtype=s.dtype)


def exact_sorted_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(codes, sorted distinct values) of an object array of text, missing -1: the codes of
    ``pd.factorize(values, sort=True)`` and a factorisation (equal codes, equal text) both;
    None when a value is not text or holds a NUL (:func:`sorted_text_codes`).

    Examples
    --------
    >>> codes, uniq = exact_sorted_codes(np.array(["b", "a", "b"], dtype=object))
    >>> codes.tolist(), uniq.tolist()
    ([1, 0, 1], ['a', 'b'])
    >>> exact_sorted_codes(np.array(["a\\x00", "a"], dtype=object)) is None
    True
    """
    codes, uniq = factorize_text(values)
    if not all(type(u) is str and "\x00" not in u for u in uniq):
        return None
    order = np.argsort(uniq.astype(str), kind="stable")  # distinct values: no ties
    rank = np.empty(len(uniq) + 1, dtype=np.intp)
    rank[order] = np.arange(len(uniq))
    rank[-1] = -1  # missing (code -1) stays -1
    return rank[codes], uniq[order]


def sorted_frame(df: pd.DataFrame, made: dict[str, np.ndarray], by: list[str]) -> pd.DataFrame:
    """``df`` with the columns ``made`` (replacing its own, else added after them), sorted by
    the columns ``by`` of ``made`` as ``sort_values(by, kind="stable").reset_index(drop=True)``
    sorts (each key's sorted ``factorize`` codes, what pandas sorts by, and one ``lexsort``;
    keys without missing values): every column taken once in that order, instead of the frame
    being copied, changed, sorted and re-indexed (a large trial's records several times over).

    Examples
    --------
    >>> df = pd.DataFrame({"K": ["b", "a", "b"], "V": [1, 2, 3]})
    >>> sorted_frame(df, {"K": df["K"].to_numpy(dtype=object), "W": np.array([3.0, 1.0, 2.0])},
    ...              ["K", "W"])
       K  V    W
    0  a  2  1.0
    1  b  3  2.0
    2  b  1  3.0
    """
    return frame_in_order(df, made, sort_order(made, by))


def sort_order(made: dict[str, np.ndarray], by: list[str],
               codes: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """The row order of :func:`sorted_frame`; ``codes``: a key's ``pd.factorize(sort=True)``
    codes when the caller has them (not factorised again)."""
    codes = codes or {}
    return np.lexsort([codes[k] if k in codes else pd.factorize(made[k], sort=True)[0]
                       for k in reversed(by)])


def frame_in_order(df: pd.DataFrame, made: dict[str, np.ndarray],
                   order: np.ndarray) -> pd.DataFrame:
    """:func:`sorted_frame` in the row ``order`` given (:func:`sort_order`)."""
    return pd.DataFrame({c: made[c].take(order) if c in made else held_values(df[c]).take(order)
                         for c in dict.fromkeys([*df.columns, *made])},
                        index=pd.RangeIndex(len(order)), copy=False)


def sort_by_subject_time(df: pd.DataFrame, time_col: str, *, domain: str) -> pd.DataFrame:
    """Stable sort by USUBJID then time; duplicated (USUBJID, time) raise."""
    out = df.sort_values(["USUBJID", time_col], kind="stable").reset_index(drop=True)
    dup = out.duplicated(["USUBJID", time_col], keep="first").to_numpy()
    fail(out, dup, domain=domain, variable=time_col,
         rule=f"two records of the same subject at the same {time_col}")
    return out


class TestCodes:
    """PARAMCD of a (large) laboratory frame, upper-cased once per distinct code: ``rows(codes)``
    is the mask of the records whose test code is one of ``codes``."""

    def __init__(self, labs: pd.DataFrame) -> None:
        codes = labs["PARAMCD"]
        if codes.dtype != object or not all(type(u) is str for u in pd.unique(codes)):
            codes = codes.astype(str)  # else text already: not copied (millions of records)
        self._codes, uniq = _small_codes(codes.to_numpy(dtype=object))
        self._upper = pd.Series(uniq, dtype=object).str.strip().str.upper().to_numpy()

    def rows(self, codes: Iterable[str]) -> np.ndarray:
        hit = np.isin(self._upper, [c.strip().upper() for c in codes])
        return hit[self._codes] if len(self._upper) else np.zeros(len(self._codes), dtype=bool)


_TESTS: ContextVar[dict | None] = ContextVar("cartrial_paramcd_codes", default=None)


def paramcd_memo() -> AbstractContextManager[None]:
    """Within the block, :func:`paramcd_codes` of a frame whose PARAMCD column it has read
    before (the same array object) is that one :class:`TestCodes` (ICAHT, CAR-HEMATOTOX and
    IEC-HS read the same 2 million lab records at 10,000 patients); for code that does not
    change the frames it reads while inside.

    Examples
    --------
    >>> labs = pd.DataFrame({"PARAMCD": ["NEUT", "plat"]})
    >>> with paramcd_memo():
    ...     paramcd_codes(labs) is paramcd_codes(labs)
    True
    >>> paramcd_codes(labs) is paramcd_codes(labs)
    False
    """
    return memo_scope(_TESTS)


def paramcd_codes(labs: pd.DataFrame) -> TestCodes:
    """``TestCodes(labs)``, made once per PARAMCD array inside :func:`paramcd_memo`.

    Examples
    --------
    >>> paramcd_codes(pd.DataFrame({"PARAMCD": ["NEUT", " plat"]})).rows(["PLAT"]).tolist()
    [False, True]
    """
    memo = _TESTS.get()
    if memo is None:
        return TestCodes(labs)
    key, held = _column_key(labs["PARAMCD"])
    if key not in memo:
        memo[key] = (held, TestCodes(labs))  # held: the key's memory is not reused inside
    return memo[key][1]


def _column_key(s: pd.Series) -> tuple[tuple, object]:
    """A key equal for the same column data read twice, and the object to hold so that it
    stays so: an extension array is its own object; a numpy column is a fresh view of its
    frame's block on each read, so its memory's address, length, strides and dtype."""
    if isinstance(s.dtype, np.dtype):
        v = s.to_numpy()
        return ("numpy", v.__array_interface__["data"][0], len(v), v.strides, v.dtype.str), v
    return ("array", id(s.array)), s.array


#: records factorised at a time by :func:`_small_codes`
CODES_CHUNK = 1 << 16


def _small_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`factorize_text` of an object array (missing: -1; distinct values in order of first
    appearance), the codes in the smallest signed type: factorised ``CODES_CHUNK`` records at a
    time, as a whole-column factorize sizes its hash table and its 8-byte codes to the column
    (~50 MiB for the 3.1 million lab records of 10,000 patients, for a few dozen test codes).

    Examples
    --------
    >>> codes, uniq = _small_codes(np.array(["B", "A", None, "B"], dtype=object))
    >>> codes.tolist(), codes.dtype.name, uniq.tolist()
    ([0, 1, -1, 0], 'int8', ['B', 'A'])
    """
    seen: dict[object, int] = {}
    parts = []
    for at in range(0, len(values), CODES_CHUNK):
        codes, uniq = factorize_text(values[at:at + CODES_CHUNK])
        ids = np.array([seen.setdefault(u, len(seen)) for u in uniq] + [-1], dtype=np.int64)
        parts.append(ids[codes])  # -1 (missing) picks the -1 appended
    # the smallest type holding every code and -1 (1 byte a record for up to 127 tests)
    small = np.min_scalar_type(-len(seen) - 1)
    out = np.empty(len(values), dtype=small)
    for k, p in enumerate(parts):
        out[k * CODES_CHUNK:k * CODES_CHUNK + len(p)] = p
    return out, np.array(list(seen), dtype=object)


def upper_codes(s: pd.Series) -> np.ndarray:
    """``s.astype(str).str.strip().str.upper()`` as an object array, computed once per distinct
    text (a lab frame holds millions of records and a few dozen test codes)."""
    codes, uniq = factorize_text(s.astype(str).to_numpy(dtype=object))
    return np.array([u.strip().upper() for u in uniq] + [""], dtype=object)[codes]


def subject_test_key(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An integer per (USUBJID, PARAMCD) group (equal pairs, equal numbers), and PARAMCD's codes
    and distinct values (``factorize``): the groupings and test selections of the grading done
    on integers instead of per-record text."""
    ucodes, _ = factorize_text(df["USUBJID"].to_numpy(dtype=object))
    pcodes, pvals = factorize_text(df["PARAMCD"].to_numpy(dtype=object))
    return ucodes.astype(np.int64) * (len(pvals) + 1) + pcodes, pcodes, pvals
