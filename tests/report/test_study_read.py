"""report.study_read: the study read and validated by a forked process is the study read here.

Regression tests (the forked read against the read in this process that it stands beside, and
that stays the read of a large folder or a machine without ``fork`` or a second core). What a
read gives is checked against its references in tests/data.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd
import pytest

import cartrial.report.study_read as R
from cartrial._fork import can_fork
from cartrial.data import write_study
from cartrial.errors import FindingsError, InputError
from cartrial.protocol import load_protocol
from cartrial.report.pipeline import _validate
from tests.data.minimal_study import minimal_domains

needs_fork = pytest.mark.skipif(not can_fork(), reason="needs fork and a second core")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("read") / "sdtm"
    write_study(minimal_domains(), out)
    return out


def _same(a, b) -> None:
    assert list(a.domains) == list(b.domains)
    for name in a.domains:
        pd.testing.assert_frame_equal(a.domains[name], b.domains[name], check_exact=True)
    assert (a.data_hash, a.file_hashes, a.format, a.unread, a.mtime, str(a.path)) == (
        b.data_hash, b.file_hashes, b.format, b.unread, b.mtime, str(b.path))
    assert a.load_findings == b.load_findings


@needs_fork
def test_the_study_read_beside_is_the_study_read_here(folder: Path) -> None:
    """Regression test: every domain (values and dtypes), the file hashes, the load findings
    and the warning count are those of a read in this process; the later modules are imported
    meanwhile."""
    protocol = load_protocol("ct071")
    here = R.read_and_validate(folder, protocol, _validate)
    beside = R.read_beside_imports(folder, protocol, _validate, later=("cartrial.report.pdf",))
    _same(beside[0], here[0])
    assert beside[1] == here[1]
    assert "cartrial.report.pdf" in sys.modules


@needs_fork
def test_bad_data_raise_every_finding_as_a_read_here(tmp_path: Path) -> None:
    """Regression test: data failing validation raise the FindingsError a read here raises,
    with every finding."""
    dm = minimal_domains()
    dm["DM"] = dm["DM"].assign(AGE=-5)
    write_study(dm, tmp_path / "bad")
    protocol = load_protocol("ct071")
    with pytest.raises(FindingsError) as here:
        R.read_and_validate(tmp_path / "bad", protocol, _validate)
    with pytest.raises(FindingsError) as beside:
        R.read_beside_imports(tmp_path / "bad", protocol, _validate, later=())
    assert len(here.value.findings) >= 1 and str(beside.value) == str(here.value)
    assert [repr(f) for f in beside.value.findings] == [repr(f) for f in here.value.findings]



@needs_fork
def test_an_error_larger_than_a_pipe_buffer_is_raised_not_waited_for(folder: Path,
                                                                      monkeypatch) -> None:
    """The reader's error comes back through its own pipe, read once the study's pipe has
    ended: an error over a pipe's buffer (64 KiB on Linux; here 1 MB, as a validation report
    of thousands of findings) once kept both processes waiting for each other (seen as a hung
    fuzz test); it is raised here. Waited for on an event with a generous limit, so a
    regression fails instead of hanging the suite."""
    import threading

    def refuse(*args: object) -> None:
        raise InputError("x" * 1_000_000)

    monkeypatch.setattr(R, "read_and_validate", refuse)  # inherited by the forked reader
    got: dict = {}

    def run() -> None:
        try:
            R.read_beside_imports(folder, load_protocol("ct071"), _validate, later=())
        except InputError as exc:
            got["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(300)
    assert not t.is_alive(), "the read waited for ever on the forked reader"
    assert str(got["error"]) == "x" * 1_000_000

@needs_fork
def test_a_result_that_cannot_come_back_is_read_here(folder: Path) -> None:
    """Regression test: when the forked read's result cannot travel (here: a warning count
    that does not pickle), the study is read again in this process and returned."""
    protocol = load_protocol("ct071")

    def odd(study, protocol):
        return lambda: 3  # not picklable

    study, n = R.read_beside_imports(folder, protocol, odd, later=())
    assert n() == 3 and "DM" in study.domains


def test_a_large_folder_is_read_here_without_the_imports(folder: Path, monkeypatch) -> None:
    """Regression test: past MAX_BYTES nothing is forked and nothing imported ahead (a module
    that does not exist would fail the import)."""
    monkeypatch.setattr(R, "MAX_BYTES", 0)
    protocol = load_protocol("ct071")
    study, n = R.read_beside_imports(folder, protocol, _validate, later=("no.such.module",))
    _same(study, R.read_and_validate(folder, protocol, _validate)[0])
    assert R.folder_bytes(folder) > 0 and R.folder_bytes(folder / "none") is None


@needs_fork
def test_the_modules_imported_beside_are_frozen_for_the_run_only(folder: Path) -> None:
    """Within a run (``collections_scoped``) the modules imported while the child reads are
    left out of garbage collections; when the run returns or raises they are handed back;
    a read outside a run, or a run started with objects already frozen, leaves gc as it is."""
    import gc

    protocol = load_protocol("ct071")
    assert gc.get_freeze_count() == 0
    R.read_beside_imports(folder, protocol, _validate, later=("cartrial.report.pdf",))
    assert gc.get_freeze_count() == 0  # outside a run: nothing frozen

    def run(fail: bool = False) -> int:
        R.read_beside_imports(folder, protocol, _validate, later=("cartrial.report.pdf",))
        if fail:
            raise RuntimeError("stopped")
        return gc.get_freeze_count()

    scoped = R.collections_scoped(run)
    assert scoped() > 0 and gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError, match="stopped"):
        scoped(fail=True)
    assert gc.get_freeze_count() == 0
    gc.freeze()  # the caller's own freeze is left as it is
    try:
        assert scoped() > 0 and gc.get_freeze_count() > 0  # still frozen after the run
    finally:
        gc.unfreeze()



def test_the_run_imports_without_collections_and_leaves_the_collector_as_found(monkeypatch) -> None:
    """Within a run the modules are imported with the collector off (no collection walks the
    objects they make before they are frozen), then frozen and the collector enabled again;
    outside a run, and when the caller had disabled it, the collector is left as it was."""
    import gc

    seen: list[bool] = []
    monkeypatch.setattr(R.importlib, "import_module", lambda name: seen.append(gc.isenabled()))
    R._import_for_run(["a"])  # outside a run: nothing changes
    assert seen == [True] and gc.get_freeze_count() == 0
    R.collections_scoped(lambda: R._import_for_run(["a", "b"]))()
    assert seen[1:] == [False, False] and gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()  # a caller's own choice is kept
    try:
        R.collections_scoped(lambda: R._import_for_run(["c"]))()
        assert seen[-1] is False and not gc.isenabled()
    finally:
        gc.enable()

def _pid_of(study) -> int:
    return os.getpid()


def _refuse(study) -> None:
    raise InputError("the step refuses this study")


def _unpicklable(study):
    pid = os.getpid()
    return lambda: pid  # cannot travel back: computed here


@needs_fork
def test_the_steps_after_the_read_come_from_the_reader_in_order(folder: Path) -> None:
    """Regression test: each step's result is what the step gives on the study read here; it
    was computed by the forked reader (its process id), a refusal is raised here as the step
    raises it here, a result that cannot travel is computed here; the reader has ended once
    the last result is taken."""
    protocol = load_protocol("ct071")
    steps = [("rows", lambda s: {k: len(v) for k, v in s.domains.items()}),
             ("dm", lambda s: s.domains["DM"]), ("pid", _pid_of), ("refused", _refuse),
             ("odd", _unpicklable), ("after", _pid_of)]
    study, n, ahead = R.read_ahead(folder, protocol, _validate, steps, later=())
    here = R.read_and_validate(folder, protocol, _validate)
    _same(study, here[0])
    assert n == here[1] and ahead.forked and "dm" in ahead and "other" not in ahead
    assert ahead.take("rows") == {k: len(v) for k, v in here[0].domains.items()}
    pd.testing.assert_frame_equal(ahead.take("dm"), here[0].domains["DM"], check_exact=True)
    assert ahead.take("pid") != os.getpid()  # the reader computed it
    with pytest.raises(InputError, match="the step refuses this study"):
        ahead.take("refused")
    assert ahead.take("odd")() == os.getpid()  # computed here
    assert ahead.take("after") != os.getpid() and not ahead.forked  # the reader has ended


@needs_fork
def test_steps_not_received_when_the_reader_is_ended_are_computed_here(folder: Path) -> None:
    """Cancelling ends the reader; a step taken afterwards is computed here (as a history
    dropped when the safety engine refuses the data, and the efficacy engine after it)."""
    protocol = load_protocol("ct071")
    study, _, ahead = R.read_ahead(folder, protocol, _validate,
                                   [("first", _pid_of), ("second", _pid_of)], later=())
    assert ahead.take("first") != os.getpid()
    ahead.pending("second").cancel()
    assert not ahead.forked and ahead.pending("second").wait() == os.getpid()


def test_without_a_fork_every_step_is_computed_here(folder: Path, monkeypatch) -> None:
    """A large folder (or no fork, or one core): the study read here, every step computed
    here when taken, in whatever order."""
    monkeypatch.setattr(R, "MAX_BYTES", 0)
    protocol = load_protocol("ct071")
    study, _, ahead = R.read_ahead(folder, protocol, _validate,
                                   [("first", _pid_of), ("second", lambda s: len(s["DM"]))],
                                   later=())
    assert not ahead.forked
    assert ahead.take("second") == len(study["DM"]) and ahead.take("first") == os.getpid()
