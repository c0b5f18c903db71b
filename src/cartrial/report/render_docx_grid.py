"""The rows of a DOCX table as WordprocessingML text parsed in one piece.

python-docx adds a row cell by cell (one XML parse and a dozen element look-ups per cell); a
report table of a few hundred cells spent most of its DOCX time there. Here every row of the
table is written as text and parsed once, giving the elements python-docx would have made:
each cell ``<w:tc>`` with its width (``<w:tcW w:type="dxa">`` of its grid column) and one
paragraph holding one run, whose text is split as python-docx's ``Run.text`` splits it (a tab
as ``<w:tab/>``, a line end as ``<w:br/>``, ``xml:space="preserve"`` on a ``<w:t>`` with
leading or trailing white space); the column header row repeats on every page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from xml.sax.saxutils import escape

_BREAKS = re.compile(r"([\t\r\n])")
_TAG = {"\t": "<w:tab/>", "\r": "<w:br/>", "\n": "<w:br/>"}


def _run(text: str) -> str:
    """``<w:r>`` of ``text`` as python-docx's ``Run.text = text`` makes it."""
    parts = []
    for piece in _BREAKS.split(text):
        if piece in _TAG:
            parts.append(_TAG[piece])
        elif piece:
            keep = ' xml:space="preserve"' if len(piece.strip()) < len(piece) else ""
            parts.append(f"<w:t{keep}>{escape(piece)}</w:t>")
    return f"<w:r>{''.join(parts)}</w:r>" if parts else "<w:r/>"


def _row(texts: Sequence[str], cells: Sequence[str], header: bool) -> str:
    pr = '<w:trPr><w:tblHeader w:val="true"/></w:trPr>' if header else ""
    tcs = "".join(c.format(_run(t)) for c, t in zip(cells, texts, strict=True))
    return f"<w:tr>{pr}{tcs}</w:tr>"


def add_rows(tbl, rows: Sequence[Sequence[str]]) -> None:
    """Append ``rows`` (texts, one per grid column) to the ``<w:tbl>`` element ``tbl``, the
    first row as the column header repeated on every page; one XML parse for the whole table.

    Parameters
    ----------
    tbl : docx.oxml.table.CT_Tbl
        A table made by python-docx (``Document.add_table(rows=0, cols=n)``): its grid gives
        the cell widths.
    rows : sequence of sequence of str
        The cell texts, row by row (the column header first).

    Raises
    ------
    ValueError
        A row whose number of texts is not the number of grid columns.

    Examples
    --------
    >>> from docx import Document
    >>> doc = Document()
    >>> grid = doc.add_table(rows=0, cols=2)
    >>> add_rows(grid._tbl, [["Dose", "N"], ["DL1", "3"]])
    >>> [[c.text for c in r.cells] for r in grid.rows]
    [['Dose', 'N'], ['DL1', '3']]
    """
    from docx.oxml.ns import nsdecls, qn
    from docx.oxml.parser import parse_xml

    widths = [g.get(qn("w:w")) for g in tbl.tblGrid.iterchildren(qn("w:gridCol"))]
    cells = [f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{w}"/></w:tcPr><w:p>{{}}</w:p></w:tc>'
             for w in widths]
    body = "".join(_row(texts, cells, i == 0) for i, texts in enumerate(rows))
    tbl.extend(list(parse_xml(f"<w:tbl {nsdecls('w')}>{body}</w:tbl>")))
