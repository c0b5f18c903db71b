"""Efficacy engine: IMWG 2016 response, MRD, response rates and time-to-event endpoints."""

from cartrial.efficacy.binomial import EXACT_CI_METHOD, exact_ci
from cartrial.efficacy.km import KmResult, kaplan_meier, km_landmark, km_quantile, numbers_at_risk

__all__ = [
    "EXACT_CI_METHOD",
    "KmResult",
    "exact_ci",
    "kaplan_meier",
    "km_landmark",
    "km_quantile",
    "numbers_at_risk",
]
