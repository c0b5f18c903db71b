"""report.outputs: the writers of a small trial, side by side in as few processes as there are
cores to use (issue #18).

The bytes of a run whose writers run side by side against a run in turn are checked by
``tests/report/test_pipeline.py``; here, which work goes to a forked process.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

import cartrial.report.background as background
from cartrial._fork import can_fork
from cartrial.data import write_study
from cartrial.report.pipeline import run_analysis
from tests.data.minimal_study import minimal_domains

pytestmark = pytest.mark.slow


@pytest.mark.skipif(not can_fork(), reason="needs fork and a second core")
def test_the_writers_fork_once_for_the_figure_files_and_once_for_the_analysis_results(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every figure's PNG and SVG files come from one forked process and every table's
    analysis-results files from another (not a process per figure, nor two halves of the
    tables), and every figure file and analysis-results file is written."""
    forked: list[str] = []
    real = background.Background.__init__

    def noted(self, fn, *, parallel: bool = True) -> None:
        real(self, fn, parallel=parallel)
        if self.forked:
            forked.append(getattr(getattr(fn, "func", fn), "__name__", repr(fn)))

    monkeypatch.setattr(background.Background, "__init__", noted)
    write_study(minimal_domains(), tmp_path / "sdtm")
    summary = run_analysis(tmp_path / "sdtm", "ct071", tmp_path / "out",
                           run_date=datetime(2025, 6, 1, 12))
    assert forked.count("_render_all") == 1 and forked.count("write_groups") == 1, forked
    pngs = sorted((tmp_path / "out" / "figures").glob("*.png"))
    assert len(pngs) > 1
    assert all(p.with_suffix(".svg").exists() for p in pngs)
    tables = sorted((tmp_path / "out" / "tables").glob("table_*.txt"))
    assert tables and len(summary.tables) >= len(tables)
    assert all(p.with_suffix(".ard.json").exists() for p in tables)


@pytest.mark.skipif(not can_fork(), reason="needs fork and a second core")
def test_a_large_trial_s_analysis_results_are_forked_and_shared(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #18: a trial written in turn (here every trial, by a limit of 0 subjects) still
    writes its analysis-results files in a forked process, this process taking its share of
    the tables once its own files are written; the figure files stay in this process."""
    import cartrial.report.ars_shared as ars_shared
    import cartrial.report.outputs as outputs

    forked: list[str] = []
    shared: list[bool] = []
    real_bg, real_shared = background.Background.__init__, ars_shared.SharedResults.__init__

    def noted(self, fn, *, parallel: bool = True) -> None:
        real_bg(self, fn, parallel=parallel)
        if self.forked:
            forked.append(getattr(getattr(fn, "func", fn), "__name__", repr(fn)))

    def noted_shared(self, *a, share: bool = True, **k) -> None:
        shared.append(share)
        real_shared(self, *a, share=share, **k)

    monkeypatch.setattr(background.Background, "__init__", noted)
    monkeypatch.setattr(ars_shared.SharedResults, "__init__", noted_shared)
    monkeypatch.setattr(outputs, "PARALLEL_MAX_SUBJECTS", 0)
    write_study(minimal_domains(), tmp_path / "sdtm")
    run_analysis(tmp_path / "sdtm", "ct071", tmp_path / "out", run_date=datetime(2025, 6, 1, 12))
    assert forked.count("write_groups") == 1 and "_render_all" not in forked, forked
    assert shared == [True]
    tables = sorted((tmp_path / "out" / "tables").glob("table_*.txt"))
    assert tables and all(p.with_suffix(".ard.json").exists() for p in tables)


def test_the_report_s_freed_pages_handed_back_before_the_table_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #18 (memory): once report.html is written (its pieces freed), the heap's free
    pages are handed back before the table files are written, so those start low."""
    import cartrial.report.outputs as outputs

    seen: list[tuple[bool, int]] = []
    out = tmp_path / "out"
    monkeypatch.setattr(outputs, "release_freed_memory", lambda: seen.append(
        ((out / "report.html").exists(), len(list((out / "tables").glob("*.txt"))))))
    write_study(minimal_domains(), tmp_path / "sdtm")
    run_analysis(tmp_path / "sdtm", "ct071", out, run_date=datetime(2025, 6, 1, 12))
    assert seen == [(True, 0)]


def test_a_listing_s_text_file_is_its_text(tmp_path: Path) -> None:
    """Issue #18 (memory): the text files are written line by line; their bytes are
    table_to_text's, UTF-8 (a listing and a table, one with a non-ASCII value)."""
    import pandas as pd

    from cartrial.report.document import Section
    from cartrial.report.outputs import _write_items
    from cartrial.report.render import RunningHeader, table_to_text
    from cartrial.report.table import table_from_wide

    listing = table_from_wide("16.2.1", "L", "All", pd.DataFrame(
        {"Subject": ["01", "02"], "Term": ["Fi\u00e8vre", "Rash"]}), kind="listing")
    table = table_from_wide("14.1.1", "T", "All", pd.DataFrame({"Dose": ["DL1"], "N": ["3"]}),
                            row_label="Dose")
    (tmp_path / "tables").mkdir()
    _write_items([Section("S", (listing, table))], tmp_path, datetime(2026, 1, 1),
                 RunningHeader("CT071", "2026-01-01", datetime(2026, 1, 1)))
    for t, name in ((listing, "listing_16_2_1.txt"), (table, "table_14_1_1.txt")):
        assert (tmp_path / "tables" / name).read_bytes() == table_to_text(t).encode("utf-8")
