"""The ADaM datasets held dictionary-encoded from their derivation to the end of a run (issue
#18: memory), handed out as the very frames derived.

Why: at 10,000 patients the ADaM datasets other than ADLB are ~240 MiB as frames, held from
the ADaM build through the tables and the writing; most of it is text columns (8 bytes a row:
a pointer to one of a few dozen strings) and floats of a few distinct values. Held as integer
codes of the smallest type plus each distinct value once they are ~80 MiB.

:class:`HeldDatasets` is the mapping :func:`cartrial.adam.build.build_adam` returns: reading a
dataset (``ds["ADPP"]``, ``.get``, ``.items()``) gives a frame equal to the one stored, column
for column (same labels and order, dtypes, values, index, ``attrs``), decoded when read and
kept while a reader holds it (a weak reference, as :class:`cartrial.data.domains.Domains`
holds a study's domains: two readers at once share one frame) and, the last one read, until
another is (a reader reading one dataset many times decodes it once; ADSL, read most, is
held as a frame, :data:`AS_FRAMES`, and so is a dataset of fewer than :data:`MIN_RECORDS`
records). A reader therefore computes
and writes what it did from the frame itself. Encoded: text columns (Python strings; the
missing values of an object column all None or all NaN) and float columns (by bit pattern,
:func:`cartrial.data.compact_column.held_column`, so -0.0 and every NaN are kept), where
that takes less memory; any other column (dates, integers, booleans, mixed objects) is held as
a copy of itself. A dataset that is not a frame (ADLB's
:class:`~cartrial.adam.batched.BatchedDataset`) is held as given.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from cartrial.adam.column_profile import distinct
from cartrial.data.compact_column import held_column
from cartrial.data.held_mapping import HeldMapping

#: datasets held as the frames given: ADSL, one row per subject (~6 MiB at 10,000 patients),
#: is read by every table and by each cell of the analysis-results tables (thousands of reads)
AS_FRAMES = ("ADSL",)
#: a frame of fewer records is held as given: encoding saves little there, and a small trial's
#: run would pay encoding and decoding for nothing (the example: ~0.7 s of CPU)
MIN_RECORDS = 10_000


class _Text:
    """An object column of text as codes into its distinct strings; code -1 is ``missing``."""

    def __init__(self, codes: np.ndarray, values: np.ndarray, missing: object) -> None:
        self.codes = codes.astype(np.min_scalar_type(-len(values) - 1))
        self.table = np.empty(len(values) + 1, dtype=object)  # code -1: the last entry
        self.table[:-1] = values
        self.table[-1] = missing

    def take(self, rows: None = None) -> np.ndarray:
        return self.table[self.codes]


def _missing_kind(values: np.ndarray) -> tuple[bool, object]:
    """(whether all ``values`` are one kind of missing, that missing value): all None, or all
    float NaN (held as ``np.nan``)."""
    if all(v is None for v in values):
        return True, None
    if all(isinstance(v, float) and v != v for v in values):
        return True, np.nan
    return False, None


def _text(s: pd.Series) -> _Text | None:
    """An object column of strings (and one kind of missing value) encoded, or None when it
    holds anything else or encoding would not take less memory than 8 bytes a row."""
    arr = s.to_numpy()
    if not len(arr) or pd.api.types.infer_dtype(arr, skipna=True) != "string":
        return None
    # NUL-safe; each distinct object hashed once (a dataset's text built per distinct value,
    # or share_repeats'd, holds a few objects: issue #18)
    codes, values = distinct(arr)
    one, missing = _missing_kind(arr[codes < 0])
    if not one:
        return None
    enc = _Text(codes, values, missing)
    return enc if enc.codes.nbytes + 8 * len(enc.table) < 8 * len(arr) else None


class _HeldFrame:
    """A DataFrame held column by column, encoded where it takes less memory (module
    docstring); :meth:`frame` builds it again."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.index, self.columns, self.attrs = df.index, df.columns, dict(df.attrs)
        self.n_rows = len(df)
        self._columns: list = []
        for i in range(df.shape[1]):
            s = df.iloc[:, i]
            enc = _text(s) if s.dtype == object else None
            # text and float columns encoded (or copied) as a CompactFrame holds them; any
            # other a copy of its own (a view would keep the frame's whole block alive)
            self._columns.append(enc if enc is not None else held_column(s))

    def frame(self) -> pd.DataFrame:
        cols = {k: c.array.copy() if isinstance(c, pd.Series) else c.take(None)
                for k, c in enumerate(self._columns)}  # a frame of its own: copies
        out = pd.DataFrame(cols, index=self.index, copy=False)
        out.columns = self.columns
        out.attrs = dict(self.attrs)
        return out


class HeldDatasets(HeldMapping):
    """ADaM name -> dataset, a frame held encoded and decoded when read (module docstring).

    Parameters
    ----------
    datasets : mapping of str to DataFrame or BatchedDataset, optional
        The datasets, in this order.

    Examples
    --------
    >>> adpp = pd.DataFrame({"PARAMCD": ["CMAX", "AUC"] * 5000, "AVAL": [1.5, -0.0] * 5000})
    >>> ds = HeldDatasets({"ADPP": adpp})
    >>> ds["ADPP"].equals(adpp), ds["ADPP"] is adpp, ds.records("ADPP"), list(ds)
    (True, False, 10000, ['ADPP'])
    """

    encoded = (_HeldFrame,)

    def __init__(self, datasets: Mapping | None = None) -> None:
        super().__init__()
        self._last: pd.DataFrame | None = None
        for name, data in (datasets or {}).items():
            self[name] = data

    def _read(self, df: pd.DataFrame) -> None:
        self._last = df  # a reader reading one dataset again and again decodes it once

    def _forget(self, name: str) -> None:
        super()._forget(name)
        self._last = None

    def __setitem__(self, name: str, data) -> None:  # noqa: ANN001
        encode = (isinstance(data, pd.DataFrame) and name not in AS_FRAMES
                  and len(data) >= MIN_RECORDS)
        self._held[name] = _HeldFrame(data) if encode else data
        self._forget(name)

    def __repr__(self) -> str:
        return "HeldDatasets({})".format(", ".join(
            f"{n}: {self.records(n)} records" for n in self._held))

    def __reduce__(self) -> tuple:
        return (HeldDatasets, ({n: self[n] for n in self._held},))

    def records(self, name: str) -> int:
        """The dataset's number of records, without decoding it.

        Examples
        --------
        >>> HeldDatasets({"ADSL": pd.DataFrame({"USUBJID": ["S1", "S2"]})}).records("ADSL")
        2
        """
        held = self._held[name]
        return held.n_rows if isinstance(held, _HeldFrame) else len(held)

    def columns(self, name: str) -> pd.Index:
        """The dataset's variables, in order, without decoding it (a reader that asks only
        which variables a dataset has: 0.7 s of decoding at 10,000 patients, issue #18).

        Examples
        --------
        >>> adpp = pd.DataFrame({"PARAMCD": ["CMAX"] * 10_000, "AVAL": 1.5})
        >>> list(HeldDatasets({"ADPP": adpp}).columns("ADPP"))
        ['PARAMCD', 'AVAL']
        """
        held = self._held[name]
        return held.columns if isinstance(held, _HeldFrame | pd.DataFrame) else self[name].columns
