"""The synthetic CT071-like example trial (docs/example.md): SDTM domains plus ground truth."""

from typing import TYPE_CHECKING

from cartrial._lazy import attach

if TYPE_CHECKING:
    from cartrial.example.scenarios import SCENARIOS, Scenario, get_scenario, scenario_table
    from cartrial.example.trial import (
        ExampleTrial,
        simulate_trial,
        write_example,
        write_large_example,
    )

__all__ = [
    "SCENARIOS",
    "ExampleTrial",
    "Scenario",
    "get_scenario",
    "scenario_table",
    "simulate_trial",
    "write_example",
    "write_large_example",
]

__getattr__, __dir__ = attach(__name__, __file__, __all__)
