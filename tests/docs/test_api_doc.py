"""docs/api.md lists every public name of every engine (generated, checked up to date)."""

from __future__ import annotations

from pathlib import Path

from cartrial._apidoc import render

ROOT = Path(__file__).resolve().parents[2]


def test_api_doc_is_up_to_date() -> None:
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert doc == render(), "regenerate: python -m cartrial._apidoc > docs/api.md"
