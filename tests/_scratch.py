"""Scratch folders for studies the tests generate once per process and share (``@cache``).

``tempfile.mkdtemp`` alone left every generated study behind in the system's temporary folder
(hundreds a run: ~500 folders, ~1 GB after a day of runs). Here each folder lives under one
folder per test process, removed when the process ends (pytest-xdist workers included)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

_ROOT: Path | None = None


def scratch_dir(prefix: str = "cartrial-") -> Path:
    """A new empty folder, removed with everything in it when this process exits."""
    global _ROOT
    if _ROOT is None:
        _ROOT = Path(tempfile.mkdtemp(prefix="cartrial-tests-"))
        atexit.register(shutil.rmtree, _ROOT, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=_ROOT))
