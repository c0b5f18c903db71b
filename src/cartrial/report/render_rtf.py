"""A :class:`ReportTable` as an RTF file (rtflite): the format most clinical study report
templates and SAS ODS outputs use; plain ASCII, the same table giving the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from cartrial.report.render import RunningHeader, is_wide
from cartrial.report.render_rtf_widths import remembered_widths
from cartrial.report.table import ReportTable


def _rtf_escape(text: str) -> str:
    """RTF control characters escaped and every non-ASCII character as ``\\uN?`` (UTF-16
    code units), so the file is plain ASCII (rtflite writes text as given)."""
    text = text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        units = ch.encode("utf-16-le")
        for i in range(0, len(units), 2):
            u = int.from_bytes(units[i:i + 2], "little")
            out.append(f"\\u{u - 65536 if u > 32767 else u}?")
    return "".join(out)


def table_to_rtf(table: ReportTable, path: str | Path, *,
                 header: RunningHeader | None = None) -> Path:
    """One table per RTF file (rtflite): caption and population as titles, the table with its
    column header (repeated on every page), footnotes and source; landscape when the table is
    wide; with ``header``, a running header (study, table number, data cut-off) and footer
    (source, run date, page x of y). The same table gives the same bytes.

    Parameters
    ----------
    table : ReportTable
        The table (or listing).
    path : str or pathlib.Path
        The file to write (plain ASCII: other characters as RTF ``\\uN?`` escapes).
    header : RunningHeader, optional
        Running header and footer of every page (none when omitted).

    Returns
    -------
    pathlib.Path
        ``path``.

    References
    ----------
    Microsoft, Rich Text Format (RTF) Specification, version 1.9.1 (2008): ``\\uN``
    Unicode escapes, page fields. ICH E3 (1995), sections 14 and 16.

    Examples
    --------
    >>> import tempfile, pandas as pd; from cartrial.report import table_from_wide
    >>> t = table_from_wide("14.3.1", "DLTs", "DLT-evaluable", pd.DataFrame(
    ...     {"Dose": ["DL1", "DL2"], "N": ["3", "6"]}), row_label="Dose", source="ADSL")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     text = table_to_rtf(t, Path(d) / "t.rtf").read_text(encoding="ascii")
    >>> text.startswith("{\\\\rtf1"), "Population: DLT-evaluable" in text
    (True, True)
    """
    import polars as pl
    import rtflite as rtf

    from cartrial.report.render_rtf_cells import Body, ColumnHeader, Footnote

    w = table.wide()
    cols = table.columns
    ind = table.indents
    stub = ["   " * ind.get(r, 0) + r.replace("\u200b", "") for r in table.rows]
    data = {"c0": [_rtf_escape(v) for v in stub]}
    for j, c in enumerate(cols, start=1):
        data[f"c{j}"] = [_rtf_escape(str(v)) for v in w[c].tolist()]
    off = [False]
    head = [table.stub or ("#" if table.kind == "listing" else ""), *cols]
    pages = {}
    if header is not None:
        pages = {"rtf_page_header": rtf.RTFPageHeader(
                     text=[_rtf_escape(header.header(table))], text_convert=off),
                 "rtf_page_footer": rtf.RTFPageFooter(
                     text=[_rtf_escape(header.footer(table)) + "    Page \\chpgn of "
                           "{\\field{\\*\\fldinst NUMPAGES }}"], text_convert=off)}
    doc = rtf.RTFDocument(
        df=pl.DataFrame(data, schema={k: pl.String for k in data}),
        rtf_page=rtf.RTFPage(orientation="landscape" if is_wide(table) else "portrait"),
        **pages,
        rtf_title=rtf.RTFTitle(text=[_rtf_escape(table.caption),
                                     _rtf_escape(f"Population: {table.population}")],
                               text_convert=off),
        rtf_column_header=[ColumnHeader(text=[_rtf_escape(h) for h in head],
                                               text_convert=off)],
        rtf_body=Body(col_rel_width=[3.0] + [1.0] * len(cols), text_convert=off,
                             text_justification=[["l"] + ["c"] * len(cols)]),
        rtf_footnote=Footnote(text=[_rtf_escape(f) for f in table.footnotes],
                                     text_convert=off) if table.footnotes else None,
        rtf_source=rtf.RTFSource(text=[_rtf_escape(f"Source: {table.source}")],
                                 text_convert=off) if table.source else None,
    )
    out = Path(path)
    with remembered_widths():  # rtflite measures each distinct cell text once
        text = doc.rtf_encode()
    out.write_bytes(text.encode("ascii"))
    return out
