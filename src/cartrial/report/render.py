"""Render a :class:`ReportTable` as HTML, plain text, DOCX or RTF.

HTML is written with jinja2 rather than great-tables: the output must be byte-identical between
runs (great-tables stamps each table with a random id unless told otherwise and ships its CSS per
table), must carry CSR-style numbering, population line, footnotes and source line in a fixed
layout, and must stay readable in a browser with no scripts. DOCX (python-docx) is the editable
document format for regulatory writing (one table per file, as in submission packages); RTF
(rtflite) is the format most clinical study report templates and SAS ODS outputs use.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

import pandas as pd
from jinja2 import Environment, select_autoescape
from markupsafe import escape

from cartrial.report.table import ReportTable


@dataclass(frozen=True)
class RunningHeader:
    """What every page of a DOCX / RTF table repeats: study and data cut-off in the header
    (with the table number), page x of y, source dataset and run date in the footer.

    Parameters
    ----------
    study : str
        Study identifier (e.g. "CT071").
    cutoff : str
        Data cut-off date, ISO 8601 ("" prints "not stated").
    run_date : datetime.datetime
        When the outputs were produced (only the date is printed).

    Examples
    --------
    >>> import pandas as pd; from cartrial.report import table_from_wide
    >>> t = table_from_wide("14.3.1", "DLTs", "DLT-evaluable", pd.DataFrame(
    ...     {"Dose": ["DL1", "DL2"], "N": ["3", "6"]}), row_label="Dose", source="ADSL")
    >>> from datetime import datetime
    >>> h = RunningHeader("CT071", "2026-06-30", datetime(2026, 7, 1))
    >>> h.header(t), h.footer(t)
    ('CT071    Table 14.3.1    Data cut-off: 2026-06-30', 'Source: ADSL    Run date: 2026-07-01')
    """

    study: str
    cutoff: str
    run_date: datetime

    def header(self, table: ReportTable) -> str:
        word = "Listing" if table.kind == "listing" else "Table"
        return (f"{self.study}    {word} {table.number}    Data cut-off: "
                f"{self.cutoff or 'not stated'}")

    def footer(self, table: ReportTable) -> str:
        return (f"Source: {table.source or 'not stated'}    Run date: "
                f"{self.run_date.strftime('%Y-%m-%d')}")

_ENV = Environment(autoescape=select_autoescape(default=True), trim_blocks=True,
                   lstrip_blocks=True, keep_trailing_newline=True)

# a table's HTML is its head, its body rows (:func:`_body_html`: the rows of a 10,000-patient
# listing are most of the report's HTML, written without a template part per cell) and its foot
_HEAD_HTML = """\
<figure class="tlf {{ t.kind }}{{ width_class }}" id="{{ t.slug }}">
<figcaption><span class="num">{{ caption_word }} {{ t.number }}</span> {{ t.title }}
<div class="pop">Population: {{ t.population }}</div></figcaption>
<div class="scroll"><table>
<thead><tr><th class="stub">{{ stub }}</th>
{% for c in cols %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>
"""
_FOOT_HTML = """\
</tbody></table></div>
{% if t.footnotes or t.source %}
<div class="foot">
{% for f in t.footnotes %}<p>{{ f }}</p>
{% endfor %}
{% if t.source %}<p class="src">Source: {{ t.source }}</p>{% endif %}
</div>
{% endif %}
</figure>
"""
_TABLE_HEAD, _TABLE_FOOT = _ENV.from_string(_HEAD_HTML), _ENV.from_string(_FOOT_HTML)


WRAP_CHARS = 40    # a cell longer than this wraps (class "wrap" in the HTML)
WIDE_CHARS = 120   # a table whose widest line is longer prints landscape
XWIDE_CHARS = 190  # ... and in a smaller font beyond this
HTML_PIECES_JOINED = 8192  # a table's head and foot are handed on in pieces of this many parts
HTML_ROWS_JOINED = 1000  # ... and its body in pieces of this many rows


def table_width_chars(table: ReportTable) -> int:
    """Characters of the table's widest line: the longest row label (at most
    :data:`WRAP_CHARS`: longer labels wrap) plus, per column, the longer of its header's
    longest word and its longest value (headers wrap; values do not, unless longer than
    :data:`WRAP_CHARS`, which wrap at that width).

    Parameters
    ----------
    table : ReportTable
        The table.

    Returns
    -------
    int
        Estimated width in characters (the print layout's landscape rule).

    Examples
    --------
    >>> import pandas as pd
    >>> t = ReportTable("1", "T", "All", pd.DataFrame({"row": ["a"], "column": ["c"],
    ...                                                 "value": ["12 (50.0%)"]}))
    >>> table_width_chars(t)
    14
    """
    w = table.wide()
    stub = min(max([len(r) for r in table.rows] + [len(table.stub), 1]), WRAP_CHARS)
    # the longest value capped at WRAP_CHARS: the largest of the values' capped lengths
    cols = [max([len(p) for p in str(c).split()]
                + [min(_longest(w[c]), WRAP_CHARS), 1]) for c in table.columns]
    return stub + sum(c + 3 for c in cols)


def _longest(values: pd.Series) -> int:
    """The length of the longest value (0 when there is none), without a Python step per
    value: every renderer (HTML, RTF, DOCX, text) measures each column of each table."""
    return max(map(len, values.to_numpy().tolist()), default=0)


def is_wide(table: ReportTable) -> bool:
    """Whether the table is laid out landscape (wider than :data:`WIDE_CHARS`).

    Parameters
    ----------
    table : ReportTable
        The table.

    Returns
    -------
    bool
        True when :func:`table_width_chars` exceeds :data:`WIDE_CHARS`.

    Examples
    --------
    >>> import pandas as pd
    >>> is_wide(ReportTable("1", "T", "All", pd.DataFrame({"row": ["a"], "column": ["c"],
    ...                                                      "value": ["1"]})))
    False
    """
    return table_width_chars(table) > WIDE_CHARS


def table_to_html(table: ReportTable, *, stub: str = "") -> str:
    """The table as an HTML ``<figure>`` (no scripts, no external resources); a wide table
    carries the class ``wide`` (printed landscape) or ``xwide`` (landscape, smaller font).

    Parameters
    ----------
    table : ReportTable
    stub : str, optional
        Header of the row-label column; default the table's stub ("#" for a listing).

    Returns
    -------
    str
        The HTML fragment (values escaped), anchored at ``table.slug``.

    Examples
    --------
    >>> import pandas as pd; from cartrial.report import table_from_wide
    >>> t = table_from_wide("14.3.1", "DLTs", "DLT-evaluable", pd.DataFrame(
    ...     {"Dose": ["DL1", "DL2"], "N": ["3", "6"]}), row_label="Dose", source="ADSL")
    >>> table_to_html(t).splitlines()[0]
    '<figure class="tlf table" id="t14_3_1">'
    """
    return "".join(table_html_pieces(table, stub=stub))


def table_html_pieces(table: ReportTable, *, stub: str = "") -> Iterator[str]:
    """:func:`table_to_html`'s text in consecutive pieces of a few thousand cells each, made
    as they are asked for (issue #18: memory; a listing of 10,000 patients, rendered whole,
    held millions of escaped cell strings at once).

    Parameters
    ----------
    table : ReportTable
    stub : str, optional
        As for :func:`table_to_html`.

    Returns
    -------
    iterator of str
        Pieces whose concatenation is :func:`table_to_html`'s text.

    Examples
    --------
    >>> import pandas as pd; from cartrial.report import table_from_wide
    >>> t = table_from_wide("1", "T", "All", pd.DataFrame({"N": [str(i) for i in range(9)]}),
    ...                     kind="listing")
    >>> "".join(table_html_pieces(t)) == table_to_html(t)
    True
    """
    w = table.wide()
    ind = table.indents
    body = [(lab.replace("\u200b", ""), ind.get(lab, 0), vals)  # rows in table order
            for lab, vals in zip(table.rows, w.to_numpy().tolist(), strict=True)]
    stub = stub or table.stub or ("#" if table.kind == "listing" else "")
    chars = table_width_chars(table)
    width = " wide xwide" if chars > XWIDE_CHARS else (" wide" if chars > WIDE_CHARS else "")
    head = dict(t=table, cols=table.columns, stub=stub, width_class=width,
                caption_word="Listing" if table.kind == "listing" else "Table")
    yield from _joined(_TABLE_HEAD.generate(**head))
    yield from _body_html(body, WRAP_CHARS)
    yield from _joined(_TABLE_FOOT.generate(t=table))


def _body_html(body: list[tuple], wrap: int) -> Iterator[str]:
    """The ``<tbody>`` rows of :func:`table_html_pieces`, :data:`HTML_ROWS_JOINED` at a time:
    the text the table template's loop over the rows gave (each label, indent and value
    escaped as jinja2's autoescaping does, :func:`markupsafe.escape`; a value longer than
    ``wrap`` wraps), made without a template part per cell (issue #18: the template's parts
    were ~3 million at 10,000 patients, ~1 s of the writing's CPU)."""
    for start in range(0, len(body), HTML_ROWS_JOINED):
        rows = body[start:start + HTML_ROWS_JOINED]
        values = [v for _, _, vals in rows for v in vals]
        shown = _escaped([label for label, _, _ in rows] + values)
        labels, cells = shown[:len(rows)], shown[len(rows):]
        lengths = list(map(len, values))
        parts: list[str] = []
        at = 0
        for label, (_, ind, vals) in zip(labels, rows, strict=True):
            parts.append(f'<tr><th class="stub ind{escape(ind)!s}" scope="row">{label}</th>\n')
            end = at + len(vals)
            if end > at and max(lengths[at:end]) > wrap:
                parts += [('<td class="wrap">' if n > wrap else "<td>") + v + "</td>"
                          for v, n in zip(cells[at:end], lengths[at:end], strict=True)]
            elif end > at:  # no value wraps: the row's cells in one join
                parts.append("<td>" + "</td><td>".join(cells[at:end]) + "</td>")
            parts.append("</tr>\n")
            at = end
        yield "".join(parts)


def _escaped(values: list) -> list[str]:
    """``str(markupsafe.escape(v))`` of each value: escaped together, one text with a NUL
    between values, when no value is a NUL-holding text or has its own ``__html__`` (escaping
    maps each character on its own, so the text splits back into the values' escapes)."""
    if all(type(v) is str for v in values):
        text = "\x00".join(values)
        if text.count("\x00") == len(values) - 1:
            return str(escape(text)).split("\x00") if values else []
    return [str(escape(v)) for v in values]


def _joined(pieces: Iterator[str], per: int = HTML_PIECES_JOINED) -> Iterator[str]:
    """The template's pieces joined ``per`` at a time."""
    while chunk := list(islice(pieces, per)):
        yield "".join(chunk)


def table_to_text(table: ReportTable, *, width: int = 100) -> str:
    """Fixed-width plain text (what snapshot tests compare).

    Parameters
    ----------
    table : ReportTable
    width : int, optional
        Characters per line at which footnotes wrap (the table itself is not wrapped).

    Returns
    -------
    str
        Caption, population, the aligned table between rules, footnotes and source.

    Examples
    --------
    >>> import pandas as pd; from cartrial.report import table_from_wide
    >>> t = table_from_wide("14.3.1", "DLTs", "DLT-evaluable", pd.DataFrame(
    ...     {"Dose": ["DL1", "DL2"], "N": ["3", "6"]}), row_label="Dose", source="ADSL")
    >>> table_to_text(t).splitlines()[3:6]
    ['Dose  N', '-------', 'DL1   3']
    """
    return "".join(table_text_lines(table, width=width))


def table_text_lines(table: ReportTable, *, width: int = 100) -> Iterator[str]:
    """:func:`table_to_text`'s lines, each with its line end, made as they are asked for: a
    long listing's text is written without being held whole (issue #18: memory; at 10,000
    patients the AE listing's and the narratives' text and lines rose 30-37 MiB).

    Parameters
    ----------
    table : ReportTable
    width : int, optional
        As for :func:`table_to_text`.

    Returns
    -------
    iterator of str
        Lines ending in ``"\\n"``, whose concatenation is :func:`table_to_text`'s text.

    Examples
    --------
    >>> import pandas as pd; from cartrial.report import table_from_wide
    >>> t = table_from_wide("1", "T", "All", pd.DataFrame({"N": ["3", "6"]}), kind="listing")
    >>> list(table_text_lines(t))[3:5]
    ['   N\\n', '----\\n']
    """
    w = table.wide()
    ind = table.indents
    labels = ["  " * ind.get(r, 0) + r.replace("\u200b", "") for r in table.rows]
    cols = table.columns
    stub_w = max([len(s) for s in labels] + [1])
    col_w = [max(len(c), _longest(w[c])) for c in cols]
    stub_w = max(stub_w, len(table.stub))
    header = table.stub.ljust(stub_w) + "".join(
        "  " + c.rjust(cw) for c, cw in zip(cols, col_w, strict=True))
    for line in (table.caption, f"Population: {table.population}", "", header.rstrip(),
                 "-" * len(header)):
        yield line + "\n"
    values = w.to_numpy()
    del w
    # a row's line: the label left-aligned and each value right-aligned in its width, as
    # ljust / rjust pad (with spaces, counting characters), in one format call per row
    row_format = f"{{:<{stub_w}}}" + "".join(f"  {{:>{cw}}}" for cw in col_w)
    for lab, vals in zip(labels, values, strict=True):  # rows in table order, one at a time
        yield row_format.format(lab, *vals.tolist()).rstrip() + "\n"
    yield "-" * len(header) + "\n"
    for f in table.footnotes:
        for line in textwrap.wrap(f, width) or [""]:
            yield line + "\n"
    if table.source:
        yield f"Source: {table.source}\n"


# the DOCX and RTF writers (their own modules, which import this one) under their earlier import
# path, looked up on first use (PEP 562) so that either module can also be imported first
_MOVED = {"_stamp_zip": "render_docx", "table_to_docx": "render_docx",
          "_rtf_escape": "render_rtf", "table_to_rtf": "render_rtf"}


def __getattr__(name: str) -> object:
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(f"cartrial.report.{_MOVED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
