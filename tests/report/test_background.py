"""report.background: a writer run in a forked process returns what it returns in this one and
raises the error it raises here (the files themselves: benchmarks/compare_outputs.py and the
pipeline tests, which run ``analyze`` with its writers side by side)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cartrial.errors import InputError
from cartrial.report.background import Background


def _write(path: Path, text: str) -> int:
    path.write_text(text, encoding="utf-8")
    return len(text)


@pytest.mark.parametrize("parallel", [True, False])
def test_the_result_and_the_file_are_those_of_a_plain_call(tmp_path: Path,
                                                            parallel: bool) -> None:
    job = Background(lambda: _write(tmp_path / "a.txt", "same bytes"), parallel=parallel)
    assert job.wait() == 10
    assert (tmp_path / "a.txt").read_bytes() == b"same bytes"


@pytest.mark.parametrize("parallel", [True, False])
def test_the_writers_error_is_raised_with_its_text(parallel: bool) -> None:
    def refuse() -> None:
        raise InputError("ADLB: variable PARAM has no label (rule: every ADaM variable is "
                         "labelled)")

    job = Background(refuse, parallel=parallel)
    with pytest.raises(InputError, match="ADLB: variable PARAM has no label"):
        job.wait()


def test_an_error_that_cannot_travel_keeps_its_text() -> None:
    class Odd(Exception):
        def __init__(self, a: int, b: int) -> None:  # pickling cannot rebuild it
            super().__init__(f"odd {a} {b}")

    def fail() -> None:
        raise Odd(1, 2)

    with pytest.raises(Exception, match="odd 1 2"):
        Background(fail).wait()


@pytest.mark.parametrize("parallel", [True, False])
def test_cancelled_work_is_ended_and_never_returned(parallel: bool) -> None:
    import os

    r, w = os.pipe()  # the forked process waits on a pipe nobody writes to: only cancel ends it
    ran: list[int] = []
    job = Background(lambda: ran.append(len(os.read(r, 1))), parallel=parallel)
    assert job.cancel() is None
    os.close(w)
    os.close(r)
    assert not job.forked and ran == []  # the sequential work was never run either
    with pytest.raises(RuntimeError, match="cancelled"):
        job.wait()


def test_the_forked_process_leaves_the_inherited_objects_out_of_its_collections() -> None:
    """The child freezes what it inherited (``gc.freeze``, as the Python documentation advises
    before work in a forked process); the parent's collector is untouched."""
    import gc

    frozen = gc.get_freeze_count()
    job = Background(gc.get_freeze_count)
    got = job.wait()
    assert gc.get_freeze_count() == frozen
    if job.forked:
        assert got > frozen
