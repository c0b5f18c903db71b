"""Expanding a sweep grid file into its designs and scenarios, with every problem found.

Designs come from the explicit list (``designs``, each with an ``id``) and from products of
parameter lists over a base design (``design_grid``: one design per combination, its id naming
the values); scenarios from the explicit list and from seeded random curves (Paoletti X,
O'Quigley J, Maccario J, Comput Stat Data Anal 2004;45:197-214; :mod:`cartrial.sweep.scenarios`).
Nothing stops at the first problem: each is a :class:`~cartrial.errors.Finding` naming its key
path.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from cartrial.errors import Finding, InputError
from cartrial.protocol.model import DesignSpec
from cartrial.sweep.grid_file import GRID_DOMAIN, GridFile
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


def _problem(key: str, value: Any, message: str) -> Finding:
    return Finding(GRID_DOMAIN, None, None, key, value, message)


def _findings(exc: ValidationError, prefix: str) -> list[Finding]:
    out = []
    for e in exc.errors():
        loc = prefix + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"])
        out.append(_problem(loc.lstrip("."), e.get("input"), e["msg"]))
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


def grid_designs(g: GridFile, problems: list[Finding]) -> list[GridDesign]:
    """The listed designs, then one per combination of each ``design_grid`` product; a design
    that does not validate adds its findings to ``problems`` instead."""
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
            problems.append(_problem(f"designs[{i}].id", did,
                                     "every listed design needs a non-empty string id"))
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
    return designs


def grid_scenarios(g: GridFile, problems: list[Finding]) -> list[GridScenario]:
    """The listed scenarios (1-based ``true_mtd`` made 0-based), then the random curves; a random
    set that cannot be drawn adds a finding to ``problems``."""
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
            problems.append(_problem(f"random_scenarios[{i}]", None, str(exc)))
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
    return scenarios


def grid_problems(g: GridFile, designs: list[GridDesign],
                  scenarios: list[GridScenario]) -> list[Finding]:
    """What is wrong with the expanded grid as a whole: nothing to run, duplicate ids, DLT
    probabilities outside [0, 1], a true MTD or start dose beyond a scenario's doses."""
    problems: list[Finding] = []
    if not g.designs and not g.design_grid:
        problems.append(_problem("designs", None,
                                 "the grid lists no design (give designs and/or design_grid)"))
    if not g.scenarios and not g.random_scenarios:
        problems.append(_problem(
            "scenarios", None, "the grid lists no scenario (give scenarios and/or random_scenarios)"
        ))
    for what, ids in (
        ("designs", [d.id for d in designs]),
        ("scenarios", [s.id for s in scenarios]),
    ):
        seen: set[str] = set()
        for x in ids:
            if x in seen:
                problems.append(_problem(f"{what}.id", x, f"{what} ids must be unique"))
            seen.add(x)
    for s in scenarios:
        for p in s.true_tox:
            if not 0.0 <= p <= 1.0:
                problems.append(_problem(f"scenarios[{s.id}].true_tox", p,
                                         "each true DLT probability must lie in [0, 1]"))
        if isinstance(s.true_mtd, int) and s.true_mtd >= len(s.true_tox):
            problems.append(_problem(f"scenarios[{s.id}].true_mtd", s.true_mtd + 1,
                                     f"true_mtd is beyond the {len(s.true_tox)} doses"))
        if g.start_dose > len(s.true_tox):
            problems.append(_problem("start_dose", g.start_dose,
                                     f"scenario {s.id} has only {len(s.true_tox)} doses"))
    return problems
