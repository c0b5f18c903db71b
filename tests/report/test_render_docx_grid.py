"""A DOCX table's rows written as one piece of XML (issue #18).

The outside reference is python-docx's own cell API, as its documentation shows it
(``Document.add_table``, ``Table.add_row``, ``_Cell.text``): the same texts put in cell by
cell must give the same ``word/document.xml`` bytes, whatever the texts hold (tabs and line
ends, leading or trailing white space, XML's special characters, non-ASCII, empty cells).
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.report.render import RunningHeader
from cartrial.report.render_docx import table_to_docx
from cartrial.report.render_docx_grid import add_rows
from cartrial.report.table import ReportTable

WHEN = datetime(2025, 6, 1, 12, 30, 5)


def _document_xml(doc) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return zipfile.ZipFile(buf).read("word/document.xml")


def _document(landscape: bool):
    from docx import Document
    from docx.enum.section import WD_ORIENT

    doc = Document()
    if landscape:  # other column widths
        sec = doc.sections[0]
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = sec.page_height, sec.page_width
    return doc


def _cell_by_cell(rows: list[list[str]], landscape: bool = False) -> bytes:
    """python-docx's public calls: a header row marked to repeat, then one row at a time."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    doc = _document(landscape)
    grid = doc.add_table(rows=1, cols=len(rows[0]))
    grid.style = "Table Grid"
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    grid.rows[0]._tr.get_or_add_trPr().append(repeat)
    for cell, text in zip(grid.rows[0].cells, rows[0], strict=True):
        cell.text = text
    for texts in rows[1:]:
        for cell, text in zip(grid.add_row().cells, texts, strict=True):
            cell.text = text
    return _document_xml(doc)


def _in_one_piece(rows: list[list[str]], landscape: bool = False) -> bytes:
    doc = _document(landscape)
    grid = doc.add_table(rows=0, cols=len(rows[0]))
    grid.style = "Table Grid"
    add_rows(grid._tbl, rows)
    return _document_xml(doc)


AWKWARD = ["", " ", "0", "12 (50.0%)", "   Indented", "trailing ", "a\tb", "line\nend",
           "cr\r\nlf", "\t", "\n\n", "x < y & z > w", 'quote " and \'', "\u2265 3 \u00b5g",
           "\u00a0nbsp\u00a0", "{braces}", "{}", "emoji \U0001f600", "a\t\tb c"]


@pytest.mark.parametrize("landscape", [False, True])
def test_awkward_texts_give_the_bytes_of_python_docx_cell_api(landscape):
    rows = [AWKWARD[i:i + 4] for i in range(0, 16, 4)] + [AWKWARD[-4:]]
    assert _in_one_piece(rows, landscape) == _cell_by_cell(rows, landscape)


_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), max_codepoint=0x2FFF)
                | st.sampled_from(["\t", "\n", "\r", " "]), max_size=12)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5).flatmap(
    lambda n: st.lists(st.lists(_TEXT, min_size=n, max_size=n), min_size=1, max_size=4)))
def test_any_texts_give_the_bytes_of_python_docx_cell_api(rows):
    assert _in_one_piece(rows) == _cell_by_cell(rows)


def test_a_row_of_the_wrong_width_is_refused():
    from docx import Document

    grid = Document().add_table(rows=0, cols=2)
    with pytest.raises(ValueError):
        add_rows(grid._tbl, [["a", "b"], ["only one"]])


def test_table_to_docx_table_is_the_cell_api_table(tmp_path):
    """The table of a written DOCX (indents, zero-width spaces dropped, listing '#')
    equals python-docx's cell API given the same texts."""
    from docx import Document

    cells = pd.DataFrame({"row": ["Any\u200b", "Any\u200b", "Anaemia", "Anaemia"],
                          "column": ["DL1 (N=3)", "DL2 (N=6)"] * 2,
                          "value": ["3 (100.0%)", "", "a\tb", "2 & <3>"],
                          "indent": [0, 0, 1, 1]})
    t = ReportTable("14.3.1.1", "TEAEs", "Safety", cells, ("MedDRA.",), "ADAE")
    path = table_to_docx(t, tmp_path / "t.docx", run_date=WHEN,
                         header=RunningHeader("CT071", "2025-05-31", WHEN))
    xml = zipfile.ZipFile(path).read("word/document.xml")
    rows = [["", "DL1 (N=3)", "DL2 (N=6)"], ["Any", "3 (100.0%)", ""],
            ["   Anaemia", "a\tb", "2 & <3>"]]
    table = _cell_by_cell(rows)
    start, end = table.index(b"<w:tbl>"), table.index(b"</w:tbl>")
    assert table[start:end] in xml
    got = [[c.text for c in r.cells] for r in Document(str(path)).tables[0].rows]
    assert got == [["", "DL1 (N=3)", "DL2 (N=6)"], ["Any", "3 (100.0%)", ""],
                   ["   Anaemia", "a\tb", "2 & <3>"]]
