"""LB's disease records made long a batch of subjects at a time (issue #18: memory).

Regression tests: the batched reading is compared with the unbatched one
(:func:`lb_long` of :func:`disease_records`), whose values are checked against the IMWG units in
``test_lb_long.py``; the batches must give the same rows, order, values and dtypes, and on a
record that cannot be used name the same record."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cartrial.data import Study
from cartrial.efficacy.disease_batches import study_lb_long
from cartrial.efficacy.sdtm_disease import disease_records, lb_long
from cartrial.errors import RecordError

COLS = ["USUBJID", "LBSEQ", "LBTESTCD", "LBSPEC", "LBDTC", "LBSTRESN", "LBSTRESC", "LBSTAT",
        "LBBLFL"]


def _lb(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLS).astype({c: "string" for c in COLS
                                                     if c not in ("LBSEQ", "LBSTRESN")})


def _records() -> list[tuple]:
    """Subjects interleaved (LB not sorted by subject), numeric and coded tests, a haematology
    record, a NOT DONE test and a baseline-flagged repeat."""
    return [
        ("S3", 1.0, "MPROTEIN", "SERUM", "2026-01-02", 20.0, "20", None, "Y"),
        ("S1", 1.0, "IMFIX", "SERUM", "2026-01-03", np.nan, "POSITIVE", None, None),
        ("S2", 1.0, "HGB", "BLOOD", "2026-01-03", 120.0, "120", None, None),
        ("S1", 2.0, "MPROTEIN", "SERUM", "2026-01-03", 15.0, "15", None, None),
        ("S3", 2.0, "MPROTEIN", "SERUM", "2026-01-02", 21.0, "21", None, "Y"),
        ("S2", 2.0, "KAPPAFLC", "SERUM", "2026-02-01", np.nan, "<0.1", None, None),
        ("S2", 3.0, "LAMBDFLC", "SERUM", "2026-02-01", np.nan, "", "NOT DONE", None),
        ("S1", 3.0, "PCCLON", "BONE MARROW", "2026-02-03", np.nan, "CLONAL", None, None),
        ("S4", 1.0, "MPROTEIN", "URINE", "2026-02-03", 300.0, "300", None, None),
    ]


@pytest.mark.parametrize("batch", [1, 2, 3, 1000])
def test_the_batches_give_the_rows_of_the_whole_lb(batch: int) -> None:
    lb = _lb(_records())
    whole = lb_long(disease_records({"LB": lb}))
    assert_frame_equal(study_lb_long(Study({"LB": lb}), batch_subjects=batch), whole,
                       check_exact=True)
    assert whole["LBSEQ"].tolist()[:3] == [1.0, 2.0, 2.0]  # numeric rows first, in LB's order


def test_a_dict_of_frames_and_no_lb() -> None:
    lb = _lb(_records())
    assert_frame_equal(study_lb_long({"LB": lb}), lb_long(disease_records({"LB": lb})))
    assert study_lb_long(Study({"DM": pd.DataFrame({"USUBJID": ["S1"]})})) is None


def test_without_disease_records_no_rows() -> None:
    lb = _lb([("S1", 1.0, "HGB", "BLOOD", "2026-01-03", 120.0, "120", None, None)])
    got = study_lb_long(Study({"LB": lb}), batch_subjects=1)
    assert got.empty and list(got.columns) == list(lb_long(lb).columns)


@pytest.mark.parametrize("batch", [1, 1000])
def test_a_bad_record_is_the_one_the_whole_lb_names(batch: int) -> None:
    # S1's record comes first in LB but its subject's batch last: the undated S9 record is
    # still the one named (the whole LB's dates are checked before its numbers)
    rows = [("S9", 4.0, "MPROTEIN", "SERUM", "2026-01-02", -1.0, "-1", None, None),
            *_records(),
            ("S0", 7.0, "MPROTEIN", "SERUM", None, 5.0, "5", None, None)]
    lb = _lb(rows)
    with pytest.raises(RecordError) as whole:
        lb_long(disease_records({"LB": lb}))
    with pytest.raises(RecordError) as batched:
        study_lb_long(Study({"LB": lb}), batch_subjects=batch)
    assert str(batched.value) == str(whole.value)
    assert (batched.value.finding.usubjid, batched.value.finding.seq) == ("S0", 7.0)
