"""The Examples sections of the haematotoxicity, IEC-HS and basket modules run as written
(regression test: the examples' outputs are the code's own)."""

from __future__ import annotations

import doctest
import importlib
import tempfile

import pytest

MODULES = ["cartrial.safety.icaht", "cartrial.safety.hematotox", "cartrial.safety.icaht_tables",
           "cartrial.safety.iec_hs", "cartrial.safety.baskets", "cartrial.safety.ctcae"]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name: str, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the examples' folders: pytest's
    mod = importlib.import_module(name)
    res = doctest.testmod(mod, extraglobs={"pd": importlib.import_module("pandas")})
    assert res.attempted > 0 and res.failed == 0
