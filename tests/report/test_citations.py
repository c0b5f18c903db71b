"""What reaches a reader cites the guideline or paper itself (issue #16 point 6): the rendered
demo report (HTML, RTF, DOCX) and the text the CLI verbs print never name a file the reader does
not have (``*.md``, ``shared/``, ``reference/``) nor a Python function or module of cartrial.

The forbidden names are collected from the package itself (every function defined in a cartrial
module whose name has an underscore, and dotted ``cartrial.`` paths), so a new footnote quoting
a function is caught without this test knowing it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from functools import cache

import pytest
from typer.testing import CliRunner

import cartrial
from cartrial.cli.main import app
from tests.report._pipeline import analysed

FILES = re.compile(r"[\w./-]+\.md\b|\bshared/|\breference/")
DOTTED = re.compile(r"\bcartrial\.[a-z_]+")
WORD = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
runner = CliRunner()


@cache
def function_names() -> frozenset[str]:
    names: set[str] = set()
    for mod in pkgutil.walk_packages(cartrial.__path__, "cartrial."):
        if ".cli" in mod.name or mod.name.endswith("__main__"):
            continue
        try:
            m = importlib.import_module(mod.name)
        except Exception:  # noqa: BLE001 - an optional module that does not import here
            continue
        for name, obj in vars(m).items():
            if "_" in name.strip("_") and (inspect.isfunction(obj) or inspect.isclass(obj)):
                if getattr(obj, "__module__", "").startswith("cartrial"):
                    names.add(name)
    return frozenset(names)


def offences(text: str) -> list[str]:
    found = FILES.findall(text) + DOTTED.findall(text)
    found += [w for w in WORD.findall(text) if w in function_names()]
    return sorted(set(found))


def _html_text(html: str) -> str:
    html = re.sub(r"<svg.*?</svg>|<style>.*?</style>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _docx_text(path) -> str:
    from docx import Document

    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    for s in doc.sections:
        parts += [p.text for p in s.header.paragraphs] + [p.text for p in s.footer.paragraphs]
    return "\n".join(parts)


def test_the_scan_finds_what_it_looks_for() -> None:
    """The scanner itself, on strings the report used to contain."""
    assert offences("(dose-finding.md 2.2)") == ["dose-finding.md"]
    assert offences("NCA by PKNCA defaults (shared/reference/ecosystem.md section 6)")
    assert offences("re-derived (cartrial.conduct.recommend)") == ["cartrial.conduct"]
    assert offences("source: decision_table") == ["decision_table"]
    assert offences("Liu S, Yuan Y, J R Stat Soc C 2015;64:507-23") == []


def test_demo_report_cites_papers_not_files_or_functions(tmp_path_factory) -> None:
    s = analysed(tmp_path_factory)
    html = s.report.read_text(encoding="utf-8")
    assert offences(_html_text(html)) == []
    # the method notes cite the papers
    for cite in ("Liu S, Yuan Y, J R Stat Soc C 2015;64:507-23",
                 "Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38",
                 "Kumar S et al., Lancet Oncol 2016;17:e328-46"):
        assert cite in html
    tables = sorted((s.out / "tables").glob("*"))
    assert any(p.suffix == ".rtf" for p in tables) and any(p.suffix == ".docx" for p in tables)
    for p in tables:
        text = _docx_text(p) if p.suffix == ".docx" else p.read_text(encoding="utf-8")
        assert offences(text) == [], p.name


@pytest.mark.parametrize("verb", ["decide", "safety", "efficacy", "kinetics"])
def test_cli_outputs_cite_papers_not_files_or_functions(tmp_path_factory, verb) -> None:
    s = analysed(tmp_path_factory)
    sdtm = s.out.parent / "sdtm"
    r = runner.invoke(app, [verb, str(sdtm), "--protocol", "ct071"], terminal_width=240)
    assert r.exit_code == 0, r.output
    assert offences(r.output) == []
