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
