"""rtflite's table parts with each attribute broadcast once (issue #18).

The reference is rtflite's own encoder, ``TableAttributes._encode`` (rtflite 2.6, called
directly): :func:`encode_part` must give the same RTF pieces for per-cell, per-row and
per-column attributes, empty cells and a part that starts inside the table. The whole-file
comparisons (this module's ``Body`` / ``ColumnHeader`` against rtflite's ``RTFBody`` /
``RTFColumnHeader`` in ``table_to_rtf``) are regression tests of the fast path and say so.
"""

from __future__ import annotations

import random

import pandas as pd
import polars as pl
import pytest
import rtflite as rtf
from rtflite.attributes import TableAttributes

import cartrial.report.render_rtf as render_rtf
import cartrial.report.render_rtf_cells as cells
from cartrial.report.render import RunningHeader
from cartrial.report.table import ReportTable

_STYLES = ["single", "double", "", "dashed"]


def _attrs(rng: random.Random, nrow: int, ncol: int) -> dict:
    """Attributes that vary by cell, by row or by column (rtflite broadcasts each)."""
    def grid(values):
        shape = rng.choice(["one", "row", "col", "cell"])
        if shape == "one":
            return rng.choice(values)
        if shape == "col":
            return [rng.choice(values) for _ in range(ncol)]
        return [[rng.choice(values) for _ in range(ncol if shape == "cell" else 1)]
                for _ in range(nrow if shape != "one" else 1)]

    return {"col_rel_width": [rng.choice([1.0, 2.0, 3.0]) for _ in range(ncol)],
            "text_format": grid(["", "b", "i", "bi"]),
            "text_justification": grid(["l", "c", "r"]),
            "text_font_size": grid([8, 9, 10]),
            "text_color": grid(["", "red", "black"]),
            "text_indent_left": grid([0, 180]),
            "text_convert": grid([False, True]),
            "border_left": grid(_STYLES), "border_top": grid(_STYLES),
            "border_right": grid(_STYLES), "border_bottom": grid(_STYLES),
            "cell_vertical_justification": grid(["top", "center", "bottom"]),
            "cell_justification": grid(["l", "c"]),
            "cell_height": grid([0.15, 0.3])}


def _frame(rng: random.Random, nrow: int, ncol: int) -> pl.DataFrame:
    words = ["", "0", "3 (50.0)", "Grade 3", "a long cell text that wraps in its column",
             "x^2", "\u2265 1", None]
    return pl.DataFrame({f"c{j}": [rng.choice(words) for _ in range(nrow)]
                         for j in range(ncol)}, schema={f"c{j}": pl.String
                                                        for j in range(ncol)})


@pytest.mark.parametrize("seed", range(40))
def test_encode_part_is_rtflites_encode(seed):
    """40 seeded parts against rtflite's own ``TableAttributes._encode``."""
    rng = random.Random(seed)
    nrow, ncol = rng.randint(1, 7), rng.randint(1, 5)
    kw = _attrs(rng, nrow, ncol)
    df = _frame(rng, nrow, ncol)
    widths = [1.0 + j for j in range(ncol)]
    offset = rng.choice([0, 0, 2])
    theirs = rtf.RTFBody(**kw)._set_default()
    ours = rtf.RTFBody(**kw)._set_default()
    assert cells.encode_part(ours, df, widths, offset) == \
        TableAttributes._encode(theirs, df, widths, offset)
    assert ours.cell_nrow == theirs.cell_nrow  # lines per cell, filled the same way


def test_an_invalid_attribute_fails_as_in_rtflite():
    df = pl.DataFrame({"a": ["1"]})
    bad = rtf.RTFBody(col_rel_width=[1.0])._set_default()
    object.__setattr__(bad, "cell_justification", [["q"]])  # past rtflite's field check
    with pytest.raises(ValueError, match="Invalid justification"):
        TableAttributes._encode(bad, df, [1.0])
    with pytest.raises(ValueError, match="Invalid justification"):
        cells.encode_part(bad, df, [1.0])


def _table(n: int, ncol: int = 2) -> ReportTable:
    labels = [f"DL{k} (N={k + 2})" for k in range(ncol)]
    rows = pd.DataFrame({"row": [f"Patient {i} \u2013 \u00e9" for i in range(n)
                                 for _ in labels],
                         "column": labels * n,
                         "value": [f"{i % 4} ({12.5 * (i % 4):.1f})" for i in range(n * ncol)],
                         "indent": [i % 3 for i in range(n) for _ in labels]})
    return ReportTable("14.3.1", "Adverse events {by} grade \\ dose", "Safety", rows,
                       ("Percentages of N.", "CTCAE v5.0 \u2265 3."), "ADAE")


@pytest.mark.parametrize(("n", "ncol"), [(3, 2), (70, 3), (45, 9)])
def test_files_are_those_of_rtflites_own_parts(tmp_path, monkeypatch, n, ncol):
    """Regression: a short table, a paginated one and a wide (landscape) one, with a running
    header, written with this module's parts and with rtflite's classes."""
    t = _table(n, ncol)
    head = RunningHeader("CT071", "2026-06-30", pd.Timestamp("2026-07-01").to_pydatetime())
    fast = render_rtf.table_to_rtf(t, tmp_path / "fast.rtf", header=head).read_bytes()
    monkeypatch.setattr(cells, "Body", rtf.RTFBody)
    monkeypatch.setattr(cells, "ColumnHeader", rtf.RTFColumnHeader)
    monkeypatch.setattr(cells, "Footnote", rtf.RTFFootnote)
    plain = render_rtf.table_to_rtf(t, tmp_path / "plain.rtf", header=head).read_bytes()
    assert fast == plain
    if n == 70:
        assert fast.count(b"\\page") >= 1


def test_pagination_keeps_the_fast_parts(tmp_path, monkeypatch):
    """rtflite copies the parts for each page; the copies still encode through
    :func:`encode_part` (else the speed-up would be lost without a sign)."""
    calls = []
    real = cells.encode_part
    monkeypatch.setattr(cells, "encode_part", lambda *a: calls.append(1) or real(*a))
    def no_slow_parts(self, *a, **k):
        pytest.fail(f"{type(self).__name__} encoded by rtflite's own _encode")

    monkeypatch.setattr(TableAttributes, "_encode", no_slow_parts)
    render_rtf.table_to_rtf(_table(70), tmp_path / "t.rtf")
    assert len(calls) >= 5  # header and body of two pages, the footnotes at the end
