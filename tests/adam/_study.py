"""The minimal SDTM study of tests/data, loaded the way the pipeline loads it (standard units)."""

from __future__ import annotations

from pathlib import Path

from cartrial.data import Study, load_study, write_study
from tests.data.minimal_study import minimal_domains


def minimal_study(tmp: Path, **overrides) -> Study:
    domains = minimal_domains()
    for name, change in overrides.items():
        domains[name] = change(domains[name])
    write_study(domains, tmp)
    return load_study(tmp)
