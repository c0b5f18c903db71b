"""The protocol file as frozen pydantic models that refuse unknown keys.

A trial is described by data, never code: dose levels, the escalation design and its parameters,
the DLT definition as a list of rules over graded events, the lymphodepletion regimen, the visit
schedule and the endpoint settings. Each engine reads its own section.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from cartrial.protocol.randomised_stage import RandomisedStageSpec, check_stage_doses


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Population(_Model):
    """A trial population (e.g. RRMM, PPCL) with its definition."""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,7}$", description="e.g. RRMM, PPCL")
    label: str
    definition: str | None = None


class DoseLevel(_Model):
    """One dose level: id, label, dose and unit (e.g. 0.1 x10^6 CAR+ T cells/kg)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,8}$", description="e.g. DL1")
    label: str
    dose: float = Field(gt=0)
    unit: str = Field(description="e.g. 10^6 CAR+ T cells/kg")


class BackfillSpec(_Model):
    """Backfill cohorts at cleared doses while escalation waits (BOIN / TITE-BOIN option)."""

    enabled: bool = False
    max_per_dose: int = Field(default=12, ge=1, description="cap on patients at a backfilled dose")
    min_dose_cleared: Literal["escalated_from"] = "escalated_from"


class AccrualSpec(_Model):
    """Accrual rate, stagger between a cohort's first patients, TITE suspension rule."""

    patients_per_month: float = Field(default=2.0, gt=0)
    stagger_days: int = Field(default=0, ge=0, description="days between a cohort's first patients")
    max_pending_fraction: float = Field(
        default=0.5, gt=0, le=1, description="TITE: suspend accrual when pending > fraction x n"
    )


# dfcrm 0.2-2.1 crm() / crmsim() / titesim(): scale = sqrt(1.34), restrict = TRUE (no skipping
# and coherence), no safety stop and no overdose control; it has no default skeleton.
DFCRM_PRESET: dict[str, object] = {
    "prior_sd": 1.1575836902790226,
    "safety_stop_probability": None,
    "overdose_control": False,
    "no_skipping": True,
    "coherence": True,
}


class CrmSpec(_Model):
    """CRM settings: skeleton (or Lee & Cheung calibration), prior SD, safety stop, overdose
    control (at ``design.elimination_cutoff``), no skipping and coherence.

    ``preset: dfcrm`` takes the R package's defaults (``DFCRM_PRESET``) for every field not
    given explicitly, and needs ``skeleton`` or ``prior_mtd_level`` (dfcrm has no default).
    """

    preset: Literal["dfcrm"] | None = Field(default=None, description="dfcrm: R's defaults")
    skeleton: list[float] | None = Field(default=None, description="explicit, or calibrated")
    halfwidth: float = Field(default=0.05, gt=0, lt=0.5, description="Lee & Cheung indifference")
    prior_mtd_level: int = Field(default=1, ge=1, description="1-based dose level of prior MTD")
    prior_sd: float = Field(default=1.1575836902790226, gt=0, description="sqrt(1.34), dfcrm")
    safety_stop_probability: float | None = Field(default=0.90, gt=0, lt=1)
    overdose_control: bool = Field(
        default=True, description="eliminate doses with P(p > target) > elimination_cutoff"
    )
    no_skipping: bool = Field(default=True, description="escalate at most one level at a time")
    coherence: bool = Field(
        default=True, description="no escalation right after a cohort with DLT rate >= target"
    )

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data: object) -> object:
        if not isinstance(data, dict) or data.get("preset") != "dfcrm":
            return data
        if data.get("skeleton") is None and "prior_mtd_level" not in data:
            raise ValueError(
                "crm.preset dfcrm: dfcrm has no default skeleton (crm() and crmsim() need "
                "'prior'); give crm.skeleton or crm.prior_mtd_level"
            )
        return {**DFCRM_PRESET, **data}


class IntervalSpec(_Model):
    """Equivalence interval for mTPI-2 / i3+3."""

    epsilon_low: float = Field(default=0.05, ge=0, lt=0.5)
    epsilon_high: float = Field(default=0.05, ge=0, lt=0.5)


