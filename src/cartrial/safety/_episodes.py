"""Episodes of a graded time series: consecutive time points with grade >= 1 in one subject.

Shared by the CRS and ICANS graders (Lee DW et al., Biol Blood Marrow Transplant
2019;25:625-38):
onset = first graded time point, resolution = first later time point graded 0, duration =
resolution - onset (days). Vectorised over all subjects (group-by, no loop per patient).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def subject_starts(usubjid: np.ndarray) -> np.ndarray:
    """True on the first row of each subject (rows sorted by subject)."""
    start = np.ones(len(usubjid), dtype=bool)
    if len(usubjid) > 1:
        start[1:] = usubjid[1:] != usubjid[:-1]
    return start


def label_episodes(usubjid: np.ndarray, grade: np.ndarray) -> np.ndarray:
    """Episode number within subject (1, 2, ...) on rows with grade >= 1; 0 elsewhere.

    Parameters
    ----------
    usubjid : numpy.ndarray
        Subject of each row; rows sorted by subject, then time.
    grade : numpy.ndarray
        Grade of each row (0-5; NaN counts as 0).

    Returns
    -------
    numpy.ndarray
        Integer episode number per row: 1-based within each subject, 0 off episode.

    Examples
    --------
    >>> label_episodes(np.array(["A"] * 5 + ["B"]), np.array([0, 1, 2, 0, 1, 3]))
    array([0, 1, 1, 0, 2, 1])
    """
    on = np.nan_to_num(np.asarray(grade, dtype=float), nan=0.0) >= 1
    first = subject_starts(usubjid)
    prev_on = np.r_[False, on[:-1]] & ~first
    start = on & ~prev_on
    gid = np.cumsum(start)
    # number within subject: global id minus the count of starts before the subject began
    before = pd.Series(gid - start).groupby(pd.Series(usubjid)).transform("min").to_numpy()
    ep = gid - before
    return np.where(on, ep, 0).astype(int)


def summarise_episodes(graded: pd.DataFrame, *, flags: Sequence[str] = (),
                       improve_from: int = 3, improve_to: int = 2) -> pd.DataFrame:
    """One row per (USUBJID, EPISODE) of a graded series sorted by USUBJID, DAY.

    Parameters
    ----------
    graded : pandas.DataFrame
        USUBJID, DAY (days since infusion), GRADE (0-5) and EPISODE (from
        :func:`label_episodes`), sorted by USUBJID, DAY; plus the ``flags`` columns (bool).
    flags : sequence of str, default ()
        Therapy flag columns summarised as "given on any time point of the episode".
    improve_from, improve_to : int, default 3, 2
        Improvement = first time point graded <= ``improve_to`` after the first one graded
        >= ``improve_from``.

    Returns
    -------
    pandas.DataFrame
        Columns: ONSET_DAY, LAST_DAY (last graded time point), MAX_GRADE, N_TIMEPOINTS,
        RESOLVED, RESOLUTION_DAY (first later time point graded 0), DURATION_DAYS
        (RESOLUTION_DAY - ONSET_DAY, NaN while unresolved), OBSERVED_DAYS (LAST_DAY -
        ONSET_DAY), FIRST_G{improve_from}_DAY, IMPROVED_DAY, DIED (grade 5) and the flags.

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38 (onset and resolution).

    Examples
    --------
    >>> g = pd.DataFrame({"USUBJID": ["A"] * 4, "DAY": [1.0, 2.0, 3.0, 5.0],
    ...                   "GRADE": [1, 3, 2, 0], "EPISODE": [1, 1, 1, 0]})
    >>> s = summarise_episodes(g)
    >>> s[["ONSET_DAY", "MAX_GRADE", "IMPROVED_DAY", "DURATION_DAYS"]].to_numpy().tolist()
    [[1.0, 3.0, 3.0, 4.0]]
    """
    cols = ["USUBJID", "EPISODE", "ONSET_DAY", "LAST_DAY", "MAX_GRADE", "N_TIMEPOINTS",
            "RESOLVED", "RESOLUTION_DAY", "DURATION_DAYS", "OBSERVED_DAYS",
            f"FIRST_G{improve_from}_DAY", "IMPROVED_DAY", "DIED", *flags]
    g = graded.reset_index(drop=True)
    if g.empty or not (g["EPISODE"] > 0).any():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    usub = g["USUBJID"].to_numpy()
    day = g["DAY"].to_numpy(dtype=float)
    same_next = np.r_[usub[1:] == usub[:-1], False]
    next_day = np.where(same_next, np.r_[day[1:], np.nan], np.nan)

    on_mask = g["EPISODE"].to_numpy() > 0
    # resolution day: the day after the episode's LAST row, only when that next row is the same
    # subject's (graded 0); an episode ongoing at the last record has none, whatever its length
    ends = on_mask & ~(same_next & np.r_[on_mask[1:], False])
    on = g[on_mask].copy()
    on["_resolution"] = np.where(ends, next_day, np.nan)[on_mask]
    on["_first_high"] = np.where(on["GRADE"].to_numpy() >= improve_from, on["DAY"], np.nan)
    first_high = on.groupby(["USUBJID", "EPISODE"])["_first_high"].transform("min").to_numpy()
    # first time point after the first high one that is graded <= improve_to
    on["_imp"] = np.where((on["GRADE"].to_numpy() <= improve_to) & (on["DAY"] > first_high),
                          on["DAY"], np.nan)
    agg = {
        "ONSET_DAY": ("DAY", "min"),
        "LAST_DAY": ("DAY", "max"),
        "MAX_GRADE": ("GRADE", "max"),
        "N_TIMEPOINTS": ("DAY", "size"),
        "RESOLUTION_DAY": ("_resolution", "max"),
        f"FIRST_G{improve_from}_DAY": ("_first_high", "min"),
        "IMPROVED_DAY": ("_imp", "min"),
    }
    for f in flags:
        agg[f] = (f, "any")
    out = on.groupby(["USUBJID", "EPISODE"], sort=True).agg(**agg).reset_index()
    out["MAX_GRADE"] = out["MAX_GRADE"].astype(int)
    out["RESOLVED"] = out["RESOLUTION_DAY"].notna() & (out["MAX_GRADE"] < 5)
    out.loc[~out["RESOLVED"], "RESOLUTION_DAY"] = np.nan
    # an improvement that is only seen as resolution (next row graded 0) counts too
    fh = out[f"FIRST_G{improve_from}_DAY"]
    out["IMPROVED_DAY"] = np.where(
        fh.notna() & out["IMPROVED_DAY"].isna() & out["RESOLVED"], out["RESOLUTION_DAY"],
        out["IMPROVED_DAY"])
    out["DURATION_DAYS"] = out["RESOLUTION_DAY"] - out["ONSET_DAY"]
    out["OBSERVED_DAYS"] = out["LAST_DAY"] - out["ONSET_DAY"]
    out["DIED"] = out["MAX_GRADE"] == 5
    return out[cols]
