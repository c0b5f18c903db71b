"""The data model itself: XPT v5 limits hold, and docs/data-model.md is generated from it."""

from __future__ import annotations

from pathlib import Path

from cartrial.data.docs import render_markdown
from cartrial.data.spec import data_model

ROOT = Path(__file__).resolve().parents[2]


def test_names_and_labels_fit_xpt_v5() -> None:
    m = data_model()
    for name, d in m.domains.items():
        assert len(name) <= 8
        for var, label in d.variables.items():
            assert len(var) <= 8, var
            assert len(label) <= 40 and label.isascii(), (var, label)
    for tests in m.tests.values():
        for code, t in tests.items():
            assert len(code) <= 8 and len(t.test) <= 40


def test_docs_data_model_is_up_to_date() -> None:
    doc = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert doc == render_markdown(), "regenerate: python -m cartrial.data.docs > docs/data-model.md"


def test_libyaml_loader_reads_every_bundled_yaml_as_the_python_loader() -> None:
    """Regression test: ``cartrial._yaml.safe_load`` (libyaml's C parser when present) gives
    the same objects as PyYAML's pure-Python ``yaml.safe_load`` on every bundled YAML file."""
    from pathlib import Path

    import yaml

    from cartrial._yaml import safe_load

    root = Path(__file__).resolve().parents[2] / "src" / "cartrial"
    files = sorted(root.rglob("*.yaml"))
    assert files
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert safe_load(text) == yaml.safe_load(text), f


def test_invalid_yaml_is_reported_with_the_python_parsers_quoted_line() -> None:
    """The error users see quotes the faulty line with a caret (PyYAML's pure-Python message),
    also when libyaml parsed first."""
    import pytest
    import yaml

    from cartrial._yaml import safe_load

    with pytest.raises(yaml.YAMLError) as err:
        safe_load("a: [1, 2\nb: 3")
    assert "    a: [1, 2\n       ^" in str(err.value)
