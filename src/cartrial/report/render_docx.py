"""A :class:`ReportTable` as a DOCX file (python-docx): the editable document format for
regulatory writing, one table per file as in submission packages; the zip is dated by the run
so the same table gives the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

from cartrial.report.render import RunningHeader, is_wide
from cartrial.report.table import ReportTable


def _docx_field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) at the end of ``paragraph``."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"),
                       ("end", None)):
        if kind is not None:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText" if text == instruction else "w:t")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {text} " if text == instruction else text
        run._r.append(el)


def _docx_page(doc, table: ReportTable, header: RunningHeader | None) -> None:
    """Landscape when the table is wide; running header and footer (page x of y)."""
    from docx.enum.section import WD_ORIENT

    sec = doc.sections[0]
    if is_wide(table):
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = sec.page_height, sec.page_width
    if header is None:
        return
    sec.header.paragraphs[0].text = header.header(table)
    foot = sec.footer.paragraphs[0]
    foot.text = header.footer(table) + "    Page "
    _docx_field(foot, "PAGE")
    foot.add_run(" of ")
    _docx_field(foot, "NUMPAGES")


def table_to_docx(table: ReportTable, path: str | Path, *, run_date: datetime,
                  header: RunningHeader | None = None) -> Path:
    """One table per DOCX file: caption, population, the table, footnotes, source.

    ``run_date`` is written as the document's created/modified property so the file records
    the run rather than the wall clock. A wide table is laid out landscape; the column header
    row repeats on every page; with ``header``, every page has the running header (study,
    table number, data cut-off) and footer (source, run date, page x of y).

    Parameters
    ----------
    table : ReportTable
        The table (or listing).
    path : str or pathlib.Path
        The file to write.
    run_date : datetime.datetime
        The run's date: the document's created, modified and last-printed properties and the
        date of every entry of the zip, so the same table gives the same bytes.
    header : RunningHeader, optional
        Running header and footer of every page (none when omitted).

    Returns
    -------
    pathlib.Path
        ``path``.

    References
    ----------
    ICH E3, Structure and content of clinical study reports (1995), sections 14 and 16: one
    numbered table per output, its population and source named.

    Examples
    --------
    >>> import tempfile, pandas as pd; from cartrial.report import table_from_wide
    >>> t = table_from_wide("14.3.1", "DLTs", "DLT-evaluable", pd.DataFrame(
    ...     {"Dose": ["DL1", "DL2"], "N": ["3", "6"]}), row_label="Dose", source="ADSL")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     a = table_to_docx(t, Path(d) / "a.docx", run_date=datetime(2026, 7, 1)).read_bytes()
    ...     b = table_to_docx(t, Path(d) / "b.docx", run_date=datetime(2026, 7, 1)).read_bytes()
    >>> a == b, a[:2]
    (True, b'PK')
    """
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    _docx_page(doc, table, header)
    doc.core_properties.created = run_date
    doc.core_properties.modified = run_date
    doc.core_properties.last_printed = run_date
    doc.core_properties.title = table.caption
    doc.core_properties.author = "cartrial"
    doc.add_paragraph(table.caption, style="Heading 2")
    doc.add_paragraph(f"Population: {table.population}")
    w = table.wide()
    cols = table.columns
    grid = doc.add_table(rows=1, cols=1 + len(cols))
    grid.style = "Table Grid"
    repeat = OxmlElement("w:tblHeader")  # the column header repeats on every page
    repeat.set(qn("w:val"), "true")
    grid.rows[0]._tr.get_or_add_trPr().append(repeat)
    head = grid.rows[0].cells  # fetch a row's cells once: grid.cell(i, j) walks the table
    head[0].text = table.stub or ("#" if table.kind == "listing" else "")
    for j, c in enumerate(cols, start=1):
        head[j].text = c
    ind = table.indents
    values = w.to_numpy()
    for r, vals in zip(table.rows, values, strict=True):
        cells = grid.add_row().cells
        cells[0].text = "   " * ind.get(r, 0) + r.replace("\u200b", "")
        for j, v in enumerate(vals, start=1):
            cells[j].text = v
    for f in table.footnotes:
        p = doc.add_paragraph(f)
        for run in p.runs:
            run.font.size = Pt(8)
    if table.source:
        doc.add_paragraph(f"Source: {table.source}")
    out = Path(path)
    buf = io.BytesIO()
    doc.save(buf)
    out.write_bytes(_stamp_zip(buf.getvalue(), run_date))
    return out


def _stamp_zip(data: bytes, when: datetime) -> bytes:
    """The same zip (DOCX) with every entry dated ``when``: same table, same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=stamp)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            dst.writestr(zi, src.read(info.filename))
    return buf.getvalue()
