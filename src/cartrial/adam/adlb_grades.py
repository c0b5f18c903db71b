"""ADLB's CTCAE grades (ATOXGRL/H, ATOXDSCL/H, BTOXGRL/H, TRTEMFL) from
:func:`cartrial.safety.grade_labs` (NCI CTCAE v5.0, 2017; admiral ``derive_var_atoxgr``).

Only the records of tests that a CTCAE term grades are handed to ``grade_labs`` (issue #18: at
10,000 patients more than half of the 3.5 million LB records are cytokines, M-protein,
immunofixation and other tests without a term). Every value ``grade_labs`` gives is a record's
own or its subject's and test's (baseline record, baseline grade), so the records of the tests
left out would get no grade, no term, no baseline grade and no TRTEMFL: exactly what ADLB gives
them without grading. What could make ``grade_labs`` refuse the records (a negative result, a
lower limit above the upper, two baseline records of a subject and test as it groups them) is
looked for among the records left out first: when one is there, all records are graded, so the
run stops with the same error as before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam.column_profile import distinct
from cartrial.protocol.model import Protocol
from cartrial.safety import ctcae_lab_criteria, grade_labs

_GRADED = ("ATOXDSCL", "ATOXDSCH", "TRTEMFL", "ATOXGRL", "ATOXGRH", "BTOXGRL", "BTOXGRH")


def derive_vars_atoxgr_lb(adlb: pd.DataFrame, protocol: Protocol) -> pd.DataFrame:
    """CTCAE v5.0 grades via :func:`cartrial.safety.grade_labs` on the numeric results of
    infused subjects; records of gradable tests get ATOXDSCL/ATOXGRL, ATOXDSCH/ATOXGRH,
    BTOXGRL/BTOXGRH and TRTEMFL.

    Parameters
    ----------
    adlb : pandas.DataFrame
        Rows of :func:`cartrial.adam.adlb.derive_var_ablfl` (AVAL, ADAYINF, ANRLO, ANRHI,
        BASE, ...).
    protocol : Protocol
        Gives the treatment-emergent window.

    Returns
    -------
    pandas.DataFrame
        ``adlb`` with low (L) and high (H) grades, baseline grades (BTOXGR*) and TRTEMFL.

    References
    ----------
    National Cancer Institute, Common Terminology Criteria for Adverse Events v5.0, 2017
    (neutrophil count decreased: grade 4 < 0.5 x 10^9/L).

    Examples
    --------
    >>> from cartrial.adam.adlb import derive_var_ablfl, derive_vars_lb_param
    >>> from cartrial.protocol import load_protocol
    >>> lb = pd.DataFrame({"STUDYID": "CT071", "USUBJID": "S1", "LBSEQ": [1, 2],
    ...                    "LBTESTCD": "NEUT", "LBTEST": "Neutrophils", "LBSPEC": "BLOOD",
    ...                    "LBDTC": ["2024-03-08", "2024-03-17"], "LBSTRESN": [3.1, 0.4],
    ...                    "LBSTRESC": ["3.1", "0.4"], "LBSTRESU": "10^9/L", "LBSTNRLO": 1.8,
    ...                    "LBSTNRHI": 7.5})
    >>> adsl = pd.DataFrame({"USUBJID": ["S1"], "TRTSDT": pd.Timestamp("2024-03-10"),
    ...                      "TRT01A": "DL1", "TRT01AN": 1})
    >>> out = derive_var_ablfl(derive_vars_lb_param(lb), adsl)
    >>> graded = derive_vars_atoxgr_lb(out, load_protocol("ct071"))
    >>> graded[["AVAL", "ATOXGRL", "TRTEMFL"]]  # doctest: +NORMALIZE_WHITESPACE
       AVAL  ATOXGRL TRTEMFL
    0   3.1      0.0
    1   0.4      4.0       Y
    """
    return add_atoxgr(adlb.copy(), protocol)


def add_atoxgr(out: pd.DataFrame, protocol: Protocol) -> pd.DataFrame:
    """:func:`derive_vars_atoxgr_lb`'s columns added to ``out`` itself."""
    n = len(out)
    cols = {c: np.full(n, "", dtype=object) if c in _GRADED[:3] else np.full(n, np.nan)
            for c in _GRADED}
    sel = (out["AVAL"].notna() & out["ADAYINF"].notna()).to_numpy()
    rows = np.flatnonzero(graded_records(out, sel))
    if not len(rows):
        for c in _GRADED:
            out[c] = cols[c]
        return out
    inp = pd.DataFrame({"_ROW": rows, **{
        new: out[old].to_numpy()[rows] for new, old in (
            ("USUBJID", "USUBJID"), ("PARAMCD", "PARAMCD"), ("DAY", "ADAYINF"),
            ("AVAL", "AVAL"), ("LLN", "ANRLO"), ("ULN", "ANRHI"), ("ABLFL", "ABLFL"),
            ("SEQ", "LBSEQ"))}})
    g = grade_labs(inp, treatment_emergent_until_day=protocol.safety.treatment_emergent_until_day)
    at = g["_ROW"].to_numpy()
    for c in _GRADED:
        cols[c][at] = g[c].to_numpy()
        out[c] = cols[c]
    return out


def graded_records(out: pd.DataFrame, sel: np.ndarray) -> np.ndarray:
    """Of the records ``sel`` (a result and a day), those handed to ``grade_labs``: the records
    of tests a CTCAE v5.0 term grades, or all of ``sel`` when one of the others would make
    ``grade_labs`` refuse them (module docstring).

    Parameters
    ----------
    out : pandas.DataFrame
        ADLB records (USUBJID, PARAMCD, AVAL, ANRLO, ANRHI, ABLFL).
    sel : numpy.ndarray
        Boolean mask of the records with a result and a day from infusion.

    Returns
    -------
    numpy.ndarray
        Boolean mask, within ``sel``.

    Examples
    --------
    >>> adlb = pd.DataFrame({"USUBJID": "S1", "PARAMCD": ["PLAT", "IL6", "IL6"],
    ...                      "AVAL": [20.0, 40.0, 10.0], "ANRLO": 150.0, "ANRHI": 400.0,
    ...                      "ABLFL": ["", "Y", ""]})
    >>> graded_records(adlb, np.ones(3, dtype=bool)).tolist()
    [True, False, False]
    >>> graded_records(adlb.assign(AVAL=[20.0, 40.0, -1.0]), np.ones(3, dtype=bool)).tolist()
    [True, True, True]
    """
    codes, tests = distinct(out["PARAMCD"].to_numpy(dtype=object))
    upper = np.array([str(t).strip().upper() for t in tests], dtype=object)  # as grade_labs
    known = ctcae_lab_criteria("5.0").graded_tests()  # grade_labs' default: CTCAE v5.0
    graded = np.append(np.isin(upper, list(known)), True)[codes]  # a missing code is given
    left = sel & ~graded
    if not left.any():
        return sel
    aval, lln, uln = (out[c].to_numpy(dtype=float)[left] for c in ("AVAL", "ANRLO", "ANRHI"))
    if (aval < 0).any() or (lln > uln).any():  # refused by grade_labs (NaN compares False)
        return sel
    base = np.flatnonzero(left & (out["ABLFL"].to_numpy(dtype=object) == "Y"))
    keys = pd.DataFrame({"USUBJID": pd.Series(out["USUBJID"].to_numpy()[base]).astype(str),
                         "PARAMCD": upper[codes[base]]})
    if keys.duplicated().any():  # two baseline records of one of grade_labs' groups
        return sel
    return sel & graded
