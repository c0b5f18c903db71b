"""The protocol's clinical sections: the DLT definition (rules over graded events), the
lymphodepletion regimen and the visit schedule. The endpoint, safety and kinetics settings are in
:mod:`cartrial.protocol.settings_spec` (importable from here as well)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from cartrial.protocol._base import _Model
from cartrial.protocol.settings_spec import (  # noqa: F401  (importable from here, as before)
    EndpointSettings,
    EventBasket,
    ImwgSettings,
    KineticsSettings,
    SafetySettings,
)


class DurationCondition(_Model):
    """How long an event must last to count. At most one form is given.

    - ``not_resolving_to_grade`` + ``within_hours``: e.g. grade 3 CRS not improving to <= 2 in 72 h
    - ``persisting_beyond_day``: e.g. grade 4 neutropenia still present after day 28
    - ``min_duration_days``: e.g. a non-haematological toxicity lasting > 7 days

    Attributes
    ----------
    not_resolving_to_grade : int, optional
        CTCAE grade (0-4) the event must fail to improve to, within ``within_hours`` (hours).
    persisting_beyond_day : int, optional
        Study day (infusion = day 0) after which the event is still present.
    min_duration_days : float, optional
        Minimum duration of the event in days.

    Raises
    ------
    pydantic.ValidationError
        Not exactly one form, or only one of ``not_resolving_to_grade`` / ``within_hours``.

    Examples
    --------
    >>> DurationCondition(not_resolving_to_grade=2, within_hours=72).within_hours
    72.0
    >>> DurationCondition(within_hours=72)
    Traceback (most recent call last):
    pydantic_core._pydantic_core.ValidationError: 1 validation error for DurationCondition
    ...
    """

    not_resolving_to_grade: int | None = Field(default=None, ge=0, le=4)
    within_hours: float | None = Field(default=None, gt=0)
    persisting_beyond_day: int | None = Field(default=None, ge=0)
    min_duration_days: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_form(self) -> DurationCondition:
        forms = [
            self.not_resolving_to_grade is not None or self.within_hours is not None,
            self.persisting_beyond_day is not None,
            self.min_duration_days is not None,
        ]
        if sum(forms) != 1:
            raise ValueError(
                "give exactly one of: not_resolving_to_grade + within_hours, "
                "persisting_beyond_day, min_duration_days"
            )
        if (self.not_resolving_to_grade is None) != (self.within_hours is None):
            raise ValueError("not_resolving_to_grade and within_hours go together")
        return self


class DltRule(_Model):
    """One DLT criterion over graded events, evaluated by the safety engine (data, not code).

    Attributes
    ----------
    id, description : str
        Rule id (letters, digits, ``_``, ``-``) and the words tables show for it.
    category : str
        CRS, ICANS, HEMATOLOGIC, NON_HEMATOLOGIC, DEATH or ANY.
    terms, exclude_terms : list of str
        AEDECOD terms counted (None = the whole category) and terms left out.
    min_grade : int
        CTCAE / ASTCT grade 1-5 (``>=``, or ``==`` with ``exact_grade``).
    related_only : bool
        Only events related to the CAR-T product count.
    duration : DurationCondition, optional
        How long the event must last.
    window_start_day, window_end_day : int
        Study days (infusion = day 0); end None = the design's DLT window.

    Examples
    --------
    >>> r = DltRule(id="CRS4", description="Grade 4 CRS", category="CRS", min_grade=4)
    >>> r.window_start_day, r.window_end_day, r.exact_grade
    (0, None, False)
    """

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    description: str
    category: Literal["CRS", "ICANS", "HEMATOLOGIC", "NON_HEMATOLOGIC", "DEATH", "ANY"]
    terms: list[str] | None = Field(default=None, description="AEDECOD terms; None = category")
    exclude_terms: list[str] = []
    min_grade: int = Field(ge=1, le=5)
    exact_grade: bool = Field(default=False, description="grade == min_grade instead of >=")
    related_only: bool = False
    duration: DurationCondition | None = None
    window_start_day: int = Field(default=0, description="day 0 = infusion")
    window_end_day: int | None = Field(default=None, description="None = the design DLT window")


class DltDefinition(_Model):
    """The DLT definition: rules over graded events, and who is DLT-evaluable.

    Attributes
    ----------
    rules : list of DltRule
        At least one; a patient has a DLT when any rule matches.
    evaluable : str
        "completed_window_or_dlt": evaluable after the whole DLT window or a DLT.

    Examples
    --------
    >>> DltDefinition(rules=[DltRule(id="D5", description="Death", category="DEATH",
    ...                              min_grade=5)]).evaluable
    'completed_window_or_dlt'
    """

    rules: list[DltRule] = Field(min_length=1)
    evaluable: Literal["completed_window_or_dlt"] = "completed_window_or_dlt"

    def criteria(self) -> dict[str, str]:
        """Each rule's id and the words a reader sees for it (its ``description``).

        Tables, listings and narratives show a DLT criterion in these words, never the id.

        Returns
        -------
        dict of str to str
            Rule id to description, in protocol order.

        Examples
        --------
        >>> d = DltDefinition(rules=[DltRule(id="CRS4", description="Grade 4 CRS",
        ...                                  category="CRS", min_grade=4)])
        >>> d.criteria()
        {'CRS4': 'Grade 4 CRS'}
        """
        return {r.id: r.description for r in self.rules}


class LdAgent(_Model):
    """One lymphodepleting agent: dose, unit and days relative to infusion."""

    agent: str
    dose: float = Field(gt=0)
    unit: str
    days: list[int] = Field(min_length=1, description="study days relative to infusion (day 0)")


class Lymphodepletion(_Model):
    """The lymphodepletion regimen (e.g. Flu/Cy days -5 to -3)."""

    regimen: str
    agents: list[LdAgent] = Field(min_length=1)


class Assessment(_Model):
    """Nominal days (infusion = day 0) and visit window of one kind of assessment."""

    days: list[int] = Field(min_length=1, description="nominal days relative to infusion")
    window_days: int = Field(default=0, ge=0)


class SurvivalFollowUp(_Model):
    """Survival follow-up contacts: every N days until a day."""

    every_days: int = Field(gt=0)
    until_day: int = Field(gt=0)


class Schedule(_Model):
    """The visit schedule: safety labs, kinetics, cytokines, response, MRD, ADA, survival.

    Attributes
    ----------
    screening_day : int
        Study day of screening (<= 0; infusion = day 0).
    safety_labs, kinetics, cytokines, response, mrd, ada : Assessment
        Nominal days and visit window (days) of each kind of assessment.
    survival_follow_up : SurvivalFollowUp
        Contacts every N days until a study day.

    Examples
    --------
    >>> from cartrial.protocol.load import load_protocol
    >>> s = load_protocol("ct071").schedule
    >>> s.response.days[:3], s.survival_follow_up.every_days
    ([28, 56, 90], 90)
    """

    screening_day: int = Field(default=-28, le=0)
    safety_labs: Assessment
    kinetics: Assessment
    cytokines: Assessment
    response: Assessment
    mrd: Assessment
    ada: Assessment
    survival_follow_up: SurvivalFollowUp
