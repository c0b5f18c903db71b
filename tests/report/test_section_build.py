"""report.section_build: the report's sections built in two processes are those built in turn.

Regression tests (the forked path against the in-process path it stands beside, which stays
the path of a large trial and of a machine without ``fork`` or a second core): the same
sections (the HTML report and every table's text), the same figure files in the same order,
and the error a run in turn raises. The sections' own contents are checked against their
references elsewhere (tests/report/test_sections.py, test_csr_tables.py, ...); the files of a
whole run by ``benchmarks/compare_outputs.py``.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from cartrial._fork import can_fork
from cartrial.errors import InputError
from cartrial.report.document import Provenance, Section, render_document
from cartrial.report.figure_files import EagerFigures, ForkedFigures, file_bytes
from cartrial.report.render import table_to_text
from cartrial.report.section_build import FORKED, build_groups, section_groups
from cartrial.report.table import ReportTable

needs_fork = pytest.mark.skipif(not can_fork(), reason="needs fork and a second core")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """What ``analyze`` hands ``build_sections`` on the CT071 example (captured in a run)."""
    import cartrial.report.pipeline as P
    from cartrial.example import simulate_trial, write_example
    from cartrial.protocol import load_protocol

    base = tmp_path_factory.mktemp("split")
    write_example(simulate_trial(load_protocol("ct071"), seed=20240228), base / "sdtm")
    got: list = []
    real = P.build_sections

    def capture(*args, **kw):
        got.append(args)
        return real(*args, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(P, "build_sections", capture)
    try:
        P.run_analysis(base / "sdtm", "ct071", base / "out", run_date=datetime(2026, 1, 1))
    finally:
        mp.undo()
    study, protocol, ds, safety, efficacy, kin, _, history = got[0]
    return study, protocol, ds, safety, efficacy, kin, history


def _seen(secs: list[Section], figures: dict) -> tuple:
    """Everything a reader gets of the sections: the HTML report, each table's text, the figure
    files' names (in order) and bytes."""
    prov = Provenance("0", "ct071", "p", "d", "h", datetime(2026, 1, 1), "2026-01-01")
    html = render_document("CT071", "title", secs, prov)
    texts = [table_to_text(it) for s in secs for it in s.items if isinstance(it, ReportTable)]
    return html, texts, [(k, file_bytes(v)) for k, v in figures.items()]


@needs_fork
def test_forked_sections_and_figure_files_equal_those_built_in_turn(inputs: tuple,
                                                                    tmp_path: Path,
                                                                    monkeypatch) -> None:
    """Regression test: on the CT071 example, 14.5 built by a forked process (its figure
    files rendered there) gives the same report, tables and figure files, in the same order,
    as every section built in this process; so does every section built here with the
    figure files handed to forked processes as they are stored (a large trial's way)."""
    import cartrial.report.kinetics_items as K

    real = K.kinetics_items
    pid_file = tmp_path / "pid"

    def kinetics_items(*args, **kw):  # records which process built 14.5
        pid_file.write_text(str(os.getpid()))
        return real(*args, **kw)

    monkeypatch.setattr(K, "kinetics_items", kinetics_items)
    in_turn = EagerFigures(forked=False)
    alone = build_groups(section_groups(*inputs), in_turn)
    assert int(pid_file.read_text()) == os.getpid()
    forked = ForkedFigures()
    split = build_groups(section_groups(*inputs), forked, parallel=True)
    assert int(pid_file.read_text()) != os.getpid()  # 14.5 was built by the forked process
    assert "14.5" in FORKED and [s.title for s in split] == [s.title for s in alone]
    assert any(s.title.startswith("14.5") for s in split)
    assert _seen(split, forked) == _seen(alone, in_turn)
    # a large trial's way: in turn, each figure's files rendered by forked processes
    handed = EagerFigures()
    assert _seen(build_groups(section_groups(*inputs), handed), handed) == _seen(alone, in_turn)


def _group(name: str, fail: bool = False):
    def build(figures: dict) -> list[Section]:
        figures[f"fig_{name}"] = (name.encode(), b"<svg/>")
        if fail:
            raise InputError(f"group {name} refuses the data")
        return [Section(name, ())]
    return name, build


@needs_fork
@pytest.mark.parametrize(("failing", "raised"), [
    (("a", "b", "c"), "group a"),  # this process's error comes before the forked one's
    (("b", "c"), "group b"),  # the forked group's error comes before this process's later one
    (("c",), "group c"),
    ((), None),
])
def test_the_first_error_in_report_order_is_raised(failing: tuple, raised: str | None) -> None:
    """Regression test: the error raised is the one a run in turn raises (and the figures
    stored are those of the groups before it, in order), whichever process built the group."""
    groups = [_group(n, n in failing) for n in ("a", "b", "c")]
    results = []
    for parallel in (False, True):
        figures: dict = {}
        try:
            titles = [s.title for s in build_groups(groups, figures, parallel=parallel,
                                                     forked=("b",))]
        except InputError as exc:
            titles = [str(exc)]
        results.append((titles, list(figures)))
    assert results[0] == results[1]
    if raised is not None:
        assert results[1][0] == [f"{raised} refuses the data"]
    else:
        assert results[1] == (["a", "b", "c"], ["fig_a", "fig_b", "fig_c"])


