"""committee.forked_job: one computation in a forked child, its result read back once."""

from __future__ import annotations

import gc

from cartrial.committee.forked_job import ForkedJob


def test_a_result_comes_back_once():
    job = ForkedJob.start(lambda: {"decisions": [1, 2]})
    assert job.take() == ("ok", {"decisions": [1, 2]})
    assert job.take() == ("taken", "")


def test_an_error_comes_back_as_a_status_not_a_raise():
    status, why = ForkedJob.start(lambda: 1 / 0).take()
    assert status == "error" and "ZeroDivisionError" in why


def test_the_child_leaves_what_it_inherited_out_of_its_collections():
    """Regression (issue #18): the child freezes the objects it inherits (``gc.freeze``), so a
    full collection there does not walk, and so copy page by page, the server's heap; the
    server itself is left as it was."""
    before = gc.get_freeze_count()
    status, frozen = ForkedJob.start(gc.get_freeze_count).take()
    assert status == "ok" and frozen > 0
    assert gc.get_freeze_count() == before
