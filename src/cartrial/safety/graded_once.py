"""Laboratory records graded once (CTCAE, :func:`cartrial.safety.grade_labs`), any cut of them
taken from that grading instead of grading it again.

The escalation history adjudicates the DLTs of one study at many cut-off dates; the laboratory
records known on a date are a subset of the whole study's (``cartrial.conduct.known_on``).
``grade_labs`` on such a subset equals the subset's rows of ``grade_labs`` on the whole frame
when, for every subject in the subset, each record the baseline is derived from is in it.
Why, step by step through ``grade_labs`` (NCI CTCAE v5.0 / v6.0 as bundled):

- the rows are sorted by USUBJID, PARAMCD and DAY with a stable sort; the rows of a subset
  keep their relative order (positions are taken in increasing order), so sorting the subset
  gives the whole frame's sorted rows of that subset, in the same order;
- each record's grade, BASE, BNRIND, PCHG and TRTEMFL read only that record and its subject's
  baseline for the test; the baseline is the record flagged ``ABLFL = Y`` (without that column
  the last record on or before day 0), the baseline grade the largest grade among those
  records of the subject and test: identical when every ``ABLFL = Y`` record and every record
  on or before day 0 of the subset's subjects is in the subset (:meth:`GradedLabs.take`
  checks this and answers None otherwise);
- every record check (``fail``) reads one record or its subject's baseline records, so a
  subset of a frame that grades without error grades without error; when the whole frame is
  refused (a bad record perhaps not yet known on some date), nothing is graded once and each
  subset is graded on its own, as before.

The whole frame is graded in subject batches (``subject_batches``, in USUBJID order) as
:func:`cartrial.safety.adjudicate_study_dlt` grades it: subjects are independent in
``grade_labs`` (every group above is a subject's), so the batches joined in order are the
whole frame's grading.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.batches import subject_batches, take_rows
from cartrial.errors import InputError
from cartrial.protocol.model import Protocol
from cartrial.safety._frames import as_text
from cartrial.safety.ctcae import grade_labs
from cartrial.safety.guidelines import ctcae_lab_criteria
from cartrial.safety.sdtm_base import LAB_BATCH_SUBJECTS

_ROW = "_CARTRIAL_ROW"  # the record's position in the whole frame (a column nobody else uses)


def _graded(labs: pd.DataFrame, protocol: Protocol) -> pd.DataFrame:
    """``grade_labs`` of ``labs`` as the DLT path runs it (the protocol's CTCAE version and
    treatment-emergent window)."""
    s = protocol.safety
    return grade_labs(labs, treatment_emergent_until_day=s.treatment_emergent_until_day,
                      criteria=ctcae_lab_criteria(s.ctcae_version))


class GradedLabs:
    """A study's laboratory records graded once, and any cut of them (module docstring).

    Parameters
    ----------
    labs : pandas.DataFrame
        The whole study's laboratory records (``SafetyInputs.labs``).
    protocol : Protocol
        CTCAE version and treatment-emergent window (``protocol.safety``).
    batch_subjects : int
        Records are graded this many subjects at a time.

    Attributes
    ----------
    usable : bool
        False when ``grade_labs`` refuses the whole frame (each cut is then graded on its own).

    References
    ----------
    NCI Common Terminology Criteria for Adverse Events v5.0 (2017) and v6.0 (2025).

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> labs = pd.DataFrame({"USUBJID": ["A", "A", "B"], "PARAMCD": "PLAT",
    ...                      "DAY": [0.0, 7.0, 9.0], "AVAL": [180.0, 20.0, 40.0],
    ...                      "LLN": 150.0, "ULN": 400.0, "ABLFL": ["Y", "", ""]})
    >>> g = GradedLabs(labs, load_protocol("ct071"))
    >>> g.take(np.array([0, 1]))["ATOXGRL"].tolist()
    [0.0, 4.0]
    >>> g.take(np.array([1])) is None  # A's baseline record is not in the cut
    True
    """

    def __init__(self, labs: pd.DataFrame, protocol: Protocol, *,
                 batch_subjects: int = LAB_BATCH_SUBJECTS) -> None:
        self.n = len(labs)
        subj = labs["USUBJID"].astype(str)
        self._subj = subj.to_numpy()
        day = pd.to_numeric(labs["DAY"], errors="coerce").to_numpy(dtype=float)
        base = day <= 0
        if "ABLFL" in labs:
            base |= as_text(labs, "ABLFL") == "Y"  # grade_labs' reading of the flag
        self._base = base
        framed = labs.assign(**{_ROW: np.arange(self.n)})
        try:
            parts = [_graded(framed.iloc[rows], protocol)
                     for rows in subject_batches(subj, batch_subjects)]
        except InputError:  # a record refused (RecordError too): each cut is graded alone
            self.graded, self.usable = None, False
            return
        self.graded = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        self.usable = True

    def take(self, positions: np.ndarray | None) -> pd.DataFrame | None:
        """``grade_labs`` of the whole frame's rows at ``positions``, taken from the grading.

        Parameters
        ----------
        positions : numpy.ndarray or None
            Increasing row positions in the whole frame (the records known on a date); None:
            every row.

        Returns
        -------
        pandas.DataFrame or None
            Equal to grading those rows (values, dtypes, columns, order); None when it might
            not be (a baseline record of one of their subjects left out, or the whole frame
            refused): the caller grades them itself.
        """
        if not self.usable:
            return None
        if positions is None:
            positions = np.arange(self.n)
        positions = np.asarray(positions, dtype=np.int64)
        if len(positions) > 1 and not (np.diff(positions) > 0).all():
            return None
        inside = np.zeros(self.n, dtype=bool)
        inside[positions] = True
        mine = np.isin(self._subj, np.unique(self._subj[positions]))
        if (mine & self._base & ~inside).any():
            return None
        rows = inside[self.graded[_ROW].to_numpy()]
        cols = [c for c in self.graded.columns if c != _ROW]
        return take_rows(self.graded, rows, cols)
