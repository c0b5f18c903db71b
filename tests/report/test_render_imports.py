"""The table writers import in any order (a fresh interpreter for each): ``render_rtf`` or
``render_docx`` first used to fail on a circular import with ``render``, which re-exports them."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("first", ["render_rtf", "render_docx", "render"])
def test_each_writer_module_imports_first(first: str) -> None:
    code = (f"import cartrial.report.{first}\n"
            "from cartrial.report.render import table_to_rtf, table_to_docx, _rtf_escape\n"
            "print(table_to_rtf.__module__, table_to_docx.__module__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["cartrial.report.render_rtf", "cartrial.report.render_docx"]


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    import cartrial.report.render as render

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        render.nope  # noqa: B018
