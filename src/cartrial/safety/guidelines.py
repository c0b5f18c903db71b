"""Guideline tables as typed objects, loaded from the versioned YAML files in ``criteria/``.

The thresholds of ASTCT 2019 (CRS, ICANS) and NCI CTCAE v5.0 (laboratory terms) live in data
files with the source text on each row (Lee DW et al., Biol Blood Marrow
Transplant 2019;25:625-38; NCI CTCAE v5.0);
this module only validates them into frozen pydantic models. No thresholds are written in code.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cartrial import _yaml
from cartrial.errors import InputError

_PACKAGE = "cartrial.safety.criteria"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------------------- CRS
class FeverRule(_Model):
    min_temp_c: float
    text: str
    masking_text: str


class HypotensionTier(_Model):
    grade: int = Field(ge=2, le=4)
    min_pressors: int = Field(ge=0)
    min_non_vasopressin: int = Field(ge=0)
    text: str


class OxygenDevice(_Model):
    device: str
    grade: int = Field(ge=0, le=4)
    grade_above_low_flow: int | None = None
    min_flow_exclusive: float | None = None
    flow: Literal["forbidden", "optional", "required"]
    aliases: list[str] = []
    text: str


class DeathRow(_Model):
    grade: Literal[5]
    text: str


class CrsCriteria(_Model):
    """ASTCT 2019 CRS grading table as data (one frozen object per bundled YAML file).

    Attributes
    ----------
    name, version, source : str
        Table name, guideline version ("ASTCT 2019") and the citation of the source.
    fever : FeverRule
        Fever threshold (``min_temp_c``, deg C) and the masking footnote.
    hypotension : list of HypotensionTier
        Grade 2-4 rows: minimum number of vasopressors (all, and excluding vasopressin).
    low_flow_max_l_min : float
        Highest nasal-cannula flow (L/min) that is still low flow (grade 2).
    oxygen_devices : list of OxygenDevice
        Device -> hypoxia grade, with aliases and whether a flow is required.
    death : DeathRow
        Grade 5 row (death due to CRS).
    plausible_temp_c, plausible_flow_l_min : tuple of float
        Plausible ranges; values outside raise a record error.
    max_pressors : int
        Largest plausible number of non-vasopressin vasopressors.

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38 (CRS grading table).

    Examples
    --------
    >>> c = crs_criteria()
    >>> c.fever.min_temp_c, c.low_flow_max_l_min
    (38.0, 6.0)
    >>> [(t.grade, t.min_pressors) for t in c.hypotension]
    [(2, 0), (3, 1), (4, 2)]
    """

    name: str
    version: str
    source: str
    fever: FeverRule
    hypotension: list[HypotensionTier]
    low_flow_max_l_min: float
    low_flow_text: str
    oxygen_devices: list[OxygenDevice]
    death: DeathRow
    plausible_temp_c: tuple[float, float]
    plausible_flow_l_min: tuple[float, float]
    max_pressors: int

    def device_lookup(self) -> dict[str, OxygenDevice]:
        """Upper-case device name or alias -> device row."""
        out: dict[str, OxygenDevice] = {}
        for d in self.oxygen_devices:
            for key in [d.device, d.device.replace("_", " "), *d.aliases]:
                out[key.strip().upper()] = d
        return out


# ------------------------------------------------------------------------------------- ICANS
class IceItem(_Model):
    item: str
    points: int = Field(ge=1)
    text: str


class IceBand(_Model):
    grade: int = Field(ge=0, le=3)
    min: int
    max: int
    text: str


class CategoryRow(_Model):
    grade: int = Field(ge=0, le=4)
    aliases: list[str] = []
    text: str
    level: str | None = None
    value: str | None = None

    @property
    def code(self) -> str:
        return self.level if self.level is not None else str(self.value)


class IcansCriteria(_Model):
    """ASTCT 2019 adult ICANS grading table and ICE score as data.

    Attributes
    ----------
    name, version, source : str
        Table name, guideline version ("ASTCT 2019") and the citation of the source.
    min_age_years : int
        Youngest age (years) the ICE-based adult grading applies to (12).
    ice_items : list of IceItem
        The five ICE items with their maximum points (total 10, ``ice_max``).
    ice_bands : list of IceBand
        ICE score range (inclusive) -> ICANS grade 0-3.
    ice_unarousable_grade : int
        Grade when ICE is 0 (or impossible) because the patient is unarousable (4).
    consciousness, seizure, motor, icp : list of CategoryRow
        Category -> grade rows of the other four domains.
    death : DeathRow
        Grade 5 row (death due to ICANS).

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38 (ICE and ICANS tables).

    Examples
    --------
    >>> c = icans_criteria()
    >>> c.ice_max, [(b.grade, b.min, b.max) for b in c.ice_bands]
    (10, [(0, 10, 10), (1, 7, 9), (2, 3, 6), (3, 0, 2)])
    """

    name: str
    version: str
    source: str
    min_age_years: int
    min_age_text: str
    ice_items: list[IceItem]
    ice_bands: list[IceBand]
    ice_unarousable_grade: int
    ice_unarousable_text: str
    consciousness: list[CategoryRow]
    seizure: list[CategoryRow]
    motor: list[CategoryRow]
    icp: list[CategoryRow]
    death: DeathRow

    @property
    def ice_max(self) -> int:
        return sum(i.points for i in self.ice_items)

    @staticmethod
    def lookup(rows: list[CategoryRow]) -> dict[str, CategoryRow]:
        out: dict[str, CategoryRow] = {}
        for r in rows:
            for key in [r.code, r.code.replace("_", " "), *r.aliases]:
                out[key.strip().upper()] = r
        return out


# ------------------------------------------------------------------------------------ CTCAE
class Condition(_Model):
    """``var op value x ref``; ref CONST means the value itself (AVAL < 0.5)."""

    var: Literal["AVAL", "PCHG"] = "AVAL"
    op: Literal["<", "<=", ">", ">="]
    value: float
    ref: Literal["CONST", "LLN", "ULN", "BASE"] = "CONST"


class Alternative(_Model):
    # baseline_low / baseline_not_low: the baseline indicator LOW (or ABNORMAL) whatever the
    # term's direction (CTCAE v6 creatinine: multiples of a low baseline)
    when: Literal["any", "baseline_normal", "baseline_abnormal", "baseline_low",
                  "baseline_not_low"] = "any"
    all: list[Condition] = Field(min_length=1)


class LabTerm(_Model):
    term: str
    paramcd: list[str] = Field(min_length=1)
    direction: Literal["L", "H"]
    units: list[str]
    requires: list[Literal["LLN", "ULN", "BASE"]] = []
    baseline_dependent: bool = False
    # True: a record whose grade cannot be decided because a value a criterion needs is
    # missing is not gradable (NaN) rather than grade 0 (admiral's v6 ALP reading)
    unknown_is_missing: bool = False
    # reference -> grade: once the grades above it are not met, a missing reference makes the
    # record not gradable (admiral's in-sequence "is.na(ANRLO) ~ NA" clause); ``requires``
    # instead makes it not gradable before any grade is checked
    na_if_missing: dict[Literal["LLN", "ULN", "BASE"], int] = {}
    pooled_term: str | None = None   # the CTCAE v5.0 term this term maps to (NCI v5 -> v6 map)
    text: dict[int, str]
    grades: dict[int, list[Alternative]]

    @model_validator(mode="after")
    def _check(self) -> LabTerm:
        bad = [g for g in self.grades if g not in (1, 2, 3, 4)]
        if bad:
            raise ValueError(f"{self.term}: grades must be 1-4, found {bad}")
        for g in self.grades:
            if g not in self.text:
                raise ValueError(f"{self.term}: grade {g} has no source text")
        return self


class CtcaeLabCriteria(_Model):
    """NCI CTCAE laboratory terms (numeric criteria) as data; the version is pinned.

    Attributes
    ----------
    version : str
        CTCAE version of the table ("5.0" or "6.0").
    name, source : str
        Table name and the citation of the source.
    significant_digits : int
        Significant digits values are rounded to before comparison with a threshold.
    terms : list of LabTerm
        One row per laboratory term: PARAMCDs, direction (L/H), units and grade criteria.

    References
    ----------
    NCI Common Terminology Criteria for Adverse Events v5.0, 27 Nov 2017 (v6.0, 2025).

    Examples
    --------
    >>> c = ctcae_lab_criteria("5.0")
    >>> [t.term for t in c.terms_for("PLAT")]
    ['Platelet count decreased']
    """

    version: str
    name: str
    source: str
    significant_digits: int = Field(ge=1, le=17)
    terms: list[LabTerm]

    def terms_for(self, paramcd: str) -> list[LabTerm]:
        p = paramcd.strip().upper()
        return [t for t in self.terms if p in (c.upper() for c in t.paramcd)]

    def graded_tests(self) -> frozenset[str]:
        """The test codes (upper case) some term grades: a record of another test gets no
        grade (:func:`cartrial.safety.grade_labs` matches its stripped, upper-cased PARAMCD).

        Examples
        --------
        >>> c = ctcae_lab_criteria("5.0")
        >>> "PLAT" in c.graded_tests(), "IL6" in c.graded_tests()
        (True, False)
        """
        return frozenset(c.upper() for t in self.terms for c in t.paramcd)


# ---------------------------------------------------------------------------------- loaders
def _load(name: str) -> dict:
    text = resources.files(_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    return _yaml.safe_load(text)


@cache
def crs_criteria() -> CrsCriteria:
    """The bundled ASTCT 2019 CRS table (``criteria/crs_astct_2019.yaml``)."""
    return CrsCriteria.model_validate(_load("crs_astct_2019.yaml"))


@cache
def icans_criteria() -> IcansCriteria:
    """The bundled ASTCT 2019 adult ICANS table (``criteria/icans_astct_2019.yaml``)."""
    return IcansCriteria.model_validate(_load("icans_astct_2019.yaml"))


CTCAE_FILES = {"5.0": "ctcae_v5_lab.yaml", "6.0": "ctcae_v6_lab.yaml"}


@cache
def ctcae_lab_criteria(version: str = "5.0") -> CtcaeLabCriteria:
    """The bundled NCI CTCAE laboratory table of one version.

    Parameters
    ----------
    version : {"5.0", "6.0"}
        "5.0": ``criteria/ctcae_v5_lab.yaml``; "6.0": ``criteria/ctcae_v6_lab.yaml`` (the
        protocol's ``safety.ctcae_version``).

    Returns
    -------
    CtcaeLabCriteria
        The frozen table (terms, grades, source text per row).

    Raises
    ------
    InputError
        A version that is not bundled.

    References
    ----------
    NCI CTCAE v5.0 (27 Nov 2017) and v6.0 (22 July 2025); numeric rules as pharmaverse admiral's
    ``ncictcaev5`` / ``ncictcaev6`` metadata.

    Examples
    --------
    >>> ctcae_lab_criteria("6.0").version
    '6.0'
    """
    if version not in CTCAE_FILES:
        raise InputError(f"CTCAE version {version!r} is not bundled: {sorted(CTCAE_FILES)}")
    c = CtcaeLabCriteria.model_validate(_load(CTCAE_FILES[version]))
    if c.version != version:
        raise InputError(f"{CTCAE_FILES[version]} holds version {c.version!r}, not {version!r}")
    return c
