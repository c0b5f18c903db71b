"""ADLB of a large trial handed to the writers with LB held dictionary-encoded (issue #18:
memory); the batches are those of :func:`cartrial.adam.adlb.derive_adlb_batches`."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from cartrial.adam._dates import require
from cartrial.adam.adlb import BATCH_SUBJECTS, LB_READ, _derive_adlb
from cartrial.adam.batched import BatchedDataset
from cartrial.data.batches import held_subject_batches
from cartrial.data.compact import CompactFrame
from cartrial.protocol.model import Protocol


def adlb_batched(lb: pd.DataFrame | CompactFrame, adsl: pd.DataFrame, protocol: Protocol, *,
                 batch_subjects: int = BATCH_SUBJECTS) -> BatchedDataset:
    """ADLB as a :class:`cartrial.adam.BatchedDataset` holding LB dictionary-encoded
    (:class:`cartrial.data.compact.CompactFrame`): each pass derives the batches of
    :func:`derive_adlb_batches` from the same rows, decoded to the same frames (``analyze``
    writes ADLB last, after the study is released: at 10,000 patients LB is about 650 MiB as
    a frame, about a fifth of it encoded; the study holds LB so and hands it over).

    Parameters
    ----------
    lb : pandas.DataFrame or CompactFrame
        LB as loaded: the study's own CompactFrame (``Study.domains.held("LB")``: no second
        copy), or a frame (encoded here once; the frame itself is not kept).
    adsl, protocol, batch_subjects
        As for :func:`derive_adlb`.

    Returns
    -------
    BatchedDataset
        ``len(lb)`` rows; its batches are those of :func:`derive_adlb_batches`.

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> rows = [("S1", 1.0, "2024-03-08", 3.1), ("S1", 2.0, "2024-03-17", 0.4),
    ...         ("S2", 1.0, "2024-04-01", 0.3)]
    >>> lb = pd.DataFrame(rows, columns=["USUBJID", "LBSEQ", "LBDTC", "LBSTRESN"]).assign(
    ...     STUDYID="CT071", LBTESTCD="NEUT", LBTEST="Neutrophils", LBSPEC="BLOOD",
    ...     LBSTRESC=lambda d: d["LBSTRESN"].astype(str), LBSTRESU="10^9/L", LBSTNRLO=1.8,
    ...     LBSTNRHI=7.5)
    >>> adsl = pd.DataFrame({"USUBJID": ["S1", "S2"], "TRT01A": "DL1", "TRT01AN": 1,
    ...                      "TRTSDT": pd.to_datetime(["2024-03-10", "2024-03-20"])})
    >>> adlb = adlb_batched(lb, adsl, load_protocol("ct071"))
    >>> len(adlb), adlb.to_frame()["ATOXGRL"].tolist()
    (3, [0.0, 4.0, 4.0])
    """
    require(lb, ["USUBJID"], "ADLB (LB)")
    held = lb if isinstance(lb, CompactFrame) else CompactFrame(lb)
    batches = [rows.astype(np.int32) if len(lb) < 2**31 else rows
               for rows in held_subject_batches(held, batch_subjects)]

    # only the variables ADLB reads decoded (LBORRES only without LBSTRESC, as it is read)
    read = [c for c in held.columns if c in LB_READ
            and (c != "LBORRES" or "LBSTRESC" not in held.columns)] \
        if len(set(held.columns)) == len(held.columns) else None  # (a repeated label: all)

    def make() -> Iterator[pd.DataFrame]:
        for rows in batches:
            yield _derive_adlb(held.frame(read, rows), adsl, protocol)

    return BatchedDataset(len(lb), make)
