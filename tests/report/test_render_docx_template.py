"""The DOCX template read once, its style sheet shared and its parts deflated once (issue #18).

The parts of a new document are checked against python-docx's own ``docx.Document()`` (the
library, called directly) and the zip entries against ``zipfile.ZipFile.writestr``; the whole
files against those of the path with ``docx.Document()`` per table, every part serialised and
deflated per file, are regression tests of the fast path and say so.
"""

from __future__ import annotations

import threading
import zipfile
from datetime import datetime
from io import BytesIO

import docx
import pandas as pd
import pytest

import cartrial.report.render_docx as render_docx
from cartrial.report.render import RunningHeader
from cartrial.report.render_docx_template import new_document, part_blob, template_blobs
from cartrial.report.table import ReportTable

WHEN = datetime(2026, 7, 1, 12, 30)


def _table(n: int, ncol: int, footnotes=("Percentages of N.",)) -> ReportTable:
    labels = [f"DL{k} (N={k + 2})" for k in range(ncol)]
    cells = pd.DataFrame({"row": [f"Patient {i} \u2013 <{i}> & \u00e9" for i in range(n)
                                  for _ in labels],
                          "column": labels * n,
                          "value": [f"{i % 4}\t({12.5 * (i % 4):.1f})" for i in range(n * ncol)],
                          "indent": [i % 3 for i in range(n) for _ in labels]})
    return ReportTable("14.3.1", "Adverse events by grade", "Safety", cells, footnotes, "ADAE")


def test_a_new_document_has_the_parts_of_docx_document():
    ours, theirs = new_document(), docx.Document()
    a, b = ours.part.package.parts, theirs.part.package.parts
    assert [p.partname for p in a] == [p.partname for p in b]
    assert [part_blob(p) for p in a] == [p.blob for p in b]
    assert [p.rels.xml for p in a] == [p.rels.xml for p in b]


def test_documents_do_not_share_their_content():
    a, b = new_document(), new_document()
    a.add_paragraph("a")
    a.sections[0].header.paragraphs[0].text = "head of a"
    assert [p.text for p in b.paragraphs] == []
    assert b.sections[0].header.paragraphs[0].text == ""


def _plain(monkeypatch) -> None:
    """The path before issue #18's template reuse: docx.Document() per table, every part
    serialised and deflated by zipfile.writestr."""
    monkeypatch.setattr(render_docx, "new_document", docx.Document)
    monkeypatch.setattr(render_docx, "part_blob", lambda p: p.blob)
    monkeypatch.setattr(render_docx, "template_blobs", frozenset)


@pytest.mark.parametrize(("n", "ncol", "head"), [(3, 2, False), (40, 3, True), (12, 9, True)])
def test_files_are_those_of_docx_document(tmp_path, monkeypatch, n, ncol, head):
    """Regression: short, long and wide (landscape) tables, with and without a running header,
    each written twice (the second deflation replayed) against the plain path."""
    t = _table(n, ncol)
    h = RunningHeader("CT071", "2026-06-30", WHEN) if head else None
    first = render_docx.table_to_docx(t, tmp_path / "1.docx", run_date=WHEN, header=h)
    again = render_docx.table_to_docx(t, tmp_path / "2.docx", run_date=WHEN, header=h)
    _plain(monkeypatch)
    plain = render_docx.table_to_docx(t, tmp_path / "p.docx", run_date=WHEN, header=h)
    assert first.read_bytes() == again.read_bytes() == plain.read_bytes()


def test_the_entries_are_zipfiles_own():
    """Each entry, replayed or not, reads back through zipfile with its CRC checked."""
    doc = new_document()
    blobs = {p.partname.membername: part_blob(p) for p in doc.part.package.parts}
    render_docx._stamped_docx(doc, WHEN)
    raw = render_docx._stamped_docx(new_document(), WHEN)  # the second from the replay
    with zipfile.ZipFile(BytesIO(raw)) as z:
        assert z.testzip() is None
        for name, blob in blobs.items():
            assert z.read(name) == blob
    assert any(b in template_blobs() for b in blobs.values())
    # the replay is in use (zipfile's entry writer still has the deflater it replaces)
    assert render_docx._DEFLATED and set(render_docx._DEFLATED) <= template_blobs()


def test_the_shared_style_sheet_is_unchanged_by_writing(tmp_path):
    before = docx.Document().styles.element.xml
    for k, (n, ncol) in enumerate([(3, 2), (12, 9)]):
        render_docx.table_to_docx(_table(n, ncol), tmp_path / f"{k}.docx", run_date=WHEN,
                                  header=RunningHeader("CT071", "", WHEN))
    assert new_document().styles.element.xml == before


def test_threads_write_the_same_bytes(tmp_path):
    t = _table(20, 3)
    want = render_docx.table_to_docx(t, tmp_path / "w.docx", run_date=WHEN).read_bytes()
    got, errors = [], []

    def write(k: int) -> None:
        try:
            got.append(render_docx.table_to_docx(t, tmp_path / f"{k}.docx",
                                                 run_date=WHEN).read_bytes())
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not errors and got == [want] * 4
