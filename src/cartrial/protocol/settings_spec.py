"""The protocol's analysis settings: endpoints (with the IMWG response options), safety (CTCAE
version, CRS/ICANS criteria, cytopenia and IgG thresholds, event baskets) and kinetics (NCA,
cytokines, ADA). Each engine reads its own block; every field has a default.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from cartrial.protocol._base import _Model


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
    """Endpoint settings: CI level, KM transform, time origin, MRD sensitivity, censoring.

    Attributes
    ----------
    confidence_level : float
        Level of every efficacy confidence interval (0.5-1; default 0.95).
    km_ci_transform : {"log-log", "log", "plain"}
        Kaplan-Meier pointwise band and median CI transform (R ``survfit`` ``conf.type``).
    time_origin : {"apheresis", "infusion"}
        Day 0 of PFS and OS (intent-to-treat: apheresis).
    days_per_month : float
        Days in a month for times in months (365.25 / 12 = 30.4375).
    mrd_sensitivity : float
        MRD-negativity threshold (1e-5: one tumour cell in 10^5 nucleated cells, IMWG 2016).
    response : ImwgSettings
        Options of the IMWG response derivation.
    censor_on_new_therapy, missed_assessments_censor, missed_assessments_as_event : bool, int, bool
        Censoring at new anticancer therapy and after that many missed assessments (FDA 2018);
        the sensitivity analysis counting the event anyway.
    landmarks_months : list of float
        Landmark times of the event-free rates.

    References
    ----------
    Kumar S et al., Lancet Oncol 2016;17:e328-46 (IMWG 2016 response and MRD criteria, MRD
    negativity at a sensitivity of at least 1 in 10^5); US FDA, Clinical Trial Endpoints for the
    Approval of Cancer Drugs and Biologics (guidance, 2018), appendix 2 (PFS censoring at new
    anticancer therapy and after two or more missed assessments).

    Examples
    --------
    >>> e = EndpointSettings()
    >>> e.confidence_level, e.km_ci_transform, e.mrd_sensitivity, e.missed_assessments_censor
    (0.95, 'log-log', 1e-05, 2)
    >>> EndpointSettings(confidence_level=1.2)
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for EndpointSettings
    ...
    """

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
    event baskets.

    Attributes
    ----------
    ctcae_version : {"5.0", "6.0"}
        CTCAE version of the laboratory grades.
    crs_criteria, icans_criteria : {"ASTCT 2019"}
        Grading of CRS and ICANS.
    crs_icans_grade_source : {"derived", "reported"}
        Primary grade of each CRS / ICANS event (see the field's description).
    masked_fever_keeps_grade1 : bool
        Keep grade 1 CRS once antipyretics or tocilizumab mask the fever.
    treatment_emergent_until_day : int
        Last study day at which an event or lab grade is treatment emergent.
    prolonged_cytopenia_day : int
        Grade >= 3 neutropenia / thrombocytopenia still present at this day is prolonged.
    hypogammaglobulinemia_igg_g_per_l : float
        IgG below this (g/L) is hypogammaglobulinaemia (no CTCAE v5.0 lab term).
    baskets : list of EventBasket
        Named groupings of AE terms (a term in one basket per category).

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38 (ASTCT consensus grading of CRS
    and ICANS; fever masked by antipyretics or anti-cytokine therapy no longer needed for
    grading); NCI CTCAE v5.0 (2017) and v6.0 (2025). The cytopenia day and the IgG threshold
    (4 g/L = 400 mg/dL) are protocol choices, not guideline values.

    Examples
    --------
    >>> s = SafetySettings()
    >>> s.ctcae_version, s.crs_criteria, s.hypogammaglobulinemia_igg_g_per_l
    ('5.0', 'ASTCT 2019', 4.0)
    >>> SafetySettings(baskets=[{"name": "Nail", "category": "GPRC5D", "terms": ["Nail disorder"]},
    ...                         {"name": "Skin", "category": "GPRC5D", "terms": ["nail disorder"]}])
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for SafetySettings
    ...
    """

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

    Attributes
    ----------
    auc_method, auc_partial_days, auc_partial_type : str, list of float, str
        AUC trapezoids, the end days of the partial AUCs and their rule after Tlast.
    blq_before_tmax, blq_after_tmax, blq_after_tlast : {"zero", "missing"}
        Handling of BLQ samples by position.
    impute_time0, auc_end_tolerance_days : bool, float
        Concentration 0 at infusion; tolerance before a partial AUC's end day.
    lambda_z_min_points, lambda_z_adj_r2_tolerance : int, float
        Terminal-phase regression: minimum points, adjusted R^2 tolerance among fits.
    lambda_z_min_adj_r2, lambda_z_min_span_ratio, auc_inf_max_extrapolated_percent : float
        Flag thresholds of the half-life and AUCinf.
    persistence_months, persistence_window_days : list of float, float
        Landmarks of CAR-T persistence and the window before each.
    cytokines, cytokine_end_day, cytokine_blq, cytokine_auc_method : list of str, float, str, str
        Cytokine tests (LBTESTCD), the end of their AUC, BLQ substitution and trapezoids.
    ada_titer_fold_rise, ada_persistent_days : float
        Treatment-boosted ADA (titer rise) and persistent ADA (duration).

    References
    ----------
    Denney W et al., J Pharmacokinet Pharmacodyn 2015;42:S65 (PKNCA; its defaults, R
    ``PKNCA.options()``: linear-up/log-down, at least 3 points for lambda_z, adjusted R^2
    tolerance 1e-4); Shankar G et al., AAPS J 2014;16:658-73 (ADA: treatment-boosted as a titer
    rise of at least 4-fold, persistent over at least 16 weeks).

    Examples
    --------
    >>> k = KineticsSettings()
    >>> k.auc_method, k.lambda_z_min_points, k.ada_titer_fold_rise, k.ada_persistent_days / 7
    ('lin-up/log-down', 3, 4.0, 16.0)
    >>> KineticsSettings(auc_partial_days=[28.5])
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for KineticsSettings
    ...
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
