"""report.ars_shared: the analysis-results files written by a forked process and this one,
each taking groups of tables from its own end of one list (issue #18).

The files are compared with :func:`cartrial.report.ars.write_ars` writing every table in turn
(regression tests: the code against itself, written one way and the other)."""

from __future__ import annotations

import filecmp
import time
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

import cartrial.report.outputs as outputs
from cartrial._fork import can_fork
from cartrial.data import write_study
from cartrial.errors import InputError
from cartrial.report.ars import plan_ars, write_ars
from cartrial.report.ars_shared import Ends, SharedResults
from cartrial.report.background import Background
from cartrial.report.pipeline import run_analysis
from cartrial.report.table import ReportTable
from tests.data.minimal_study import minimal_domains

needs_fork = pytest.mark.skipif(not can_fork(), reason="needs fork and a second core")


def test_ends_hand_out_each_group_once_from_either_end() -> None:
    ends = Ends(5, shared=False)
    taken = [ends.back(), ends.front(), ends.back(), ends.front(), ends.front(), ends.back()]
    assert taken == [4, 0, 3, 1, 2, None]
    assert ends.front() is None and Ends(0).front() is None


@needs_fork
def test_ends_across_a_forked_process_hand_out_each_group_once() -> None:
    """The forked process takes groups from the front (slowly), this one from the back: every
    group is taken, once, and both take some."""
    ends = Ends(40)

    def front() -> list[int]:
        got = []
        while (g := ends.front()) is not None:
            got.append(g)
            time.sleep(0.005)
        return got

    job = Background(front)
    back = []
    while (g := ends.back()) is not None:
        back.append(g)
        time.sleep(0.005)
    ahead = job.wait()
    assert ahead and back
    assert sorted(ahead + back) == list(range(40))
    assert ahead == sorted(ahead) and back == sorted(back, reverse=True)


@pytest.fixture(scope="module")
def report_tables(tmp_path_factory) -> tuple[list, dict, dict]:
    """The tables, ADaM datasets and settings a small trial's writing hands the
    analysis-results files."""
    root = tmp_path_factory.mktemp("shared")
    kept = []
    real = outputs.SharedResults

    def keep(tables, ds, tdir, **kw):
        kept.append((tables, ds, kw))
        return real(tables, ds, tdir, **kw)

    outputs.SharedResults = keep
    try:
        write_study(minimal_domains(), root / "sdtm")
        run_analysis(root / "sdtm", "ct071", root / "out", run_date=datetime(2025, 6, 1, 12))
    finally:
        outputs.SharedResults = real
    (tables, ds, kw), = kept
    kw.pop("share"), kw.pop("parallel", None)
    return tables, ds, kw


def _same_files(a: Path, b: Path) -> None:
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    _, differ, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert not differ and not errors


@pytest.mark.slow
@pytest.mark.parametrize(("share", "parallel"), [(True, True), (False, True), (True, False)])
def test_shared_files_are_those_written_in_turn(report_tables, tmp_path: Path, share: bool,
                                                parallel: bool) -> None:
    """Regression test: whichever process writes a group, every table's files have the bytes
    :func:`write_ars` writes in turn, and the same paths are returned in report order."""
    tables, ds, kw = report_tables
    assert len(plan_ars(tables, ds, kw["count_dose_as"]).groups) > 2
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    expected = write_ars(tables, ds, tmp_path / "a", **kw)
    got = SharedResults(tables, ds, tmp_path / "b", share=share, parallel=parallel,
                        **kw).finish()
    assert [p.name for p in got] == [p.name for p in expected]
    _same_files(tmp_path / "a", tmp_path / "b")


def test_a_table_without_metadata_is_refused_before_any_fork(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A table without analysis metadata stops the writing as :func:`write_ars` does, before
    a process is forked for it."""
    import cartrial.report.ars_shared as ars_shared

    forks = []
    monkeypatch.setattr(ars_shared, "Background", lambda *a, **k: forks.append(1))
    t = ReportTable("99.9", "Unknown", "All", pd.DataFrame(
        {"row": ["x"], "column": ["c"], "value": ["1"]}))
    with pytest.raises(InputError, match="99.9"):
        SharedResults([t], {}, tmp_path)
    assert not forks
