"""Encoded columns that are a function of another encoded column, held as that column's codes
looked up (issue #18: the floor a large trial's run stands on).

A findings domain repeats, in every record, values fixed by another of its variables: the
test's name and category by its code (LBTEST, LBCAT by LBTESTCD), the standard result's text by
the original one, the visit's name by its number, STUDYID and DOMAIN (one value) by anything.
:class:`cartrial.data.compact.CompactFrame` holds each such column as a lookup table from the
other column's codes to its own (a few bytes) instead of a code per record (1-2 bytes a record:
at 10,000 patients about 3.5 MB a variable of LB). Decoding one gives the very codes it had
(``lookup[parent codes]``), so every value, dtype and missing value comes back as held.

A column is derived only from a column that keeps its own codes (no chains), and only where
the rows prove the dependence (every record of a parent value holds the same child value,
missing counted as a value), so the rule cannot lose a record's value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartrial.data.compact_column import _Coded, _Encoded

_SAMPLE = 4096  # records checked first (strided): most non-dependences fail there at once
_FULL_TRIES = 3  # whole-column checks per column at most (after its sample passed)


@dataclass(frozen=True)
class _Derived(_Coded):
    parent: _Encoded           # a column of the same frame, holding its own codes
    lookup: np.ndarray         # parent code -> this column's code; the last entry: parent -1
    values: np.ndarray         # as _Encoded's
    text: bool

    @property
    def codes(self) -> np.ndarray:
        return self.codes_at(None)

    def codes_at(self, rows: np.ndarray | None) -> np.ndarray:
        return self.lookup[self.parent.codes_at(rows)]

    @property
    def held_nbytes(self) -> int:
        """Bytes of the lookup table and of the distinct values' pointers or numbers (the
        parent's codes are the parent's)."""
        return self.lookup.nbytes + self.values.nbytes


def _lookup(parent: np.ndarray, n_parent: int, child: np.ndarray) -> np.ndarray | None:
    """The table ``t`` with ``t[parent] == child`` everywhere (``t[-1]``: the child's code
    where the parent's is -1), or None when the child is not a function of the parent."""
    table = np.zeros(n_parent + 1, dtype=child.dtype)
    table[parent] = child  # the last record of each parent code writes last; checked next
    return table if np.array_equal(table[parent], child) else None


def derive_columns(encoded: dict[int, _Coded], n: int) -> dict[int, _Coded]:
    """``encoded`` with each column that is a function of another held as :class:`_Derived`.

    Columns are taken from the most distinct values to the fewest (ties: the wider codes,
    then the frame's order): each keeps its own codes unless a column already kept (so one of
    at least as many distinct values) determines it, tried from the fewest distinct values.

    Parameters
    ----------
    encoded : dict of int to column held encoded
        Column position -> :class:`~cartrial.data.compact_column._Encoded` (or already
        :class:`_Derived`: kept as it is, never a parent).
    n : int
        Records.

    Returns
    -------
    dict of int to column held encoded
        Same positions; each column's :meth:`codes_at` gives the same codes as before.

    Examples
    --------
    >>> from cartrial.data.compact_column import _Encoded
    >>> code = _Encoded(np.array([0, 1, 0, 1], dtype=np.int8), np.array(["A", "B"], object), True)
    >>> name = _Encoded(np.array([1, 0, 1, 0], dtype=np.int8), np.array(["b", "a"], object), True)
    >>> held = derive_columns({0: code, 1: name}, 4)
    >>> type(held[1]).__name__, held[1].codes.tolist(), held[1].lookup.tolist()
    ('_Derived', [1, 0, 1, 0], [1, 0, 0])
    """
    own = {i: c for i, c in encoded.items() if isinstance(c, _Encoded)}
    if n < 2 or len(own) < 2:
        return dict(encoded)
    step = max(1, n // _SAMPLE)
    sample = {i: c.codes[::step] for i, c in own.items()}
    out = dict(encoded)
    kept: list[int] = []  # holding their own codes, fewest distinct values first
    for i in sorted(own, key=lambda k: (-len(own[k].values), -own[k].codes.itemsize, k)):
        derived = _derived(own[i], [own[k] for k in kept], [sample[k] for k in kept],
                           sample[i])
        if derived is None:
            kept.append(i)
            kept.sort(key=lambda k: (len(own[k].values), k))
        else:
            out[i] = derived
    return out


def _derived(child: _Encoded, parents: list[_Encoded], samples: list[np.ndarray],
             sample: np.ndarray) -> _Derived | None:
    """``child`` as a function of the first of ``parents`` that determines it (checked on
    the samples first, then on every record), else None."""
    tries = 0
    whole = len(sample) == len(child.codes)  # a short column: its sample is all of it
    for parent, part in zip(parents, samples, strict=True):
        width = len(parent.values)
        table = _lookup(part, width, sample)
        if table is None:
            continue
        if not whole:
            table = _lookup(parent.codes, width, child.codes)
        if table is not None:
            return _Derived(parent, table, child.values, child.text)
        tries += 1
        if tries == _FULL_TRIES:
            return None
    return None
