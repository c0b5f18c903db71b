"""ADLB's lookups in ADSL and its record order (USUBJID, PARAMCD, ADT, LBSEQ; ASEQ) on integer
codes of the batch's subjects and parameters (issue #18).

An ADLB batch holds ~90,000 records of 250 subjects and a few dozen parameters, each text held
as one Python object per distinct value. pandas' ``Series.map`` hashes the subject's text once
per record, ``sort_values`` makes a categorical of each text key (hashing and sorting it) and
``groupby().cumcount`` hashes the subjects again. Here each distinct object is hashed once
(:func:`cartrial.adam.column_profile.distinct`), the few distinct values are looked up or
ranked, and the records get their values, order and numbers by integer indexing: the results
of the pandas calls they replace (:func:`by_subject`, :func:`record_order`,
:func:`sequence_numbers`). A batch with a record without USUBJID or PARAMCD, or keys of other
dtypes, takes the pandas calls themselves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam.column_profile import distinct

_KEYS = ["USUBJID", "PARAMCD", "ADT", "LBSEQ"]


def subject_codes(usubjid: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """Each record's subject as a code into the distinct USUBJIDs, or None when one is
    missing (the pandas calls then decide what a missing subject gets)."""
    codes, uniq = distinct(usubjid.to_numpy(dtype=object))
    return None if (codes < 0).any() else (codes, uniq)


def by_subject(usubjid: pd.Series, subjects: tuple[np.ndarray, np.ndarray] | None,
               values: pd.Series) -> pd.Series:
    """``usubjid.map(values)`` (``values`` indexed by USUBJID), looked up once per subject.

    Examples
    --------
    >>> ids = pd.Series(["S2", "S1", "S2"])
    >>> by_subject(ids, subject_codes(ids), pd.Series([1, 2], index=["S1", "S2"])).tolist()
    [2, 1, 2]
    """
    if subjects is None:
        return usubjid.map(values)
    codes, uniq = subjects
    found = pd.Series(uniq, dtype=object).map(values)
    return pd.Series(found.array.take(codes), index=usubjid.index, name=usubjid.name)


def subject_values(adsl: pd.DataFrame, column: str) -> pd.Series:
    """``adsl.set_index("USUBJID")[column]`` without copying ADSL's other variables (a large
    trial's ADSL has ~60, copied for each ADLB batch's lookups before: issue #18).

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["S1", "S2"], "TRT01AN": [1.0, 2.0], "AGE": [61, 70]})
    >>> subject_values(adsl, "TRT01AN").equals(adsl.set_index("USUBJID")["TRT01AN"])
    True
    """
    return pd.Series(adsl[column].array, index=pd.Index(adsl["USUBJID"], name="USUBJID"),
                     name=column, copy=False)


def _ranks(values: np.ndarray) -> np.ndarray | None:
    """Each record's rank among the distinct texts (their sorted order, as pandas sorts a text
    key), or None when one is missing."""
    codes, uniq = distinct(values)
    if (codes < 0).any():
        return None
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[np.argsort(uniq, kind="stable")] = np.arange(len(uniq))
    return rank[codes]


def record_order(out: pd.DataFrame) -> np.ndarray:
    """The positions of ``out``'s records in ADLB's order:
    ``out[KEYS].sort_values(KEYS, kind="stable").index`` (KEYS: USUBJID, PARAMCD, ADT,
    LBSEQ) of a frame indexed 0, 1, ... pandas sorts several keys by each key's sorted codes
    (missing last) and one stable ``numpy.lexsort``; here the text keys are ranked once per
    distinct value, a missing ADT (NaT) is put last by a key of its own and LBSEQ is sorted
    as it is (``lexsort`` puts NaN last; -0.0 and 0.0 are equal, as in pandas' codes).

    Examples
    --------
    >>> out = pd.DataFrame({"USUBJID": ["S2", "S1", "S1"], "PARAMCD": ["HGB", "PLAT", "HGB"],
    ...                     "ADT": pd.to_datetime(["2024-01-02", None, "2024-01-01"]),
    ...                     "LBSEQ": [1.0, 2.0, 3.0]})
    >>> record_order(out).tolist()
    [2, 1, 0]
    """
    adt, seq = out["ADT"].to_numpy(), out["LBSEQ"].to_numpy()
    plain = (out.index.equals(pd.RangeIndex(len(out))) and adt.dtype == "M8[ns]"
             and seq.dtype.kind in "if")
    subj = _ranks(out["USUBJID"].to_numpy(dtype=object)) if plain else None
    param = _ranks(out["PARAMCD"].to_numpy(dtype=object)) if subj is not None else None
    if param is None:
        return out[_KEYS].sort_values(_KEYS, kind="stable").index.to_numpy()
    return np.lexsort((seq, adt.view(np.int64), np.isnat(adt), param, subj))


def sequence_numbers(usubjid: np.ndarray) -> np.ndarray:
    """ASEQ of records sorted by subject: 1, 2, ... within each subject, in record order
    (``groupby(usubjid).cumcount() + 1``).

    Examples
    --------
    >>> sequence_numbers(np.array(["S1", "S1", "S2", "S3", "S3"], dtype=object)).tolist()
    [1, 2, 1, 1, 2]
    """
    codes, _ = distinct(usubjid)
    if (codes < 0).any() or (len(codes) and (np.diff(codes) != 0).sum() + 1 != codes.max() + 1):
        ids = pd.Series(usubjid)  # a missing subject, or subjects not in runs: pandas' numbers
        return (ids.groupby(ids).cumcount() + 1).to_numpy()
    start = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    first = np.repeat(start, np.diff(np.r_[start, len(codes)]))
    return np.arange(1, len(codes) + 1, dtype=np.int64) - first
