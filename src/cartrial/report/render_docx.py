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
from cartrial.report.render_docx_grid import add_rows
from cartrial.report.render_docx_template import new_document, part_blob, template_blobs
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
    from docx.shared import Pt

    doc = new_document()  # docx.Document(), its template read once per process
    _docx_page(doc, table, header)
    doc.core_properties.created = run_date
    doc.core_properties.modified = run_date
    doc.core_properties.last_printed = run_date
    doc.core_properties.title = table.caption
    doc.core_properties.author = "cartrial"
    _styled(doc.add_paragraph(table.caption)._p, "Heading 2", doc)
    doc.add_paragraph(f"Population: {table.population}")
    w = table.wide()
    cols = table.columns
    grid = doc.add_table(rows=0, cols=1 + len(cols))
    grid._tbl.tblStyle_val = _style_id(doc, "Table Grid")
    ind = table.indents
    add_rows(grid._tbl, [[table.stub or ("#" if table.kind == "listing" else ""), *cols]]
             + [["   " * ind.get(r, 0) + r.replace("\u200b", ""), *vals]
                for r, vals in zip(table.rows, w.to_numpy().tolist(), strict=True)])
    for f in table.footnotes:
        p = doc.add_paragraph(f)
        for run in p.runs:
            run.font.size = Pt(8)
    if table.source:
        doc.add_paragraph(f"Source: {table.source}")
    out = Path(path)
    out.write_bytes(_stamped_docx(doc, run_date))
    return out


_STYLE_IDS: dict[str, str | None] = {}  # style name -> id in python-docx's default template


def _style_id(doc, name: str) -> str | None:
    """The id of a style of the default template, looked up by name once per process (the
    look-up walks every style of the template)."""
    if name not in _STYLE_IDS:
        style = doc.styles[name]
        _STYLE_IDS[name] = style.style_id if style != doc.styles.default(style.type) else None
    return _STYLE_IDS[name]


def _styled(p, name: str, doc) -> None:
    """Paragraph element ``p`` in the paragraph style ``name`` (as ``paragraph.style = name``)."""
    p.style = _style_id(doc, name)


class _StampedZip:
    """python-docx's package writer target: each part deflated once, dated ``when`` (the
    bytes :func:`_stamp_zip` gives for ``Document.save``'s zip)."""

    def __init__(self, when: datetime) -> None:
        self.buf = io.BytesIO()
        self.zip = zipfile.ZipFile(self.buf, "w", zipfile.ZIP_DEFLATED)
        self.stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute,
                      when.second)

    def write(self, pack_uri, blob: bytes) -> None:
        zi = zipfile.ZipInfo(pack_uri.membername, date_time=self.stamp)
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.external_attr = 0o600 << 16  # as zipfile.writestr gives a named entry
        if blob not in template_blobs():
            self.zip.writestr(zi, blob)
            return
        zi.file_size = len(blob)  # what writestr does, the template's parts deflated once
        with self.zip.open(zi, "w") as dest:
            if hasattr(dest, "_compressor"):  # zipfile's deflater of this entry
                dest._compressor = _Replay(dest._compressor, blob)
            dest.write(blob)


_DEFLATED: dict[bytes, bytes] = {}  # a template part's bytes -> zipfile's deflated bytes


class _Replay:
    """The deflater of a zip entry (zipfile's ``_ZipWriteFile._compressor``) that gives the
    bytes zipfile's own deflater gave for the same part before, or records them."""

    def __init__(self, real, blob: bytes) -> None:
        self.real, self.blob, self.out = real, blob, []

    def compress(self, data: bytes) -> bytes:
        if self.blob in _DEFLATED:
            return _DEFLATED[self.blob]
        self.out.append(self.real.compress(data))
        return self.out[-1]

    def flush(self) -> bytes:
        if self.blob in _DEFLATED and not self.out:
            return b""
        self.out.append(self.real.flush())
        _DEFLATED[self.blob] = b"".join(self.out)
        return self.out[-1]


def _stamped_docx(doc, when: datetime) -> bytes:
    """``doc`` saved as a zip dated ``when`` (``Document.save``, then :func:`_stamp_zip`, in
    one pass: the parts are not deflated twice)."""
    from docx.opc.pkgwriter import PackageWriter

    package = doc.part.package
    for part in package.parts:
        part.before_marshal()
    parts = list(package.parts)
    target = _StampedZip(when)
    PackageWriter._write_content_types_stream(target, parts)
    PackageWriter._write_pkg_rels(target, package.rels)
    for part in parts:  # PackageWriter._write_parts, the shared style sheet written once
        target.write(part.partname, part_blob(part))
        if len(part.rels):
            target.write(part.partname.rels_uri, part.rels.xml)
    target.zip.close()
    return target.buf.getvalue()


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
