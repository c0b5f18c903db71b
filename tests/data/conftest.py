"""Fixtures for ingestion and validation tests."""

from __future__ import annotations

import pytest

from tests.data.minimal_study import minimal_domains


@pytest.fixture()
def study_dir(tmp_path):
    from cartrial.data import write_study

    write_study(minimal_domains(), tmp_path / "sdtm")
    return tmp_path / "sdtm"
