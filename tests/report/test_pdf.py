"""The report printed to PDF by headless Chromium loses nothing (issue #16 point 2): the text
of the PDF (pdftotext, Debian poppler-utils) holds every cell of every table and listing, the
running header names the study and the data cut-off, and wide tables are printed landscape.

Skipped when Chromium or pdftotext is not installed (``apt-get install chromium poppler-utils``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from cartrial.errors import InputError
from cartrial.report.pdf import html_to_pdf
from tests.report._pipeline import analysed

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None or shutil.which("pdftotext") is None,
                       reason="Debian chromium or poppler-utils not installed"),
]


class _Cells(HTMLParser):
    """Text of every th/td inside a table (the figures' SVG text is not a table cell)."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self._depth = 0
        self._buf: list[str] | None = None

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "table":
            self._depth += 1
        elif tag in ("td", "th") and self._depth:
            self._buf = []

    def handle_endtag(self, tag) -> None:
        if tag == "table":
            self._depth -= 1
        elif tag in ("td", "th") and self._buf is not None:
            self.cells.append("".join(self._buf))
            self._buf = None

    def handle_data(self, data) -> None:
        if self._buf is not None:
            self._buf.append(data)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u200b", "")).strip()


def _found(cell: list[str], words: list[str], where: dict[str, list[int]], gap: int = 15
           ) -> bool:
    """The cell's words in order in the PDF's words, at most ``gap`` other words between two
    of them: a label wrapped over two lines of a row is read with the row's other cells in
    between (pdftotext reads line by line)."""
    for start in where.get(cell[0], []):
        pos, ok = start, True
        for w in cell[1:]:
            nxt = next((i for i in range(pos + 1, min(pos + 2 + gap, len(words)))
                        if words[i] == w), None)
            if nxt is None:
                ok = False
                break
            pos = nxt
        if ok:
            return True
    return False


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    s = analysed(tmp_path_factory)
    pdf = html_to_pdf(s.report, tmp_path_factory.mktemp("pdf") / "report.pdf")
    return s, pdf


def test_every_cell_of_every_table_is_in_the_pdf(printed) -> None:
    s, pdf = printed
    parser = _Cells()
    parser.feed(s.report.read_text(encoding="utf-8"))
    cells = [_norm(c) for c in parser.cells if _norm(c)]
    assert len(cells) > 1000  # the example's tables and listings
    text = _norm(subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True,
                                text=True, check=True).stdout)
    # Chromium breaks long cells after a hyphen ("2023-06-" / "27"): joined again
    text = re.sub(r"(?<=\S)- ", "-", text)
    words = text.split(" ")
    where: dict[str, list[int]] = {}
    for i, w in enumerate(words):
        where.setdefault(w, []).append(i)
    missing = [c for c in cells if c not in text and not _found(c.split(" "), words, where)]
    assert missing == []
    # the last row of the longest listing (cut at row 34 of 87 before issue #16)
    assert "16.2.3" in text


def test_pages_carry_study_cut_off_and_page_numbers_and_wide_tables_turn(printed) -> None:
    s, pdf = printed
    info = subprocess.run(["pdfinfo", "-l", "999", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)
    assert any(float(w) > float(h) for w, h in sizes)  # landscape pages for wide tables
    assert any(float(w) < float(h) for w, h in sizes)  # portrait for the rest
    n = len(sizes)
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
    assert "CT071" in first and "Data cut-off" in first and f"Page 1 of {n}" in first


def test_a_missing_report_is_an_input_error(tmp_path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        html_to_pdf(tmp_path / "none.html", tmp_path / "none.pdf")
