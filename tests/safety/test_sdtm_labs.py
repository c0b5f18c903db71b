"""The graded-lab input frame read from a study holding LB encoded, a batch of records at a time,
equals the frame read from the decoded LB (issue #18: memory), in any batching, on a generated
trial and on messy ones."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cartrial.data import load_study
from cartrial.data.compact import CompactFrame
from cartrial.safety.analysis import analyse_safety
from cartrial.safety.sdtm import safety_inputs
from cartrial.safety.sdtm_labs import lab_records

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from _messy import SEED, make_messy  # noqa: E402

from tests.safety._generated import loaded, outcome, written


def _decoded(study):  # noqa: ANN001, ANN202
    """The same study with every domain a plain frame (the way every read took before)."""
    return dataclasses.replace(study, domains={**study.domains})


@pytest.fixture(scope="module")
def trial(tmp_path_factory: pytest.TempPathFactory):
    return loaded(tmp_path_factory.mktemp("labs300"), 11, 300)


def test_held_lb_batches_equal_the_decoded_lb(trial) -> None:
    s, _ = trial
    assert isinstance(s.domains.held("LB"), CompactFrame)
    want = lab_records(_decoded(s), batch_subjects=10**6)
    assert want["USUBJID"].nunique() > 200
    for size in (7, 250, 10**6):  # several batches, the default, one batch
        pd.testing.assert_frame_equal(lab_records(s, batch_subjects=size), want,
                                      check_exact=True)


def test_safety_engine_same_on_held_and_decoded_study(trial) -> None:
    s, protocol = trial
    got, want = safety_inputs(s, protocol), safety_inputs(_decoded(s), protocol)
    for f in dataclasses.fields(got):
        a, b = getattr(got, f.name), getattr(want, f.name)
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True, obj=f.name)
        else:
            assert a == b
    lean = analyse_safety(got, protocol, keep_labs=False, batch_subjects=13)
    ref = analyse_safety(want, protocol, keep_labs=False)
    pd.testing.assert_frame_equal(lean.dlt.patients, ref.dlt.patients, check_exact=True)
    pd.testing.assert_frame_equal(lean.worst_labs, ref.worst_labs, check_exact=True)


@pytest.mark.parametrize("offset", [0, 1, 2])
def test_messy_studies_give_the_same_records_or_refusal(tmp_path: Path, offset: int) -> None:
    make_messy(written(tmp_path, 3 + offset, 30), SEED + offset, rate=0.03)
    s = outcome(lambda: load_study(tmp_path))
    if isinstance(s, str):
        pytest.skip(f"the messy study does not load: {s}")
    for size in (3, 10**6):  # a refusal names the records of the first batch refused
        want = outcome(lambda n=size: lab_records(_decoded(s), batch_subjects=n))
        got = outcome(lambda n=size: lab_records(s, batch_subjects=n))
        if isinstance(want, str):
            assert got == want
        else:
            pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_subjects_of_any_type_batched_as_before() -> None:
    """Regression: the batches follow pandas' sort of the subjects (numbers, mixed types), as
    ``subject_batches`` of the records' USUBJID did."""
    from cartrial.data.batches import subject_batches

    dm = pd.DataFrame({"USUBJID": [10, 9, "S1", 100], "RFSTDTC": "2026-03-02"})
    lb = pd.DataFrame({"USUBJID": [100, "S1", 9, 10, 9, 100], "LBSEQ": range(1, 7),
                       "LBTESTCD": "PLAT", "LBSTRESN": [150.0, 20.0, 30.0, 40.0, 50.0, 60.0],
                       "LBDTC": "2026-03-01"})
    want = subject_batches(lb["USUBJID"], 1)
    assert [lb["USUBJID"][b[0]] for b in want] == [9, 10, 100, "S1"]
    for size in (1, 2, 10):
        got = lab_records({"DM": dm, "LB": lb}, batch_subjects=size)
        assert got["AVAL"].tolist() == lb["LBSTRESN"].tolist()
        assert got["ABLFL"].tolist() == ["", "Y", "", "Y", "Y", "Y"]  # each last before day 0


def test_subjects_given_by_code_same_records() -> None:
    """Regression: a batch's records with their subjects' codes and infusion dates, or their
    test codes' and flags' text, given (``lab_records`` reads them once per distinct value)
    equal the records read from the batch."""
    from cartrial.safety.sdtm_labs import _lab_records_part

    inf = pd.Series(pd.to_datetime(["2026-03-01", "2026-03-05"]), index=["S1", "S2"])
    lb = pd.DataFrame({"USUBJID": ["S2", "S1", "S2", "S1", "S2"], "LBSEQ": range(1, 6),
                       "LBTESTCD": ["PLAT", "PLAT", "PLAT", "NEUT", "PLAT"],
                       "LBSTRESN": [150.0, 20.0, 30.0, 1.0, 40.0],
                       "LBDTC": ["2026-03-04", "2026-02-27T10:00", "2026-03-05T06:00",
                                 "2026-03-03", "2026-03-01"], "LBBLFL": ""})
    want = _lab_records_part(lb, inf)
    codes = np.array([1, 0, 1, 0, 1])  # S1 -> 0, S2 -> 1
    got = _lab_records_part(lb, inf, subjects=codes, started=inf.to_numpy())
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    texts = {"LBTESTCD": lb["LBTESTCD"].to_numpy(dtype=object), "LBBLFL": np.array([""] * 5)}
    got = _lab_records_part(lb.assign(LBTESTCD="?", LBBLFL="Y"), inf, texts=texts)
    pd.testing.assert_frame_equal(got, want, check_exact=True)  # the texts given are read
    assert want["ABLFL"].tolist() == ["Y", "Y", "", "", ""]  # the last on or before day 0
