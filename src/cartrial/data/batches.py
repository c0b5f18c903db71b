"""Subjects in batches: how a large trial is worked through in bounded memory.

Every per-subject derivation (lab grading, baseline flags, ADLB) gives the same result on any
partition of the subjects. Taking them a fixed number at a time keeps the working frames of a
trial with millions of records at the size of one batch (issue #8: 10,000 patients in <= 2 GB).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.compact import CompactFrame, decoded_codes
from cartrial.data.text import spread


def subject_batches(usubjid: pd.Series | np.ndarray, batch_subjects: int) -> list[np.ndarray]:
    """Row positions of each batch of ``batch_subjects`` subjects, batches in USUBJID order and
    rows in their original order within a batch; rows without a USUBJID go with the last batch
    (where a sort by USUBJID puts them). Always at least one (possibly empty) batch.

    Parameters
    ----------
    usubjid : pandas.Series or numpy.ndarray
        USUBJID of each row (missing allowed).
    batch_subjects : int
        Subjects per batch (at least 1).

    Returns
    -------
    list of numpy.ndarray
        0-based row positions of each batch.

    Raises
    ------
    ValueError
        When ``batch_subjects`` is below 1.

    Examples
    --------
    >>> subject_batches(pd.Series(["B", "A", "C", "A", None]), 2)
    [array([0, 1, 3]), array([2, 4])]
    """
    _check_size(batch_subjects)
    codes, subjects = pd.factorize(pd.Series(usubjid, copy=False), sort=True)
    n = max(1, -(-len(subjects) // batch_subjects))
    batch = np.where(codes < 0, n - 1, codes // batch_subjects)
    order = np.argsort(batch, kind="stable")
    bounds = np.searchsorted(batch[order], np.arange(n + 1))
    return [order[bounds[i]:bounds[i + 1]] for i in range(n)]


def _check_size(batch_subjects: int) -> None:
    if batch_subjects < 1:
        raise ValueError(f"batch_subjects must be at least 1, got {batch_subjects}")


def coded_subject_batches(codes: np.ndarray, values: np.ndarray, batch_subjects: int
                          ) -> list[np.ndarray]:
    """:func:`subject_batches` of the identifiers ``values[codes]`` (code -1: none) without
    spreading them to the records (issue #18: at 10,000 patients factorising LB's 3.5 million
    identifiers again, sorted, was +150 MiB): the distinct subjects ranked once, each record's
    batch the rank of its code's subject divided by ``batch_subjects``, the records of each
    batch in their order (a stable sort). Values that are not all text, or text with a NUL
    character (which pandas hashes only up to it, so :func:`subject_batches` takes such
    identifiers as one subject), go through :func:`subject_batches` itself.

    Parameters
    ----------
    codes : numpy.ndarray of int
        Each record's code (-1 for no USUBJID).
    values : numpy.ndarray
        The distinct identifiers, each once (as
        :func:`cartrial.data.validate_codes.column_codes` gives them).
    batch_subjects : int
        Subjects per batch (at least 1).

    Returns
    -------
    list of numpy.ndarray
        ``subject_batches(values[codes], batch_subjects)`` (its ValueError likewise).

    Examples
    --------
    >>> coded_subject_batches(np.array([1, 0, 2, 0, -1]), np.array(["A", "B", "C"]), 2)
    [array([0, 1, 3]), array([2, 4])]
    """
    _check_size(batch_subjects)
    if not all(isinstance(v, str) and "\x00" not in v for v in values):
        return subject_batches(spread(np.asarray(values, dtype=object), codes, None),
                               batch_subjects)
    present = np.bincount(codes[codes >= 0], minlength=len(values)) > 0
    rank = np.full(len(values) + 1, -1, dtype=np.int64)  # code -1 (no USUBJID): rank -1
    order = np.flatnonzero(present)[np.argsort(values[present])]  # str order, as sort=True
    rank[order] = np.arange(len(order))
    n = max(1, -(-len(order) // batch_subjects))
    # per distinct value its batch (no USUBJID: the last), then per record (as subject_batches)
    of_value = np.where(rank < 0, n - 1, rank // batch_subjects).astype(np.min_scalar_type(n))
    batch = of_value[codes]
    by_batch = np.argsort(batch, kind="stable")
    bounds = np.searchsorted(batch[by_batch], np.arange(n + 1))
    return [by_batch[bounds[i]:bounds[i + 1]] for i in range(n)]


def held_subject_batches(held: pd.DataFrame | CompactFrame, batch_subjects: int,
                         rows: np.ndarray | None = None) -> list[np.ndarray]:
    """:func:`subject_batches` of the USUBJID of a domain's records ``rows`` (all when None):
    of an encoded domain (:class:`~cartrial.data.compact.CompactFrame`) from its held codes
    (:func:`coded_subject_batches`), of a frame from the identifiers.

    Parameters
    ----------
    held : pandas.DataFrame or CompactFrame
        The domain, as the study holds it.
    batch_subjects : int
        Subjects per batch (at least 1).
    rows : numpy.ndarray of int, optional
        0-based positions of the records batched.

    Returns
    -------
    list of numpy.ndarray
        Positions among ``rows`` (among all records when None) of each batch's records.

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": pd.array(["B", "A", "C", "A", None],
    ...                                        dtype=pd.StringDtype("python"))})
    >>> held_subject_batches(CompactFrame(lb), 2)
    [array([0, 1, 3]), array([2, 4])]
    >>> held_subject_batches(lb, 1, rows=np.array([2, 3]))
    [array([1]), array([0])]
    """
    col = held.frame(["USUBJID"])["USUBJID"] if isinstance(held, CompactFrame) \
        else held["USUBJID"]
    known = decoded_codes(col.array)  # a decoded CompactFrame column: the codes held
    if known is None:
        return subject_batches(col if rows is None else col.iloc[rows], batch_subjects)
    del col
    codes, values = known
    return coded_subject_batches(codes if rows is None else codes[rows], values,
                                 batch_subjects)


def in_row_order(parts: list[pd.DataFrame], batches: list[np.ndarray]) -> pd.DataFrame:
    """The per-batch results of a row-wise derivation put back in the input's row order.

    Column by column, taking each column out of ``parts`` (which are emptied) as it is joined:
    a whole-frame concat and reorder of a large LB would hold the result three times over. No
    reordering work when the input was already sorted by subject."""
    rows = np.concatenate(batches) if batches else np.empty(0, dtype=np.intp)
    order = None
    if len(rows) > 1 and not (np.diff(rows) > 0).all():
        order = np.argsort(rows, kind="stable")
    out = concat_consuming(parts)
    if order is not None:
        for c in out.columns:
            out[c] = out[c].take(order).reset_index(drop=True)
    return out


def concat_consuming(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames joined in order, rows numbered afresh: ``pd.concat(parts, ignore_index=True)``.

    Parts with the same columns are joined column by column, each column taken out of
    ``parts`` (emptied) as it goes, so a large frame is never held twice; a column's dtype is
    found from every non-empty part, an all-missing one included (pandas' whole-frame concat
    leaves such a part out, a rule it deprecates). Parts with other columns are joined by
    ``pd.concat`` itself: every column, in order of first appearance (a column a part lacks is
    missing there), as a pivot made a batch at a time needs.

    Parameters
    ----------
    parts : list of pandas.DataFrame
        At least one.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> a = pd.DataFrame({"U": ["1"], "CMAX": [2.0]})
    >>> b = pd.DataFrame({"U": ["2"], "TMAX": [7.0], "CMAX": [3.0]})
    >>> concat_consuming([a, b]).values.tolist()
    [['1', 2.0, nan], ['2', 3.0, 7.0]]
    """
    cols = list(parts[0].columns)
    if any(list(p.columns) != cols for p in parts):
        return pd.concat(parts, ignore_index=True)
    out = {c: pd.concat([p.pop(c) for p in parts], ignore_index=True) for c in cols}
    return pd.DataFrame(out, copy=False)


