"""The docstring examples of the listed packages run as tests (issue #19 point 3).

Every module under the packages of ``PACKAGES`` is imported and each of its docstring examples
is run (``doctest``, with ELLIPSIS and NORMALIZE_WHITESPACE); an example that needs files on disk
is marked ``# doctest: +SKIP`` in its docstring. The expected outputs in the docstrings are the
ones each function's own reference tests check (regression tests of the documentation).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import tempfile

import pytest

import cartrial

PACKAGES = ("adam", "committee", "conduct", "data", "design", "efficacy", "example", "kinetics",
            "protocol", "report", "safety", "sweep")
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules() -> list[str]:
    out = []
    for pkg in PACKAGES:
        path = [f"{cartrial.__path__[0]}/{pkg}"]
        out.append(f"cartrial.{pkg}")
        out += [m.name for m in pkgutil.walk_packages(path, f"cartrial.{pkg}.")]
    return sorted(out)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run(name: str, tmp_path, monkeypatch) -> None:
    # the examples' temporary folders (tempfile.mkdtemp, as a user would write them) go under
    # pytest's own temporary folder, not left behind in the system's
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    module = importlib.import_module(name)
    tests = [t for t in doctest.DocTestFinder().find(module, name) if t.examples]
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    for t in tests:
        runner.run(t, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)


def test_the_examples_are_there() -> None:
    """The engines' modules carry examples: at least a hundred run (a guard against a finder
    that silently finds nothing)."""
    count = 0
    for name in _modules():
        module = importlib.import_module(name)
        count += sum(len(t.examples) for t in doctest.DocTestFinder().find(module, name))
    assert count >= 100
