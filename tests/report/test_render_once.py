"""`analyze`'s writers doing each piece of work once (issue #18) while writing the same bytes.

The outside reference for the DOCX is python-docx's own writer: a document saved with
``Document.save`` and re-dated entry by entry gives the bytes of the one-pass writer. The
other tests are regression tests: the cached or forked path against the plain one of this code.
"""

from __future__ import annotations

import io
from datetime import datetime

import pandas as pd
from matplotlib.figure import Figure

from cartrial.report.background import Background
from cartrial.report.figure_files import FigureFiles, ForkedFigures, file_bytes
from cartrial.report.render import RunningHeader
from cartrial.report.render_docx import _stamp_zip, _stamped_docx, table_to_docx
from cartrial.report.table import ReportTable

WHEN = datetime(2025, 6, 1, 12, 30, 5)


def _table(n: int = 4) -> ReportTable:
    cells = pd.DataFrame({"row": [f"Patient {i}" for i in range(n) for _ in (0, 1)],
                          "column": ["DL1 (N=3)", "DL2 (N=6)"] * n,
                          "value": [f"{i} (50.0%)" if i % 2 else "" for i in range(2 * n)],
                          "indent": [i % 2 for i in range(n) for _ in (0, 1)]})
    return ReportTable("14.3.1.2", "Grade\u00a0\u22653 events", "Safety", cells,
                       ("Tab\there.",), "ADAE")


def _document(table: ReportTable):
    """A document as table_to_docx builds it, before it is saved (the public call's parts)."""
    from docx import Document

    doc = Document()
    doc.add_paragraph(table.caption, style="Heading 2")
    grid = doc.add_table(rows=1, cols=3)
    grid.style = "Table Grid"
    for j, text in enumerate(["", *table.columns]):
        grid.rows[0].cells[j].text = text
    return doc


def test_one_pass_docx_zip_is_python_docx_save_redated():
    """python-docx's Document.save, every entry then re-dated, against the one-pass writer."""
    doc = _document(_table())
    buf = io.BytesIO()
    doc.save(buf)
    assert _stamped_docx(doc, WHEN) == _stamp_zip(buf.getvalue(), WHEN)


def test_docx_cells_and_styles_are_those_python_docx_public_calls_give(tmp_path):
    """Regression: the written table read back by python-docx (styles by name, every cell
    text, tabs kept as python-docx writes them)."""
    from docx import Document

    t = _table(3)
    path = table_to_docx(t, tmp_path / "t.docx", run_date=WHEN,
                         header=RunningHeader("CT071", "2025-05-31", WHEN))
    doc = Document(str(path))
    assert doc.paragraphs[0].style.name == "Heading 2"
    assert doc.tables[0].style.name == "Table Grid"
    got = [[c.text for c in r.cells] for r in doc.tables[0].rows]
    assert got[0] == ["", "DL1 (N=3)", "DL2 (N=6)"]
    assert got[1:] == [["   " * (i % 2) + f"Patient {i}", *t.wide().iloc[i].tolist()]
                       for i in range(3)]
    assert table_to_docx(t, tmp_path / "u.docx", run_date=WHEN, header=RunningHeader(
        "CT071", "2025-05-31", WHEN)).read_bytes() == path.read_bytes()


def test_wide_is_pivoted_once_and_handed_out_as_a_copy():
    """Regression: the cached wide frame equals a fresh pivot; changing a copy changes
    nothing else."""
    t = _table()
    fresh = t.cells.pivot(index="row", columns="column", values="value").reindex(
        index=t.rows, columns=t.columns).fillna("")
    a = t.wide()
    pd.testing.assert_frame_equal(a, fresh)
    a.iloc[0, 0] = "changed"
    pd.testing.assert_frame_equal(t.wide(), fresh)
    assert t.wide() is not t.wide()


