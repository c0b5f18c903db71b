"""The laboratory tests the safety analysis reads, and when the records of the others may be left
out of its lab frame (issue #18: at 10,000 patients about a third of the 3.1 million records
are cytokines, M-protein, immunofixation and light chains, which no grader reads).

The analysis reads a lab record through its test code only: the CTCAE grading
(:func:`cartrial.safety.grade_labs`, the terms' PARAMCDs), ICAHT (ANC), CAR-HEMATOTOX and IEC-HS
(their factors' PARAMCDs) and, for the tables, hypogammaglobulinaemia (IgG). Two of its readers
look at every record all the same: CAR-HEMATOTOX lists every subject of the frame, and the
grading refuses the whole frame when a record of a test without a CTCAE term is invalid
(:func:`cartrial.safety.ctcae_scope.graded_input`). Records of the other tests are therefore
left out only when neither can tell: every subject keeps a graded record (the same subjects, the
same grading batches, each with records to grade) and no record left out would be refused (a
day that is not a number, a negative result, a lower limit above the upper, two baseline records
of a subject and test). :meth:`LabScope.leaves_out` decides that a batch of whole subjects at a
time; when any batch says no, the frame keeps every record, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartrial.data.text import factorize_text
from cartrial.protocol.model import Protocol
from cartrial.safety.ctcae_scope import may_leave_out
from cartrial.safety.cytopenia import IGG_PARAMCD
from cartrial.safety.guidelines import ctcae_lab_criteria
from cartrial.safety.hematotox import hematotox_criteria
from cartrial.safety.icaht import icaht_criteria
from cartrial.safety.iec_hs import iec_hs_criteria


@dataclass(frozen=True)
class LabScope:
    """The test codes a lab frame must hold (``tests``, upper case) and the CTCAE-graded ones
    among them (``graded``): :func:`cartrial.safety.sdtm_labs.lab_records` leaves the records of
    other tests out when :meth:`leaves_out` allows it for every batch.

    Examples
    --------
    >>> scope = LabScope(frozenset({"PLAT", "CRP"}), frozenset({"PLAT"}))
    >>> part = pd.DataFrame({"USUBJID": "S1", "PARAMCD": ["PLAT", "IL6"], "DAY": [0.0, 1.0],
    ...                      "AVAL": [150.0, 4.0], "LLN": np.nan, "ULN": np.nan,
    ...                      "ABLFL": ["Y", ""]})
    >>> scope.leaves_out(part, np.array([True, False]))
    True
    >>> scope.leaves_out(part.assign(AVAL=[150.0, -4.0]), np.array([True, False]))
    False
    """

    tests: frozenset[str]
    graded: frozenset[str]

    def leaves_out(self, part: pd.DataFrame, read: np.ndarray, *,
                   known: KnownCodes | None = None) -> bool:
        """Whether the records of ``part`` not ``read`` may be left out (module docstring).

        Parameters
        ----------
        part : pandas.DataFrame
            Every record of some whole subjects, in lab_records' columns (USUBJID, PARAMCD
            upper case, DAY, AVAL, LLN, ULN, ABLFL).
        read : numpy.ndarray
            Boolean: the records of ``tests``.
        known : KnownCodes, optional
            What the caller knows of ``part``'s records already (its subject and test codes,
            its baseline flags): not read again from the frame.

        Returns
        -------
        bool
            True when every subject of ``part`` keeps a record of a ``graded`` test and none of
            the others would make the grading refuse the frame.
        """
        paramcd = part["PARAMCD"].to_numpy(dtype=object)
        if known is None:
            subj = pd.factorize(part["USUBJID"])[0]
            # asked of the few distinct test codes, spread by code (-1, missing: not graded):
            # np.isin of a batch's every record sorted Python strings (0.6 s at 10,000 patients)
            codes, tests = factorize_text(paramcd)
        else:
            subj, (codes, tests) = known.subjects, known.tests
        graded = np.append(np.isin(tests, list(self.graded)), False)[codes]
        kept = np.zeros(subj.max(initial=-1) + 1, dtype=bool)  # a subject keeps a graded record
        kept[subj[read & graded]] = True
        if not kept[subj].all():
            return False
        # PARAMCD is already upper case here; the refusals are graded_input's own rule
        return may_leave_out(part, ~read, paramcd,
                             baseline=None if known is None else known.baseline)


@dataclass(frozen=True)
class KnownCodes:
    """What :meth:`LabScope.leaves_out` would read from a frame's records, when its caller has
    it: the records' subjects as codes (equal codes, equal USUBJID), their PARAMCD as codes of
    distinct values (``tests[codes]``; code -1: an empty PARAMCD) and whether each is a
    baseline record (ABLFL "Y").

    Examples
    --------
    >>> known = KnownCodes(np.array([0, 0]), (np.array([1, 0]), np.array(["IL6", "PLAT"])),
    ...                    np.array([True, False]))
    >>> known.tests[1][known.tests[0]].tolist()
    ['PLAT', 'IL6']
    """

    subjects: np.ndarray
    tests: tuple[np.ndarray, np.ndarray]
    baseline: np.ndarray


def analysis_lab_scope(protocol: Protocol, *, tables: bool = False) -> LabScope:
    """The tests :func:`cartrial.safety.analyse_safety` reads (its tables too when ``tables``),
    with the protocol's CTCAE version.

    Parameters
    ----------
    protocol : Protocol
        The trial protocol (its CTCAE version).
    tables : bool, default False
        Whether the analysis builds its tables (hypogammaglobulinaemia reads IgG).

    Returns
    -------
    LabScope

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> scope = analysis_lab_scope(load_protocol("ct071"))
    >>> "PLAT" in scope.graded, "CRP" in scope.tests - scope.graded, "IL6" in scope.tests
    (True, True, False)
    """
    graded = ctcae_lab_criteria(protocol.safety.ctcae_version).graded_tests()
    others = [*icaht_criteria().paramcd,
              *(c for f in hematotox_criteria().factors for c in f.paramcd),
              *(c for f in iec_hs_criteria().features for c in f.paramcd),
              *([IGG_PARAMCD] if tables else [])]
    return LabScope(graded | {c.strip().upper() for c in others}, graded)
