"""A summary's per-subject frame made from a dataset's records a batch of subjects at a time
(issue #18: memory).

The kinetics tables pivot and aggregate ADPP, ADCYT and ADPC per profile: at 10,000 patients
the population's copy of ADPP's 420,000 records and the pivot's working frames rose 110 MiB
above what was resident. Each row of these frames comes from one subject's records and the
frames are sorted by USUBJID first, so, when the records are in USUBJID order (as an ADaM
dataset is sorted), the frames of consecutive runs of subjects joined in order are the frame
of all records at once; the columns a pivot makes (one per parameter, in order of first
appearance) are those of the parts in order, first appearances kept.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cartrial.data.batches import concat_consuming
from cartrial.errors import InputError

#: subjects whose records a per-subject frame is made from at a time (issue #18: memory)
SUBJECTS_AT_A_TIME = 2_000


def subject_runs(subjects: pd.Series, at: int = SUBJECTS_AT_A_TIME) -> list[np.ndarray] | None:
    """The subjects of ``subjects`` (each record's USUBJID, in record order), ``at`` at a time,
    in order; None when they fit in one batch or the records are not in USUBJID order (then a
    frame is made from all records at once, as before).

    Parameters
    ----------
    subjects : pandas.Series
        USUBJID (text) of each record, in record order.
    at : int, optional
        Subjects per batch.

    Returns
    -------
    list of numpy.ndarray or None
        The subjects of each batch.

    Examples
    --------
    >>> subject_runs(pd.Series(["A", "A", "B", "C"]), 2)
    [array(['A', 'B'], dtype=object), array(['C'], dtype=object)]
    >>> subject_runs(pd.Series(["B", "A", "C"]), 2) is None
    True
    """
    if subjects.isna().any() or not subjects.is_monotonic_increasing:
        return None
    unique = pd.unique(subjects.to_numpy())
    if len(unique) <= at:
        return None
    return [unique[i:i + at] for i in range(0, len(unique), at)]


def made_by_subjects(data: pd.DataFrame, ids: pd.Series,
                     read: Callable[[pd.DataFrame, pd.Series], pd.DataFrame],
                     make: Callable[[pd.DataFrame], pd.DataFrame],
                     at: int = SUBJECTS_AT_A_TIME) -> tuple[pd.DataFrame, int]:
    """``make(read(data, ids))`` made ``at`` subjects at a time when the records of ``ids`` are
    in USUBJID order, and the number of records read.

    ``make`` must give a frame each of whose rows comes from one subject's records, sorted by
    USUBJID first, with its columns in the order their values first appear among the records
    (a pivot); ``read(data, subjects)`` the records of ``subjects`` in record order. An error
    raised on a batch is raised as the whole records raise it (they are made once more, at
    once).

    Parameters
    ----------
    data : pandas.DataFrame
        A dataset with USUBJID.
    ids : pandas.Series
        The population's USUBJID (text).
    read : callable
        ``read(data, subjects)``: the records of those subjects.
    make : callable
        The per-subject frame of some records.
    at : int, optional
        Subjects per batch.

    Returns
    -------
    tuple of (pandas.DataFrame, int)

    Examples
    --------
    >>> d = pd.DataFrame({"USUBJID": ["1", "1", "2", "3"], "V": [1, 2, 3, 4]})
    >>> read = lambda data, s: data[data["USUBJID"].isin(s)]
    >>> make = lambda r: r.groupby("USUBJID", as_index=False)["V"].sum()
    >>> out, n = made_by_subjects(d, pd.Series(["1", "3"]), read, make, at=1)
    >>> out.values.tolist(), n
    ([['1', 3], ['3', 4]], 3)
    """
    key = data["USUBJID"].astype(str)
    runs = subject_runs(key[key.isin(ids)].reset_index(drop=True), at)
    del key
    if runs is None:
        records = read(data, ids)
        return make(records), len(records)
    parts, n = [], 0
    try:
        for subjects in runs:
            records = read(data, pd.Series(subjects))
            n += len(records)
            parts.append(make(records))
            del records
    except InputError:  # the error of all records at once (RecordError is an InputError)
        parts.clear()
        records = read(data, ids)
        return make(records), len(records)
    return concat_consuming(parts), n
