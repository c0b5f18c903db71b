"""report.fig_patch: matplotlib's functions replaced once, the replacement scoped to a block."""

from __future__ import annotations

from contextvars import ContextVar

import pytest

from cartrial.report.fig_patch import replace_once, set_within


def test_replaced_once_and_the_first_original_kept() -> None:
    """A second call (another module entering its block again) replaces nothing: the kept
    original stays matplotlib's, not the first replacement."""
    class Owner:
        def f(self) -> str:
            return "original"

    kept: dict = {}
    replace_once(kept, Owner, {"f": lambda self: "first"})
    replace_once(kept, Owner, {"f": lambda self: "second"})
    assert Owner().f() == "first" and kept["f"](Owner()) == "original"


def test_a_block_left_by_an_error_restores_the_variable() -> None:
    var: ContextVar[int | None] = ContextVar("v", default=None)
    with pytest.raises(RuntimeError), set_within(var, 1):
        assert var.get() == 1
        raise RuntimeError("drawing failed")
    assert var.get() is None
    with set_within(var, 1), set_within(var, 2):
        assert var.get() == 2
    assert var.get() is None
