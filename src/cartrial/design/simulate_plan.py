"""From a design specification to the fixed quantities a simulation needs.

Cohort sizes follow BOIN ``get.oc`` (dose-finding.md 2.4): ``ncohort`` cohorts of ``cohort_size``,
the last one truncated to the remaining slots of ``max_sample_size``; ``max_cohorts`` (when
given) limits the number of cohorts. ``cap_per_dose`` is BOIN's ``n.earlystop`` (default 100, the
package default, i.e. no cap for usual sizes).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from cartrial.design.boundaries import BoinBoundaries, boin_boundaries
from cartrial.design.simulate_tables import TABLE_DESIGNS, DecisionTables, decision_tables
from cartrial.errors import InputError
from cartrial.protocol.model import DesignSpec

DAYS_PER_MONTH = 30.4375
DEFAULT_CAP = 100


@dataclass(frozen=True)
class SimPlan:
    """Everything fixed across simulated trials of one design in one scenario."""

    spec: DesignSpec
    design: str
    n_doses: int
    target: float
    true_tox: np.ndarray
    cohort_sizes: tuple[int, ...]
    cap: int
    start_dose: int
    tables: DecisionTables | None
    window: float
    mean_gap_days: float
    stagger_days: float
    boundaries: BoinBoundaries | None = None


def as_design_spec(design: Any) -> DesignSpec:
    """A :class:`DesignSpec`, a mapping of its fields, or an object with a ``spec`` attribute."""
    if isinstance(design, DesignSpec):
        return design
    spec = getattr(design, "spec", None)
    if isinstance(spec, DesignSpec):
        return spec
    if isinstance(design, Mapping):
        try:
            return DesignSpec.model_validate(dict(design))
        except ValueError as exc:
            raise InputError(f"design specification is not valid: {exc}") from None
    raise InputError(
        "expected a DesignSpec (protocol 'design' section) or a mapping, got "
        f"{type(design).__name__}"
    )


def check_true_tox(true_tox: Any) -> np.ndarray:
    """True DLT probabilities per dose: 1-d, finite, each in [0, 1]."""
    p = np.asarray(true_tox, dtype=float)
    if p.ndim != 1 or p.size == 0:
        raise InputError(f"true_tox must be a non-empty list of probabilities, got {true_tox!r}")
    bad = ~np.isfinite(p) | (p < 0) | (p > 1)
    if bad.any():
        j = int(np.argmax(bad))
        raise InputError(
            f"true_tox: dose {j + 1} has probability {float(p[j])!r}; each must lie in [0, 1]"
        )
    return p


def make_plan(design: Any, true_tox: Any, start_dose: int = 0) -> SimPlan:
    """Validate inputs and derive cohort sizes, cap, decision tables and accrual constants."""
    spec = as_design_spec(design)
    p = check_true_tox(true_tox)
    k = p.size
    if not 0 <= start_dose < k:
        raise InputError(f"start_dose {start_dose} (0-based) is outside 0..{k - 1}")
    cs = spec.cohort_size
    ncoh = math.ceil(spec.max_sample_size / cs)
    if spec.max_cohorts is not None:
        ncoh = min(ncoh, spec.max_cohorts)
    sizes = tuple(min(cs, spec.max_sample_size - c * cs) for c in range(ncoh))
    if spec.name == "3+3":
        if cs != 3:
            raise InputError(f"3+3 needs cohort_size 3, got {cs}")
        # whole cohorts of 3 only; a 3+3 never needs more than 2 cohorts per dose
        sizes = (3,) * min(spec.max_sample_size // 3, len(sizes), 2 * k)
    cap = spec.cap_per_dose if spec.cap_per_dose is not None else DEFAULT_CAP
    tables = None
    if spec.name in TABLE_DESIGNS:
        tables = decision_tables(
            spec.name,
            spec.target,
            max(spec.max_sample_size, 3) + cs,
            cutoff=spec.elimination_cutoff,
            extrasafe=spec.extrasafe,
            phi1=spec.phi1,
            phi2=spec.phi2,
            epsilon_low=spec.interval.epsilon_low,
            epsilon_high=spec.interval.epsilon_high,
        )
    return SimPlan(
        spec=spec,
        design=spec.name,
        n_doses=k,
        target=spec.target,
        true_tox=p,
        cohort_sizes=sizes,
        cap=cap,
        start_dose=start_dose,
        tables=tables,
        window=float(spec.dlt_window_days),
        mean_gap_days=DAYS_PER_MONTH / spec.accrual.patients_per_month,
        stagger_days=float(spec.accrual.stagger_days),
        boundaries=(
            boin_boundaries(spec.target, spec.phi1, spec.phi2)
            if spec.name in ("boin", "tite-boin")
            else None
        ),
    )