@needs_fork
def test_an_error_that_cannot_travel_keeps_its_text() -> None:
    """Regression test: a forked group's error that pickling cannot rebuild comes back as a
    RuntimeError with its class and text."""
    class Odd(Exception):
        def __init__(self, a: int, b: int) -> None:
            super().__init__(f"odd {a} {b}")

    def build(figures: dict) -> list[Section]:
        raise Odd(1, 2)

    with pytest.raises(RuntimeError, match="Odd: odd 1 2"):
        build_groups([("a", lambda f: []), ("b", build)], {}, parallel=True, forked=("b",))


def test_without_parallel_every_group_is_built_here_in_turn() -> None:
    """Regression test: not parallel (a large trial), no process is started: every group
    is built in this process with the caller's figure dictionary."""
    pids: list[int] = []

    def build(figures: dict) -> list[Section]:
        pids.append(os.getpid())
        figures["f"] = (b"png", b"svg")
        return [Section("x", ())]

    figures: dict = {}
    secs = build_groups([("a", build), ("b", build)], figures, forked=("b",))
    assert [s.title for s in secs] == ["x", "x"] and pids == [os.getpid()] * 2
    assert figures == {"f": (b"png", b"svg")}


def test_in_turn_each_group_starts_from_what_is_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #18 (memory): built in turn, the heap's freed pages are handed back to the system
    after each group (``release_freed_memory``), so a group's peak is not stacked on the
    garbage of the one before (at 10,000 patients 40-90 MiB a group)."""
    import cartrial.report.section_build as section_build

    seen: list[str] = []
    monkeypatch.setattr(section_build, "release_freed_memory", lambda: seen.append("trim"))

    def group(name: str):
        def build(figures: dict) -> list[Section]:
            seen.append(name)
            return [Section(name, ())]
        return name, build

    secs = build_groups([group("a"), group("b"), group("c")], {})
    assert [s.title for s in secs] == ["a", "b", "c"]
    assert seen == ["a", "trim", "b", "trim", "c", "trim"]


def _figure_group(name: str, fail: bool = False):
    from matplotlib.figure import Figure

    from cartrial.report.figure_files import FigureFiles

    def build(figures: dict) -> list[Section]:
        fig = Figure(figsize=(2, 2))
        fig.subplots().plot([0, 1], [0, len(name)])
        figures[f"fig_{name}"] = FigureFiles(fig)
        if fail:
            raise InputError(f"group {name} refuses the data")
        return [Section(name, ())]
    return name, build


@needs_fork
@pytest.mark.parametrize("fail", [False, True])
def test_the_figures_built_here_start_rendering_before_the_forked_group_is_waited_for(
        monkeypatch: pytest.MonkeyPatch, fail: bool) -> None:
    """Issue #18: the figure files of the groups built here are started (one forked process)
    before this process waits for the forked group, unless a group here failed; the files are
    those each figure renders alone, in the same order."""
    from cartrial.report.background import Background
    from cartrial.report.figure_files import FigureFiles, Rendering

    seen: list[str] = []
    start, wait = ForkedFigures.start, Background.wait
    monkeypatch.setattr(ForkedFigures, "start", lambda self: seen.append("start") or start(self))
    monkeypatch.setattr(Background, "wait", lambda self: seen.append("wait") or wait(self))
    groups = [_figure_group("a", fail), _figure_group("b"), _figure_group("cc")]
    figures = ForkedFigures()
    try:
        build_groups(groups, figures, parallel=True, forked=("b",))
    except InputError:
        assert fail
    if fail:
        assert seen == ["wait"] and isinstance(figures["fig_a"], FigureFiles)
        return
    assert seen == ["start", "wait"] and list(figures) == ["fig_a", "fig_b", "fig_cc"]
    assert [type(figures[k]) for k in ("fig_a", "fig_cc")] == [Rendering, Rendering]
    alone: dict = EagerFigures(forked=False)
    build_groups(groups, alone)
    assert [(k, file_bytes(v)) for k, v in figures.items()] == list(alone.items())


@needs_fork
def test_the_forked_group_is_built_without_garbage_collections() -> None:
    """Issue #18: the forked process builds its group with the collector off (it ends right
    after, its garbage with it); this process's collector is left on."""
    import gc

    def build(figures: dict) -> list[Section]:
        return [Section(f"collector {'on' if gc.isenabled() else 'off'}", ())]

    secs = build_groups([("a", build), ("b", build)], {}, parallel=True, forked=("b",))
    assert [s.title for s in secs] == ["collector on", "collector off"] and gc.isenabled()


@needs_fork
def test_in_turn_the_last_figures_waiting_are_handed_over_when_the_groups_are_built() -> None:
    """Issue #18: a large trial's figures go to forked processes as they are stored
    (:class:`EagerFigures`); those stored while one renders wait, and are handed over once the
    last group is built (nothing else would start them before they are written). The files
    are those each figure renders alone (regression test)."""
    import time

    from matplotlib.figure import Figure

    from cartrial.report.figure_files import FigureFiles

    class Slow(FigureFiles):
        def render(self) -> tuple[bytes, bytes]:
            time.sleep(1.0)
            return super().render()

    def build(figures: dict) -> list[Section]:
        for name, kind in (("slow", Slow), ("next", FigureFiles)):
            fig = Figure(figsize=(2, 2))
            fig.subplots().plot([0, 1], [0, len(name)])
            figures[name] = kind(fig)
        return [Section("a", ())]

    figures = EagerFigures()
    build_groups([("a", build)], figures)
    assert figures["next"].batch.started and figures["next"].batch is not figures["slow"].batch
    alone = EagerFigures(forked=False)
    build_groups([("a", build)], alone)
    assert [(k, file_bytes(v)) for k, v in figures.items()] == list(alone.items())
