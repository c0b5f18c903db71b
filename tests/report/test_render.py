"""The plain-text rendering written line by line (issue #18: memory)."""

from __future__ import annotations

import pandas as pd

from cartrial.report.render import table_text_lines, table_to_text
from cartrial.report.table import ReportTable, table_from_wide


def test_text_lines_by_hand():
    """A listing's lines, each ending in a line break, worked out by hand: a stub one
    character wide (row numbers), two spaces, values right-aligned to the widest."""
    t = table_from_wide("16.2.9", "Doses", "All", pd.DataFrame({"Dose": ["DL1", "DL10"]}),
                        kind="listing", footnotes=("Note.",), source="ADSL")
    assert list(table_text_lines(t)) == [
        "Listing 16.2.9 Doses\n", "Population: All\n", "\n", "   Dose\n", "-------\n",
        "1   DL1\n", "2  DL10\n", "-------\n", "Note.\n", "Source: ADSL\n"]


def test_text_is_its_lines_joined():
    """table_to_text is the lines joined (indents, wrapped footnotes, no source)."""
    cells = pd.DataFrame({"row": ["Any", "Any", "Anaemia", "Anaemia"],
                          "column": ["A", "B"] * 2, "value": ["3", "4 (50.0%)", "1", ""],
                          "indent": [0, 0, 1, 1]})
    t = ReportTable("14.3.1", "T", "Safety", cells, ("word " * 40,))
    text = table_to_text(t, width=30)
    assert text == "".join(table_text_lines(t, width=30))
    assert "  Anaemia" in text and text.endswith("\n")


# the loop over the rows the table template had between its head and its foot
_BODY_LOOP = """\
{% for label, ind, vals in body %}
<tr><th class="stub ind{{ ind }}" scope="row">{{ label }}</th>
{% for v in vals %}<td{% if v|length > wrap %} class="wrap"{% endif %}>{{ v }}</td>{% endfor %}</tr>
{% endfor %}
"""


def _one_template_html(t: ReportTable) -> str:
    """The table's HTML as the single template with a loop over the rows and cells gave it
    (the code before the body rows were written without a part per cell)."""
    from cartrial.report import render as R

    w = t.wide()
    body = [(lab.replace("\u200b", ""), t.indents.get(lab, 0), vals)
            for lab, vals in zip(t.rows, w.to_numpy().tolist(), strict=True)]
    chars = R.table_width_chars(t)
    width = " wide xwide" if chars > R.XWIDE_CHARS else (" wide" if chars > R.WIDE_CHARS
                                                         else "")
    return R._ENV.from_string(R._HEAD_HTML + _BODY_LOOP + R._FOOT_HTML).render(
        t=t, cols=t.columns, body=body, stub=t.stub or ("#" if t.kind == "listing" else ""),
        width_class=width, wrap=R.WRAP_CHARS,
        caption_word="Listing" if t.kind == "listing" else "Table")


def test_html_body_rows_are_the_single_templates_text():
    """Regression test (issue #18: CPU): the body rows written without a template part per
    cell give the text of the single template the table was rendered with before: escaped
    labels and values (& < > ' " and a zero-width space), indents, the wrap class above 40
    characters (and not at 40), empty cells, a value holding a NUL, footnotes and source, and a
    listing long enough to come in several pieces."""
    from cartrial.report.render import HTML_ROWS_JOINED, table_html_pieces

    cells = pd.DataFrame({"row": ["Any <AE>", "Any <AE>", "\u200bA & 'b'", "\u200bA & 'b'",
                                  'C "q"'],
                          "column": ["DL1 <x>", "Overall", "DL1 <x>", "Overall", "Overall"],
                          "value": ["x" * 40, "y" * 41, "1 & <2>", "", "\u00e9\u2265 3"],
                          "indent": [0, 0, 1, 1, 2]})
    nul = cells.assign(value=cells["value"] + "\x00<")  # the values escaped one by one
    tables = [ReportTable("14.3.1", "T <i>", "Safety & all", cells, ("a < b", "c"), "ADAE"),
              ReportTable("14.3.2", "T", "All", cells), ReportTable("14.3.3", "T", "All", nul),
              table_from_wide("16.2.1", "L", "All", pd.DataFrame(
                  {"Subject": [f"S<{i}>" for i in range(2 * HTML_ROWS_JOINED + 3)],
                   "Note": "a & b " * 8}), kind="listing", source="ADSL")]
    for t in tables:
        pieces = list(table_html_pieces(t))
        assert "".join(pieces) == _one_template_html(t)
    assert len(pieces) > 3


def test_text_rows_are_padded_as_ljust_and_rjust_pad():
    """Regression test (issue #18: CPU): each row's line, made by one format call, is the
    label ljust-ed and each value rjust-ed to its column's width then the line stripped at
    the right (the code before), with indents, non-ASCII values, empty values and a stub
    header wider than every label."""
    cells = pd.DataFrame({"row": ["Any", "Any", "\u200bAn\u00e9mia", "\u200bAn\u00e9mia"],
                          "column": ["DL1 \u2265 3", "B"] * 2,
                          "value": ["3", "", "1 (\u2264 5%)", "12345678901"],
                          "indent": [0, 0, 2, 2]})
    t = ReportTable("14.3.1", "T", "Safety", cells, stub="Preferred term, all")
    lines = list(table_text_lines(t))
    w = t.wide()
    labels = ["  " * t.indents[r] + r.replace("\u200b", "") for r in t.rows]
    stub_w = max(max(map(len, labels)), len(t.stub))
    col_w = [max([len(c)] + [len(v) for v in w[c]]) for c in t.columns]
    expected = [(lab.ljust(stub_w) + "".join("  " + v.rjust(cw)
                                             for v, cw in zip(vals, col_w, strict=True))
                 ).rstrip() + "\n" for lab, vals in zip(labels, w.to_numpy().tolist(),
                                                        strict=True)]
    assert lines[5:7] == expected
    assert lines[5] == "Any" + " " * 25 + "3\n"  # 19 + 2 + 8 characters, then stripped


def test_width_is_the_per_value_formula():
    """Regression test (issue #18: CPU): table_width_chars, measuring each column's longest
    value once, gives the per-value formula of the code before (each value capped at the wrap
    width, then the largest), with values longer than the wrap width, an empty column and a
    header whose longest word is the widest."""
    from cartrial.report.render import WRAP_CHARS, table_width_chars

    cells = pd.DataFrame({"row": ["a", "a", "a", "bb", "bb", "bb"],
                          "column": ["X", "Long-header-word here", "E"] * 2,
                          "value": ["y" * 55, "1", "", "12", "", ""]})
    t = ReportTable("14.1.1", "T", "All", cells)
    w = t.wide()
    stub = min(max([len(r) for r in t.rows] + [len(t.stub), 1]), WRAP_CHARS)
    cols = [max([len(p) for p in str(c).split()] + [min(len(v), WRAP_CHARS) for v in w[c]]
                + [1]) for c in t.columns]
    assert table_width_chars(t) == stub + sum(c + 3 for c in cols) == 2 + 43 + 19 + 4
