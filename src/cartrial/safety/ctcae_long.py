"""Graded laboratory records (:func:`cartrial.safety.grade_labs`) in long form, with pooled
CTCAE terms, and the worst grade per subject and term (NCI CTCAE v5.0, 2017; v6.0, 2025).

Moved out of :mod:`cartrial.safety.ctcae` (whose names still import them). The long form is
made by taking each column once at the rows' final positions: the graded rows of each
direction, ordered by USUBJID, TERM and DAY as ``sort_values(kind="stable")`` orders them
(each key's sorted codes, missing last, one stable ``numpy.lexsort``), instead of copying the
frame per direction, concatenating, reindexing and sorting it (issue #18: the safety engine
makes it for every batch of a large trial's laboratory records).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.arrays import NumpyExtensionArray

from cartrial.errors import InputError
from cartrial.safety._frames import held_values, yes_flags
from cartrial.safety.ctcae import CTCAE_VERSIONS, grade_labs  # noqa: F401 (examples)
from cartrial.safety.guidelines import ctcae_lab_criteria


def lab_grades_long(graded: pd.DataFrame) -> pd.DataFrame:
    """Graded labs in long form: one row per record and graded direction (TERM, GRADE, BGRADE).

    Parameters
    ----------
    graded : pandas.DataFrame
        :func:`grade_labs` output (ATOXDSCL / ATOXGRL / BTOXGRL and the H columns).

    Returns
    -------
    pandas.DataFrame
        USUBJID, (SEQ,) PARAMCD, TERM, DIRECTION ("L" or "H"), DAY, AVAL, GRADE, BGRADE,
        TRTEMFL, CTCAE_VERSION; a record graded in both directions gives two rows.

    Examples
    --------
    CTCAE v5.0 (NCI 2017) platelet count decreased: grade 3 < 50, grade 4 < 25 x 10^9/L:
    >>> df = pd.DataFrame({"USUBJID": "P", "PARAMCD": "PLAT", "DAY": [0.0, 7.0],
    ...                    "AVAL": [180.0, 20.0], "LLN": 150.0, "ULN": 400.0})
    >>> lab_grades_long(grade_labs(df))[["TERM", "DAY", "GRADE", "BGRADE"]]
                           TERM  DAY  GRADE  BGRADE
    0  Platelet count decreased  0.0    0.0     0.0
    1  Platelet count decreased  7.0    4.0     0.0
    """
    keep = ["USUBJID", "PARAMCD", "TERM", "DIRECTION", "DAY", "AVAL", "GRADE", "BGRADE",
            "TRTEMFL", "CTCAE_VERSION"]
    if "SEQ" in graded.columns:
        keep.insert(1, "SEQ")
    rows = {d: np.flatnonzero((graded[f"ATOXDSC{d}"] != "").to_numpy(dtype=bool,
                                                                     na_value=False))
            for d in ("L", "H")}
    src = np.concatenate([rows["L"], rows["H"]])  # the rows of each direction, L first
    made = {"TERM": _both(graded, "ATOXDSC", rows), "GRADE": _both(graded, "ATOXGR", rows),
            "BGRADE": _both(graded, "BTOXGR", rows),
            "DIRECTION": np.repeat(np.array(["L", "H"], dtype=object),
                                   [len(rows["L"]), len(rows["H"])])}
    at = _sorted_positions([held_values(graded["USUBJID"]).take(src), made["TERM"],
                            held_values(graded["DAY"]).take(src)])
    cols = {c: made[c].take(at) if c in made else held_values(graded[c]).take(src[at])
            for c in keep if c in made or c in graded.columns}
    out = pd.DataFrame(cols, index=pd.RangeIndex(len(at)), copy=False)
    return out if list(out.columns) == keep else out.reindex(columns=keep)


def _both(graded: pd.DataFrame, prefix: str, rows: dict[str, np.ndarray]):  # noqa: ANN202
    """Column ``prefix`` + L at the L rows, then + H at the H rows (one array of their dtype:
    as ``pd.concat`` makes it; numpy columns of one dtype joined by numpy)."""
    low, high = (held_values(graded[f"{prefix}{d}"]).take(rows[d]) for d in ("L", "H"))
    if isinstance(low, np.ndarray) and isinstance(high, np.ndarray) and low.dtype == high.dtype:
        return np.concatenate([low, high])
    return pd.concat([pd.Series(low), pd.Series(high)], ignore_index=True).array


def _codes(keys: list) -> list[np.ndarray]:
    """Each key's sorted ``factorize`` codes (what pandas' categorical of a sort key holds),
    missing last."""
    return [_sorted_codes(k)[0] for k in keys]


def _sorted_codes(key) -> tuple[np.ndarray, int]:  # noqa: ANN001
    """One key's sorted ``factorize`` codes, missing last (code: the number of distinct
    values, also returned). A numpy key is factorised as it is (a Series of it factorises the
    same array, after pandas' scan for missing values of an object key's
    ``NumpyExtensionArray``)."""
    plain = isinstance(key, (np.ndarray, NumpyExtensionArray))
    c, uniq = pd.factorize(np.asarray(key) if plain else pd.Series(key, copy=False), sort=True)
    return np.where(c < 0, len(uniq), c), len(uniq)


def _sorted_positions(keys: list) -> np.ndarray:
    """The positions ``sort_values`` (several keys, ascending, stable) puts the rows in: each
    key's sorted codes and one stable ``numpy.lexsort`` (pandas' ``lexsort_indexer``)."""
    return np.lexsort(_codes(keys)[::-1])


def pooled_lab_terms(graded: pd.DataFrame) -> pd.DataFrame:
    """Graded records of several CTCAE versions with POOLED_TERML / POOLED_TERMH: the v5.0 term
    each version's term maps to (the ``pooled_term`` of the criteria rows, e.g. v6.0
    "Thrombocytopenia" -> "Platelet count decreased"; the term itself when unchanged), so
    studies graded with v5.0 and v6.0 can be tabulated together. Grades stay those of their own
    version (CTCAE_VERSION says which).

    Parameters
    ----------
    graded : pandas.DataFrame
        :func:`grade_labs` output, one or several versions concatenated.

    Returns
    -------
    pandas.DataFrame
        A copy with POOLED_TERML and POOLED_TERMH.

    Raises
    ------
    InputError
        A CTCAE_VERSION that is not bundled.

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": "P", "PARAMCD": "PLAT", "DAY": [7.0], "AVAL": [20.0],
    ...                    "LLN": [150.0], "ULN": [400.0]})
    >>> g = grade_labs(df, criteria=ctcae_lab_criteria("6.0"))
    >>> pooled_lab_terms(g)["POOLED_TERML"].item()
    'Platelet count decreased'
    """
    out = graded.copy()
    versions = list(pd.unique(out["CTCAE_VERSION"].astype(str)))
    bad = [v for v in versions if v not in CTCAE_VERSIONS]
    if bad:
        raise InputError(f"pooled_lab_terms: CTCAE version(s) {bad} not bundled")
    for d in ("L", "H"):
        pooled = out[f"ATOXDSC{d}"].astype(object).copy()
        for v in versions:
            table = {t.term: t.pooled_term for t in ctcae_lab_criteria(v).terms if t.pooled_term}
            rows = (out["CTCAE_VERSION"].astype(str) == v).to_numpy()
            pooled[rows] = out.loc[rows, f"ATOXDSC{d}"].replace(table)
        out[f"POOLED_TERM{d}"] = pooled
    return out


def worst_lab_grades(graded: pd.DataFrame, *, treatment_emergent_until_day: float = 365.0,
                     long: pd.DataFrame | None = None) -> pd.DataFrame:
    """Worst post-baseline grade per USUBJID x CTCAE term (with its day and baseline grade).

    Parameters
    ----------
    graded : pandas.DataFrame
        :func:`grade_labs` output.
    treatment_emergent_until_day : float, default 365
        Records after this day since infusion are not considered.
    long : pandas.DataFrame, optional
        ``lab_grades_long(graded)`` when the caller has it already (not changed here).

    Returns
    -------
    pandas.DataFrame
        USUBJID, TERM, DIRECTION, BASE_GRADE, WORST_GRADE, WORST_DAY (the first day the worst
        grade was reached), TRTEMFL, CTCAE_VERSION; one row per subject and term.

    Examples
    --------
    CTCAE v5.0 (NCI 2017) platelet count decreased: grade 3 < 50, grade 4 < 25 x 10^9/L:
    >>> df = pd.DataFrame({"USUBJID": "P", "PARAMCD": "PLAT", "DAY": [0.0, 7.0, 9.0, 14.0],
    ...                    "AVAL": [180.0, 45.0, 20.0, 24.0], "LLN": 150.0, "ULN": 400.0})
    >>> worst_lab_grades(grade_labs(df))[["TERM", "BASE_GRADE", "WORST_GRADE", "WORST_DAY"]]
                           TERM  BASE_GRADE  WORST_GRADE  WORST_DAY
    0  Platelet count decreased         0.0          4.0        9.0
    """
    long = lab_grades_long(graded) if long is None else long
    post = long[(long["DAY"] > 0) & (long["DAY"] <= treatment_emergent_until_day)
                & long["GRADE"].notna()]
    if post.empty:
        return pd.DataFrame(columns=["USUBJID", "TERM", "DIRECTION", "BASE_GRADE",
                                     "WORST_GRADE", "WORST_DAY", "TRTEMFL", "CTCAE_VERSION"])
    # a missing key (factorize's missing, pd.isna's: the same test of each value) is left to
    # groupby's own rules
    (subj, n_subj), (term, n_term) = (_sorted_codes(held_values(post[c]))
                                      for c in ("USUBJID", "TERM"))
    if (subj == n_subj).any() or (term == n_term).any():
        return _worst_by_pandas(post)
    # sort_values(["USUBJID", "TERM", "GRADE", "DAY"], ascending=[T, T, F, T], stable): GRADE
    # has no missing value here, so its descending codes are its ascending ones reversed
    grade = pd.factorize(pd.Series(held_values(post["GRADE"]), copy=False), sort=True)
    keys = [subj, term, len(grade[1]) - 1 - grade[0], _codes([held_values(post["DAY"])])[0]]
    order = np.lexsort(keys[::-1])
    s, t = keys[0][order], keys[1][order]
    first = np.r_[True, (s[1:] != s[:-1]) | (t[1:] != t[:-1])]  # groupby().head(1)
    group = np.cumsum(first) - 1
    te = np.bincount(group, weights=post["TRTEMFL"].eq("Y").to_numpy(dtype=float)[order]) > 0
    at = order[first]
    cols = {"USUBJID": "USUBJID", "TERM": "TERM", "DIRECTION": "DIRECTION",
            "BASE_GRADE": "BGRADE", "WORST_GRADE": "GRADE", "WORST_DAY": "DAY"}
    out = {new: held_values(post[old]).take(at) for new, old in cols.items()}
    out["TRTEMFL"] = yes_flags(te)
    out["CTCAE_VERSION"] = held_values(post["CTCAE_VERSION"]).take(at)
    return pd.DataFrame(out, index=pd.RangeIndex(len(at)), copy=False)


def _worst_by_pandas(post: pd.DataFrame) -> pd.DataFrame:
    """:func:`worst_lab_grades` of the post-baseline graded records by pandas' sort and
    groupby (records with a missing USUBJID or TERM are left out by groupby)."""
    idx = post.sort_values(["USUBJID", "TERM", "GRADE", "DAY"], ascending=[True, True, False, True],
                           kind="stable").groupby(["USUBJID", "TERM"]).head(1)
    te = post["TRTEMFL"].eq("Y").groupby([post["USUBJID"], post["TERM"]]).any()
    out = idx.rename(columns={"GRADE": "WORST_GRADE", "DAY": "WORST_DAY", "BGRADE": "BASE_GRADE"})
    out = out.set_index(["USUBJID", "TERM"])
    out["TRTEMFL"] = np.where(te.reindex(out.index).to_numpy(), "Y", "")
    out = out.reset_index()
    return out[["USUBJID", "TERM", "DIRECTION", "BASE_GRADE", "WORST_GRADE", "WORST_DAY",
                "TRTEMFL", "CTCAE_VERSION"]].reset_index(drop=True)