def records_at(held: pd.DataFrame | CompactFrame, rows: np.ndarray,
               columns: list[str] | None = None, *, labels: bool = True) -> pd.DataFrame:
    """``held.iloc[rows][columns]`` of a domain held encoded
    (:class:`~cartrial.data.compact.CompactFrame`: only these records and variables are
    decoded) or a frame (:func:`take_rows`).

    Parameters
    ----------
    held : pandas.DataFrame or CompactFrame
        The domain, as the study holds it.
    rows : numpy.ndarray
        0-based positions, or a mask of as many values as records.
    columns : list of str, optional
        The variables, in this order (all when None).
    labels : bool, default True
        The records keep their index labels (as ``.iloc``); else they are numbered afresh
        (a RangeIndex, as :func:`take_rows`).

    Returns
    -------
    pandas.DataFrame
        The records asked for (a frame of its own: changing it changes nothing held).

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"], "X": [1.0, 2.0, 3.0]}, index=[7, 8, 9])
    >>> records_at(CompactFrame(lb), np.array([2, 0]), ["X"]).equals(lb.iloc[[2, 0]][["X"]])
    True
    >>> records_at(lb, np.array([2, 0]), labels=False).index.tolist()
    [0, 1]
    """
    if isinstance(held, CompactFrame):
        out = held.frame(columns, rows)
        if not labels:
            out.index = pd.RangeIndex(len(out))
        return out
    out = take_rows(held, rows, columns)
    if labels:
        rows = np.asarray(rows)
        out.index = held.index.take(np.flatnonzero(rows) if rows.dtype == bool else rows)
    return out


def row_runs(rows: np.ndarray, size: int) -> list[np.ndarray]:
    """``rows`` cut into runs of ``size`` consecutive entries (the last shorter), in order:
    a large domain's records read a bounded number at a time.

    Examples
    --------
    >>> row_runs(np.arange(5), 2)
    [array([0, 1]), array([2, 3]), array([4])]
    """
    return [rows[i:i + size] for i in range(0, len(rows), size)]


def take_rows(df: pd.DataFrame, rows: np.ndarray, columns: list[str] | None = None
              ) -> pd.DataFrame:
    """``df.iloc[rows][columns]`` with a fresh RangeIndex, taken column by column: pandas'
    ``.loc``/``.iloc`` with rows and columns together works on whole blocks and, on a large LB,
    peaks at several times the size of what is selected. ``rows``: positions or a boolean mask."""
    rows = np.asarray(rows)
    if rows.dtype == bool:
        rows = np.flatnonzero(rows)
    cols = list(df.columns) if columns is None else columns
    return pd.DataFrame({c: df[c].array.take(rows) for c in cols},
                        index=pd.RangeIndex(len(rows)), copy=False)
