"""Efficacy engine: IMWG 2016 response, MRD, response rates and time-to-event endpoints."""

from cartrial.efficacy.binomial import EXACT_CI_METHOD, exact_ci
from cartrial.efficacy.imwg import (
    ImwgResult,
    classify_assessments,
    confirm_responses,
    derive_imwg_response,
    measurable_disease,
)
from cartrial.efficacy.imwg_rules import IMWG_2016, RESPONSES, ImwgThresholds
from cartrial.efficacy.km import KmResult, kaplan_meier, km_landmark, km_quantile, numbers_at_risk

__all__ = [
    "EXACT_CI_METHOD",
    "IMWG_2016",
    "RESPONSES",
    "ImwgResult",
    "ImwgThresholds",
    "classify_assessments",
    "confirm_responses",
    "derive_imwg_response",
    "measurable_disease",
    "KmResult",
    "exact_ci",
    "kaplan_meier",
    "km_landmark",
    "km_quantile",
    "numbers_at_risk",
]
