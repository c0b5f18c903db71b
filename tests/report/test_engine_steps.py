"""report.engine_steps: the escalation history of a study read here, or by the forked reader.

Regression test: the steps the forked reader computes (``ahead_steps``), and the history as a
job of its own (``history_job``) when the study was read in this process.
"""

from __future__ import annotations

from datetime import datetime

from tests.data.minimal_study import minimal_domains


def test_a_study_read_here_has_its_history_in_a_process_of_its_own_as_before() -> None:
    """A study read in this process (a large folder): the history is not one of the reader's
    results but, as before, a job of its own (forked beside the engines for a small trial);
    a history taken from a forked reader is that reader's."""
    from cartrial.data import Study
    from cartrial.protocol import load_protocol
    from cartrial.report.background import Background
    from cartrial.report.engine_steps import ahead_steps, history_job
    from cartrial.report.reader_results import Ahead, Pending

    protocol = load_protocol("ct071")
    study = Study(minimal_domains())
    steps = ahead_steps(protocol, None, None)
    assert [n for n, _ in steps] == ["safety", "efficacy", "history"]
    assert ahead_steps(protocol, datetime(2025, 1, 1).date(), None) == ()
    assert ahead_steps(protocol, None, "sqlite://") == ()
    job = history_job(study, protocol, Ahead(study, steps))
    assert isinstance(job, Background)
    job.cancel()

    class Forked(Ahead):
        forked = True

    assert isinstance(history_job(study, protocol, Forked(study, steps)), Pending)


def test_the_memory_benchmark_wraps_the_engine_steps_by_their_names() -> None:
    """Regression test: ``benchmarks/bench_memory_steps.py`` wraps the engine steps by name,
    in engine_steps and in pipeline (which calls the steps it runs itself by the names it
    imported); a renamed step would be skipped without a word."""
    import importlib
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[2] / "benchmarks" / "bench_memory_steps.py"
    spec = importlib.util.spec_from_file_location("bench_memory_steps", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    for name in ("cartrial.report.engine_steps", "cartrial.report.pipeline"):
        module = importlib.import_module(name)
        assert [n for n in bench.STEPS[name] if not hasattr(module, n)] == []
    assert {"safety_step", "efficacy_step"} <= set(bench.STEPS["cartrial.report.pipeline"])


def _same(got, want, path: str = "") -> None:  # noqa: ANN001
    """Every frame and value of two results equal (dataclasses and dicts walked)."""
    import dataclasses

    import pandas as pd

    if dataclasses.is_dataclass(want):
        for f in dataclasses.fields(want):
            _same(getattr(got, f.name), getattr(want, f.name), f"{path}.{f.name}")
    elif isinstance(want, dict):
        assert list(got) == list(want), path
        for k in want:
            _same(got[k], want[k], f"{path}[{k}]")
    elif isinstance(want, pd.DataFrame):
        pd.testing.assert_frame_equal(got, want, check_exact=True, obj=path)
    else:
        assert got == want, path


def test_safety_grades_in_larger_batches_same_analysis(tmp_path) -> None:  # noqa: ANN001
    """Regression: ``safety_step`` grades the labs ``GRADING_BATCH_SUBJECTS`` subjects at a time;
    its analysis equals the engine's at its default batch and at 7 subjects (a generated
    trial then spans several batches)."""
    from cartrial.report.engine_steps import GRADING_BATCH_SUBJECTS, safety_step
    from cartrial.safety.analysis import analyse_safety
    from cartrial.safety.lab_scope import analysis_lab_scope
    from cartrial.safety.sdtm import LAB_BATCH_SUBJECTS, safety_inputs
    from tests.safety._generated import loaded

    assert GRADING_BATCH_SUBJECTS != LAB_BATCH_SUBJECTS
    study, protocol = loaded(tmp_path, 3, 40)
    got = safety_step(study, protocol)
    for batch in (LAB_BATCH_SUBJECTS, 7):
        _same(got, analyse_safety(
            safety_inputs(study, protocol, scope=analysis_lab_scope(protocol)), protocol,
            keep_labs=False, tables=False, batch_subjects=batch))
