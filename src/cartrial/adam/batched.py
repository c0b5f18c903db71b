"""An analysis dataset handed over as batches of rows instead of one frame.

Why it exists: memory. At 10,000 patients ADLB has 3.4 million rows and costs about 1 GB as one
frame; derived and written subject batch by subject batch, it never has to be whole.
:func:`cartrial.adam.write_adam` writes a :class:`BatchedDataset` holding one batch at a time,
with the same bytes (CSV, XPT, define.html) as for the concatenated frame (:meth:`to_frame`).

The batches have the same columns in the same order, and a column has one kind in every batch
("num": numbers, "date": ``datetime64``, "bool", "text": anything else; :func:`column_kind`),
except where it has no value: a column that is all missing in a batch (NaN, None, NaT, or no
rows) may have any dtype there, it takes the dtype of the batches with values (the first of
them), or when no batch has a value the one kind of the batches with rows (of all batches when
none has rows; "text", object, when they disagree). pandas 2 mostly concatenates so too (with a
FutureWarning: it will stop); :meth:`BatchedDataset.to_frame` and the writers follow this rule,
:class:`ColumnKinds` applies it and refuses batches with values of two kinds.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartrial.errors import InputError

# the kind a column takes where batches without values disagree (pandas: object)
_UNDECIDED = "text"


@dataclass(frozen=True)
class BatchedDataset:
    """A dataset of ``n_rows`` rows as batches: ``make()`` returns an iterator of DataFrames
    (the batches in row order), called again for each pass, so the batches can be read twice.

    For a dataset too large to hold whole (ADLB at 10,000 patients: 3.4 million rows, ~1 GB):
    :func:`cartrial.adam.write_adam` writes it one batch at a time, with the bytes the
    concatenated frame would give.

    Parameters
    ----------
    n_rows : int
        Rows of the whole dataset.
    make : callable
        Returns a new iterator of the batches (DataFrames with the same columns).

    Examples
    --------
    >>> b = BatchedDataset(3, lambda: iter([pd.DataFrame({"X": [1, 2]}), pd.DataFrame({"X": [3]})]))
    >>> len(b), [len(p) for p in b.batches()], b.to_frame()["X"].tolist()
    (3, [2, 1], [1, 2, 3])
    """

    n_rows: int
    make: Callable[[], Iterator[pd.DataFrame]]

    def batches(self) -> Iterator[pd.DataFrame]:
        """A new pass over the batches."""
        return iter(self.make())

    def __len__(self) -> int:
        return self.n_rows

    def to_frame(self) -> pd.DataFrame:
        """The batches concatenated (``ignore_index``), all-missing columns taking the column's
        dtype first (module docstring): for tests and small data only."""
        parts = list(self.batches())
        if not parts:
            raise InputError("a BatchedDataset needs at least one batch (it may have no rows)")
        kinds = ColumnKinds("")
        part_kinds = [kinds.add(p) for p in parts]
        return concat([kinds.align(p, k) for p, k in zip(parts, part_kinds, strict=True)])


def concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """``pd.concat(parts, ignore_index=True)`` without pandas' FutureWarning on empty or
    all-missing parts (which it leaves out when it picks a dtype, for now)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The behavior of .* concatenation with empty",
                                FutureWarning)
        return pd.concat(parts, ignore_index=True)


def column_kind(s: pd.Series) -> str:
    """"num", "date" (naive ``datetime64``; "date (<tz>)" with a time zone), "bool" or "text"."""
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "num"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return f"date ({dtype.tz})"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    return "text"


class ColumnKinds:
    """The kind of each column of a dataset over its batches (module docstring). Batches are
    added in order; a batch with other columns, or with values of another kind in a column than
    an earlier batch, is refused (InputError naming the dataset, column and both kinds)."""

    def __init__(self, dataset: str) -> None:
        self.dataset = dataset
        self.columns: list[str] | None = None
        self.n_batches = 0
        self._decided: dict[str, tuple[str, int]] = {}  # column -> (kind, first batch with it)
        self._undecided: dict[str, list[tuple[bool, str, int]]] = {}  # (has rows, kind, batch)
        self._dtypes: dict[tuple[str, str], object] = {}  # (column, kind) -> first dtype
        self._resolved: dict[str, str] | None = None

    def add(self, batch: pd.DataFrame, has_values: Mapping[str, bool] | None = None
            ) -> dict[str, str]:
        """This batch's kind of each column (an all-missing column's own dtype's kind);
        ``has_values``: whether each column has a value (``notna().any()``) when the caller
        knows it already (:class:`cartrial.adam.metadata.DatasetProfile` has looked)."""
        cols = list(batch.columns)
        if self.columns is None:
            self.columns = cols
        elif cols != self.columns:
            raise InputError(f"{self.dataset}: batch {self.n_batches} has the columns {cols}, "
                             f"the first batch {self.columns}")
        kinds = {}
        for c in cols:
            s = batch[c]
            kinds[c] = kind = column_kind(s)
            if not (s.notna().any() if has_values is None else has_values[c]):
                self._undecided.setdefault(c, []).append((len(s) > 0, kind, self.n_batches))
                self._dtypes.setdefault((c, kind), s.dtype)
                continue
            first = self._decided.setdefault(c, (kind, self.n_batches))
            if first[0] != kind:
                raise InputError(f"{self.dataset}: column {c!r} is {first[0]} in batch {first[1]} "
                                 f"but {kind} in batch {self.n_batches}; every batch must give a "
                                 "column the same kind")
            if (c, kind) not in self._dtypes or first[1] == self.n_batches:
                self._dtypes[(c, kind)] = s.dtype  # the first batch with values gives the dtype
        self.n_batches += 1
        self._resolved = None
        return kinds

    def resolved(self) -> dict[str, str]:
        """Each column's kind over all batches added (module docstring)."""
        if self._resolved is None:
            self._resolved = {c: self._resolve(c) for c in self.columns or []}
        return self._resolved

    def _resolve(self, c: str) -> str:
        seen = self._undecided.get(c, [])
        if c in self._decided:
            kind, first = self._decided[c]
            gaps = [i for rows, _, i in seen if rows]
            if kind == "bool" and gaps:
                raise InputError(f"{self.dataset}: column {c!r} is bool in batch {first} but "
                                 f"all missing in batch {gaps[0]}; bool columns hold no missing "
                                 "values")
            return kind
        kinds = {k for rows, k, _ in seen if rows} or {k for _, k, _ in seen}
        return kinds.pop() if len(kinds) == 1 else _UNDECIDED

    def missing(self, column: str, index: pd.Index) -> pd.Series:
        """Missing values in the column's resolved dtype (float for integers)."""
        kind = self.resolved()[column]
        dtype = self._dtypes.get((column, kind), object)
        if isinstance(dtype, np.dtype) and dtype.kind in "iub":
            dtype = np.dtype(float)
        return pd.Series([None] * len(index), index=index, dtype=object,
                         name=column).astype(dtype)

    def align(self, batch: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
        """``batch`` (whose kinds :meth:`add` gave) with each column of another kind than the
        resolved one (all missing there) as missing values of the resolved dtype."""
        resolved = self.resolved()
        other = [c for c, k in kinds.items() if k != resolved[c]]
        if not other:
            return batch
        return batch.assign(**{c: self.missing(c, batch.index) for c in other})
