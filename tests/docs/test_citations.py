"""Citations a reader can follow (issue #16 point 6, issue #19 point 3): the sources, the README,
CONTRIBUTING.md and docs/ cite the guideline or paper itself (author, journal, year;volume:pages,
table or section), never a reference file the reader does not have.

The forbidden names are the internal notes the code used to cite ("shared/reference/...",
"dose-finding.md 2.2", "trial-facts 5") and a bare section number with no source named, such as
"(sec. 2.3)". A citation such as "Liu S, Yuan Y, J R Stat Soc C 2015;64:507-23" passes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: names of files that are not in the repository, with or without the ``.md`` suffix
FORBIDDEN = re.compile(
    r"shared/reference|shared/seed|trial-facts|clinical-standards|sdtm-conventions|standards-2026"
    r"|\bdose-finding\.md|\becosystem\.md|\bstyle\.md",
    re.IGNORECASE,
)
#: a section number in parentheses with no source named: "(sec. 2.3)", "(section 5)"
BARE_SECTION = re.compile(r"\((?:sec\.|sections?) \d[\d.,\- ]*(?:item \d+)?\)")
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".txt", ".toml", ".json", ".csv", ".html",
                 ".j2", ".jinja", ".css", ".js", ".R", ".rst", ".cfg", ".ini"}


def offences(text: str) -> list[str]:
    """Every forbidden citation in ``text`` (empty when it cites only primary sources)."""
    return sorted({m.group(0) for rx in (FORBIDDEN, BARE_SECTION) for m in rx.finditer(text)})


def scanned_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "BENCHMARKS.md"]
    for top in (ROOT / "src", ROOT / "docs", ROOT / "tests", ROOT / "validation",
                ROOT / "benchmarks"):
        files += sorted(p for p in top.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES
                        and "__pycache__" not in p.parts
                        and p.name != "test_citations.py")  # the scanners' own test data
    return files


def test_the_scan_finds_what_it_looks_for() -> None:
    """The scanner on citations the sources used to contain, and on primary citations."""
    assert offences("(shared/reference/dose-finding.md 2.2)") == ["dose-finding.md",
                                                                  "shared/reference"]
    assert offences("trial-facts 5: 5-12 %") == ["trial-facts"]
    assert offences("rules (clinical-standards.md section 1)") == ["clinical-standards"]
    assert offences("PKNCA defaults (ecosystem.md section 6)") == ["ecosystem.md"]
    assert offences("eliminated too (sec. 2.3)") == ["(sec. 2.3)"]
    assert offences("blood plasma cells (section 5)") == ["(section 5)"]
    assert offences("Liu S, Yuan Y, J R Stat Soc C 2015;64:507-23") == []
    assert offences("Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38 (CRS table)") == []
    assert offences("CDISC SDTMIG 3.4 section 6.3; Liu & Yuan 2015 section 3.2") == []
    assert offences("a dose-finding trial; the Python ecosystem") == []


def test_the_scan_covers_sources_and_docs() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in scanned_files()}
    assert {"README.md", "CONTRIBUTING.md", "docs/api.md", "src/cartrial/design/boin.py",
            "src/cartrial/protocol/bundled/ct071.yaml",
            "src/cartrial/safety/criteria/crs_astct_2019.yaml"} <= names


@pytest.mark.parametrize("path", scanned_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_cites_primary_sources_not_files(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    found = offences(text)
    lines = [f"{i}: {line.strip()}" for i, line in enumerate(text.splitlines(), 1)
             if offences(line)]
    assert found == [], f"{path.relative_to(ROOT)} cites files the reader does not have " \
                        f"(cite the primary source: author, journal, year;volume:pages):\n" \
                        + "\n".join(lines)
