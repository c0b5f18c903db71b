"""Text columns as the readers build them: each distinct value one Python object, each row a
code (blanks missing), the codes kept for the loader's later steps
(:mod:`cartrial.data.load`)."""

from __future__ import annotations

from itertools import repeat

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Arrow's default allocator keeps freed pages; the system allocator hands them back to Python.
POOL = pa.system_memory_pool()


def _blank(col: pa.Array) -> pa.Array:
    """SAS and CSV blanks are missing values (admiral's convert_blanks_to_na idiom): which
    texts are empty or white space only."""
    return pc.equal(pc.utf8_trim_whitespace(col, memory_pool=POOL), "", memory_pool=POOL)


class SharedText:
    """One text column read block by block: the distinct values seen so far (one Python object
    each) and, per block, integer codes into them; blanks are missing (code -1). The codes are
    those of ``pd.factorize`` (first appearance), kept for the loader's later steps."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.codes: list[np.ndarray] = []
        self.has_nul = False
        self.padded: np.ndarray | None = None
        self.raw: pd.arrays.StringArray | None = None
        self.factorized: tuple[np.ndarray, np.ndarray] | None = None

    def add(self, col: pa.Array | pa.ChunkedArray) -> None:
        """Take the column's next block: text, or text the reader dictionary-encoded (its
        dictionary in order of first appearance, as ``pyarrow.compute.dictionary_encode``
        gives it)."""
        d = col if pa.types.is_dictionary(col.type) else pc.dictionary_encode(col,
                                                                              memory_pool=POOL)
        if isinstance(d, pa.ChunkedArray):
            d = d.combine_chunks(memory_pool=POOL)
        index = self.index
        # blanks (empty or white space only) are missing: decided once per distinct text
        blank = _blank(d.dictionary).to_numpy(zero_copy_only=False)
        values = d.dictionary.to_pylist()
        # the block's distinct texts looked up at C speed (map); those not seen before take
        # the next codes in the block dictionary's order (first appearance), as one loop did
        to_global = np.fromiter(map(index.get, values, repeat(-1)), dtype=np.int64,
                                count=len(values))
        new = np.flatnonzero((to_global < 0) & ~blank)
        to_global[new] = np.arange(len(index), len(index) + len(new))
        index.update(zip([values[i] for i in new], to_global[new].tolist(), strict=True))
        local = pc.fill_null(d.indices, -1).to_numpy()
        codes = np.where(local >= 0, to_global[np.maximum(local, 0)], -1) if len(to_global) \
            else local
        # the smallest signed type holding every code so far: a large LB's codes are held
        # until the column is finished (taken through block-long int64 arrays, which are
        # mapped and unmapped: the small codes taken from the indices in one pass left the
        # heap 170-300 MiB fuller during LB's read at 10,000 patients, LOAD4 and LOAD5)
        self.codes.append(codes.astype(np.min_scalar_type(-len(index) - 1), copy=False))

    def finish(self) -> pd.arrays.StringArray:
        """The column: its text (one pointer a row to the shared values); ``factorized``,
        ``has_nul`` and ``padded`` set as by :meth:`close`."""
        codes, uniq = self.close()
        return _spread_text(uniq, codes)

    def close(self) -> tuple[np.ndarray, np.ndarray]:
        """The column read: codes and distinct values (then a trailing NA), the text never
        spread to the rows (a column the loader does not change is held encoded from these:
        :func:`cartrial.data.load.load_study`); sets ``factorized``, ``has_nul`` and
        ``padded`` (with ``raw``, the padded values as read)."""
        # Arrow's dictionary keeps "\x00x" and "" apart; pandas 2 hashes text only up to a NUL
        # (pandas issue #34551), so such values are reported at load (load_study)
        self.has_nul = any("\x00" in v for v in self.index)
        uniq = np.asarray([*self.index, pd.NA], dtype=object)
        codes = np.concatenate(self.codes) if self.codes else np.empty(0, np.int32)
        self.codes = []
        # leading / trailing blanks: the value is kept stripped and the rows are remembered
        # (reported as warnings by load_study); a value is never silently non-matching
        padded = [i for i, v in enumerate(self.index) if v != v.strip()]
        self.padded = None
        if padded:
            self.padded = np.isin(codes, padded)
            self.raw = _spread_text(uniq, codes)
            uniq[padded] = [uniq[i].strip() for i in padded]
        self.factorized = _first_seen(codes, uniq[:-1]) if padded else (codes, uniq[:-1])
        return codes, uniq


def _spread_text(uniq: np.ndarray, codes: np.ndarray) -> pd.arrays.StringArray:
    """``pd.arrays.StringArray(uniq[codes])`` (code -1 picks ``uniq``'s trailing NA): only the
    distinct values are checked to be text, not every row once more (half the cost of a text
    column's construction: issue #18)."""
    return pd.arrays.StringArray(uniq).take(codes)


def _first_seen(codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values after equal values were merged (stripped texts): still in
    the order of first appearance, as the codes before were."""
    merged: dict[str, int] = {}
    remap = np.asarray([merged.setdefault(v, len(merged)) for v in values] + [-1],
                       dtype=np.int64)
    return remap[codes], np.asarray(list(merged), dtype=object)
