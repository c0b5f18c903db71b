"""The sweep grid file as the user writes it (YAML, docs/sweep.md): pydantic models that refuse
unknown keys, so a misspelt option is a finding, not a silent default."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

GRID_DOMAIN = "sweep grid"
_ID_PATTERN = r"^[A-Za-z0-9_.:+\-\[\]=,]{1,200}$"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScenarioEntry(_Model):
    """An explicit scenario: true DLT probability per dose; ``true_mtd`` 1-based (0 = no
    acceptable dose), omitted = the dose closest to the design's target."""

    id: str = Field(pattern=_ID_PATTERN)
    true_tox: list[float] = Field(min_length=1)
    true_mtd: int | None = Field(default=None, ge=0)


class RandomScenarioEntry(_Model):
    """``count`` seeded random curves (ids ``<id_prefix>-<i>``, i from 1)."""

    method: Literal["paoletti"] = "paoletti"
    count: int = Field(ge=1, le=100_000)
    seed: int = Field(ge=0)
    n_doses: int = Field(ge=2, le=30)
    target: float = Field(gt=0, lt=1)
    id_prefix: str | None = Field(default=None, pattern=_ID_PATTERN)
    sigma0: float = Field(default=0.05, gt=0)
    mu: float = 0.4
    sigma1: float = Field(default=0.3, gt=0)


class DesignProduct(_Model):
    """Every combination of the ``vary`` lists over ``base`` (dotted keys reach nested sections,
    e.g. ``backfill.enabled``); ids ``<id_prefix>[key=value,...]``."""

    id_prefix: str = Field(pattern=_ID_PATTERN)
    base: dict[str, Any]
    vary: dict[str, list[Any]] = Field(min_length=1)


class GridFile(_Model):
    """The grid file as written by the user (see docs/sweep.md)."""

    n_trials: int = Field(default=10_000, ge=1)
    seed: int = Field(default=0, ge=0)
    seeding: Literal["scenario", "cell"] = "scenario"
    start_dose: int = Field(default=1, ge=1, description="1-based starting dose level")
    dlt_onset: Literal["uniform", "weibull"] = "uniform"
    weibull_shape: float = Field(default=2.0, gt=0)
    designs: list[dict[str, Any]] = []
    design_grid: list[DesignProduct] = []
    scenarios: list[ScenarioEntry] = []
    random_scenarios: list[RandomScenarioEntry] = []


