"""Subjects in batches: how a large trial is worked through in bounded memory.

Every per-subject derivation (lab grading, baseline flags, ADLB) gives the same result on any
partition of the subjects. Taking them a fixed number at a time keeps the working frames of a
trial with millions of records at the size of one batch (issue #8: 10,000 patients in <= 2 GB).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


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
    if batch_subjects < 1:
        raise ValueError(f"batch_subjects must be at least 1, got {batch_subjects}")
    codes, subjects = pd.factorize(pd.Series(usubjid, copy=False), sort=True)
    n = max(1, -(-len(subjects) // batch_subjects))
    batch = np.where(codes < 0, n - 1, codes // batch_subjects)
    order = np.argsort(batch, kind="stable")
    bounds = np.searchsorted(batch[order], np.arange(n + 1))
    return [order[bounds[i]:bounds[i + 1]] for i in range(n)]


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
    """``pd.concat(parts, ignore_index=True)`` for parts with the same columns, joined column
    by column and taking each column out of ``parts`` (emptied) as it goes, so a large frame
    is never held twice."""
    cols = list(parts[0].columns)
    if any(list(p.columns) != cols for p in parts):
        return pd.concat(parts, ignore_index=True)
    out = {c: pd.concat([p.pop(c) for p in parts], ignore_index=True) for c in cols}
    return pd.DataFrame(out, copy=False)


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