class ExpansionSpec(_Model):
    """Dose expansion after escalation: number of patients and the dose."""

    patients: int = Field(ge=0)
    dose: Literal["selected"] | str = "selected"


class Boin12Spec(_Model):
    """BOIN12 phase I/II settings (Lin et al., JCO Precis Oncol 2020;4:1393-1402).

    ``target`` of the design is phi_T and ``elimination_cutoff`` is c_T; here: the lowest
    acceptable response probability phi_E, the utility of a response with DLT (u11) and of
    neither (u00) on the 0-100 scale (u11 + u00 = 100), N*, the exploration count and c_E.
    """

    phi_e: float = Field(gt=0, lt=1, description="lowest acceptable response probability")
    response_dlt: float = Field(default=60, ge=0, le=100, description="utility u11")
    no_response_no_dlt: float = Field(default=40, ge=0, le=100, description="utility u00")
    n_star: int = Field(default=6, ge=1)
    n_explore: int | None = Field(default=9, ge=1)
    futility_cutoff: float = Field(default=0.9, gt=0.5, lt=1)


class UboinSpec(_Model):
    """U-BOIN settings (Zhou, Lee & Yuan, Stat Med 2019;38:5299-5316); see cartrial.design.uboin.

    ``target`` of the design is phi_T and ``elimination_cutoff`` c_T; ``cap_per_dose`` ends
    stage II. Utilities of a response with DLT (u11) and of neither (u00) on 0-100 (any pair).
    """

    phi_e: float = Field(gt=0, lt=1, description="lowest acceptable response probability")
    response_dlt: float = Field(default=60, ge=0, le=100, description="utility u11")
    no_response_no_dlt: float = Field(default=40, ge=0, le=100, description="utility u00")
    prior: float = Field(default=0.25, gt=0, description="Dirichlet parameter of each cell")
    futility_cutoff: float = Field(default=0.9, gt=0.5, lt=1)
    stage1_per_dose: int = Field(default=9, ge=1, description="stage II once a dose has this many")
    stage1_target: float | None = Field(default=None, ge=0.05, le=0.6,
                                        description="stage-I BOIN target (default: target)")


class DoseEfficacySpec(_Model):
    """The efficacy outcome used for dose decisions (phase I/II designs) and its window.

    A patient responds when an IMWG assessment (the response at the assessment, Kumar S et al.,
    Lancet Oncol 2016) on or before day ``by_day`` + ``window_days`` after infusion reaches
    ``endpoint`` (PR / VGPR / CR or better), or, for ``MRD-negative``, when a bone-marrow MRD
    result in that window is negative. Until then, and while the window is open, the outcome is
    pending; once it closed (or the patient died or withdrew first) it is no response.
    """

    endpoint: Literal["PR", "VGPR", "CR", "MRD-negative"] = Field(
        description="PR / VGPR / CR: that response or better; MRD-negative: MRD negativity"
    )
    by_day: int = Field(ge=1, le=730, description="nominal assessment day after infusion")
    window_days: int = Field(default=7, ge=0, le=90, description="visit window after by_day")

    @property
    def label(self) -> str:
        what = "MRD negativity" if self.endpoint == "MRD-negative" else f"{self.endpoint} or better"
        return f"{what} by day {self.by_day} (window +{self.window_days} days)"


# TITEgBOIN 0.4.0 get_oc_TITE_QuasiBOIN / select_mtd_TITE_QuasiBOIN defaults that differ from
# cartrial's: the selection's Beta(0.005, 0.005) prior (maxpen 0.5, cutoff.eli 0.95, Neli 3,
# extrasafe FALSE with offset 0.05 and linear pending weights are cartrial's defaults too).
TITEGBOIN_PRESET: dict[str, object] = {"selection_prior": 0.005}


