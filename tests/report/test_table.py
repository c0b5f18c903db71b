"""The tidy table model and its renderers (text, HTML, DOCX)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.errors import InputError
from cartrial.report.render import table_to_docx, table_to_html, table_to_text
from cartrial.report.table import ReportTable, fmt_n_pct, fmt_num, table_from_wide


def _ae_table() -> ReportTable:
    cells = pd.DataFrame({
        "row": ["Any TEAE", "Any TEAE", "Blood disorders", "Blood disorders", "Anaemia", "Anaemia"],
        "column": ["DL1 (N=3)", "DL2 (N=6)"] * 3,
        "value": ["3 (100.0%)", "5 (83.3%)", "2 (66.7%)", "1 (16.7%)", "2 (66.7%)", "0"],
        "indent": [0, 0, 0, 0, 1, 1],
    })
    return ReportTable("14.3.1.1", "TEAEs by SOC and PT", "Safety", cells,
                       ("MedDRA coding.",), "ADAE")


def test_rows_and_columns_keep_first_appearance_order():
    t = _ae_table()
    assert t.rows == ["Any TEAE", "Blood disorders", "Anaemia"]
    assert t.columns == ["DL1 (N=3)", "DL2 (N=6)"]
    assert t.wide().loc["Anaemia", "DL2 (N=6)"] == "0"
    assert t.indents["Anaemia"] == 1
    assert t.caption == "Table 14.3.1.1 TEAEs by SOC and PT"


@pytest.mark.parametrize("number", ["14.x", "", "Table 14.1", "14..1"])
def test_bad_number_is_refused(number):
    with pytest.raises(InputError, match="table number"):
        ReportTable(number, "t", "p", pd.DataFrame({"row": [], "column": [], "value": []}))


def test_two_values_for_one_cell_are_refused():
    cells = pd.DataFrame({"row": ["a", "a"], "column": ["x", "x"], "value": ["1", "2"]})
    with pytest.raises(InputError, match="two values for row 'a', column 'x'"):
        ReportTable("14.1", "t", "p", cells)


def test_n_pct_hand_cases():
    # CSR shell convention (ICH E3 section 14 tables; PhUSE TLF conventions): "n (x.x%)" with one
    # decimal; 3/12 = 25.0 %, 1/3 = 33.3 %
    assert fmt_n_pct([3, 1, 0, 2], [12, 3, 5, 0]).tolist() == ["3 (25.0%)", "1 (33.3%)", "0", "2"]
    assert fmt_num(float("nan")) == "NE"
    assert fmt_num(2.25, 1) == "2.2"  # Python rounds half to even


def test_text_rendering_is_a_fixed_layout():
    txt = table_to_text(_ae_table())
    lines = txt.splitlines()
    assert lines[0] == "Table 14.3.1.1 TEAEs by SOC and PT"
    assert lines[1] == "Population: Safety"
    assert "  Anaemia" in txt  # indented preferred term
    assert lines[-2] == "MedDRA coding."
    assert lines[-1] == "Source: ADAE"


def test_html_has_caption_every_cell_and_escapes():
    cells = pd.DataFrame({"row": ["<b>x</b>"], "column": ["A&B"], "value": ["1 (5.0%)"]})
    html = table_to_html(ReportTable("14.2", "T", "All", cells, ("fn <1>",)))
    assert 'id="t14_2"' in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "A&amp;B" in html and "fn &lt;1&gt;" in html
    assert "<td>1 (5.0%)</td>" in html


def test_docx_holds_the_same_cells(tmp_path):
    from docx import Document

    t = _ae_table()
    p = table_to_docx(t, tmp_path / "t.docx", run_date=datetime(2025, 1, 2, 3, 4, 5))
    doc = Document(str(p))
    grid = doc.tables[0]
    assert grid.cell(0, 1).text == "DL1 (N=3)"
    assert grid.cell(3, 2).text == "0"
    assert doc.core_properties.created.replace(tzinfo=None) == datetime(2025, 1, 2, 3, 4, 5)
    assert doc.paragraphs[0].text == t.caption


def test_wide_listing_numbers_rows():
    w = pd.DataFrame({"USUBJID": ["S1", "S2"], "DOSE": ["DL1", None]})
    t = table_from_wide("16.2.1", "Subjects", "All", w, kind="listing")
    assert t.rows == ["1", "2"]
    assert t.wide().loc["2", "DOSE"] == ""
    assert t.caption.startswith("Listing 16.2.1")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.text("abcxyz ", min_size=1, max_size=6),
                          st.integers(0, 99)), min_size=1, max_size=8, unique_by=lambda t: t[0]))
def test_every_value_appears_in_text_and_html(rows):
    w = pd.DataFrame({"label": [r[0] for r in rows], "n": [str(r[1]) for r in rows]})
    t = table_from_wide("14.9", "T", "All", w, row_label="label")
    txt = table_to_text(t)
    html = table_to_html(t)
    for _, n in rows:
        assert str(n) in txt
        assert f"<td>{n}</td>" in html
    assert t.wide().shape == (len(rows), 1)


def test_docx_bytes_depend_on_content_and_run_date_only(tmp_path):
    when = datetime(2025, 1, 2, 3, 4, 5)
    a = table_to_docx(_ae_table(), tmp_path / "a.docx", run_date=when).read_bytes()
    b = table_to_docx(_ae_table(), tmp_path / "b.docx", run_date=when).read_bytes()
    assert a == b


def _rtf_cells(rtf: str) -> list[str]:
    """The text of every table cell of an RTF document, in order."""
    import re

    return re.findall(r"\{\\f0 ((?:[^{}\\]|\\[{}\\]|\\u-?\d+\?)*)\}\\cell", rtf)


def test_rtf_holds_the_same_cells_and_is_deterministic(tmp_path):
    from cartrial.report.render import table_to_rtf

    t = _ae_table()
    a = table_to_rtf(t, tmp_path / "a.rtf").read_bytes()
    assert a == table_to_rtf(t, tmp_path / "b.rtf").read_bytes()
    rtf = a.decode("ascii")                         # plain ASCII: non-ASCII is \uN? escaped
    assert rtf.startswith("{\\rtf1") and rtf.rstrip().endswith("}")
    cells = _rtf_cells(rtf)
    assert cells[:3] == ["", "DL1 (N=3)", "DL2 (N=6)"]
    assert cells[3:12] == ["Any TEAE", "3 (100.0%)", "5 (83.3%)", "Blood disorders",
                           "2 (66.7%)", "1 (16.7%)", "   Anaemia", "2 (66.7%)", "0"]
    assert cells[12:] == ["MedDRA coding."]    # rtflite boxes the footnotes under the table
    assert t.caption in rtf and "Population: Safety" in rtf and "Source: ADAE" in rtf


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=list("ab{}\\ ≥µé𝛼"), min_size=1, max_size=8))
def test_rtf_escapes_control_characters_and_non_ascii(value):
    import re

    from cartrial.report.render import _rtf_escape

    esc = _rtf_escape(value)
    assert esc.isascii()
    # braces only as escaped literals, so RTF groups stay balanced
    assert not re.search(r"(?<!\\)[{}]", esc.replace("\\\\", ""))
    # decoding the escapes gives the value back (UTF-16 code units for non-BMP characters)
    units = []
    for tok in re.findall(r"\\u(-?\d+)\?|\\([{}\\])|(.)", esc, flags=re.S):
        if tok[0]:
            units.append((int(tok[0]) % 65536).to_bytes(2, "little"))
        else:
            units.append((tok[1] or tok[2]).encode("utf-16-le"))
    assert b"".join(units).decode("utf-16-le") == value


def test_html_in_pieces_joins_to_the_whole_text():
    """Regression (issue #18: memory): table_html_pieces, joined a few template parts at a
    time, gives table_to_html's text; a long listing comes in several pieces."""
    from cartrial.report.render import table_html_pieces
    from cartrial.report.table import table_from_wide

    t = table_from_wide("16.2.1", "L", "All", pd.DataFrame(
        {"Subject": [f"S<{i}>" for i in range(3000)], "Note": "a & b"}), kind="listing")
    pieces = list(table_html_pieces(t))
    assert len(pieces) > 1
    assert "".join(pieces) == table_to_html(t)


def test_indents_worked_out_once_and_handed_out_as_copies():
    """Regression test: the indents are the first indent of each row in order, worked out once
    per table (a second call does not read the cells again) and a caller's change to the dict
    it got does not reach the table."""
    cells = pd.DataFrame({"row": ["A", "a1", "A"], "column": ["N", "N", "%"],
                          "value": ["1", "2", "3"], "indent": [0, 1, 0]})
    t = ReportTable("14.1.1", "T", "All", cells.copy())
    got = t.indents
    assert got == {"A": 0, "a1": 1}
    got["A"] = 5
    t.cells.drop(columns="indent", inplace=True)  # a second call reads the kept result
    assert t.indents == {"A": 0, "a1": 1}
    assert ReportTable("14.1.2", "T", "All", cells.drop(columns="indent")).indents == {
        "A": 0, "a1": 0}


def _pivoted(t: ReportTable) -> pd.DataFrame:
    """The wide frame as a pivot makes it (the reference of ReportTable.wide)."""
    w = t.cells.pivot(index="row", columns="column", values="value")
    return w.reindex(index=t.rows, columns=t.columns).fillna("")


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 6), m=st.integers(1, 4), drop=st.sets(st.integers(0, 23), max_size=3),
       shuffle=st.booleans())
