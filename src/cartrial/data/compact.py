"""A large domain held dictionary-encoded while only row batches of it are read (issue #18).

Why: memory. A loaded text column is a pointer (8 bytes) per record to one shared Python string per
distinct value; a float column is 8 bytes per record. A large LB (3.4 million records at 10,000
patients, 24 variables) is about 650 MiB so, yet it holds a few thousand distinct values per
variable. :class:`CompactFrame` keeps each such column as integer codes of the smallest signed type
(1 or 2 bytes for most variables) plus its distinct values, and gives back any set of rows as the
very frame ``df.iloc[rows]`` would be: same columns in the same order, same dtypes (text stays
``pd.StringDtype("python")``, floats stay ``float64`` bit for bit: numbers are encoded by their bit
patterns, so ``-0.0`` and every NaN are kept as they were), same index labels. A consumer reading
it in batches (ADLB: 250 subjects at a time) gets the frame's input and writes its bytes.

The study holds its large findings domains so (:mod:`cartrial.data.domains`): a reader of a few
variables of some records decodes only those, chosen on the codes (``where``, ``codes``).

This is dictionary encoding (a pandas categorical, an Arrow dictionary array) kept out of sight
of the consumers: pandas treats categorical columns differently (groupby lists unobserved
categories, ``map`` keeps the categorical dtype, setting a value outside the categories
raises), so the frames handed out are the ordinary ones.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Collection, Mapping, Sequence

import numpy as np
import pandas as pd

from cartrial.data.compact_column import _TEXT, _Coded, _text_codes, held_column
from cartrial.data.compact_derived import derive_columns
from cartrial.data.text import distinct_present, matching

#: whole text columns decoded from a CompactFrame: id(array) -> (weak ref, codes, values),
#: so validation asks its questions of the held codes (:func:`decoded_codes`)
_DECODED: dict[int, tuple] = {}


def decoded_codes(array: object) -> tuple[np.ndarray, np.ndarray] | None:
    """The codes and distinct values of a whole text column decoded by
    :meth:`CompactFrame.frame` (the array itself, while it lives), else None.

    Parameters
    ----------
    array : object
        A column's array (``s.array``).

    Returns
    -------
    tuple of numpy.ndarray or None
        ``(codes, values)`` as :func:`cartrial.data.validate_codes.column_codes` gives them.

    Examples
    --------
    >>> df = pd.DataFrame({"T": pd.array(["a", None, "a"], dtype=_TEXT)})
    >>> col = CompactFrame(df).frame()["T"]
    >>> codes, values = decoded_codes(col.array)
    >>> codes.tolist(), values.tolist()
    ([0, -1, 0], ['a'])
    >>> decoded_codes(df["T"].array) is None
    True
    """
    hit = _DECODED.get(id(array))
    if hit is None or hit[0]() is not array:
        return None
    return hit[1], hit[2]


def _remember_decoded(array: object, codes: np.ndarray, values: np.ndarray) -> None:
    key = id(array)
    _DECODED[key] = (weakref.ref(array), codes, values)
    weakref.finalize(array, _DECODED.pop, key, None)


class CompactFrame:
    """A DataFrame held dictionary-encoded, read back by rows (module docstring).

    Parameters
    ----------
    df : pandas.DataFrame
        The frame; Python-backed text (``pd.StringDtype("python")``) and ``float64`` columns
        are encoded where that takes less memory, other columns are kept as they are.
    known : callable, optional
        ``known(column)``: a text column's codes and distinct values when already known
        (``(codes, values)`` as :func:`cartrial.data.text.factorize_text` gives them), else
        None; the column is then not factorised again.

    Examples
    --------
    >>> df = pd.DataFrame({"T": pd.array(["a", None, "a"], dtype=pd.StringDtype("python")),
    ...                    "X": [1.0, float("nan"), -0.0]}, index=[10, 11, 12])
    >>> held = CompactFrame(df)
    >>> len(held), held.columns
    (3, ['T', 'X'])
    >>> held.take([2, 0]).equals(df.iloc[[2, 0]])
    True
    """

    def __init__(self, df: pd.DataFrame,
                 known: Callable[[pd.Series], tuple | None] | None = None) -> None:
        self._hold(df, known)
        self._encoded = derive_columns(self._encoded, len(self.index))

    def _hold(self, df: pd.DataFrame, known: Callable[[pd.Series], tuple | None] | None,
              ) -> None:
        """Each column held (encoded or a copy), none derived yet."""
        self.columns: list = list(df.columns)
        self._labels: pd.Index = df.columns
        self.index: pd.Index = df.index
        self.attrs: dict = dict(df.attrs)
        self._encoded: dict = {}
        self._plain: dict = {}
        self._shared: dict = {}  # column -> weak reference to its array in shared frames
        for i in range(len(self.columns)):
            s = df.iloc[:, i]
            col = held_column(s, known(s) if known is not None and s.dtype == _TEXT else None)
            if isinstance(col, _Coded):
                self._encoded[i] = col
            else:
                self._plain[i] = col

    @classmethod
    def assemble(cls, df: pd.DataFrame, coded: Mapping[str, tuple[np.ndarray, np.ndarray]],
                 order: Sequence[str],
                 known: Callable[[pd.Series], tuple | None] | None = None) -> CompactFrame:
        """The frame that ``df`` with the text columns ``coded`` inserted would be, never
        built: ``df`` encoded, the ``coded`` columns taken as codes (the loader's columns no
        step changes: their text is never spread to the rows).

        Parameters
        ----------
        df : pandas.DataFrame
            The other columns (unique labels).
        coded : mapping of str to (codes, values), or to a column held
            Text columns as codes (-1 missing) and distinct values, or columns already held
            as :mod:`cartrial.data.compact_column` holds them (encoded, or a Series).
        order : sequence of str
            The columns' order (``df``'s columns not in it follow, in their order, then the
            ``coded`` columns not in it, in theirs).
        known : callable, optional
            As for :class:`CompactFrame`.

        Returns
        -------
        CompactFrame

        Examples
        --------
        >>> df = pd.DataFrame({"X": [1.0, 1.0, 1.0]})
        >>> coded = {"T": (np.array([0, -1, 0]), np.array(["a"], dtype=object))}
        >>> CompactFrame.assemble(df, coded, ["T", "X"]).frame()["T"].tolist()
        ['a', <NA>, 'a']
        """
        held = cls.__new__(cls)
        held._hold(df, known)  # derived once, below, among all the columns
        at = {c: i for i, c in enumerate(held.columns)}
        names = [*order, *(c for c in held.columns if c not in set(order))]
        names += [c for c in coded if c not in set(names)]
        encoded, plain = {}, {}
        for j, c in enumerate(names):
            if c in coded:
                col = coded[c] if isinstance(coded[c], _Coded | pd.Series) \
                    else _text_codes(*coded[c])
                if isinstance(col, _Coded):
                    encoded[j] = col
                else:
                    plain[j] = col.set_axis(held.index)
            elif at[c] in held._encoded:
                encoded[j] = held._encoded[at[c]]
            else:
                plain[j] = held._plain[at[c]]
        held.columns, held._labels = names, pd.Index(names, dtype=object)
        held._encoded, held._plain = derive_columns(encoded, len(held.index)), plain
        return held

    def __getstate__(self) -> dict:  # the weak references are not sent
        return {k: v for k, v in self.__dict__.items() if k != "_shared"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _shared={})

    def __len__(self) -> int:
        return len(self.index)

    def take(self, rows) -> pd.DataFrame:
        """The rows at these positions, as ``df.iloc[rows]`` of the frame given.

        Parameters
        ----------
        rows : array-like of int or bool
            0-based row positions, or a mask of as many values as rows.

        Returns
        -------
        pandas.DataFrame
            Same columns, dtypes and index labels as ``df.iloc[rows]``.

        Examples
        --------
        >>> held = CompactFrame(pd.DataFrame({"X": [0.5, 0.5, 2.0]}))
        >>> held.take([1, 2])["X"].tolist()
        [0.5, 2.0]
        """
        rows = np.asarray(rows)
        rows = np.flatnonzero(rows) if rows.dtype == bool else rows.astype(np.intp, copy=False)
        return self._decode(range(len(self.columns)), rows)

    def frame(self, columns: Sequence | None = None, rows=None, *,
              shared: bool = False) -> pd.DataFrame:
        """The frame given, or only some of its columns (in the order asked) and rows.

        Parameters
        ----------
        columns : sequence, optional
            Column labels, each one of the frame's (all when None).
        rows : array-like of int or bool, optional
            As for :meth:`take` (all rows, in order, when None).
        shared : bool, optional
            For a reader that changes nothing (validation): whole columns share their arrays
            with any other shared frame still held (what is remembered of a column serves all).

        Returns
        -------
        pandas.DataFrame
            ``df[columns].iloc[rows]`` of the frame given (the whole frame, equal to it, when
            both are None); a frame of its own unless ``shared``.

        Examples
        --------
        >>> df = pd.DataFrame({"A": [1.0, 2.0, 1.0], "B": [0.5, 0.5, 0.5]}, index=[7, 8, 9])
        >>> held = CompactFrame(df)
        >>> held.frame().equals(df), held.frame(["B"], [True, False, True]).index.tolist()
        (True, [7, 9])
        """
        at = (range(len(self.columns)) if columns is None
              else [self.columns.index(c) for c in columns])
        if rows is not None:
            rows = np.asarray(rows)
            rows = np.flatnonzero(rows) if rows.dtype == bool else rows.astype(np.intp,
                                                                                  copy=False)
        return self._decode(at, rows, shared and rows is None)

    def _decode(self, at: Sequence[int], rows: np.ndarray | None,
                shared: bool = False) -> pd.DataFrame:
        cols = {}
        for k, i in enumerate(at):
            ref = self._shared.get(i) if shared else None
            live = ref() if ref is not None else None
            if live is not None:  # a float column: the view of its bit patterns' array
                cols[k] = live if self._encoded[i].text else live.view(np.float64)
            elif i in self._encoded:
                enc = self._encoded[i]
                codes = enc.codes_at(rows)
                cols[k] = enc.decode(codes)
                if rows is None and enc.text:
                    _remember_decoded(cols[k], codes, enc.values)
                if shared:  # a frame holds a float column's view, which holds its base
                    self._shared[i] = weakref.ref(cols[k] if enc.text else cols[k].base)
            elif shared:
                cols[k] = self._plain[i].array
            else:
                arr = self._plain[i].array
                cols[k] = arr.take(rows) if rows is not None else arr.copy()
        index = self.index if rows is None else _index_at(self.index, rows)
        out = pd.DataFrame(cols, index=index, copy=False)
        out.columns = self._labels[list(at)] if not isinstance(at, range) else self._labels
        out.attrs = dict(self.attrs)
        return out

    def where(self, conditions: Mapping[str, Collection]) -> np.ndarray:
        """The rows whose value of each named column is among the values given (pandas'
        ``isin``, asked once per distinct value of an encoded column; a missing value never
        matches); a column the frame lacks matches no row.

        Parameters
        ----------
        conditions : mapping of str to collection
            Column -> accepted values.

        Returns
        -------
        numpy.ndarray of bool
            Per row: :func:`matching` of every condition, combined.

        Examples
        --------
        >>> df = pd.DataFrame({"T": pd.array(["a", None, "b"], dtype=_TEXT)})
        >>> CompactFrame(df).where({"T": {"a", "b"}}).tolist()
        [True, False, True]
        """
        keep = np.ones(len(self), dtype=bool)
        for name, values in conditions.items():
            if name not in self.columns:
                return np.zeros(len(self), dtype=bool)
            keep &= self.mask(name, lambda s, v=list(values): matching(s, v))
        return keep

    def mask(self, name, decide: Callable[[pd.Series], pd.Series]) -> np.ndarray:
        """``decide(df[name])`` as a bool array, asked of the distinct values of an encoded
        column (then spread by code) rather than of every row.

        Parameters
        ----------
        name : str
            The column.
        decide : callable
            Element-wise: a boolean Series of as many values as the Series given (which has
            the column's dtype).

        Returns
        -------
        numpy.ndarray of bool
            One per row.

        Examples
        --------
        >>> df = pd.DataFrame({"X": [0.5, 2.0, 0.5]})
        >>> CompactFrame(df).mask("X", lambda s: s > 1).tolist()
        [False, True, False]
        """
        i = self.columns.index(name)
        if i not in self._encoded:
            return decide(self._plain[i]).to_numpy(dtype=bool)
        enc = self._encoded[i]
        # text: code -1 picks the trailing missing value of distinct()
        return decide(enc.distinct()).to_numpy(dtype=bool)[enc.codes]

    def codes(self, name) -> tuple[np.ndarray, np.ndarray] | None:
        """An encoded text column's (codes, values) as :func:`decoded_codes` gives them, or None.

        Examples
        --------
        >>> CompactFrame(pd.DataFrame({"T": pd.array(["a"] * 9, dtype=_TEXT)})).codes("T")[1]
        array(['a'], dtype=object)
        """
        enc = self._encoded.get(self.columns.index(name))
        return (enc.codes_at(None), enc.values) if enc is not None and enc.text else None

    def distinct(self, name) -> np.ndarray:
        """The column's distinct values, missing ones left out, from its held values (an
        encoded column's rows are not read).

        Parameters
        ----------
        name : str
            A column of the frame.

        Returns
        -------
        numpy.ndarray of object
            Each value once (order unspecified); an encoded column's held values are its
            values.

        Examples
        --------
        >>> df = pd.DataFrame({"T": pd.array(["a", None, "a"], dtype=_TEXT)})
        >>> CompactFrame(df).distinct("T").tolist()
        ['a']
        """
        i = self.columns.index(name)
        return distinct_present(self._encoded[i].distinct() if i in self._encoded
                                else self._plain[i].to_numpy(dtype=object))

    def column(self, name) -> pd.Series:
        """One whole column as the frame held it.

        Parameters
        ----------
        name : str
            The column.

        Returns
        -------
        pandas.Series

        Examples
        --------
        >>> CompactFrame(pd.DataFrame({"X": [1.0, 2.0]})).column("X").tolist()
        [1.0, 2.0]
        """
        i = self.columns.index(name)
        values = self._encoded[i].take(None) if i in self._encoded else self._plain[i].array
        return pd.Series(values, index=self.index, name=name, copy=False)

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays held (codes, distinct values' pointers or numbers, plain
        columns; the Python strings themselves are shared with the frame and not counted)."""
        enc = sum(e.held_nbytes for e in self._encoded.values())
        return int(enc + sum(s.memory_usage(index=False) for s in self._plain.values()))


def _index_at(index: pd.Index, rows: np.ndarray) -> pd.Index:
    """``index[rows]``, without materialising a whole RangeIndex: pandas builds its int64
    array (and caches it on the index, 28 MB for LB's 3.5 million records at 10,000 patients,
    held for the rest of the run) to take a few of its labels; the labels are arithmetic."""
    if isinstance(index, pd.RangeIndex) and (not rows.size or rows.min() >= 0):
        labels = index.start + rows.astype(np.int64) * index.step
        return pd.Index(labels, dtype=np.int64, name=index.name)
    return index[rows]
