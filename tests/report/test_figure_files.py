"""report.figure_files: a large trial's figure files rendered by forked processes as each
figure is stored (issue #18).

Regression tests: the files handed to forked processes against each figure rendered here (the
path of a machine without ``fork`` or a second core, and of ``forked=False``); the processes'
count and batching, the figures let go here once handed over, and an error raised where the
files are asked for. The bytes of the report's own figures are checked against recorded digests
in tests/report/test_figure_bytes.py; a whole run's files by ``benchmarks/compare_outputs.py``.
"""

from __future__ import annotations

import gc
import time
import weakref

import pytest
from matplotlib.figure import Figure

import cartrial.report.figure_files as ff
from cartrial._fork import can_fork
from cartrial.errors import InputError
from cartrial.report.background import Background
from cartrial.report.figure_files import EagerFigures, FigureFiles, Rendering, file_bytes

needs_fork = pytest.mark.skipif(not can_fork(), reason="needs fork and a second core")


def _figure(k: int) -> Figure:
    fig = Figure(figsize=(3, 2))
    fig.subplots().plot([0, 1, 2], [1, k, 2], label=f"DL{k}")
    return fig


class _Slow(FigureFiles):
    """Renders after a pause: the figures stored meanwhile find its process still running."""

    def render(self) -> tuple[bytes, bytes]:
        time.sleep(1.0)
        return super().render()


class _Refused(FigureFiles):
    def render(self) -> tuple[bytes, bytes]:
        raise InputError("this figure refuses to be drawn")


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list:
    """The functions handed to forked processes, in order."""
    seen: list = []

    class Counted(Background):
        def __init__(self, fn, **kw):
            seen.append(fn)
            super().__init__(fn, **kw)

    monkeypatch.setattr(ff, "Background", Counted)
    return seen


def test_not_forked_renders_each_figure_as_it_is_stored(started: list) -> None:
    figs = EagerFigures(forked=False)
    figs["a"] = FigureFiles(_figure(1))
    figs["b"] = (b"png", b"svg")
    assert figs["a"] == FigureFiles(_figure(1)).render() and figs["b"] == (b"png", b"svg")
    figs.start()
    assert started == []


@needs_fork
def test_figures_stored_while_one_renders_wait_and_go_together_in_the_same_bytes(
        started: list) -> None:
    """One process for the first figure; the two stored while it renders wait (a bytes entry
    is kept as it is), then go to one process by ``start``; every file is the one rendered
    here."""
    here = [FigureFiles(_figure(k)).render() for k in range(3)]
    figs = EagerFigures()
    figs["a"] = _Slow(_figure(0))
    figs["b"] = FigureFiles(_figure(1))
    figs["flow"] = (b"png", b"svg")
    figs["c"] = FigureFiles(_figure(2))
    assert len(started) == 1
    figs.start()
    figs.start()  # nothing left to hand over
    assert len(started) == 2 and figs["b"].batch is figs["c"].batch is not figs["a"].batch
    assert [type(figs[k]) for k in "abc"] == [Rendering] * 3
    assert [file_bytes(figs[k]) for k in "abc"] == here
    assert file_bytes(figs["flow"]) == (b"png", b"svg")


@needs_fork
def test_a_figure_stored_once_the_last_process_ended_goes_at_once(started: list) -> None:
    figs = EagerFigures()
    figs["a"] = FigureFiles(_figure(0))
    file_bytes(figs["a"])  # waited for: its process has ended
    figs["b"] = FigureFiles(_figure(1))
    assert len(started) == 2
    assert file_bytes(figs["b"]) == FigureFiles(_figure(1)).render()


@needs_fork
def test_files_asked_before_they_were_handed_over_are_rendered_then() -> None:
    figs = EagerFigures()
    figs["a"] = _Slow(_figure(0))
    figs["b"] = FigureFiles(_figure(1))  # waits: "a" still renders
    assert file_bytes(figs["b"]) == FigureFiles(_figure(1)).render()
    figs["c"] = FigureFiles(_figure(2))  # after "b"'s batch was started by the question
    assert file_bytes(figs["c"]) == FigureFiles(_figure(2)).render()


@needs_fork
def test_the_figure_is_let_go_here_and_the_process_ends_before_its_files_are_asked() -> None:
    """Memory: once handed over, this process holds no reference to the figure, and the
    forked process's files are read as they come (it does not live on until written)."""
    fig = _figure(0)
    alive = weakref.ref(fig)
    figs = EagerFigures()
    figs["a"] = FigureFiles(fig)
    del fig
    gc.collect()
    assert alive() is None
    running = figs._running
    for _ in range(600):
        if running.done():
            break
        time.sleep(0.05)
    assert running.done()
    assert file_bytes(figs["a"])[0][:4] == b"\x89PNG"


@needs_fork
def test_an_error_of_a_forked_rendering_is_raised_where_the_files_are_asked() -> None:
    figs = EagerFigures()
    figs["a"] = _Refused(_figure(0))
    with pytest.raises(InputError, match="refuses"):
        file_bytes(figs["a"])
