"""The browser tests fail, not skip, in CI when chromium is missing (issue #19 point 5).

Regression tests of the suite's own hook (tests/conftest.py).
"""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest

from tests import conftest


def _item(*marks: str) -> SimpleNamespace:
    return SimpleNamespace(keywords=set(marks))


def test_ci_without_chromium_fails(monkeypatch) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="chromium is not on PATH"):
        conftest.pytest_runtest_setup(_item("browser"))


def test_outside_ci_the_skip_stays(monkeypatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    conftest.pytest_runtest_setup(_item("browser"))  # no failure: the test's own skipif applies


def test_other_tests_are_untouched(monkeypatch) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    conftest.pytest_runtest_setup(_item("slow"))
    assert conftest.browser_missing() == "Debian chromium is not on PATH"
