"""A large domain's records read a chunk at a time by ADSL's per-subject dates (issue #18:
memory).

ADSL's last date known alive (LSTALVDT) and its efficacy population (EFFFL) take, per subject,
the latest date of every record of a domain (LB: 3.5 million records at 10,000 patients). Read
whole, its identifiers and dates decoded, factorised and spread are ~190 MiB while the whole
study is still held; a subject's latest date is the latest of its chunks' latest dates, so the
records are read :data:`CHUNK_RECORDS` at a time instead.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from cartrial.data import Study
from cartrial.data.batches import records_at, row_runs
from cartrial.data.compact import CompactFrame
from cartrial.study_reads import read_frame

#: records of an encoded domain decoded at once
CHUNK_RECORDS = 1 << 18


def record_chunks(study: Study, name: str, columns: Sequence[str],
                  where: Mapping[str, Collection[str]] | None = None) -> Iterator[pd.DataFrame]:
    """The records of domain ``name``, the variables ``columns`` it has, in frames of
    consecutive records (in the domain's order, with their index labels): a domain the study
    holds encoded (:class:`~cartrial.data.compact.CompactFrame`) :data:`CHUNK_RECORDS` records
    at a time, only those whose value of each ``where`` variable is one of those given (as
    :meth:`CompactFrame.where` matches: exactly); any other as one frame,
    :func:`cartrial.study_reads.read_frame` (``where`` matched as there: stripped and upper
    case, so a caller needing exact values checks them on every chunk). Nothing for a domain
    that is absent or has no such record.

    Parameters
    ----------
    study : cartrial.data.Study or dict of str to pandas.DataFrame
        The SDTM domains.
    name : str
        Domain code.
    columns : sequence of str
        The variables wanted.
    where : mapping of str to collection of str, optional
        Variable -> the values kept.

    Yields
    ------
    pandas.DataFrame
        A chunk of records.

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": ["S1", "S2", "S1"], "LBCAT": ["A", "B", "A"]})
    >>> st = Study({"LB": lb})
    >>> [len(c) for c in record_chunks(st, "LB", ["USUBJID"], {"LBCAT": {"A"}})]
    [2]
    """
    held = study.domains.held(name) if isinstance(study, Study) and name in study else None
    if not isinstance(held, CompactFrame):
        df = read_frame(study, name, columns, where)
        if df is not None and not df.empty:
            yield df
        return
    present = [c for c in columns if c in held.columns]
    rows = np.arange(len(held)) if not where else np.flatnonzero(held.where(where))
    for at in row_runs(rows, CHUNK_RECORDS):
        yield records_at(held, at, present)
