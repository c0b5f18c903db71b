"""From a design specification to the fixed quantities a simulation needs.

Cohort sizes follow BOIN 2.7.2 ``get.oc``: ``ncohort`` cohorts of ``cohort_size``,
the last one truncated to the remaining slots of ``max_sample_size``; ``max_cohorts`` (when
given) limits the number of cohorts. ``cap_per_dose`` is BOIN's ``n.earlystop`` (default 100, the
package default, i.e. no cap for usual sizes).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
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

    @property
    def selection_bound(self) -> float | None:
        """lambda_d when the MTD is bounded (BOIN ``boundMTD``), else None."""
        if self.spec.bound_mtd and self.boundaries is not None:
            return self.boundaries.lambda_d
        return None


def spec_from_design(design: Any) -> DesignSpec:
    """The :class:`DesignSpec` of a single-trial design object (``design_from_spec``'s inverse):
    name, target, cohort size, maximum sample size and each design's own options.

    Parameters
    ----------
    design : Design
        A 3+3, BOIN, TITE-BOIN, i3+3, mTPI-2, CRM or TITE-CRM object with ``max_sample_size``.

    Returns
    -------
    DesignSpec
        The protocol design block that :func:`design_from_spec` turns back into ``design``.

    Raises
    ------
    InputError
        When the design cannot be simulated (other design, no ``max_sample_size``, a
        non-default extrasafe offset or a 3+3 variant).

    Examples
    --------
    >>> from cartrial.design import Boin
    >>> sp = spec_from_design(Boin(n_doses=3, target=0.3, max_sample_size=30))
    >>> sp.name, sp.target, sp.cohort_size, sp.max_sample_size
    ('boin', 0.3, 3, 30)
    """
    name = getattr(design, "name", None)
    if name not in ("3+3", "boin", "tite-boin", "i3+3", "mtpi2", "crm", "tite-crm"):
        raise InputError(f"cannot simulate design object {type(design).__name__}")
    if getattr(design, "max_sample_size", None) is None:
        raise InputError(f"{name}: the design needs a max_sample_size to be simulated")
    if getattr(design, "offset", 0.05) != 0.05:
        raise InputError(f"{name}: extrasafe offset other than 0.05 cannot be simulated")
    if name == "3+3" and not (design.allow_deescalation and design.expand_top_dose):
        raise InputError(
            "3+3: only the classic variant (de-escalation, top dose expanded) is simulated"
        )
    d: dict[str, Any] = {
        "name": name,
        "target": design.target,
        "cohort_size": design.cohort_size,
        "max_sample_size": design.max_sample_size,
        "dlt_window_days": int(round(getattr(design, "dlt_window", 28))),
    }
    for attr, key in (
        ("cap_per_dose", "cap_per_dose"),
        ("cutoff", "elimination_cutoff"),
        ("extrasafe", "extrasafe"),
        ("phi1", "phi1"),
        ("phi2", "phi2"),
        ("bound_mtd", "bound_mtd"),
        ("selection_prior", "selection_prior"),
    ):
        if getattr(design, attr, None) is not None:
            d[key] = getattr(design, attr)
    if hasattr(design, "epsilon_low"):
        d["interval"] = {"epsilon_low": design.epsilon_low, "epsilon_high": design.epsilon_high}
    if getattr(design, "backfill", False):
        d["backfill"] = {"enabled": True, "max_per_dose": design.backfill_cap}
    if hasattr(design, "max_pending_fraction"):
        d["accrual"] = {"max_pending_fraction": design.max_pending_fraction}
    if name in ("crm", "tite-crm"):
        if design.overdose_cutoff is not None:
            d["elimination_cutoff"] = design.overdose_cutoff
        d["crm"] = {
            "skeleton": list(design.skeleton),
            "prior_sd": design.prior_sd,
            "safety_stop_probability": design.safety_stop,
            "overdose_control": design.overdose_cutoff is not None,
            "coherence": design.coherence,
            "no_skipping": design.no_skipping,
        }
    try:
        return DesignSpec.model_validate(d)
    except ValueError as exc:
        raise InputError(f"design {name} cannot be expressed as a DesignSpec: {exc}") from None


def as_design_spec(design: Any) -> DesignSpec:
    """A :class:`DesignSpec`, a mapping of its fields, an object with a ``spec`` attribute, or a
    single-trial design object (:func:`spec_from_design`)."""
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
    if hasattr(design, "decide") and hasattr(design, "name"):
        return spec_from_design(design)
    raise InputError(
        "expected a DesignSpec (protocol 'design' section), a mapping or a design object, got "
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


@lru_cache(maxsize=64)
def spec_tables(spec: DesignSpec, n_max: int) -> DecisionTables:
    """The (n, y) decision tables of a table-driven design specification up to ``n_max``.

    Parameters
    ----------
    spec : DesignSpec
        A ``boin``, ``tite-boin``, ``i3+3`` or ``mtpi2`` design.
    n_max : int
        Largest number of patients the tables cover.

    Returns
    -------
    DecisionTables
        :func:`~cartrial.design.simulate_tables.decision_tables` with the specification's
        target, elimination cutoff, extrasafe, phi1/phi2 and interval.

    Examples
    --------
    >>> spec = DesignSpec.model_validate({"name": "boin", "target": 0.3, "cohort_size": 3,
    ...                                   "max_sample_size": 30, "dlt_window_days": 28})
    >>> spec_tables(spec, 30).action.shape
    (31, 31)
    """
    return decision_tables(
        spec.name,
        spec.target,
        n_max,
        cutoff=spec.elimination_cutoff,
        extrasafe=spec.extrasafe,
        phi1=spec.phi1,
        phi2=spec.phi2,
        epsilon_low=spec.interval.epsilon_low,
        epsilon_high=spec.interval.epsilon_high,
    )


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
    # backfill fills a dose up to max_per_dose; escalation cohorts may add on top
    bf_extra = spec.backfill.max_per_dose if spec.backfill.enabled else 0
    if spec.name in TABLE_DESIGNS:
        tables = spec_tables(spec, max(spec.max_sample_size, 3) + cs + bf_extra)
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
