"""CAR-HEMATOTOX: the baseline risk score for haematotoxicity after CAR T-cell therapy.

Rejeski K et al., Blood 2021;138(24):2499-2513: five laboratory factors measured before
lymphodepletion (ANC, haemoglobin, platelets, CRP, ferritin) give 0-7 points; 0-1 is low risk,
2 or more high risk. The cut-offs are data (``criteria/car_hematotox_2021.yaml``).

Input: laboratory records as for :func:`cartrial.safety.grade_labs` (USUBJID, PARAMCD, DAY,
AVAL in SI units; optional UNIT, SEQ, ABLFL). The baseline value of each factor is the last
record on or before ``on_or_before_day`` (day -5, the start of lymphodepletion, by default);
a missing factor leaves the score missing and is named in MISSING (never counted as 0).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from cartrial import _yaml
from cartrial.safety import _frames
from cartrial.safety._frames import TestCodes, as_float, as_text, fail, require_columns

DOMAIN = "LB"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PointRule(_Model):
    op: Literal["<", "<=", ">", ">="]
    value: float
    points: int = Field(ge=1)


class Factor(_Model):
    factor: str
    paramcd: list[str] = Field(min_length=1)
    units: list[str]
    text: str
    rules: list[PointRule] = Field(min_length=1)


class HematotoxCriteria(_Model):
    """The CAR-HEMATOTOX score as data.

    Attributes
    ----------
    version, name, source : str
        Score version (publication year), name and the citation of the source.
    baseline_text : str
        Source text of the baseline window (before lymphodepletion).
    low_risk_max : int
        Highest score that is still low risk (0-1 low, >= 2 high).
    factors : list of Factor
        The five factors (ANC, haemoglobin, platelets, CRP, ferritin) with their point rules.

    References
    ----------
    Rejeski K et al., Blood 2021;138(24):2499-2513.

    Examples
    --------
    >>> c = hematotox_criteria()
    >>> c.low_risk_max, [f.factor for f in c.factors]
    (1, ['ANC', 'Hemoglobin', 'Platelets', 'CRP', 'Ferritin'])
    """

    version: str
    name: str
    source: str
    baseline_text: str
    low_risk_max: int
    factors: list[Factor]


@cache
def hematotox_criteria() -> HematotoxCriteria:
    """The bundled CAR-HEMATOTOX table (``criteria/car_hematotox_2021.yaml``).

    Returns
    -------
    HematotoxCriteria
        Frozen model of the five factors and their points.

    References
    ----------
    Rejeski K et al. Blood 2021;138(24):2499-2513.

    Examples
    --------
    >>> [f.factor for f in hematotox_criteria().factors][:2]
    ['ANC', 'Hemoglobin']
    """
    text = resources.files("cartrial.safety.criteria").joinpath(
        "car_hematotox_2021.yaml").read_text(encoding="utf-8")
    return HematotoxCriteria.model_validate(_yaml.safe_load(text))


def _points(values: np.ndarray, factor: Factor) -> np.ndarray:
    pts = np.where(np.isnan(values), np.nan, 0.0)
    done = np.isnan(values)
    ops = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
    for r in factor.rules:
        with np.errstate(invalid="ignore"):
            hit = ops[r.op](values, r.value) & ~done
        pts[hit] = r.points
        done |= hit
    return pts


def _baseline_values(labs: pd.DataFrame, tests: TestCodes, factor: Factor,
                     on_or_before_day: float) -> pd.DataFrame:
    df = labs[tests.rows(factor.paramcd)]
    day = as_float(df, "DAY", domain=DOMAIN, required=True)
    aval = as_float(df, "AVAL", domain=DOMAIN)
    fail(df, aval < 0, domain=DOMAIN, variable="AVAL",
         rule=f"{factor.factor} cannot be < 0 (CAR-HEMATOTOX)")
    if "UNIT" in df.columns:
        units = as_text(df, "UNIT")
        ok = [u.upper() for u in factor.units]
        fail(df, (units != "") & ~np.isin(units, ok), domain=DOMAIN, variable="UNIT",
             rule=f"CAR-HEMATOTOX reads {factor.factor} in {factor.units[0]}", values=units)
    b = pd.DataFrame({"USUBJID": df["USUBJID"].astype(str).to_numpy(), "DAY": day, "V": aval})
    b = b[(b["DAY"] <= on_or_before_day) & b["V"].notna()]
    b = b.sort_values(["USUBJID", "DAY"], kind="stable").groupby("USUBJID").tail(1)
    return b.set_index("USUBJID")


def car_hematotox(labs: pd.DataFrame, *, on_or_before_day: float = -5.0,
                  criteria: HematotoxCriteria | None = None) -> pd.DataFrame:
    """CAR-HEMATOTOX score and risk group per subject.

    Parameters
    ----------
    labs : pandas.DataFrame
        Laboratory records (USUBJID, PARAMCD, DAY, AVAL in SI units; optional UNIT, SEQ).
    on_or_before_day : float, default -5
        The baseline of each factor is its last value on or before this day (day -5, the
        start of lymphodepletion, as in the paper).
    criteria : HematotoxCriteria, optional
        The score table (default: the bundled 2021 table).

    Returns
    -------
    pandas.DataFrame
        One row per subject with any laboratory record: USUBJID, for each factor its value
        ``<F>`` and points ``<F>_POINTS`` (factors named upper case, e.g. ANC, HEMOGLOBIN),
        SCORE (0-7, NaN when a factor is missing), RISK ("low" 0-1, "high" >= 2, "" when the
        score is missing), MISSING (the factors without a baseline value) and HEMATOTOX_VERSION.

    Raises
    ------
    RecordError
        A negative value or a value in another unit (naming the record).
    InputError
        Missing columns.

    References
    ----------
    Rejeski K et al. CAR-HEMATOTOX: a model for CAR T-cell-related hematologic toxicity in
    relapsed/refractory large B-cell lymphoma. Blood 2021;138(24):2499-2513.

    Examples
    --------
    >>> labs = pd.DataFrame({"USUBJID": "P1", "DAY": -5.0,
    ...     "PARAMCD": ["NEUT", "HGB", "PLAT", "CRP", "FERRITIN"],
    ...     "AVAL": [1.0, 95.0, 120.0, 12.0, 2500.0]})
    >>> r = car_hematotox(labs).iloc[0]
    >>> float(r["SCORE"]), r["RISK"]   # 1 + 0 + 1 + 0 + 2
    (4.0, 'high')
    """
    require_columns(labs, ["USUBJID", "PARAMCD", "DAY", "AVAL"], where="car_hematotox")
    c = criteria or hematotox_criteria()
    subjects = pd.Index(sorted(pd.unique(labs["USUBJID"])), name="USUBJID").astype(str)
    out = pd.DataFrame(index=subjects)
    total = np.zeros(len(subjects))
    missing = np.full(len(subjects), "", dtype=object)
    tests = _frames.paramcd_codes(labs)
    for f in c.factors:
        name = f.factor.upper()
        b = _baseline_values(labs, tests, f, on_or_before_day)
        v = b["V"].reindex(subjects).to_numpy(dtype=float)
        pts = _points(v, f)
        out[name] = v
        out[f"{name}_POINTS"] = pts
        total = total + pts
        missing = np.where(np.isnan(v), np.where(missing == "", f.factor,
                                                 missing + ", " + f.factor), missing)
    out["SCORE"] = total
    out["RISK"] = np.where(np.isnan(total), "",
                           np.where(total <= c.low_risk_max, "low", "high"))
    out["MISSING"] = missing
    out["HEMATOTOX_VERSION"] = f"{c.name} ({c.version})"
    return out.reset_index()
