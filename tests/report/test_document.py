"""The self-contained HTML document."""

from __future__ import annotations

import re
from datetime import datetime

import pandas as pd
import pytest

from cartrial.errors import InputError
from cartrial.report.document import Provenance, ReportFigure, Section, render_document
from cartrial.report.fig_response import waterfall_figure
from cartrial.report.figures import figure_bytes
from cartrial.report.table import ReportTable


def _prov() -> Provenance:
    return Provenance("0.1.0", "ct071", "ab" * 32, "data/", "cd" * 32,
                      datetime(2025, 6, 1, 12, 0, 0), "2025-05-31")


def _items():
    t = ReportTable("14.1.1", "Summary", "All", pd.DataFrame(
        {"row": ["n"], "column": ["All"], "value": ["3"]}), ("Footnote.",), "ADSL")
    svg = figure_bytes(waterfall_figure(pd.DataFrame(
        {"USUBJID": ["a"], "PCHG": [-50.0], "BEST": ["PR"], "MARKER": ["SERUM"]})),
        "svg").decode()
    return t, ReportFigure("14.2.1", "Waterfall", svg, ("Best change.",))


def test_document_is_self_contained_with_contents_and_provenance():
    t, f = _items()
    html = render_document("CT071 report", "sub", [Section("Trial summary", (t, f))], _prov())
    assert html.startswith("<!DOCTYPE html>")
    # no external resources: no src= or href= pointing outside the file, no scripts
    assert not re.search(r'(src|href)="(?!#)', html)
    assert "<script" not in html and "@import" not in html
    assert '<a href="#t14_1_1">Table 14.1.1 Summary</a>' in html
    assert '<a href="#f14_2_1">Figure 14.2.1 Waterfall</a>' in html
    assert "ab" * 32 in html and "cd" * 32 in html and "2025-06-01 12:00:00" in html
    assert html.count("<svg") == 1 and "<?xml" not in html


def test_same_inputs_same_bytes():
    t, f = _items()
    a = render_document("R", "s", [Section("A", (t, f))], _prov())
    t2, f2 = _items()
    assert a == render_document("R", "s", [Section("A", (t2, f2))], _prov())


def test_duplicate_numbers_are_refused():
    t, _ = _items()
    with pytest.raises(InputError, match="numbered"):
        render_document("R", "s", [Section("A", (t,)), Section("B", (t,))], _prov())


def test_written_in_pieces_as_rendered_whole(tmp_path):
    """Regression (issue #18: memory): write_document's file holds render_document's text
    byte for byte; on a duplicate number nothing is written and no partial file is left."""
    from cartrial.report.document import write_document

    t, f = _items()
    secs = [Section("A", (t, f)), Section("B", ())]
    path = tmp_path / "report.html"
    write_document(path, "R: x", "s", secs, _prov(), omitted=["14.4"])
    assert path.read_bytes() == render_document("R: x", "s", secs, _prov(),
                                                omitted=["14.4"]).encode("utf-8")
    path.write_text("earlier", encoding="utf-8")
    with pytest.raises(InputError, match="numbered"):
        write_document(path, "R", "s", [Section("A", (t,)), Section("B", (t,))], _prov())
    assert path.read_text(encoding="utf-8") == "earlier"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
