"""A column's define metadata worked out from its distinct values, each column looked at once
(issue #18: pandas' missing test of text columns was called three times per column and batch).

Checked against definitions the code does not use: pandas' own ``isna`` and Python's equality
and ``str``/UTF-8 lengths, value by value, on seeded object arrays mixing every missing value
pandas knows (None, NaN, NaT, ``pd.NA``, numpy NaT, Decimal NaN), empty text, equal text held
as one object or several, text with NUL characters (which pandas 2 hashes only up to the first
NUL), numbers equal across types and strided arrays. The replaced profile is kept as a
regression reference for the lengths pyarrow measures."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from cartrial.adam.column_profile import column_profile, distinct
from cartrial.data.text import factorize_text

MISSING = [None, float("nan"), pd.NaT, pd.NA, np.datetime64("NaT"), Decimal("NaN")]
TEXT = ["", "Y", "N", "ALT (U/L)", "Grade 3", "é", "\u00a0", "\x00a", "\x00b", "a\x00", "NAN",
        "None"]


def _draw(seed: int, n: int = 400) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pool = TEXT + MISSING + [1, 1.0, True, 2.5, Decimal("1.5")] + [
        "".join(["AL", "T (U/L)"]), "".join(["Gr", "ade 3"])]  # equal text, other objects
    shared = rng.random() < 0.5  # one object per value, or a new object per row
    out = np.empty(n, dtype=object)
    for i, k in enumerate(rng.integers(0, len(pool), n)):
        v = pool[k]
        out[i] = v if shared or not isinstance(v, str) else "".join(list(v)) or ""
    return out


@pytest.mark.parametrize("seed", range(40))
def test_distinct_values_are_those_of_python_equality(seed: int) -> None:
    arr = _draw(seed)
    for a in (arr, arr[::3], arr[:0], arr[:1]):
        codes, uniq = distinct(a)
        na = pd.isna(pd.Series(a, dtype=object)).to_numpy()
        assert ((codes < 0) == na).all()
        kept = [v for v, m in zip(a, na, strict=True) if not m]
        assert all(uniq[c] == v for c, v in zip(codes[~na], kept, strict=True))
        groups: dict = {}
        for c, v in zip(codes[~na], kept, strict=True):
            groups.setdefault(c, set()).add(v)
        assert all(len({g for g in groups if v in groups[g]}) == 1 for v in kept)  # one code
        assert len(uniq) == len(groups)


def _reference(s: pd.Series) -> tuple[int, int, int | None]:
    """The definitions: missing = pd.isna or "" (text); LENGTH the largest UTF-8 byte length
    of str() of the rest (1 when none)."""
    na = pd.isna(s).to_numpy()
    missing = [m or (isinstance(v, str) and v == "") for v, m in zip(s, na, strict=True)]
    present = [len(str(v).encode("utf-8")) for v, m in zip(s, missing, strict=True) if not m]
    first = missing.index(False) if False in missing else None
    return max(present, default=1), sum(missing), first


def _replaced(s: pd.Series) -> tuple[int, int, int | None]:
    """The replaced ``_text_profile`` / ``_profile`` of an object column, verbatim (regression)."""
    na = s.isna().to_numpy(dtype=bool)
    vals = np.where(na, "", s.to_numpy(dtype=object))
    missing = na | (vals == "")
    length = 1
    if not missing.all():
        _codes, uniq = factorize_text(vals[~missing])
        present = pd.Series(uniq, dtype=object).astype(str).to_numpy(dtype=object)
        length = int(pc.max(pc.binary_length(pa.array(present, type=pa.string()))).as_py())
    first = np.flatnonzero(~missing)
    return max(length, 1), int(missing.sum()), int(first[0]) if len(first) else None


@pytest.mark.parametrize("seed", range(40))
def test_text_profile_is_the_definition(seed: int) -> None:
    arr = _draw(seed + 100)
    arr = arr[[not isinstance(v, Decimal) for v in arr]]  # pyarrow: no Decimal NaN as text
    for s in (pd.Series(arr, dtype=object), pd.Series(arr[::2], dtype=object),
              pd.Series([None, ""] * 3, dtype=object), pd.Series([], dtype=object)):
        got = column_profile(s)
        assert got[:3] == _reference(s) == _replaced(s)
        assert (got.na == s.isna().to_numpy()).all()


@pytest.mark.parametrize("s", [
    pd.Series([1.0, np.nan, 3.0]), pd.Series([1, 2], dtype="int64"),
    pd.Series([1, None], dtype="Int64"), pd.Series([True, False]),
    pd.Series(pd.to_datetime(["2024-01-01", None])), pd.Series(pd.to_datetime([None, None])),
    pd.Series(["a", None, ""], dtype="string"), pd.Series(["x", None], dtype="category")])
def test_other_dtypes_as_before(s: pd.Series) -> None:
    got = column_profile(s)
    assert (got.na == s.isna().to_numpy()).all()
    if s.dtype.kind in "fi" or str(s.dtype) == "Int64":
        assert got[:3] == (8, int(s.isna().sum()), int(np.argmax(s.notna())))
    elif s.dtype.kind == "M":
        assert got[:3] == ((1, 2, None) if s.isna().all() else (10, 1, 0))
    else:
        assert got[:3] == _reference(s.astype(object))
