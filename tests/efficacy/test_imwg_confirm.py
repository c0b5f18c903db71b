"""Confirmation of IMWG responses with the assessments paired a batch of subjects at a time
(issue #18: memory).

Regression tests: every result of :func:`derive_imwg_response` is compared between one subject
per batch and all subjects in one batch (the hand-worked confirmation rules themselves are
tested in ``test_imwg.py``)."""

from __future__ import annotations

import pytest
from pandas.testing import assert_frame_equal

import cartrial.efficacy.imwg_confirm as confirm
from cartrial.efficacy import derive_imwg_response
from cartrial.protocol.model import ImwgSettings

from ._imwg_helpers import frame, history

NEG = {"SIFE": "NEGATIVE", "UIFE": "NEGATIVE"}


def _histories():
    """PR confirmed then PD; CR confirmed; an NE between PRs; a subject with one assessment;
    a pPCL subject (minimum persistence); listed out of subject order."""
    return frame(
        history("S4", [{"SPEP": 2.0}, {"SPEP": 0.9}, {"SPEP": 0.8}, {"SPEP": 1.6}, {"SPEP": 1.7}]),
        history("S1", [{"SPEP": 2.0}, {"SPEP": 0.0, **NEG, "BMPC": 2.0},
                       {"SPEP": 0.0, **NEG, "BMPC": 1.0}]),
        history("S3", [{"SPEP": 3.0}, {"SPEP": 1.2}, {}, {"SPEP": 1.1}]),
        history("S2", [{"SPEP": 2.0}, {"SPEP": 0.5}]),
        history("S5", [{"SPEP": 2.0, "PBPC": 20.0}, {"SPEP": 0.8, "PBPC": 0.0, "day": 20},
                       {"SPEP": 0.7, "PBPC": 0.0, "day": 30},
                       {"SPEP": 0.7, "PBPC": 0.0, "day": 60}]),
    )


@pytest.mark.parametrize("settings", [
    ImwgSettings(),
    ImwgSettings(skip_ne_when_confirming=False, confirmation_window_days=35),
    ImwgSettings(unconfirmed_pd_at_last_assessment="progression"),
])
def test_pairs_in_batches_of_one_subject_give_the_same_responses(monkeypatch, settings) -> None:
    a = _histories()
    whole = derive_imwg_response(a, settings=settings)
    monkeypatch.setattr(confirm, "PAIR_SUBJECTS", 1)
    batched = derive_imwg_response(a, settings=settings)
    assert_frame_equal(batched.assessments, whole.assessments, check_exact=True)
    assert_frame_equal(batched.subjects, whole.subjects, check_exact=True)
    assert set(whole.subjects["BOR"]) > {"PR"}  # the histories reach several responses
