"""ADLB of a large trial handed to the writers with LB held dictionary-encoded (issue #18:
memory); the batches are those of :func:`cartrial.adam.adlb.derive_adlb_batches`."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from cartrial.adam._dates import require
from cartrial.adam.adlb import BATCH_SUBJECTS, _derive_adlb
from cartrial.adam.batched import BatchedDataset
from cartrial.data.batches import subject_batches
from cartrial.data.compact import CompactFrame, decoded_codes
from cartrial.protocol.model import Protocol


def held_subject_batches(held: CompactFrame, batch_subjects: int) -> list[np.ndarray]:
    """:func:`cartrial.data.batches.subject_batches` of ``held``'s USUBJID, from its held codes
    where it is encoded (issue #18: at 10,000 patients factorising LB's 3.5 million identifiers
    again, sorted, was +150 MiB in the ADaM build): the subjects ranked once, each record's
    batch the rank of its code's subject divided by ``batch_subjects``, the records of each
    batch in their order (a stable sort). Identifiers with a NUL character (which pandas
    hashes only up to it, so ``subject_batches`` takes them as one subject) are batched by
    ``subject_batches`` itself.

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": pd.array(["B", "A", "C", "A", None],
    ...                                        dtype=pd.StringDtype("python"))})
    >>> held_subject_batches(CompactFrame(lb), 2)
    [array([0, 1, 3]), array([2, 4])]
    """
    col = held.frame(["USUBJID"])["USUBJID"]  # its codes are those held (decoded_codes)
    known = decoded_codes(col.array)
    if known is None or any("\x00" in v for v in known[1]):
        return subject_batches(col, batch_subjects)
    del col
    codes, values = known
    present = np.bincount(codes[codes >= 0], minlength=len(values)) > 0
    rank = np.full(len(values) + 1, -1, dtype=np.int64)  # code -1 (no USUBJID): rank -1
    order = np.flatnonzero(present)[np.argsort(values[present])]  # str order, as sort=True
    rank[order] = np.arange(len(order))
    n = max(1, -(-len(order) // batch_subjects))
    # per distinct value its batch (no USUBJID: the last), then per record (as subject_batches)
    of_value = np.where(rank < 0, n - 1, rank // batch_subjects).astype(np.min_scalar_type(n))
    batch = of_value[codes]
    by_batch = np.argsort(batch, kind="stable")
    bounds = np.searchsorted(batch[by_batch], np.arange(n + 1))
    return [by_batch[bounds[i]:bounds[i + 1]] for i in range(n)]


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

    def make() -> Iterator[pd.DataFrame]:
        for rows in batches:
            yield _derive_adlb(held.take(rows), adsl, protocol)

    return BatchedDataset(len(lb), make)
