"""LB's disease records in long form, made a batch of subjects at a time (issue #18: memory).

A large trial's LB holds hundreds of thousands of disease records (806,000 at 10,000 patients).
Decoded whole and made long at once (:func:`~cartrial.efficacy.sdtm_disease.lb_long`), their
copies and per-record values peaked at ~280 MiB over the efficacy engine's entry. Every step
of :func:`~cartrial.efficacy.sdtm_disease.lb_long_parts` reads one record at a time, so the
records are decoded and made long a batch of subjects at a time and the batches' rows put back
in LB's order: the rows, and the repeat check of
:func:`~cartrial.efficacy.sdtm_disease.joined_long`, are those of the whole LB at once. When a
batch holds a record that cannot be used, the whole LB is read as before, so the error names the
record the unbatched reading names.
"""

from __future__ import annotations

import pandas as pd

from cartrial.data.batches import held_subject_batches, in_row_order, records_at
from cartrial.data.study import Study
from cartrial.efficacy.sdtm_disease import (
    LB_DISEASE_TESTS,
    LB_DISEASE_VARIABLES,
    LONG_COLUMNS,
    disease_records,
    joined_long,
    lb_long,
    lb_long_parts,
)
from cartrial.errors import RecordError
from cartrial.study_reads import read_frame

#: subjects per batch: ~75,000 disease records at 10,000 patients' ~75 per subject
BATCH_SUBJECTS = 1000


def study_lb_long(study, batch_subjects: int = BATCH_SUBJECTS  # noqa: ANN001
                  ) -> pd.DataFrame | None:
    """``lb_long(disease_records(study))``, read and made long a batch of subjects at a time.

    Parameters
    ----------
    study : cartrial.data.Study or dict of str to pandas.DataFrame
        The SDTM domains (a dict of frames, or LB without unique index labels, is read whole).
    batch_subjects : int, default :data:`BATCH_SUBJECTS`
        Subjects whose records are decoded together.

    Returns
    -------
    pandas.DataFrame or None
        As :func:`~cartrial.efficacy.sdtm_disease.lb_long` of LB's disease records (the same
        rows, order, values and dtypes); None without LB.

    Raises
    ------
    RecordError
        As :func:`~cartrial.efficacy.sdtm_disease.lb_long` (the same record named).

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": ["S2", "S1", "S2"], "LBSEQ": [1.0, 1.0, 2.0],
    ...                    "LBTESTCD": "MPROTEIN", "LBSPEC": "SERUM", "LBSTRESN": [8.0, 20.0, 4.0],
    ...                    "LBDTC": ["2026-01-02", "2026-01-03", "2026-02-01"]})
    >>> study_lb_long(Study({"LB": lb}), batch_subjects=1)[["USUBJID", "LBSEQ", "value"]]
      USUBJID  LBSEQ value
    0      S2    1.0   0.8
    1      S1    1.0   2.0
    2      S2    2.0   0.4
    """
    held = study.domains.held("LB") if isinstance(study, Study) and "LB" in study else None
    if held is None or not held.index.is_unique:
        lb = disease_records(study)
        return None if lb is None else lb_long(lb)
    # each disease record's position in LB, batched by subject from the identifiers held
    ids = read_frame(study, "LB", [], where={"LBTESTCD": LB_DISEASE_TESTS})
    at = held.index.get_indexer(ids.index)
    del ids
    cols = [c for c in LB_DISEASE_VARIABLES if c in held.columns]
    num: list[pd.DataFrame] = []
    cod: list[pd.DataFrame] = []
    try:
        for rows in held_subject_batches(held, batch_subjects, at):
            got = lb_long_parts(records_at(held, at[rows], cols))
            for part, kept in zip(got or (), (num, cod), strict=False):
                if part is not None:  # labelled by its records' positions among ``ids``
                    kept.append(part.set_axis(rows[part.index.to_numpy()]))
    except RecordError:
        return lb_long(disease_records(study))  # raises, naming the record it names first
    if not num and not cod:
        return pd.DataFrame(columns=LONG_COLUMNS)
    return joined_long([_in_lb_order(p) for p in (num, cod)])


def _in_lb_order(parts: list[pd.DataFrame]) -> pd.DataFrame | None:
    """The batches' rows of one kind (numeric or coded) in LB's order."""
    if not parts:
        return None
    return in_row_order(parts, [p.index.to_numpy() for p in parts])