class DesignSpec(_Model):
    """The escalation design and its parameters (3+3, BOIN, TITE-BOIN, mTPI-2, i3+3, CRM)."""

    name: Literal["3+3", "boin", "tite-boin", "mtpi2", "i3+3", "crm", "tite-crm", "boin12",
                  "tite-boin12", "u-boin"]
    target: float = Field(ge=0.05, le=0.6, description="target DLT probability")
    cohort_size: int = Field(ge=1, le=12)
    max_sample_size: int = Field(ge=1)
    max_cohorts: int | None = Field(default=None, ge=1)
    cap_per_dose: int | None = Field(default=None, ge=1, description="BOIN n.earlystop")
    elimination_cutoff: float = Field(default=0.95, gt=0.5, lt=1)
    extrasafe: bool = False
    phi1: float | None = Field(default=None, gt=0, lt=1)
    phi2: float | None = Field(default=None, gt=0, lt=1)
    bound_mtd: bool = Field(
        default=False, description="BOIN boundMTD: the selected MTD's isotonic estimate <= lambda_d"
    )
    selection_prior: float = Field(
        default=0.05, gt=0, le=1,
        description="a of the Beta(a, a) prior of the isotonic MTD selection (BOIN 0.05)",
    )
    preset: Literal["TITEgBOIN"] | None = Field(
        default=None, description="tite-boin: TITEgBOIN's defaults (selection prior 0.005)"
    )
    dlt_window_days: int = Field(ge=1, le=120)
    backfill: BackfillSpec = BackfillSpec()
    accrual: AccrualSpec = AccrualSpec()
    crm: CrmSpec = CrmSpec()
    interval: IntervalSpec = IntervalSpec()
    expansion: ExpansionSpec | None = None
    boin12: Boin12Spec | None = None
    uboin: UboinSpec | None = None
    efficacy: DoseEfficacySpec | None = None
    randomised_stage: RandomisedStageSpec | None = None  # ROSE stage after escalation

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # the phase I/II block appears only in designs that have it (other dumps unchanged)
        out: dict[str, Any] = handler(self)
        if self.boin12 is None:
            out.pop("boin12", None)
        if self.uboin is None:
            out.pop("uboin", None)
        if self.efficacy is None:
            out.pop("efficacy", None)
        if self.randomised_stage is None:
            out.pop("randomised_stage", None)
        return out

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("preset") == "TITEgBOIN":
            return {**TITEGBOIN_PRESET, **data}
        return data

    @model_validator(mode="after")
    def _check(self) -> DesignSpec:
        if (self.name in ("boin12", "tite-boin12")) != (self.boin12 is not None):
            raise ValueError("the boin12 block (phi_e, utilities, ...) goes with design boin12 "
                             "or tite-boin12")
        if (self.name == "u-boin") != (self.uboin is not None):
            raise ValueError("the uboin block (phi_e, utilities, stage1_per_dose, ...) goes with "
                             "design u-boin")
        if self.name == "tite-boin12" and self.efficacy is None:
            raise ValueError("tite-boin12 needs design.efficacy: its by_day + window_days is the "
                             "response assessment window of the time-to-event likelihood")
        if self.max_sample_size < self.cohort_size:
            raise ValueError(
                f"max_sample_size ({self.max_sample_size}) must be at least cohort_size "
                f"({self.cohort_size})"
            )
        if self.backfill.enabled and self.name not in ("boin", "tite-boin"):
            raise ValueError(f"backfill is an option of boin and tite-boin, not {self.name!r}")
        if self.preset == "TITEgBOIN" and self.name != "tite-boin":
            raise ValueError(f"preset TITEgBOIN is for tite-boin, not {self.name!r}")
        if self.bound_mtd and self.name not in ("boin", "tite-boin"):
            raise ValueError(f"bound_mtd is an option of boin and tite-boin, not {self.name!r}")
        return self


class DurationCondition(_Model):
    """How long an event must last to count. At most one form is given.

    - ``not_resolving_to_grade`` + ``within_hours``: e.g. grade 3 CRS not improving to <= 2 in 72 h
    - ``persisting_beyond_day``: e.g. grade 4 neutropenia still present after day 28
    - ``min_duration_days``: e.g. a non-haematological toxicity lasting > 7 days
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
    """One DLT criterion over graded events, evaluated by the safety engine (data, not code)."""

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
    """The DLT definition: rules over graded events, and who is DLT-evaluable."""

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
    """The visit schedule: safety labs, kinetics, cytokines, response, MRD, ADA, survival."""

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
    """A whole trial protocol (the YAML file), validated and frozen."""

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
