"""The protocol file as frozen pydantic models that refuse unknown keys.

A trial is described by data, never code: dose levels, the escalation design and its parameters,
the DLT definition as a list of rules over graded events, the lymphodepletion regimen, the visit
schedule and the endpoint settings. Each engine reads its own section. The sections' models
live in :mod:`cartrial.protocol.design_spec` and :mod:`cartrial.protocol.clinical_spec`; this
module holds the protocol itself and re-exports them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from cartrial.protocol._base import _Model
from cartrial.protocol.clinical_spec import (
    Assessment,
    DltDefinition,
    DltRule,
    DurationCondition,
    EndpointSettings,
    EventBasket,
    ImwgSettings,
    KineticsSettings,
    LdAgent,
    Lymphodepletion,
    SafetySettings,
    Schedule,
    SurvivalFollowUp,
)
from cartrial.protocol.design_spec import (
    AccrualSpec,
    BackfillSpec,
    Boin12Spec,
    BoinetSpec,
    CrmSpec,
    DesignSpec,
    DoseEfficacySpec,
    ExpansionSpec,
    IntervalSpec,
    UboinSpec,
)
from cartrial.protocol.randomised_stage import RandomisedStageSpec, check_stage_doses

# the sections' models are importable from here, as they always were
__all__ = [
    "AccrualSpec",
    "Assessment",
    "BackfillSpec",
    "Boin12Spec",
    "BoinetSpec",
    "ConductSpec",
    "CrmSpec",
    "DesignSpec",
    "DltDefinition",
    "DltRule",
    "DoseEfficacySpec",
    "DoseLevel",
    "DurationCondition",
    "EndpointSettings",
    "EventBasket",
    "ExpansionSpec",
    "ImwgSettings",
    "IntervalSpec",
    "KineticsSettings",
    "LdAgent",
    "Lymphodepletion",
    "Population",
    "Protocol",
    "RandomisedStageSpec",
    "SafetySettings",
    "Schedule",
    "SurvivalFollowUp",
    "UboinSpec",
]


class Population(_Model):
    """A trial population (e.g. RRMM, PPCL) with its definition."""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,7}$", description="e.g. RRMM, PPCL")
    label: str
    definition: str | None = None


class DoseLevel(_Model):
    """One dose level: id, label, dose and unit (e.g. 0.1 x10^6 CAR+ T cells/kg).

    Attributes
    ----------
    id : str
        Short id shown to people (1-8 letters, digits, ``_``, ``-``; e.g. "DL1").
    label : str
        The dose as printed in tables.
    dose : float
        The dose (> 0) in ``unit``; levels are listed in increasing dose.
    unit : str
        Dose unit shared by every level, e.g. "10^6 CAR+ T cells/kg".

    Examples
    --------
    >>> DoseLevel(id="DL1", label="0.1 x10^6/kg", dose=0.1, unit="10^6 CAR+ T cells/kg").dose
    0.1
    """

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,8}$", description="e.g. DL1")
    label: str
    dose: float = Field(gt=0)
    unit: str = Field(description="e.g. 10^6 CAR+ T cells/kg")


class ConductSpec(_Model):
    """How trial conduct counts patients whose infusion departs from their assignment."""

    count_dose_as: Literal["assigned", "received"] = Field(
        default="assigned",
        description="a product out of specification infused below the assigned dose (EX.EXADJ) "
        "counts for escalation and DLT evaluability at the assigned dose level or at the "
        "received one (the highest level not above EX.EXDOSE); Devlin, Iasonos & O'Quigley, "
        "J R Stat Soc C 2021;70:815-34",
    )


class Protocol(_Model):
    """A whole trial protocol (the YAML file), validated and frozen.

    Built by :func:`cartrial.protocol.load_protocol` / ``parse_protocol`` from YAML; each
    engine reads its own section.

    Attributes
    ----------
    study_id, title, version, registration, product : str
        Identification of the study and the product.
    populations : list of Population
        Trial populations (unique codes, e.g. RRMM).
    dose_levels : list of DoseLevel
        In increasing dose, one unit; inside the code a dose level is the 0-based index here.
    starting_dose : str
        Id of the first dose level given.
    design, dlt, lymphodepletion, schedule
        The escalation design, DLT definition, lymphodepletion regimen and visit schedule.
    endpoints, safety, kinetics, conduct
        Settings of the efficacy, safety and kinetics engines and of trial conduct.

    Raises
    ------
    pydantic.ValidationError
        Repeated or unordered dose levels, mixed units, an unknown starting dose or
        randomised-stage dose, repeated population codes, or any key the model does not know.

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> p = load_protocol("ct071")
    >>> p.dose_ids, p.start_index, p.dose_index(0.3), p.design.name
    (['DL1', 'DL2'], 0, 1, 'boin')
    """

    study_id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    title: str
    version: str = "1.0"
    registration: str | None = None
    product: str
    populations: list[Population] = Field(min_length=1)
    dose_levels: list[DoseLevel] = Field(min_length=1)
    starting_dose: str
    design: DesignSpec
    dlt: DltDefinition
    lymphodepletion: Lymphodepletion
    schedule: Schedule
    endpoints: EndpointSettings = EndpointSettings()
    safety: SafetySettings = SafetySettings()
    kinetics: KineticsSettings = KineticsSettings()
    conduct: ConductSpec = ConductSpec()

    @model_validator(mode="after")
    def _cross_checks(self) -> Protocol:
        ids = [d.id for d in self.dose_levels]
        if len(set(ids)) != len(ids):
            raise ValueError(f"dose level ids must be unique, found {ids}")
        doses = [d.dose for d in self.dose_levels]
        if any(b <= a for a, b in zip(doses, doses[1:], strict=False)):
            raise ValueError(f"dose levels must be listed in increasing dose, found {doses}")
        units = {d.unit for d in self.dose_levels}
        if len(units) > 1:
            raise ValueError(f"all dose levels must share one unit, found {sorted(units)}")
        if self.starting_dose not in ids:
            raise ValueError(f"starting_dose {self.starting_dose!r} is not a dose level id {ids}")
        check_stage_doses(self.design.randomised_stage, ids)
        codes = [p.code for p in self.populations]
        if len(set(codes)) != len(codes):
            raise ValueError(f"population codes must be unique, found {codes}")
        return self

    # Convenience accessors used by several engines.
    @property
    def dose_ids(self) -> list[str]:
        return [d.id for d in self.dose_levels]

    @property
    def start_index(self) -> int:
        """0-based index of the starting dose."""
        return self.dose_ids.index(self.starting_dose)

    def dose_index(self, dose: float, rel_tol: float = 1e-6) -> int | None:
        """0-based index of the dose level whose dose equals ``dose`` (None if none does)."""
        for i, d in enumerate(self.dose_levels):
            if abs(d.dose - dose) <= rel_tol * max(abs(d.dose), 1e-12):
                return i
        return None
