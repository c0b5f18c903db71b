"""rtflite's text widths measured once per distinct text (issue #18).

The widths are checked against rtflite's own ``get_string_width`` (the library's function,
called directly); the RTF bytes with the memo against those rtflite writes without it is a
regression test of this code's fast path, and says so.
"""

from __future__ import annotations

import pandas as pd
import rtflite.pagination.core as core
from rtflite.strwidth import get_string_width

from cartrial.report.render import table_to_rtf
from cartrial.report.render_rtf_widths import remembered_widths
from cartrial.report.table import ReportTable

TEXTS = ["", "0", "12 (50.0%)", "Grade \u2265 3", "Cytokine release syndrome", "0", "DL1 (N=3)"]


def test_widths_are_rtflites_own_and_the_module_is_restored():
    before = core.get_string_width
    with remembered_widths():
        assert core.get_string_width is not before
        got = [core.get_string_width(t, font=f, font_size=s)
               for t in TEXTS for f in (1, 2, 3) for s in (8, 9, 10.5)]
        again = [core.get_string_width(t, font=f, font_size=s)
                 for t in TEXTS for f in (1, 2, 3) for s in (8, 9, 10.5)]
    assert core.get_string_width is before
    assert got == again == [get_string_width(t, font=f, font_size=s)
                            for t in TEXTS for f in (1, 2, 3) for s in (8, 9, 10.5)]


def test_restored_after_an_error():
    before = core.get_string_width
    try:
        with remembered_widths():
            raise KeyError("x")
    except KeyError:
        pass
    assert core.get_string_width is before


def _table(n: int) -> ReportTable:
    cells = pd.DataFrame({"row": [f"Patient {i}" for i in range(n) for _ in (0, 1)],
                          "column": ["DL1 (N=3)", "DL2 (N=6)"] * n,
                          "value": [str(i % 3) for i in range(2 * n)],
                          "indent": [i % 2 for i in range(n) for _ in (0, 1)]})
    return ReportTable("16.2.1", "Patients", "Safety", cells, ("Note.",), "ADSL")


def test_rtf_bytes_with_the_memo_are_those_rtflite_writes_without(tmp_path, monkeypatch):
    """Regression: a two-page table written with the memo (warm, from a first write) against
    the same table with rtflite measuring every cell itself."""
    t = _table(70)
    table_to_rtf(t, tmp_path / "warm.rtf")
    fast = table_to_rtf(t, tmp_path / "fast.rtf").read_bytes()
    import contextlib

    import cartrial.report.render_rtf as render_rtf

    monkeypatch.setattr(render_rtf, "remembered_widths", contextlib.nullcontext)
    plain = table_to_rtf(t, tmp_path / "plain.rtf").read_bytes()
    assert fast == plain
    assert fast.count(b"\\page") >= 1  # paginated: the widths decided the page breaks


def test_first_measures_are_rtflites_for_every_font_size_and_unit():
    """A text measured for the first time (font loaded once per process) against rtflite's
    own ``get_string_width`` (loading the font itself): every rtflite font number and name,
    whole and fractional sizes, the three units, non-ASCII text."""
    from rtflite.strwidth import RTF_FONT_NAMES

    from cartrial.report.render_rtf_widths import _measure

    fonts = list(RTF_FONT_NAMES) + list(RTF_FONT_NAMES.values())
    for t in TEXTS + ["\u00e9\u00e8 \u2264 5 \u00b5g/L", "W" * 60]:
        for f in fonts:
            for s in (8, 9, 10.5):
                for u in ("in", "px", "mm"):
                    assert _measure(t, font=f, font_size=s, unit=u) == get_string_width(
                        t, font=f, font_size=s, unit=u), (t, f, s, u)
    assert _measure("x", dpi=96.0) == get_string_width("x", dpi=96.0)


def test_unknown_font_or_unit_fails_as_in_rtflite():
    import pytest

    from cartrial.report.render_rtf_widths import _measure

    for kw in ({"font": 99}, {"font": "Comic Sans"}, {"unit": "pt"}):
        with pytest.raises(ValueError) as theirs:
            get_string_width("x", **kw)
        with pytest.raises(ValueError) as ours:
            _measure("x", **kw)
        assert str(ours.value) == str(theirs.value)