def test_forked_figures_render_every_figure_in_one_process_with_the_bytes_rendered_in_turn(
        monkeypatch):
    """Three figures' files rendered by one forked process (one Background, started by
    ``start``), against each figure rendered here (regression test for the bytes); nothing
    is started while the figures are stored, a figure stored again is rendered once, as
    stored last, and files given as bytes are kept as they are."""
    import cartrial.report.figure_files as ff

    started = []

    class Counted(Background):
        def __init__(self, fn, **kw):
            started.append(fn)
            super().__init__(fn, **kw)

    monkeypatch.setattr(ff, "Background", Counted)
    figs_here = []
    for k in range(3):
        fig = Figure(figsize=(3, 2))
        fig.subplots().plot([0, 1, 2], [1, k, 2], label=f"DL{k}")
        figs_here.append(fig)
    here = [FigureFiles(f).render() for f in figs_here]
    figs = ForkedFigures()
    figs["a"] = FigureFiles(figs_here[2])
    figs["a"] = FigureFiles(figs_here[0])  # stored again: only the last is rendered
    figs["b"] = (b"png", b"svg")
    figs["c"] = FigureFiles(figs_here[1])
    figs["d"] = FigureFiles(figs_here[2])
    assert started == []
    figs.start()
    figs.start()  # nothing left to start
    assert len(started) == 1 and len(started[0].args[0]) == 3
    assert [file_bytes(figs[k]) for k in "acd"] == here
    assert file_bytes(figs["b"]) == (b"png", b"svg")


def test_forked_figures_not_started_are_rendered_when_written():
    """Regression: a figure never started gives the bytes rendered here."""
    fig = Figure(figsize=(3, 2))
    fig.subplots().plot([0, 1, 2], [1, 0, 2])
    figs = ForkedFigures()
    figs["a"] = FigureFiles(fig)
    assert file_bytes(figs["a"]) == FigureFiles(fig).render()


def _adam_writer(ds):
    from functools import partial

    from cartrial.report.staged_adam import _write

    return partial(_write, ds, "CT071", "p" * 64, "d" * 64, WHEN, "xpt")


def _tiny_adam() -> dict:
    return {"ADSL": pd.DataFrame({"STUDYID": ["CT071"] * 2, "USUBJID": ["S1", "S2"],
                                  "AGE": [61, 58]})}


def test_staged_adam_files_are_those_written_in_turn_and_appear_only_when_written(tmp_path):
    """Regression: the ADaM files staged by a forked process against the same files written
    here; nothing in the output folder before ``write``, no staging folder after."""
    from cartrial.report.staged_adam import StagedDatasets

    ds = _tiny_adam()
    _adam_writer(ds)(tmp_path / "plain")
    staged = StagedDatasets(_adam_writer(ds), parallel=True)
    out = tmp_path / "out" / "adam"
    assert not out.exists()
    stage = staged._stage
    staged.write(out)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        p.name for p in (tmp_path / "plain").iterdir())
    for p in out.iterdir():
        assert p.read_bytes() == (tmp_path / "plain" / p.name).read_bytes(), p.name
    assert stage is None or not stage.exists()


def test_a_run_that_stops_leaves_no_staging_folder():
    """The staged writing of a run that stopped before writing is removed with the run."""
    import gc

    from cartrial.report.staged_adam import StagedDatasets

    staged = StagedDatasets(_adam_writer(_tiny_adam()), parallel=True)
    stage = staged._stage
    del staged
    gc.collect()
    assert stage is None or not stage.exists()


def test_history_refused_in_its_forked_process_is_named_before_14_6(tmp_path, monkeypatch):
    """The escalation history re-derived in a forked process: its refusal (and that of 14.6)
    is reported as when run in turn, history first; without --allow-partial nothing is
    written."""
    import json

    from typer.testing import CliRunner

    import cartrial.report.engine_steps as engine_steps
    import cartrial.report.recommended_dose as rd
    from cartrial.cli.main import app
    from cartrial.data import write_study
    from cartrial.errors import RecordError
    from tests.data.minimal_study import minimal_domains

    def refuse(*args, **kwargs):
        raise RecordError(domain="AE", usubjid="CT071-001-001", seq=3, variable="AETOXGR",
                          value="9", rule="grade must be 1-5")

    monkeypatch.setattr(engine_steps, "escalation_history", refuse)
    monkeypatch.setattr(rd, "recommended_dose_section", refuse)
    write_study(minimal_domains(), tmp_path / "sdtm")
    args = ["analyze", "--protocol", "ct071", str(tmp_path / "sdtm"), "--run-date",
            "2025-06-01T12:00:00"]
    r = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "no")])
    assert r.exit_code == 2 and "Escalation history" in r.output, r.output
    assert not (tmp_path / "no").exists() or not any((tmp_path / "no").rglob("*.*"))
    r = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "out"), "--allow-partial",
                                 "--json"])
    assert r.exit_code == 0, r.output
    omitted = json.loads(r.stdout[r.stdout.index("{"):])["omitted"]
    assert [o.split(" (")[0] for o in omitted] == ["Escalation history", "Recommended dose"]
    assert all("AESEQ=3" in o for o in omitted)
