"""A design sweep grid: designs x scenarios, expanded into cells with stable ids and seeds.

The grid file (YAML; docs/sweep.md) lists designs explicitly (``designs``: DesignSpec mappings
with an ``id``) and/or as products of parameter lists over a base design (``design_grid``), and
scenarios explicitly (``scenarios``: ``id`` + ``true_tox``) and/or as seeded random curves
(``random_scenarios``, :mod:`cartrial.sweep.scenarios`).

Each cell (design id, scenario id) gets a seed derived from the base seed and the cell's identity
(never from its position or Python's ``hash``): ``SeedSequence(seed, spawn_key=(int(sha256(id)),
...))``. With ``seeding: scenario`` (default) every design in a scenario shares the same random
stream (common random numbers: differences between designs carry less Monte Carlo noise); with
``seeding: cell`` the design id enters the key too. Results therefore never depend on cell order,
worker count or resumption.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import ValidationError

from cartrial import __version__
from cartrial.errors import Finding, FindingsError, InputError
from cartrial.sweep.grid_expand import (
    GridDesign,
    GridScenario,
    _findings,
    grid_designs,
    grid_problems,
    grid_scenarios,
)
from cartrial.sweep.grid_file import GRID_DOMAIN, GridFile


@dataclass(frozen=True)
class SweepCell:
    """One design in one scenario: everything :func:`~cartrial.design.simulate_oc.simulate_oc`
    needs, plus the identity and seed that make it reproducible.

    Parameters
    ----------
    design_id, scenario_id : str
        The cell's identity (ids from the grid file).
    design : dict
        The design's ``DesignSpec`` fields (JSON form).
    true_tox : tuple of float
        True DLT probability at each dose level, lowest dose first.
    true_mtd : int, None or "auto"
        0-based index of the true MTD, None = no acceptable dose, "auto" = the dose closest
        to the design's target.
    seed : int
        The cell's 63-bit seed (:func:`cell_seed`).
    n_trials : int
        Simulated trials.
    start_dose : int
        0-based starting dose level.
    dlt_onset : str
        "uniform" or "weibull" DLT times within the window (``weibull_shape``: its shape).

    Examples
    --------
    >>> raw = {"n_trials": 100, "seed": 1, "scenarios": [{"id": "s1", "true_tox": [0.1, 0.3, 0.5]}],
    ...        "designs": [{"id": "boin", "name": "boin", "target": 0.3, "cohort_size": 3,
    ...                     "max_sample_size": 18, "dlt_window_days": 28}]}
    >>> cell = expand_grid(raw).cells()[0]
    >>> cell.design_id, cell.scenario_id, cell.start_dose, cell.seed
    ('boin', 's1', 0, 5284055504513623065)
    >>> cell.file_name
    'cell-1aff60fb7c30c9a77003deb4.parquet'
    """

    design_id: str
    scenario_id: str
    design: dict[str, Any] = field(hash=False)
    true_tox: tuple[float, ...]
    true_mtd: int | None | Literal["auto"]
    seed: int
    n_trials: int
    start_dose: int
    dlt_onset: str
    weibull_shape: float

    def definition(self) -> dict[str, Any]:
        """Plain, JSON-serialisable description (with the cartrial version)."""
        return {
            "design_id": self.design_id,
            "scenario_id": self.scenario_id,
            "design": self.design,
            "true_tox": list(self.true_tox),
            "true_mtd": self.true_mtd,
            "seed": self.seed,
            "n_trials": self.n_trials,
            "start_dose": self.start_dose,
            "dlt_onset": self.dlt_onset,
            "weibull_shape": self.weibull_shape,
            "cartrial_version": __version__,
        }

    @property
    def cell_hash(self) -> str:
        """sha256 of the definition: a stored result is reused only when this matches."""
        return _sha256_json(self.definition())

    @property
    def file_name(self) -> str:
        """Stable file name from the cell identity alone."""
        key = hashlib.sha256(f"{self.design_id}\0{self.scenario_id}".encode()).hexdigest()
        return f"cell-{key[:24]}.parquet"


@dataclass(frozen=True)
class SweepGrid:
    """An expanded grid: designs, scenarios and simulation settings; ``grid_hash`` identifies
    it (sha256 of its canonical JSON, so formatting and comments in the file do not matter).

    Parameters
    ----------
    designs, scenarios : tuple
        The expanded designs (id + ``DesignSpec``) and scenarios (id + true DLT curve).
    n_trials, seed : int
        Simulated trials per cell and the base seed.
    seeding : str
        "scenario" (common random numbers across designs) or "cell".
    start_dose : int
        0-based starting dose level (the file's ``start_dose`` is 1-based).
    dlt_onset : str
        "uniform" or "weibull" (with ``weibull_shape``).

    Examples
    --------
    >>> g = expand_grid({"random_scenarios": [{"count": 2, "seed": 7, "n_doses": 3,
    ...                                          "target": 0.3}],
    ...                  "designs": [{"id": "b", "name": "boin", "target": 0.3, "cohort_size": 3,
    ...                               "max_sample_size": 12, "dlt_window_days": 28}]})
    >>> [s.id for s in g.scenarios], g.start_dose, g.seeding, len(g.cells())
    (['paoletti-s7-1', 'paoletti-s7-2'], 0, 'scenario', 2)
    """

    designs: tuple[GridDesign, ...]
    scenarios: tuple[GridScenario, ...]
    n_trials: int
    seed: int
    seeding: Literal["scenario", "cell"]
    start_dose: int
    dlt_onset: str
    weibull_shape: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "n_trials": self.n_trials,
            "seed": self.seed,
            "seeding": self.seeding,
            "start_dose": self.start_dose + 1,
            "dlt_onset": self.dlt_onset,
            "weibull_shape": self.weibull_shape,
            "designs": [{"id": d.id} | d.spec.model_dump(mode="json") for d in self.designs],
            "scenarios": [
                {
                    "id": s.id,
                    "true_tox": list(s.true_tox),
                    "true_mtd": _mtd_out(s.true_mtd),
                    "source": s.source,
                }
                for s in self.scenarios
            ],
        }

    @property
    def grid_hash(self) -> str:
        return _sha256_json(self.as_dict())

    def cells(self) -> list[SweepCell]:
        """Every design x scenario cell, designs outer, scenarios inner."""
        out = []
        for s in self.scenarios:
            sid = _stable_int(s.id)
            for d in self.designs:
                key = (sid,) if self.seeding == "scenario" else (sid, _stable_int(d.id))
                out.append(
                    SweepCell(
                        design_id=d.id,
                        scenario_id=s.id,
                        design=d.spec.model_dump(mode="json"),
                        true_tox=s.true_tox,
                        true_mtd=s.true_mtd,
                        seed=cell_seed(self.seed, key),
                        n_trials=self.n_trials,
                        start_dose=self.start_dose,
                        dlt_onset=self.dlt_onset,
                        weibull_shape=self.weibull_shape,
                    )
                )
        order = {d.id: i for i, d in enumerate(self.designs)}
        return sorted(out, key=lambda c: order[c.design_id])


def _mtd_out(m: int | None | str) -> int | str:
    if m == "auto":
        return "auto"
    return 0 if m is None else int(m) + 1


def _sha256_json(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _stable_int(text: str) -> int:
    """A 64-bit integer from sha256 of ``text`` (never Python's salted ``hash``)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def cell_seed(base_seed: int, key: tuple[int, ...]) -> int:
    """63-bit seed of ``SeedSequence(base_seed, spawn_key=key)``."""
    state = np.random.SeedSequence(int(base_seed), spawn_key=key).generate_state(2, np.uint32)
    return (int(state[1]) << 32 | int(state[0])) & ((1 << 63) - 1)


def expand_grid(raw: Mapping[str, Any]) -> SweepGrid:
    """Validate a grid mapping (the parsed YAML) and expand products and random scenarios.

    Every problem is reported at once (:class:`~cartrial.errors.FindingsError`, one finding per
    key path); ids must be unique among designs and among scenarios.

    Parameters
    ----------
    raw : mapping
        The grid file's content (keys as in docs/sweep.md).

    Returns
    -------
    SweepGrid
        The validated, expanded grid.

    Raises
    ------
    InputError
        ``raw`` is not a mapping.
    FindingsError
        Invalid keys or values, repeated ids (one finding each).

    Examples
    --------
    >>> raw = {"n_trials": 100, "seed": 1, "scenarios": [{"id": "s1", "true_tox": [0.1, 0.3, 0.5]}],
    ...        "designs": [{"id": "boin", "name": "boin", "target": 0.3, "cohort_size": 3,
    ...                     "max_sample_size": 18, "dlt_window_days": 28}]}
    >>> expand_grid(raw).designs[0].id
    'boin'
    >>> expand_grid({"n_trials": 0})
    Traceback (most recent call last):
    cartrial.errors.FindingsError: 1 problem(s):
    ERROR sweep grid n_trials=0: Input should be greater than or equal to 1
    """
    if not isinstance(raw, Mapping):
        raise InputError(
            f"{GRID_DOMAIN}: expected a mapping at the top level, got {type(raw).__name__}"
        )
    try:
        g = GridFile.model_validate(dict(raw))
    except ValidationError as exc:
        raise FindingsError(_findings(exc, "")) from None
    problems: list[Finding] = []
    designs = grid_designs(g, problems)
    scenarios = grid_scenarios(g, problems)
    problems += grid_problems(g, designs, scenarios)
    if problems:
        raise FindingsError(problems)
    return SweepGrid(
        tuple(designs),
        tuple(scenarios),
        g.n_trials,
        g.seed,
        g.seeding,
        g.start_dose - 1,
        g.dlt_onset,
        g.weibull_shape,
    )


def load_grid(path: str | Path) -> SweepGrid:
    """Read and expand a grid YAML file (:func:`expand_grid`).

    Parameters
    ----------
    path : str or pathlib.Path
        The grid YAML file (e.g. examples/sweep_grid.yaml).

    Returns
    -------
    SweepGrid
        The grid, as :func:`expand_grid` returns it for the file's content.

    Raises
    ------
    InputError
        The file is missing or not valid YAML.
    FindingsError
        The grid is invalid (:func:`expand_grid`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "grid.yaml"
    >>> _ = p.write_text("scenarios: [{id: s1, true_tox: [0.1, 0.3]}]\\n"
    ...                  "designs: [{id: b, name: boin, target: 0.3, cohort_size: 3,"
    ...                  " max_sample_size: 12, dlt_window_days: 28}]\\n")
    >>> g = load_grid(p)
    >>> g.n_trials, [s.id for s in g.scenarios]
    (10000, ['s1'])
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{GRID_DOMAIN}: file not found: {p}")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{GRID_DOMAIN}: {p} is not valid YAML: {exc}") from None
    return expand_grid(raw if raw is not None else {})
