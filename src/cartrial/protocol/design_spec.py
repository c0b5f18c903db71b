"""The protocol's ``design`` section: the escalation design and its parameters (BOIN, CRM,
BOIN12, U-BOIN ...), backfill, accrual, expansion and the efficacy outcome of dose decisions."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from cartrial.protocol._base import _Model
from cartrial.protocol.randomised_stage import RandomisedStageSpec


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


class BoinetSpec(_Model):
    """BOIN-ET settings (Takeda, Taguri & Morita, Pharm Stat 2018;17:383-395); see
    cartrial.design.boinet.

    ``target`` of the design is phi, ``phi1`` / ``phi2`` its sub-therapeutic and overly toxic
    rates (BOIN-ET's defaults 0.1 and 1.4 x target), ``elimination_cutoff`` the toxicity
    admissibility cut-off and ``cap_per_dose`` N* (the trial ends once a dose has N* patients).
    Here: delta and delta1, the efficacy cut-off, the response estimate and the OBD rule.
    """

    delta: float = Field(gt=0, lt=1, description="target response probability")
    delta1: float | None = Field(default=None, gt=0, lt=1,
                                 description="lowest acceptable response (default 0.6 x delta)")
    futility_cutoff: float = Field(default=0.99, gt=0.5, lt=1,
                                   description="out when P(p_E < delta1 | data) > this")
    estimate: Literal["obs", "multi-iso"] = "obs"
    obd_method: Literal["max-effprob", "utility-weighted", "utility-truncated-linear",
                        "utility-scoring"] = "max-effprob"
    w1: float = Field(default=0.33, ge=0, description="utility-weighted: weight of toxicity")
    w2: float = Field(default=1.09, ge=0, description="utility-weighted: extra above phi2")
    response_dlt: float = Field(default=60, ge=0, le=100, description="utility-scoring: psi11")
    no_response_no_dlt: float = Field(default=40, ge=0, le=100,
                                      description="utility-scoring: psi00")


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
    """The escalation design and its parameters (3+3, BOIN, TITE-BOIN, mTPI-2, i3+3, CRM).

    Attributes
    ----------
    name : str
        "3+3", "boin", "tite-boin", "mtpi2", "i3+3", "crm", "tite-crm", "boin12",
        "tite-boin12", "u-boin" or "boin-et"; its block (``boin12``, ``uboin``, ``boinet``)
        goes with it.
    target : float
        Target DLT probability (0.05-0.6).
    cohort_size, max_sample_size : int
        Patients per cohort and in the whole escalation (at least one cohort).
    cap_per_dose : int, optional
        Stop when this many patients are treated at the dose to be given (BOIN n.earlystop).
    elimination_cutoff : float
        Posterior probability that the DLT rate exceeds the target above which a dose is
        eliminated (default 0.95).
    phi1, phi2 : float, optional
        BOIN's highest sub-therapeutic and lowest overly toxic rates (default 0.6 and 1.4 x
        target; BOIN-ET's 0.1 and 1.4 x target).
    dlt_window_days : int
        Length of the DLT assessment window in days after infusion (1-120).

    Raises
    ------
    pydantic.ValidationError
        A design block without its design, ``max_sample_size < cohort_size``, or an option
        (backfill, bound_mtd, preset) the design does not have.

    References
    ----------
    Liu S, Yuan Y. J R Stat Soc C 2015;64:507-23 (BOIN).

    Examples
    --------
    >>> d = DesignSpec(name="boin", target=0.3, cohort_size=3, max_sample_size=18,
    ...                dlt_window_days=28)
    >>> d.elimination_cutoff, d.cap_per_dose
    (0.95, None)
    """

    name: Literal["3+3", "boin", "tite-boin", "mtpi2", "i3+3", "crm", "tite-crm", "boin12",
                  "tite-boin12", "u-boin", "boin-et"]
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
    boinet: BoinetSpec | None = None
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
        if self.boinet is None:
            out.pop("boinet", None)
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
        if (self.name == "boin-et") != (self.boinet is not None):
            raise ValueError("the boinet block (delta, delta1, obd_method, ...) goes with design "
                             "boin-et")
        if self.name == "boin-et":
            _check_boinet(self)
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


def _check_boinet(d: DesignSpec) -> None:
    """BOIN-ET's ordering 0 < phi1 < target < phi2 < 1 and 0 < delta1 < delta < 1 (its
    boundaries cannot be computed otherwise) and the efficacy outcome it decides on."""
    b = d.boinet
    assert b is not None
    p1 = 0.1 * d.target if d.phi1 is None else d.phi1
    p2 = 1.4 * d.target if d.phi2 is None else d.phi2
    d1 = 0.6 * b.delta if b.delta1 is None else b.delta1
    if not 0 < p1 < d.target < p2 < 1:
        raise ValueError(f"boin-et: phi1 {p1:g}, target {d.target:g}, phi2 {p2:g} must be ordered "
                         "0 < phi1 < target < phi2 < 1 (phi1 0.1 x target and phi2 1.4 x target "
                         "unless given; Takeda et al., Pharm Stat 2018)")
    if not 0 < d1 < b.delta < 1:
        raise ValueError(f"boin-et: boinet.delta1 {d1:g} and boinet.delta {b.delta:g} must be "
                         "ordered 0 < delta1 < delta < 1 (delta1 0.6 x delta unless given)")
    if d.efficacy is None:
        raise ValueError("boin-et decides on response: design.efficacy must name the outcome "
                         "(endpoint: PR | VGPR | CR | MRD-negative, by_day, window_days)")
