"""Per-subject frames made a batch of subjects at a time (issue #18: memory).

Each test compares the batched frame with the frame made from all records at once: the code
against itself (regression tests, said so), on hand-made records whose parameters first appear
in a later batch, whose records are out of order, or one of whose batches is bad.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.errors import RecordError
from cartrial.kinetics.summary import parameters_from_records
from cartrial.report.subject_parts import made_by_subjects, subject_runs


def _read(data: pd.DataFrame, some: pd.Series) -> pd.DataFrame:
    return data[data["USUBJID"].isin(some)]


def _pivot(records: pd.DataFrame) -> pd.DataFrame:
    return parameters_from_records(records, keys=["USUBJID"], parameter="PPTESTCD")


RECORDS = pd.DataFrame({"USUBJID": ["01", "01", "02", "03", "03", "04"],
                        "PPTESTCD": ["TMAX", "CMAX", "CMAX", "AUC", "CMAX", "TLST"],
                        "AVAL": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})


def test_batches_joined_are_the_frame_of_all_records():
    """Regression (code against itself): two subjects at a time, AUC and TLST first met in
    the later batches, give the pivot of all records at once, columns in first-appearance
    order; the subjects outside the population are not read."""
    ids = pd.Series(["01", "02", "03", "04"])
    whole = _pivot(RECORDS)
    got, n = made_by_subjects(RECORDS, ids, _read, _pivot, at=2)
    pd.testing.assert_frame_equal(got, whole)
    assert n == 6
    got, n = made_by_subjects(RECORDS, pd.Series(["03", "01"]), _read, _pivot, at=1)
    pd.testing.assert_frame_equal(got, _pivot(RECORDS[RECORDS["USUBJID"].isin(["01", "03"])]))
    assert n == 4


def test_records_out_of_order_are_read_at_once():
    """Records not sorted by USUBJID are read once, whole (the batches would reorder the
    parameters' first appearances)."""
    reads = []
    shuffled = RECORDS.iloc[[2, 0, 1, 3, 4, 5]]

    def read(data, some):
        reads.append(len(some))
        return _read(data, some)

    got, _ = made_by_subjects(shuffled, pd.Series(["01", "02", "03", "04"]), read, _pivot,
                              at=1)
    assert reads == [4]
    pd.testing.assert_frame_equal(got, _pivot(shuffled))
    assert subject_runs(pd.Series(["B", "A"]), 1) is None
    assert subject_runs(pd.Series(["A", None]), 1) is None


def test_an_error_is_that_of_all_records():
    """A duplicate record in the second batch raises the error the records read at once
    raise (the first bad record in record order)."""
    bad = pd.concat([RECORDS, RECORDS.iloc[[5]], RECORDS.iloc[[0]]], ignore_index=True)
    bad = bad.sort_values("USUBJID", kind="stable", ignore_index=True)
    with pytest.raises(RecordError) as whole:
        _pivot(bad)
    with pytest.raises(RecordError) as batched:
        made_by_subjects(bad, pd.Series(["01", "02", "03", "04"]), _read, _pivot, at=1)
    assert str(batched.value) == str(whole.value)
