"""A domain as read, typed: numeric variables parsed (a ``NOT_NUMBER`` error per value that is
not a number), text columns as the Python-backed string dtype, a value holding a NUL character
an error (the loader's first step after reading: :func:`cartrial.data.load.prepare_domain`).

A numeric variable of a large domain is parsed from the reader's codes, once per distinct text
(issue #18): its text is never spread to the rows, and a variable no later step reads is held
encoded at once (:func:`cartrial.data.compact_column.number_codes`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.compact_column import number_codes
from cartrial.data.normalise import UNIT_SUFFIXES
from cartrial.data.spec import is_numeric_var
from cartrial.data.standardize import TEXT, _distinct, _s
from cartrial.data.text import spread
from cartrial.data.validate_codes import present
from cartrial.errors import Finding

#: the loader's steps read these variables of a findings domain (by suffix; with USUBJID,
#: --SEQ, the numeric, unit, controlled-term and dictionary variables:
#: :func:`cartrial.data.load._unread_columns`)
READ_SUFFIXES = ("TESTCD", "ORRES", "ORRESU", "STRESC", "STRESN", "STRESU", "SPEC", "ORNRLO",
                 "ORNRHI", "STNRLO", "STNRHI", *UNIT_SUFFIXES)


def _numbers(s: pd.Series) -> pd.Series:
    """``pd.to_numeric(s, errors="coerce")`` as float, parsed once per distinct value."""
    if pd.api.types.is_numeric_dtype(s):
        return s.astype(float)
    codes, uniq = _distinct(s)
    num = pd.to_numeric(uniq, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return pd.Series(spread(num, codes, np.nan), index=s.index)


def _distinct_numbers(uniq: np.ndarray) -> np.ndarray:
    """``pd.to_numeric(errors="coerce")`` of a numeric variable's distinct texts as read (the
    reader's codes index them: the text is never spread to the rows, issue #18)."""
    num = pd.to_numeric(pd.Series(uniq, dtype=TEXT), errors="coerce")
    return num.to_numpy(dtype=float, na_value=np.nan)


def _read_later(name: str, col: str) -> bool:
    """Whether a step after typing (checks of results, standardisation, findings naming a
    record) reads the variable; the others of a domain held encoded are encoded at once."""
    return col in ("USUBJID", f"{name}SEQ") or col.endswith(READ_SUFFIXES)


class _AsRead:
    """A variable's values as read, per row, from the frame or from the reader's codes."""

    def __init__(self, df: pd.DataFrame, numbers: dict, col: str) -> None:
        self.codes, self.uniq = numbers.get(col, (None, None))
        self.col = df[col] if col in df else None

    def __getitem__(self, i: int) -> object:
        if self.codes is not None:
            return None if self.codes[i] < 0 else self.uniq[self.codes[i]]
        return pd.NA if self.col is None else self.col.iloc[i]


def _type_columns(name: str, df: pd.DataFrame, findings: list[Finding],
                  numbers: dict | None = None, order: list | None = None,
                  early: dict | None = None) -> pd.DataFrame:
    """The columns typed (numeric variables parsed, a NOT_NUMBER error per value that is not a
    number); ``numbers``: numeric variables the reader gave as ``(codes, distinct texts)``
    instead of columns of ``df``, put in ``order`` (the file's column order) among them, or,
    those no later step reads, put in ``early`` as held (:func:`number_codes`) when given."""
    numbers = numbers or {}
    seqs = _AsRead(df, numbers, f"{name}SEQ")
    usub = df["USUBJID"] if "USUBJID" in df else pd.Series(pd.NA, index=df.index)
    out = {}
    cols = [c for c in order if c in df or c in numbers] if numbers else list(df.columns)
    for col in cols:
        if col in numbers or is_numeric_var(name, col):
            if col in numbers:
                codes, uniq = numbers[col]
                per = _distinct_numbers(uniq)
                bad = (codes >= 0) & spread(np.isnan(per), codes, False)
            else:
                raw = df[col]
                num = _numbers(raw).to_numpy()
                filled = present(raw) if raw.dtype == TEXT else raw.notna().to_numpy(bool)
                bad = filled & np.isnan(num)
            as_read = _AsRead(df, numbers, col)
            for i in np.flatnonzero(bad):
                findings.append(Finding(name, _s(usub.iloc[i]), _s(seqs[i]), col, as_read[i],
                                        "value is not a number", rule_id="NOT_NUMBER"))
            if col in numbers and early is not None and not _read_later(name, col):
                early[col] = number_codes(codes, per)  # the numbers never spread to the rows
            elif col in numbers:
                out[col] = pd.Series(spread(per, codes, np.nan), index=df.index, copy=False)
            else:
                out[col] = pd.Series(num, index=df.index, copy=False)
            continue
        raw = df[col]
        if pd.api.types.is_numeric_dtype(raw):  # a number in an XPT text variable
            out[col] = pd.Series(
                [None if v != v else f"{v:g}" for v in raw.to_numpy(dtype=float)],
                index=df.index, dtype=TEXT)
        else:
            out[col] = raw.astype(TEXT, copy=False)
    return pd.DataFrame(out, index=df.index, copy=False)


def _nul_findings(name: str, df: pd.DataFrame, columns: list[str],
                  findings: list[Finding]) -> None:
    """An error per value holding a NUL character: SDTM text has none, XPT ends a value at one,
    and pandas 2 tells such values apart from others only up to the NUL (pandas #34551), so
    they would be merged silently further on."""
    usub = df["USUBJID"] if "USUBJID" in df else pd.Series(pd.NA, index=df.index)
    seqs = df[f"{name}SEQ"] if f"{name}SEQ" in df else pd.Series(pd.NA, index=df.index)
    for col in columns:
        has = df[col].astype(object).map(lambda v: isinstance(v, str) and "\x00" in v)
        for i in np.flatnonzero(has.to_numpy(dtype=bool)):
            findings.append(Finding(name, _s(usub.iloc[i]), _s(seqs.iloc[i]), col,
                                    df[col].iloc[i], "text holds a NUL character (\\x00)"))
