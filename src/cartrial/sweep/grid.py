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
import itertools
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
from cartrial.protocol.model import DesignSpec
from cartrial.sweep.grid_file import (
    GRID_DOMAIN,
    GridFile,
)
from cartrial.sweep.scenarios import paoletti_scenarios


@dataclass(frozen=True)
class GridDesign:
    id: str
    spec: DesignSpec


@dataclass(frozen=True)
class GridScenario:
    """``true_mtd``: 0-based dose, None (no acceptable dose) or "auto"; ``source`` says where the
    curve came from."""

    id: str
    true_tox: tuple[float, ...]
    true_mtd: int | None | Literal["auto"]
    source: str


@dataclass(frozen=True)
class SweepCell:
    """One design in one scenario: everything :func:`~cartrial.design.simulate_oc.simulate_oc`
    needs, plus the identity and seed that make it reproducible."""

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
    it (sha256 of its canonical JSON, so formatting and comments in the file do not matter)."""

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


def _findings(exc: ValidationError, prefix: str) -> list[Finding]:
    out = []
    for e in exc.errors():
        loc = prefix + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"])
        out.append(Finding(GRID_DOMAIN, None, None, loc.lstrip("."), e.get("input"), e["msg"]))
    return out


def _set_dotted(d: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    for p in parts[:-1]:
        sub = d.get(p)
        d[p] = dict(sub) if isinstance(sub, Mapping) else {}
        d = d[p]
    d[parts[-1]] = value


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def expand_grid(raw: Mapping[str, Any]) -> SweepGrid:
    """Validate a grid mapping (the parsed YAML) and expand products and random scenarios.

    Every problem is reported at once (:class:`~cartrial.errors.FindingsError`, one finding per
    key path); ids must be unique among designs and among scenarios."""
    if not isinstance(raw, Mapping):
        raise InputError(
            f"{GRID_DOMAIN}: expected a mapping at the top level, got {type(raw).__name__}"
        )
    try:
        g = GridFile.model_validate(dict(raw))
    except ValidationError as exc:
        raise FindingsError(_findings(exc, "")) from None
    problems: list[Finding] = []
    designs: list[GridDesign] = []

    def add_design(did: Any, fields: dict[str, Any], where: str) -> None:
        try:
            spec = DesignSpec.model_validate(fields)
        except ValidationError as exc:
            problems.extend(_findings(exc, where))
            return
        designs.append(GridDesign(str(did), spec))

    for i, d in enumerate(g.designs):
        d = dict(d)
        did = d.pop("id", None)
        if not isinstance(did, str) or not did:
            problems.append(
                Finding(
                    GRID_DOMAIN,
                    None,
                    None,
                    f"designs[{i}].id",
                    did,
                    "every listed design needs a non-empty string id",
                )
            )
            continue
        add_design(did, d, f"designs[{i}]")
    for i, prod in enumerate(g.design_grid):
        keys = list(prod.vary)
        for j, combo in enumerate(itertools.product(*(prod.vary[k] for k in keys))):
            fields = json.loads(json.dumps(prod.base))
            for k, v in zip(keys, combo, strict=True):
                _set_dotted(fields, k, v)
            did = (
                f"{prod.id_prefix}["
                + ",".join(f"{k}={_fmt(v)}" for k, v in zip(keys, combo, strict=True))
                + "]"
            )
            add_design(did, fields, f"design_grid[{i}] combination {j + 1} ({did})")

    scenarios: list[GridScenario] = []
    for s in g.scenarios:
        mtd: int | None | Literal["auto"] = (
            "auto" if s.true_mtd is None else (None if s.true_mtd == 0 else s.true_mtd - 1)
        )
        scenarios.append(GridScenario(s.id, tuple(float(v) for v in s.true_tox), mtd, "explicit"))
    for i, r in enumerate(g.random_scenarios):
        prefix = r.id_prefix or f"{r.method}-s{r.seed}"
        try:
            curves = paoletti_scenarios(
                r.n_doses, r.target, r.count, r.seed, sigma0=r.sigma0, mu=r.mu, sigma1=r.sigma1
            )
        except InputError as exc:
            problems.append(
                Finding(GRID_DOMAIN, None, None, f"random_scenarios[{i}]", None, str(exc))
            )
            continue
        for c in curves:
            scenarios.append(
                GridScenario(
                    f"{prefix}-{c.index + 1}",
                    c.true_tox,
                    c.mtd,
                    f"{r.method} (Paoletti et al. 2004) seed={r.seed} index={c.index} "
                    f"gap={c.gap:.4f}",
                )
            )
    if not g.designs and not g.design_grid:
        problems.append(
            Finding(
                GRID_DOMAIN,
                None,
                None,
                "designs",
                None,
                "the grid lists no design (give designs and/or design_grid)",
            )
        )
    if not g.scenarios and not g.random_scenarios:
        problems.append(
            Finding(
                GRID_DOMAIN,
                None,
                None,
                "scenarios",
                None,
                "the grid lists no scenario (give scenarios and/or random_scenarios)",
            )
        )
    for what, ids in (
        ("designs", [d.id for d in designs]),
        ("scenarios", [s.id for s in scenarios]),
    ):
        seen: set[str] = set()
        for x in ids:
            if x in seen:
                problems.append(
                    Finding(GRID_DOMAIN, None, None, f"{what}.id", x, f"{what} ids must be unique")
                )
            seen.add(x)
    for s in scenarios:
        for p in s.true_tox:
            if not 0.0 <= p <= 1.0:
                problems.append(
                    Finding(
                        GRID_DOMAIN,
                        None,
                        None,
                        f"scenarios[{s.id}].true_tox",
                        p,
                        "each true DLT probability must lie in [0, 1]",
                    )
                )
        if isinstance(s.true_mtd, int) and s.true_mtd >= len(s.true_tox):
            problems.append(
                Finding(
                    GRID_DOMAIN,
                    None,
                    None,
                    f"scenarios[{s.id}].true_mtd",
                    s.true_mtd + 1,
                    f"true_mtd is beyond the {len(s.true_tox)} doses",
                )
            )
        if g.start_dose > len(s.true_tox):
            problems.append(
                Finding(
                    GRID_DOMAIN,
                    None,
                    None,
                    "start_dose",
                    g.start_dose,
                    f"scenario {s.id} has only {len(s.true_tox)} doses",
                )
            )
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
    """Read and expand a grid YAML file (:func:`expand_grid`)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{GRID_DOMAIN}: file not found: {p}")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{GRID_DOMAIN}: {p} is not valid YAML: {exc}") from None
    return expand_grid(raw if raw is not None else {})
