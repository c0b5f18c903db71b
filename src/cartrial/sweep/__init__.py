"""Design sweeps: many designs x many scenarios, stored cell by cell, compared in figures.

A stage of its own after ``design``: a grid (YAML) expands into cells (design x scenario), each
cell is one :func:`cartrial.design.simulate_oc` run (in this process or on dask), stored as one
checksummed Parquet file; :func:`read_sweep` verifies and merges them and
:func:`compare_designs` ranks the designs, with figures. See docs/sweep.md.
"""

from typing import TYPE_CHECKING

from cartrial._lazy import attach

if TYPE_CHECKING:
    from cartrial.sweep.compare import (
        SweepComparison,
        compare_designs,
        plot_design_comparison,
        plot_tradeoff,
    )
    from cartrial.sweep.grid import SweepCell, SweepGrid, expand_grid, load_grid
    from cartrial.sweep.results import SweepResults, read_sweep
    from cartrial.sweep.run import SweepReport, run_sweep, sweep_client
    from cartrial.sweep.scenarios import RandomScenario, paoletti_scenarios
    from cartrial.sweep.store import CellProblem

__all__ = [
    "CellProblem",
    "RandomScenario",
    "SweepCell",
    "SweepComparison",
    "SweepGrid",
    "SweepReport",
    "SweepResults",
    "compare_designs",
    "expand_grid",
    "load_grid",
    "paoletti_scenarios",
    "plot_design_comparison",
    "plot_tradeoff",
    "read_sweep",
    "run_sweep",
    "sweep_client",
]

__getattr__, __dir__ = attach(__name__, __file__, __all__)
