"""One domain's records as validation's rules read them: a domain held encoded answers from
its codes, and only the records a rule finds at fault are decoded (issue #18).

Validation asks most variables of a large findings domain one question or a few (is it filled,
is it among its terms, which records are of this test, is the number in its range). The
answers were always taken per distinct value and spread to the records by code
(:mod:`cartrial.data.validate_codes`); a domain held as a
:class:`~cartrial.data.compact.CompactFrame` holds those very codes, so the column need not be
decoded first (an object per record: 28 MB and a pass over 3.5 million records per variable
of LB at 10,000 patients). A domain held as a frame is read as it is, by the same rules.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cartrial.data.compact import CompactFrame
from cartrial.data.report_frame import finding_frame
from cartrial.data.study import Study
from cartrial.data.text import spread
from cartrial.data.validate_codes import column_codes, present


class Records:
    """The records of domain ``name`` of ``study``, for rules that change nothing.

    Parameters
    ----------
    study : Study
        The loaded study (the domain must be held).
    name : str
        Domain code.

    Examples
    --------
    >>> from cartrial.data.study import Study
    >>> lb = pd.DataFrame({"USUBJID": ["S1", "S1"], "LBSEQ": [1.0, 2.0],
    ...                    "LBCAT": pd.array(["CHEM", "XX"], dtype="string")})
    >>> study = Study(domains={})
    >>> study.domains.hold("LB", lb)
    >>> rec = Records(study, "LB")
    >>> bad = rec.by_value("LBCAT", lambda u: u != "CHEM")
    >>> rec.found(bad, "LBCAT", "TERM_UNKNOWN", "bad")[["usubjid", "seq", "value"]].values.tolist()
    [['S1', 2.0, 'XX']]
    """

    def __init__(self, study: Study, name: str) -> None:
        self.name = name
        self._domains = study.domains
        held = study.domains.held(name)
        self._held = held if isinstance(held, CompactFrame) else None
        self._df = held if self._held is None else None

    def __contains__(self, var: str) -> bool:
        return var in (self._held.columns if self._held is not None else self._df.columns)

    def codes(self, var: str) -> tuple[np.ndarray, np.ndarray]:
        """:func:`~cartrial.data.validate_codes.column_codes` of the variable (an encoded text
        column's held codes: what the decoded column's would be)."""
        known = self._held.codes(var) if self._held is not None else None
        return known if known is not None else column_codes(self.column(var))

    def column(self, var: str) -> pd.Series:
        """The whole variable (an encoded domain's decoded, shared with validation's other
        frames of the domain: :meth:`~cartrial.data.domains.Domains.narrow`)."""
        if self._held is None:
            return self._df[var]
        return self._domains.narrow(self.name, [var])[var]

    def present(self, var: str) -> np.ndarray:
        """Per record, whether the variable is filled (``notna``)."""
        if self._held is None:
            return present(self._df[var])
        known = self._held.codes(var)
        if known is not None:
            return known[0] >= 0
        return self._held.mask(var, lambda s: s.notna())

    def by_value(self, var: str, decide: Callable[[object], bool]) -> np.ndarray:
        """Per record, ``decide(value)`` asked once per distinct value of a text variable
        (False where missing), as :func:`~cartrial.data.validate_codes.by_value`."""
        codes, uniq = self.codes(var)
        return spread(np.asarray([bool(decide(u)) for u in uniq], dtype=bool), codes, False)

    def numbers(self, var: str, decide: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Per record, ``decide`` (element-wise on float numbers) of a numeric variable, asked
        once per distinct number of an encoded column."""
        if self._held is None:
            return np.asarray(decide(self._df[var].to_numpy(dtype=float)), dtype=bool)
        return self._held.mask(var, lambda s: pd.Series(decide(s.to_numpy(dtype=float))))

    def found(self, mask: np.ndarray, var: str, rule_id: str, rule: str) -> pd.DataFrame:
        """The findings of the records of ``mask`` (:func:`~cartrial.data.report_frame.
        finding_frame` with the variable's values): an encoded domain decodes those records'
        USUBJID, --SEQ and ``var`` only."""
        m = np.asarray(mask, dtype=bool)
        if self._held is None:
            return finding_frame(self.name, self._df, m, var, self._df[var], rule_id, rule)
        if not m.any():
            return finding_frame(self.name, pd.DataFrame(), m, var, None, rule_id, rule)
        cols = [c for c in dict.fromkeys(["USUBJID", f"{self.name}SEQ", var])
                if c in self._held.columns]
        sub = self._held.frame(cols, np.flatnonzero(m))
        return finding_frame(self.name, sub, np.ones(len(sub), dtype=bool), var, sub[var],
                             rule_id, rule)