def test_wide_is_the_pivot_whole_grid_or_not(n, m, drop, shuffle):
    """Issue #18 (memory): a whole grid in row-major order (every listing) is reshaped, any
    other table pivoted; both give the pivot's frame, names of its axes included (the CSV of a
    listing prints them). Against pandas' pivot, the reference the table used before."""
    cells = pd.DataFrame({"row": [f"r{i}" for i in range(n) for _ in range(m)],
                          "column": [f"c{j}" for _ in range(n) for j in range(m)],
                          "value": [f"{i}.{j}" for i in range(n) for j in range(m)]})
    cells = cells.drop(index=[k for k in drop if k < len(cells)])
    if shuffle:
        cells = cells.iloc[::-1]
    t = ReportTable("1", "T", "All", cells.reset_index(drop=True))
    pd.testing.assert_frame_equal(t.wide(), _pivoted(t))
    assert t.wide().to_csv(lineterminator="\n") == _pivoted(t).to_csv(lineterminator="\n")


def test_wide_of_a_listing_with_empty_values():
    """A listing's missing values are empty cells, as the pivot made them."""
    t = table_from_wide("16.2.1", "L", "All", pd.DataFrame({"A": ["x", None], "B": [None, "y"]}),
                        kind="listing")
    assert t.wide().values.tolist() == [["x", ""], ["", "y"]]
    pd.testing.assert_frame_equal(t.wide(), _pivoted(t))
