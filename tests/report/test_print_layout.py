"""Printed layout of the RTF and DOCX tables (issue #16 point 2): landscape when wide, the column
header repeated on every page, a running header (study, table number, data cut-off) and footer
(source dataset, run date, page x of y). Rules of this code, so these are regression tests."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from docx import Document

from cartrial.report import RunningHeader, is_wide, table_to_docx, table_to_rtf
from cartrial.report.document import CSS
from cartrial.report.table import table_from_wide

HEADER = RunningHeader("CT071", "2024-06-30", datetime(2025, 6, 1, 12))


def _table(n_cols: int):
    w = pd.DataFrame({"Row": ["Any TEAE", "Rash"],
                      **{f"DL{i} (N=15): grade >= 3": ["15 (100.0%)", "3 (20.0%)"]
                         for i in range(n_cols)}})
    return table_from_wide("14.3.1", "TEAEs", "Safety (infused)", w, row_label="Row",
                           source="ADAE")


def test_wide_tables_are_landscape_in_docx_and_rtf(tmp_path) -> None:
    narrow, wide = _table(2), _table(9)
    assert not is_wide(narrow) and is_wide(wide)
    for t, landscape in ((narrow, False), (wide, True)):
        doc = Document(str(table_to_docx(t, tmp_path / "t.docx", run_date=HEADER.run_date,
                                         header=HEADER)))
        sec = doc.sections[0]
        assert (sec.page_width > sec.page_height) is landscape
        rtf = table_to_rtf(t, tmp_path / "t.rtf", header=HEADER).read_text(encoding="ascii")
        assert ("\\landscape" in rtf) is landscape


def test_running_header_footer_and_repeated_column_header(tmp_path) -> None:
    t = _table(3)
    doc = Document(str(table_to_docx(t, tmp_path / "t.docx", run_date=HEADER.run_date,
                                     header=HEADER)))
    sec = doc.sections[0]
    head = sec.header.paragraphs[0].text
    assert "CT071" in head and "Table 14.3.1" in head and "Data cut-off: 2024-06-30" in head
    foot = sec.footer.paragraphs[0]._p.xml
    assert "Source: ADAE" in sec.footer.paragraphs[0].text and "2025-06-01" in foot
    assert "PAGE" in foot and "NUMPAGES" in foot
    assert "w:tblHeader" in doc.tables[0].rows[0]._tr.xml
    rtf = table_to_rtf(t, tmp_path / "t.rtf", header=HEADER).read_text(encoding="ascii")
    assert "Data cut-off: 2024-06-30" in rtf and "Table 14.3.1" in rtf
    assert "\\chpgn" in rtf and "NUMPAGES" in rtf and "Source: ADAE" in rtf
    # rtflite paginates itself: a long table repeats its column header after every page break
    w = pd.DataFrame({"Row": [f"r{i}" for i in range(120)], "Colhead": "x"})
    long = table_from_wide("16.2.3", "L", "P", w, row_label="Row", kind="listing")
    rtf = table_to_rtf(long, tmp_path / "l.rtf", header=HEADER).read_text(encoding="ascii")
    assert rtf.count("\\page") >= 2 and rtf.count("Colhead") == rtf.count("\\page") + 1


def test_print_css_shows_whole_tables() -> None:
    css = CSS[CSS.index("@media print"):]
    assert ".scroll{overflow:visible;max-height:none}" in css
    assert "thead{display:table-header-group}" in css and "@page wide{size:A4 landscape}" in CSS
