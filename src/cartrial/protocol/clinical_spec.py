"""The protocol's clinical sections: the DLT definition (rules over graded events), the
lymphodepletion regimen, the visit schedule, and the endpoint, safety and kinetics settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from cartrial.protocol._base import _Model


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


class ImwgSettings(_Model):
    """Open decisions of IMWG 2016 (Kumar S et al., Lancet Oncol 2016;17:e328-46).

    Every field is an ambiguity of the guideline text; the default is the reference file's.
    """

    version: Literal["IMWG 2016"] = "IMWG 2016"
    vgpr_dflc_inclusive: bool = Field(
        default=True, description="FLC-only VGPR: dFLC decrease >= 90% (True) or > 90% (False)"
    )
    pd_absolute_inclusive: bool = Field(
        default=True, description="serum PD: absolute increase >= 0.5 g/dL (True) or > 0.5"
    )
    confirmation_window_days: int | None = Field(
        default=None, ge=1, description="max days to the confirming assessment; None = no limit"
    )
    skip_ne_when_confirming: bool = Field(
        default=True,
        description="NE assessments are skipped when looking for the confirming assessment "
        "(admiralonco); False = an NE next assessment leaves the response unconfirmed",
    )
    ppcl_blood_pc_5pct_is_pr: bool = Field(
        default=True, description="pPCL: blood plasma cells of exactly 5% are PR-compatible"
    )
    ppcl_urine_pr_both: bool = Field(
        default=True,
        description="pPCL PR: urine reduced >= 90% AND < 200 mg/24 h (PCL table); False = OR "
        "as for myeloma",
    )
    ppcl_min_persistence_days: int = Field(
        default=42, ge=0, description="pPCL: serological response maintained >= 6 weeks"
    )
    carry_forward_marrow: bool = Field(
        default=True, description="a marrow result applies to later assessments until the next"
    )
    unconfirmed_pd_at_last_assessment: Literal[
        "not_progression", "progression_if_pd_death", "progression"
    ] = Field(
        default="not_progression",
        description="PD at the last assessment with no confirming assessment: never confirmed "
        "(two consecutive assessments, IMWG 2016), "
        "confirmed by a later death due to progression (admiralonco), or always confirmed",
    )
    pd_date: Literal["first", "confirming"] = Field(
        default="first",
        description="date of confirmed PD: the first of the two assessments (default) or the "
        "confirming one",
    )
    ife_interference: Literal["cap_vgpr", "ignore_positive"] = Field(
        default="cap_vgpr",
        description="positive IFE flagged as therapeutic-antibody interference: keep it "
        "(response capped at VGPR, flagged) or read it as negative",
    )


class EndpointSettings(_Model):
    """Endpoint settings: CI level, KM transform, time origin, MRD sensitivity, censoring."""

    confidence_level: float = Field(default=0.95, gt=0.5, lt=1)
    km_ci_transform: Literal["log-log", "log", "plain"] = "log-log"
    time_origin: Literal["apheresis", "infusion"] = "apheresis"
    days_per_month: float = 30.4375
    mrd_sensitivity: float = Field(default=1e-5, gt=0, lt=1)
    response: ImwgSettings = ImwgSettings()
    censor_on_new_therapy: bool = True
    missed_assessments_censor: int = Field(default=2, ge=1)
    missed_assessments_as_event: bool = Field(
        default=False, description="sensitivity: count PD/death after missed assessments as event"
    )
    landmarks_months: list[float] = [6.0, 12.0]


class EventBasket(_Model):
    """A named grouping of adverse-event terms (MedDRA preferred terms or CTCAE terms) that the
    safety engine tabulates together, e.g. GPRC5D on-target nail events; sponsors define them
    (no consensus scale exists for most)."""

    name: str = Field(min_length=1)
    category: str = Field(min_length=1, description="e.g. GPRC5D on-target, Infections")
    terms: list[str] = Field(min_length=1, description="AEDECOD values, case-insensitive")
    definition: str | None = None

    @model_validator(mode="after")
    def _unique_terms(self) -> EventBasket:
        keys = [t.strip().upper() for t in self.terms]
        dup = sorted({t for t in keys if keys.count(t) > 1})
        if dup:
            raise ValueError(f"basket {self.name!r}: terms listed twice: {dup}")
        return self


class SafetySettings(_Model):
    """Safety settings: CTCAE version pin, CRS/ICANS criteria, cytopenia and IgG thresholds,
    event baskets."""

    ctcae_version: Literal["5.0", "6.0"] = Field(
        default="5.0", description="CTCAE version for lab grading (v6.0 for new studies; "
                                   "running studies stay on v5.0)")
    crs_criteria: Literal["ASTCT 2019"] = "ASTCT 2019"
    icans_criteria: Literal["ASTCT 2019"] = "ASTCT 2019"
    crs_icans_grade_source: Literal["derived", "reported"] = Field(
        default="derived",
        description="primary grade of each CRS / ICANS event in every table, figure and ADaM "
        "grade: 'derived' = ASTCT 2019 graded from the daily observations (investigator grade "
        "where a patient has none), 'reported' = the investigator's AETOXGR",
    )
    masked_fever_keeps_grade1: bool = False
    treatment_emergent_until_day: int = Field(default=365, gt=0)
    prolonged_cytopenia_day: int = Field(default=28, gt=0)
    hypogammaglobulinemia_igg_g_per_l: float = Field(default=4.0, gt=0)
    baskets: list[EventBasket] = Field(
        default_factory=list, description="named groupings of AE terms, tabulated by grade")

    @model_validator(mode="after")
    def _baskets(self) -> SafetySettings:
        names = [(b.category, b.name) for b in self.baskets]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"safety.baskets: category / name listed twice: {dup}")
        seen: dict[tuple[str, str], str] = {}
        for b in self.baskets:
            for t in b.terms:
                key = (b.category, t.strip().upper())
                if key in seen:
                    raise ValueError(f"safety.baskets: term {t!r} is in both {seen[key]!r} and "
                                     f"{b.name!r} of category {b.category!r}")
                seen[key] = b.name
        return self


class KineticsSettings(_Model):
    """NCA, cytokine and ADA settings (PKNCA R package defaults).

    BLQ samples are placed relative to Tmax and Tlast (PKNCA ``conc.blq`` first / middle / last):
    ``blq_before_tmax`` covers leading BLQs and those before Tmax, ``blq_after_tmax`` those between
    Tmax and the last quantifiable sample, ``blq_after_tlast`` the trailing ones.
    """

    auc_method: Literal["lin-up/log-down", "linear"] = "lin-up/log-down"
    auc_partial_days: list[float] = [28.0]
    auc_partial_type: Literal["last", "all"] = Field(
        default="last",
        description="after Tlast, partial AUCs follow PKNCA aucint.last (the interval AUC's "
        "default: nothing past Tlast unless a trailing BLQ sample lies within the interval) or "
        "aucint.all (log trapezoid to the concentration interpolated toward the first trailing "
        "BLQ)",
    )
    blq_before_tmax: Literal["zero", "missing"] = "zero"
    blq_after_tmax: Literal["zero", "missing"] = "missing"
    blq_after_tlast: Literal["zero", "missing"] = Field(
        default="zero", description="PKNCA conc.blq last = keep (as 0)"
    )
    impute_time0: bool = Field(
        default=True, description="concentration 0 at infusion (day 0) when no sample is kept there"
    )
    auc_end_tolerance_days: float = Field(
        default=0.0,
        ge=0,
        description="a partial AUC whose profile ends at most this much before its end day is "
        "integrated to the last sample (flagged)",
    )
    lambda_z_min_points: int = Field(default=3, ge=3)
    lambda_z_adj_r2_tolerance: float = Field(default=1e-4, ge=0, lt=1)
    lambda_z_min_adj_r2: float = Field(default=0.9, gt=0, le=1, description="flag below")
    lambda_z_min_span_ratio: float = Field(default=2.0, ge=0, description="flag below")
    auc_inf_max_extrapolated_percent: float = Field(default=20.0, gt=0, lt=100)
    persistence_months: list[float] = [1.0, 3.0, 6.0, 12.0]
    persistence_window_days: float = Field(
        default=7.0, ge=0, description="a sample this close before a landmark counts for it"
    )
    cytokines: list[str] = ["IL2", "IL6", "IL8", "IL10", "INTGAM", "TNFA"]
    cytokine_end_day: float = Field(default=28.0, gt=0)
    cytokine_blq: Literal["lloq/2", "lloq", "zero"] = "lloq/2"
    cytokine_auc_method: Literal["lin-up/log-down", "linear"] = "linear"
    ada_titer_fold_rise: float = Field(default=4.0, gt=1, description="treatment-boosted ADA")
    ada_persistent_days: float = Field(default=112.0, gt=0, description="16 weeks (Shankar 2014)")

    @model_validator(mode="after")
    def _check(self) -> KineticsSettings:
        for d in self.auc_partial_days:
            if d <= 0 or d != int(d) or d > 9999:
                raise ValueError(f"auc_partial_days must be whole days in 1..9999, found {d!r}")
        if len(set(self.auc_partial_days)) != len(self.auc_partial_days):
            raise ValueError(f"auc_partial_days must be unique, found {self.auc_partial_days}")
        if any(m <= 0 for m in self.persistence_months):
            raise ValueError(f"persistence_months must be > 0, found {self.persistence_months}")
        return self
