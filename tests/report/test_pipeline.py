"""report.pipeline: the engines computed by the process that reads the study (issue #18).

Regression test: a run whose safety engine and escalation history are computed by the forked
reader (``report.study_read.read_ahead``; the efficacy engine here, ``pipeline.HERE``, and the
ADaM files' writer started before the history is waited for) writes the files a run computing
them in this process writes, byte for byte.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

import cartrial.efficacy.study_run as study_run
import cartrial.report.background as background
import cartrial.report.reader_results as reader_results
import cartrial.report.staged_adam as staged_adam
import cartrial.safety.analysis as safety_analysis
from cartrial._fork import can_fork
from cartrial.data import write_study
from cartrial.report.pipeline import run_analysis
from tests.data.minimal_study import minimal_domains

pytestmark = pytest.mark.slow


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.mark.skipif(not can_fork(), reason="needs fork and a second core")
def test_engines_computed_by_the_reader_write_the_files_of_a_run_in_turn(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_study(minimal_domains(), tmp_path / "sdtm")
    pids = tmp_path / "safety-pids"
    engine = safety_analysis.analyse_safety

    def noted(*args, **kwargs):  # which process ran the safety engine
        with pids.open("a") as f:
            f.write(f"{os.getpid()}\n")
        return engine(*args, **kwargs)

    monkeypatch.setattr(safety_analysis, "analyse_safety", noted)
    # the order of the run's waits: the ADaM files' writer is started before the history
    # (computed by the reader) is waited for, and the efficacy engine runs in this process
    order: list[str] = []
    stage, wait, run_eff = (staged_adam.stage_datasets, reader_results.Pending.wait,
                            study_run.efficacy_run)
    monkeypatch.setattr(staged_adam, "stage_datasets",
                        lambda *a, **k: order.append("ADaM files") or stage(*a, **k))
    monkeypatch.setattr(reader_results.Pending, "wait",
                        lambda self: order.append("history") or wait(self))
    monkeypatch.setattr(study_run, "efficacy_run", lambda *a, **k: order.append(
        f"efficacy {'here' if os.getpid() == here_pid else 'away'}") or run_eff(*a, **k))
    here_pid = os.getpid()
    run = datetime(2025, 6, 1, 12)
    beside = run_analysis(tmp_path / "sdtm", "ct071", tmp_path / "beside", run_date=run)
    assert pids.read_text().split() != [str(os.getpid())]  # computed by the reader
    assert order == ["efficacy here", "ADaM files", "history"]
    pids.unlink()
    monkeypatch.setattr(background, "can_fork", lambda: False)
    monkeypatch.setattr(staged_adam, "can_fork", lambda: False)
    here = run_analysis(tmp_path / "sdtm", "ct071", tmp_path / "here", run_date=run)
    assert pids.read_text().split() == [str(os.getpid())]  # computed here
    assert (beside.datasets, beside.tables, beside.figures, beside.omitted) == (
        here.datasets, here.tables, here.figures, here.omitted)
    a, b = _files(tmp_path / "beside"), _files(tmp_path / "here")
    assert list(a) == list(b) and len(a) > 100
    assert [k for k in a if a[k] != b[k]] == []


def test_datasets_only_the_files_read_are_freed_once_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression (issue #18: memory): once the ADaM files are staged the run holds no
    reference to ADLB (``staged_adam.WRITTEN_ONLY``: read by no table) while the tables and
    figures are built; its files are written all the same and the summary counts its
    records."""
    import gc
    import weakref

    import cartrial.report.pipeline as pipeline

    seen: dict = {}
    stage, build = staged_adam.stage_datasets, pipeline.build_sections

    def staged(ds, *args, **kwargs):
        seen["ADLB"] = weakref.ref(ds["ADLB"])
        return stage(ds, *args, **kwargs)

    def sections(*args, **kwargs):
        gc.collect()
        seen["held"] = seen["ADLB"]() is not None
        return build(*args, **kwargs)

    monkeypatch.setattr(staged_adam, "stage_datasets", staged)
    monkeypatch.setattr(pipeline, "build_sections", sections)
    write_study(minimal_domains(), tmp_path / "sdtm")
    run = run_analysis(tmp_path / "sdtm", "ct071", tmp_path / "out",
                       run_date=datetime(2025, 6, 1, 12))
    assert seen["held"] is False
    n = sum(1 for _ in (tmp_path / "out" / "adam" / "adlb.csv").open()) - 1
    assert run.datasets["ADLB"] == n > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "sdtm"]  # no stage left


@pytest.mark.skipif(not can_fork(), reason="needs fork and a second core")
def test_a_stop_at_the_history_leaves_no_staged_adam_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ADaM files' writer is started before the history is waited for: when the history
    is then refused (no ``--allow-partial``) the run stops, nothing is written to ``out`` and
    the staging folder is removed (``staged_adam``: a stop before the outputs discards it)."""
    import gc
    import tempfile

    import cartrial.report.engine_steps as engine_steps
    from cartrial.errors import InputError

    def refused(*args, **kwargs):  # in the forked reader too (forked after this patch)
        raise InputError("no history for this test")

    monkeypatch.setattr(engine_steps, "escalation_history", refused)
    started: list[str] = []
    stage = staged_adam.stage_datasets
    monkeypatch.setattr(staged_adam, "stage_datasets",
                        lambda *a, **k: started.append("ADaM files") or stage(*a, **k))
    (tmp_path / "tmp").mkdir()  # the staging folder goes here (a small trial's: the system's)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    write_study(minimal_domains(), tmp_path / "sdtm")
    with pytest.raises(InputError, match="cannot be produced whole"):
        run_analysis(tmp_path / "sdtm", "ct071", tmp_path / "out",
                     run_date=datetime(2025, 6, 1, 12))
    gc.collect()  # the run's frame (and its staged writer) released with the error
    assert started == ["ADaM files"]  # the writer had started
    assert not (tmp_path / "out").exists()
    assert list((tmp_path / "tmp").iterdir()) == []
