"""Generated trials shared by the example tests (module-level cache: each is built once)."""

from __future__ import annotations

from functools import cache

import pytest

from cartrial.example import ExampleTrial, simulate_trial
from cartrial.protocol import load_protocol

SEEDS = (1, 2)
SCENARIO_NAMES = ("default", "toxic-dose", "late-dlt", "ppcl-heavy", "early-progression")


@cache
def protocol():
    return load_protocol("ct071")


@cache
def trial(scenario: str = "default", seed: int = 1, n: int | None = None) -> ExampleTrial:
    return simulate_trial(protocol(), seed=seed, scenario=scenario, n_patients=n)


@pytest.fixture(scope="session")
def big_trial() -> ExampleTrial:
    """300 infused patients, default scenario: the calibration trial."""
    return trial("default", 20240228, 300)
