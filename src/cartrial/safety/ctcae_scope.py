"""The laboratory records :func:`cartrial.safety.grade_labs` needs to be given: those of tests
that a CTCAE term grades (issue #18: at 10,000 patients more than half of the 3.5 million LB
records are cytokines, M-protein, immunofixation and other tests without a term).

Every value ``grade_labs`` gives a record is the record's own or its subject's and test's
(baseline record, baseline grade: its groups are (USUBJID, PARAMCD) pairs), so the records of a
test without a term would get no term, no grade, no baseline grade and no TRTEMFL, and leaving
them out changes nothing for the others (the rows keep their relative order). What would make
``grade_labs`` refuse the records is looked for among those left out first (a day that is not a
number, a negative result, a lower limit above the upper, two baseline records of a subject and
test as ``grade_labs`` groups them): when one is there, or when the frame has columns other than
numbers where ``grade_labs`` reads numbers, gives BASE or BNRIND itself, or has no SEQ (an error
would then name a record by its row, which leaving records out changes), every record is
needed, so the caller grades them all and is refused as before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.text import factorize_text
from cartrial.safety._frames import text_values
from cartrial.safety.guidelines import CtcaeLabCriteria, ctcae_lab_criteria

_NUMBERS = ("DAY", "AVAL", "LLN", "ULN")


def graded_input(labs: pd.DataFrame, criteria: CtcaeLabCriteria | None = None) -> np.ndarray:
    """The records of ``labs`` (the input of :func:`cartrial.safety.grade_labs`) to grade:
    those of tests with a term in ``criteria``, or all of them (module docstring).

    Parameters
    ----------
    labs : pandas.DataFrame
        USUBJID, SEQ, PARAMCD, DAY, AVAL, LLN, ULN (numbers), optional ABLFL.
    criteria : CtcaeLabCriteria, optional
        As for ``grade_labs`` (CTCAE v5.0 by default).

    Returns
    -------
    numpy.ndarray
        Boolean mask: ``grade_labs(labs[mask])`` gives every record of a test with a term the
        rows ``grade_labs(labs)`` gives it, in the same order; the records left out would get
        an empty term, missing grades and an empty TRTEMFL.

    Examples
    --------
    >>> labs = pd.DataFrame({"USUBJID": "S1", "SEQ": [1.0, 2.0, 3.0],
    ...                      "PARAMCD": ["PLAT", "IL6", "IL6"],
    ...                      "DAY": [0.0, 0.0, 7.0], "AVAL": [20.0, 40.0, 10.0],
    ...                      "LLN": 150.0, "ULN": 400.0, "ABLFL": ["Y", "Y", ""]})
    >>> graded_input(labs).tolist()
    [True, False, False]
    >>> graded_input(labs.assign(AVAL=[20.0, 40.0, -1.0])).tolist()  # refused: all given
    [True, True, True]
    """
    every = np.ones(len(labs), dtype=bool)
    if ("BASE" in labs.columns or "BNRIND" in labs.columns
            or any(c not in labs.columns or labs[c].dtype.kind != "f" for c in _NUMBERS)
            or not {"USUBJID", "PARAMCD", "SEQ"} <= set(labs.columns)):  # SEQ: errors name it
        return every
    codes, tests = factorize_text(labs["PARAMCD"].to_numpy(dtype=object))
    if (codes < 0).any() or not all(type(t) is str for t in tests):
        # not text alone: read as astype(str) reads it (text alone is not copied: 3.3 million
        # records at 10,000 patients)
        codes, tests = factorize_text(labs["PARAMCD"].astype(str).to_numpy(dtype=object))
    upper = np.array([t.strip().upper() for t in tests], dtype=object)  # as grade_labs reads
    known = (criteria or ctcae_lab_criteria()).graded_tests()
    graded = np.isin(upper, list(known))[codes]
    if graded.all() or not may_leave_out(labs, ~graded, upper[codes]):
        return every
    return graded


def may_leave_out(labs: pd.DataFrame, left: np.ndarray, upper: np.ndarray, *,
                  baseline: np.ndarray | None = None) -> bool:
    """Whether none of the records ``left`` would make ``grade_labs`` refuse ``labs`` (a day
    that is not a number, a negative result, a lower limit above the upper, two baseline
    records of a subject and test): the rule :func:`graded_input` and
    :class:`cartrial.safety.lab_scope.LabScope` both leave records out by.

    Parameters
    ----------
    labs : pandas.DataFrame
        USUBJID, DAY, AVAL, LLN, ULN (numbers), optional ABLFL.
    left : numpy.ndarray
        Boolean: the records that would be left out.
    upper : numpy.ndarray
        Each record's PARAMCD, stripped and upper case.
    baseline : numpy.ndarray, optional
        Boolean: the records whose ABLFL ``grade_labs`` reads as "Y", when the caller knows
        them (else read from ABLFL).

    Returns
    -------
    bool

    Examples
    --------
    >>> labs = pd.DataFrame({"USUBJID": "S1", "DAY": [0.0, 1.0], "AVAL": [1.0, -2.0],
    ...                      "LLN": np.nan, "ULN": np.nan, "ABLFL": ["Y", ""]})
    >>> up = np.array(["PLAT", "IL6"], dtype=object)
    >>> may_leave_out(labs, np.array([True, False]), up)
    True
    >>> may_leave_out(labs, np.array([False, True]), up)
    False
    """
    def taken(c: str) -> np.ndarray:  # one column at a time: a large frame's are not all held
        return labs[c].to_numpy(dtype=float)[left]

    if np.isnan(taken("DAY")).any() or (taken("AVAL") < 0).any():
        return False
    if (taken("LLN") > taken("ULN")).any():  # NaN compares False
        return False
    if "ABLFL" not in labs.columns:
        return True
    rows = np.flatnonzero(left)
    base = rows[text_values(labs["ABLFL"].iloc[rows]) == "Y"] if baseline is None else (
        np.flatnonzero(left & baseline))  # grade_labs' reading of the flag
    keys = pd.DataFrame({"USUBJID": labs["USUBJID"].iloc[base].astype(str).to_numpy(),
                         "PARAMCD": upper[base]})
    return not keys.duplicated().any()  # two baseline records of one of grade_labs' groups
