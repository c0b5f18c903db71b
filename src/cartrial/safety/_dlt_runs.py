"""Runs of a DLT rule: consecutive rows of one event at a qualifying grade (``adjudicate_dlt``)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _runs(ev: pd.DataFrame, level: np.ndarray, qual: np.ndarray) -> pd.DataFrame:
    """Maximal runs of consecutive rows of one event with ``level`` true; ONSET_DAY is the first
    row of the run where ``qual`` holds (runs without one are dropped).

    A run's rows are adjacent (events sorted by patient, event and day), so each column is
    reduced over the run's slice (``numpy.ufunc.reduceat``): the start and last observation are
    the smallest and largest DAY, the grade the largest, the onset the first qualifying DAY, the
    end the last row's segment end (NaN = still ongoing), the other columns the first row's
    (the first non-missing term, as pandas' ``first``).
    """
    key = ev["_KEY"].to_numpy()
    prev_same = np.r_[False, key[1:] == key[:-1]]
    prev_level = np.r_[False, level[:-1]] & prev_same
    rid = np.cumsum(level & ~prev_level)
    cols = ["_RUN", "USUBJID", "EVENT_ID", "TERM", "CATEGORY", "START", "END", "MAX_GRADE",
            "ONSET_DAY", "LAST_OBS", "POINT"]
    rows = np.flatnonzero(level)
    if rows.size == 0:
        return pd.DataFrame(columns=cols)
    run = rid[rows]
    first = np.flatnonzero(np.r_[True, run[1:] != run[:-1]])  # each run's first row in ``rows``
    last = np.r_[first[1:] - 1, rows.size - 1]
    day = ev["DAY"].to_numpy(dtype=float)[rows]
    onset = np.fmin.reduceat(np.where(qual[rows], day, np.nan), first)
    term = ev["TERM"].to_numpy()[rows]
    terms = term[first]
    if pd.isna(terms).any():  # pandas' "first" skips a missing term: take the run's first one
        terms = pd.Series(term).groupby(run).first().to_numpy()
    runs = pd.DataFrame({
        "_RUN": run[first], "USUBJID": ev["USUBJID"].to_numpy()[rows][first],
        "EVENT_ID": ev["EVENT_ID"].to_numpy()[rows][first], "TERM": terms,
        "CATEGORY": ev["CATEGORY"].to_numpy()[rows][first],
        "START": np.fmin.reduceat(day, first),
        "END": ev["_SEG_END"].to_numpy(dtype=float)[rows][last],
        "MAX_GRADE": np.fmax.reduceat(ev["GRADE"].to_numpy(dtype=float)[rows], first),
        "ONSET_DAY": onset, "LAST_OBS": np.fmax.reduceat(day, first),
        "POINT": ev["POINT"].to_numpy(dtype=bool)[rows][first]})
    return runs[~np.isnan(onset)][cols]
