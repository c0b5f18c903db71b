"""Efficacy engine: IMWG 2016 response, MRD, response rates and time-to-event endpoints."""

from typing import TYPE_CHECKING

from cartrial._lazy import attach

if TYPE_CHECKING:
    from cartrial.efficacy.binomial import EXACT_CI_METHOD, exact_ci
    from cartrial.efficacy.concordance import Concordance, response_concordance
    from cartrial.efficacy.cox import CoxResult, cox_ph
    from cartrial.efficacy.cuminc import CumIncResult, cumulative_incidence
    from cartrial.efficacy.endpoints import (
        EfficacyResult,
        efficacy_endpoints,
        risk_table,
        tte_summary,
    )
    from cartrial.efficacy.follow_up import FollowUp, median_follow_up
    from cartrial.efficacy.imwg import (
        ImwgResult,
        classify_assessments,
        confirm_responses,
        derive_imwg_response,
        measurable_disease,
    )
    from cartrial.efficacy.imwg_rules import IMWG_2016, RESPONSES, ImwgThresholds
    from cartrial.efficacy.km import (
        KmResult,
        kaplan_meier,
        km_landmark,
        km_quantile,
        numbers_at_risk,
    )
    from cartrial.efficacy.km_strata import KmByGroup, km_by_group
    from cartrial.efficacy.mrd import classify_mrd, mrd_rates, sustained_mrd_negative
    from cartrial.efficacy.rates import proportion_table, response_rates
    from cartrial.efficacy.sdtm import (
        disease_assessments_from_sdtm,
        efficacy_from_study,
        investigator_response_from_sdtm,
        mrd_from_sdtm,
        subjects_from_sdtm,
    )
    from cartrial.efficacy.survival_by_dose import DoseComparisons, dose_comparisons
    from cartrial.efficacy.survival_tests import LogrankResult, logrank_test
    from cartrial.efficacy.time_to_event import derive_time_to_event, event_from_cnsr

__all__ = [
    "EXACT_CI_METHOD",
    "IMWG_2016",
    "RESPONSES",
    "Concordance",
    "CoxResult",
    "CumIncResult",
    "DoseComparisons",
    "EfficacyResult",
    "FollowUp",
    "ImwgResult",
    "ImwgThresholds",
    "KmByGroup",
    "KmResult",
    "LogrankResult",
    "classify_assessments",
    "classify_mrd",
    "confirm_responses",
    "cox_ph",
    "cumulative_incidence",
    "derive_imwg_response",
    "derive_time_to_event",
    "dose_comparisons",
    "disease_assessments_from_sdtm",
    "efficacy_endpoints",
    "efficacy_from_study",
    "event_from_cnsr",
    "exact_ci",
    "investigator_response_from_sdtm",
    "kaplan_meier",
    "km_by_group",
    "km_landmark",
    "km_quantile",
    "logrank_test",
    "measurable_disease",
    "median_follow_up",
    "mrd_from_sdtm",
    "mrd_rates",
    "numbers_at_risk",
    "proportion_table",
    "response_concordance",
    "response_rates",
    "risk_table",
    "subjects_from_sdtm",
    "sustained_mrd_negative",
    "tte_summary",
]

__getattr__, __dir__ = attach(__name__, __file__, __all__)
