"""ADLB's CTCAE grades (ATOXGRL/H, ATOXDSCL/H, BTOXGRL/H, TRTEMFL) from
:func:`cartrial.safety.grade_labs` with the NCI CTCAE version the protocol pins
(``safety.ctcae_version``: v5.0, 27 Nov 2017, or v6.0, 22 July 2025; admiral
``derive_var_atoxgr``), the version the safety engine grades by.

Only the records :func:`cartrial.safety.ctcae_scope.graded_input` finds needed are graded: those
of tests that a CTCAE term grades (issue #18: more than half of a large trial's LB records are
cytokines, M-protein, immunofixation and other tests without a term, which ``grade_labs`` would
give no grade, no term, no baseline grade and no TRTEMFL: what ADLB gives them without
grading); all of them when one of the others would make ``grade_labs`` refuse the records, so
the run stops with the same error as before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.protocol.model import Protocol
from cartrial.safety import grade_labs
from cartrial.safety.ctcae_scope import graded_input
from cartrial.safety.guidelines import ctcae_lab_criteria

_GRADED = ("ATOXDSCL", "ATOXDSCH", "TRTEMFL", "ATOXGRL", "ATOXGRH", "BTOXGRL", "BTOXGRH")


def derive_vars_atoxgr_lb(adlb: pd.DataFrame, protocol: Protocol) -> pd.DataFrame:
    """CTCAE grades (the version the protocol pins: ``safety.ctcae_version``) via
    :func:`cartrial.safety.grade_labs` on the numeric results of infused subjects; records
    of gradable tests get ATOXDSCL/ATOXGRL, ATOXDSCH/ATOXGRH, BTOXGRL/BTOXGRH and TRTEMFL.

    Parameters
    ----------
    adlb : pandas.DataFrame
        Rows of :func:`cartrial.adam.adlb.derive_var_ablfl` (AVAL, ADAYINF, ANRLO, ANRHI,
        BASE, ...).
    protocol : Protocol
        Gives the CTCAE version and the treatment-emergent window.

    Returns
    -------
    pandas.DataFrame
        ``adlb`` with low (L) and high (H) grades, baseline grades (BTOXGR*) and TRTEMFL.

    References
    ----------
    National Cancer Institute, Common Terminology Criteria for Adverse Events v5.0, 27 Nov
    2017, and v6.0, 22 July 2025 (neutrophil count decreased: grade 4 < 0.5 x 10^9/L).

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> adlb = pd.DataFrame({"USUBJID": "S1", "LBSEQ": [1.0, 2.0], "PARAMCD": "NEUT",
    ...                      "ADAYINF": [-2.0, 7.0], "AVAL": [3.1, 0.4], "ANRLO": 1.8,
    ...                      "ANRHI": 7.5, "ABLFL": ["Y", ""]})
    >>> graded = derive_vars_atoxgr_lb(adlb, load_protocol("ct071"))
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
    rows = np.flatnonzero((out["AVAL"].notna() & out["ADAYINF"].notna()).to_numpy())
    if not len(rows):
        for c in _GRADED:
            out[c] = cols[c]
        return out
    inp = pd.DataFrame({"_ROW": rows, **{
        new: out[old].to_numpy()[rows] for new, old in (
            ("USUBJID", "USUBJID"), ("PARAMCD", "PARAMCD"), ("DAY", "ADAYINF"),
            ("AVAL", "AVAL"), ("LLN", "ANRLO"), ("ULN", "ANRHI"), ("ABLFL", "ABLFL"),
            ("SEQ", "LBSEQ"))}})
    # the version the protocol pins, as the safety engine grades (one rule for both)
    criteria = ctcae_lab_criteria(protocol.safety.ctcae_version)
    needed = graded_input(inp, criteria)
    g = grade_labs(inp if needed.all() else inp[needed], criteria=criteria,
                   treatment_emergent_until_day=protocol.safety.treatment_emergent_until_day)
    at = g["_ROW"].to_numpy()
    for c in _GRADED:
        cols[c][at] = g[c].to_numpy()
        out[c] = cols[c]
    return out
