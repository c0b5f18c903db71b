"""The SDTM data model cartrial reads, loaded from ``model.yaml`` into typed objects.

The model is data: domains with required / optional variables and their labels (SDTMIG 3.4
names), controlled terms, and per test code the standard unit, accepted original units and a
physical range. ``docs/data-model.md`` is generated from it (``render_markdown``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from cartrial._yaml import safe_load


@dataclass(frozen=True)
class TestSpec:
    """One --TESTCD: its name, standard unit (possibly by specimen) and what is accepted.

    Attributes
    ----------
    domain, testcd, test : str
        SDTM domain (``"LB"``), test code and test name.
    unit : str or None
        Standard unit (--STRESU); ``unit_by_spec`` gives it per --SPEC when it depends on one.
    accept : tuple of str
        Reported units (--ORRESU) that can be converted; ``accept_by_spec`` per specimen.
    values : tuple of str
        Allowed coded results (empty for a numeric test).
    range : tuple of float or None
        Plausible (low, high) of the standard result; ``integer`` when it must be whole.

    Examples
    --------
    >>> t = data_model().test("LB", "CREAT")
    >>> t.test, t.standard_unit(), t.accepted_units()
    ('Creatinine', 'umol/L', ('umol/L', 'mg/dL'))
    """

    domain: str
    testcd: str
    test: str
    unit: str | None = None
    accept: tuple[str, ...] = ()
    unit_by_spec: dict[str, str] = field(default_factory=dict)
    accept_by_spec: dict[str, tuple[str, ...]] = field(default_factory=dict)
    values: tuple[str, ...] = ()
    range: tuple[float, float] | None = None
    integer: bool = False

    @property
    def is_coded(self) -> bool:
        return bool(self.values)

    def standard_unit(self, spec: str | None = None) -> str | None:
        if self.unit_by_spec:
            return self.unit_by_spec.get(spec or "")
        return self.unit

    def accepted_units(self, spec: str | None = None) -> tuple[str, ...]:
        if self.accept_by_spec:
            return self.accept_by_spec.get(spec or "", ())
        return self.accept


@dataclass(frozen=True)
class DomainSpec:
    """One SDTM domain: label, key, required / optional variables, controlled terms.

    Attributes
    ----------
    name, label : str
        Domain code (``"LB"``) and its label.
    key : tuple of str
        Variables identifying a record (e.g. USUBJID, LBSEQ).
    required, optional : dict of str to str
        Variable name -> label.
    terms : dict of str to tuple of str
        Controlled terms allowed per variable.
    population_terms : dict of str to str
        Coded term -> protocol population code (MH: primary diagnosis; empty elsewhere).
    coded : tuple of str
        Variables coded to a terminology the model does not enforce (DM's RACE and ETHNIC:
        CDISC Race C74457, Ethnic Group C66790, which sponsors extend by MULTIPLE / OTHER as
        SDTMIG 3.4 section 5.2 DM assumption 6 asks): define.xml lists the terms found.
    dictionaries : dict of str to str
        Variable -> the external dictionary its values come from (DM's COUNTRY: ISO 3166-1
        alpha-3, SDTMIG 3.4 DM); define.xml names it as an ``ExternalCodeList``.

    Examples
    --------
    >>> lb = data_model().domains["LB"]
    >>> lb.label, lb.key, lb.seq_var
    ('Laboratory Test Results', ('USUBJID', 'LBSEQ'), 'LBSEQ')
    """

    name: str
    label: str
    key: tuple[str, ...]
    required: dict[str, str]
    optional: dict[str, str]
    terms: dict[str, tuple[str, ...]]
    population_terms: dict[str, str] = field(default_factory=dict)
    coded: tuple[str, ...] = ()
    dictionaries: dict[str, str] = field(default_factory=dict)

    @property
    def variables(self) -> dict[str, str]:
        return {**self.required, **self.optional}

    @property
    def seq_var(self) -> str | None:
        v = f"{self.name}SEQ"
        return v if v in self.required else None


@dataclass(frozen=True)
class DataModel:
    """The whole data model: domains, required / optional domains, test codes.

    Attributes
    ----------
    domains : dict of str to DomainSpec
        Every domain cartrial reads, by code.
    required_domains, optional_domains : tuple of str
        Domains a study must have, and those it may have.
    tests : dict of str to dict of str to TestSpec
        Test codes per findings domain (``tests["LB"]["CREAT"]``).

    Examples
    --------
    >>> m = data_model()
    >>> m.required_domains[:3], m.test("LB", "CREAT").range
    (('DM', 'MH', 'PR'), (5, 3000))
    """

    domains: dict[str, DomainSpec]
    required_domains: tuple[str, ...]
    optional_domains: tuple[str, ...]
    tests: dict[str, dict[str, TestSpec]]

    def test(self, domain: str, testcd: str) -> TestSpec | None:
        return self.tests.get(domain, {}).get(testcd)


@cache
def data_model() -> DataModel:
    """The bundled data model (cached; immutable)."""
    raw = safe_load(resources.files("cartrial.data").joinpath("model.yaml").read_text("utf-8"))
    domains = {
        name: DomainSpec(
            name=name,
            label=d["label"],
            key=tuple(d["key"]),
            required=dict(d["required"]),
            optional=dict(d.get("optional", {})),
            terms={k: tuple(str(x) for x in v) for k, v in d.get("terms", {}).items()},
            population_terms=dict(d.get("population_terms", {})),
            coded=tuple(d.get("coded", ())),
            dictionaries=dict(d.get("dictionaries", {})),
        )
        for name, d in raw["domains"].items()
    }
    tests: dict[str, dict[str, TestSpec]] = {}
    for dom, codes in raw["tests"].items():
        tests[dom] = {}
        for code, t in codes.items():
            tests[dom][code] = TestSpec(
                domain=dom,
                testcd=code,
                test=t["test"],
                unit=t.get("unit"),
                accept=tuple(t.get("accept", ())),
                unit_by_spec=dict(t.get("unit_by_spec", {})),
                accept_by_spec={k: tuple(v) for k, v in t.get("accept_by_spec", {}).items()},
                values=tuple(str(v) for v in t.get("values", ())),
                range=tuple(t["range"]) if "range" in t else None,
                integer=bool(t.get("integer", False)),
            )
    return DataModel(
        domains=domains,
        required_domains=tuple(raw["required_domains"]),
        optional_domains=tuple(raw["optional_domains"]),
        tests=tests,
    )


# Variables read as numbers (the rest are character). --SEQ, results, doses, ranges, days.
NUMERIC_SUFFIXES = ("SEQ", "STRESN", "DOSE", "LLOQ", "STNRLO", "STNRHI", "DY", "STDY", "ENDY")
NUMERIC_NAMES = {"AGE", "VISITNUM", "LBORNRLO", "LBORNRHI"}


def is_numeric_var(domain: str, var: str) -> bool:
    if var in NUMERIC_NAMES:
        return True
    return var.startswith(domain) and var[len(domain):] in NUMERIC_SUFFIXES
