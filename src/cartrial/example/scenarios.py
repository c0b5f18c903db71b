"""Named scenarios of the synthetic CT071-like trial: parameter sets as data.

``default`` follows published CT071-like behaviour (EHA 2024; Jin L et al.,
Lancet Haematol 2025); the others are hard cases for the engines. Rates are per infused patient
unless named otherwise; per-dose tuples are extended with their last value when the protocol has
more doses.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from cartrial.errors import InputError


@dataclass(frozen=True)
class Scenario:
    """One parameter set of the generator (every field documented in docs/example.md).

    Per-dose tuples hold one value per dose level, lowest first (extended with the last value
    when the protocol has more levels); fractions and probabilities are per patient, in [0, 1].

    Attributes
    ----------
    name, description : str
        Registry name and what the scenario exercises.
    dlt_prob : tuple of float
        True DLT probability per dose level.
    late_dlt : bool
        DLTs arise late in the DLT window (days 10-20).
    design : str, optional
        Design name overriding the protocol's (e.g. "tite-boin").
    not_infused_fraction : float
        Patients enrolled but never infused.
    crs_prob : tuple of float
        Probability of any-grade CRS per dose level.
    response_probs : tuple of float
        Best response CR-or-better, VGPR, PR, MR, SD, primary PD (sums to 1).

    Examples
    --------
    >>> from dataclasses import replace
    >>> s = replace(get_scenario("default"), name="mine", dlt_prob=(0.05, 0.40))
    >>> s.dose_value(s.dlt_prob, 3)
    [0.05, 0.4, 0.4]
    """

    name: str
    description: str
    # dose finding
    dlt_prob: tuple[float, ...] = (0.02, 0.05)
    late_dlt: bool = False          # DLTs arise late in the window (days 10-20), TITE territory
    design: str | None = None       # override the protocol's design name (e.g. "tite-boin")
    design_settings: tuple[tuple[str, object], ...] = ()  # design keys the scenario sets
    eff_prob: tuple[float, ...] | None = None  # true P(design.efficacy outcome) per dose
    # population and conduct
    ppcl_fraction: float = 0.12
    not_infused_fraction: float = 0.08        # KarMMa, cilta-cel: 5-12 %
    vein_to_vein_days: tuple[int, int] = (8, 21)  # apheresis -> infusion, CT071-like 1-3 weeks
    bridging_fraction: float = 0.05           # "rare bridging"
    # CRS / ICANS (assumption: CRS 60-95 %, grade >= 3 0-5 %, ICANS 0-10 %)
    crs_prob: tuple[float, ...] = (0.72, 0.85)
    crs_grade2_fraction: float = 0.30
    crs_grade3_fraction: float = 0.01
    crs_onset_median_days: float = 3.0
    crs_duration_median_days: float = 4.5
    icans_prob: float = 0.05
    # disease (assumption: ORR 85-100 %, VGPR+ 70-90 %, CR+ 50-70 %)
    response_probs: tuple[float, float, float, float, float, float] = (
        0.64, 0.15, 0.12, 0.03, 0.04, 0.02)  # CR-depth, VGPR, PR, MR, SD, primary PD
    early_progression_fraction: float = 0.05
    pfs_median_months_responders: float = 15.0
    mrd_negative_fraction: float = 0.85
    # kinetics (CT071 EHA 2024: Tmax median 14 d, Cmax median ~3e4 copies/ug)
    cmax_median_copies: float = 3.0e4
    cmax_dose_exponent: float = 0.35
    ada_fraction: float = 0.05
    follow_up_after_last_days: int = 180

    def dose_value(self, values: tuple[float, ...], n_doses: int) -> list[float]:
        """A per-dose tuple extended (or cut) to ``n_doses`` values."""
        v = list(values)
        return (v + [v[-1]] * n_doses)[:n_doses]


# the design block of the bundled protocol ct071_boinet (the scenario conducts it from ct071 too)
BOINET_SETTINGS: tuple[tuple[str, object], ...] = (
    ("cap_per_dose", 12), ("max_sample_size", 18),
    ("boinet", {"delta": 0.60, "obd_method": "max-effprob"}),
)

_DEFAULT = Scenario(
    name="default",
    description="CT071-like: 0.1 and 0.3 x10^6/kg, no DLT expected, CRS mostly grade 1-2, "
    "ORR ~90 %, few pPCL patients (CT071, EHA 2024).",
)

SCENARIOS: dict[str, Scenario] = {
    "default": _DEFAULT,
    "toxic-dose": replace(
        _DEFAULT,
        name="toxic-dose",
        description="DL2 is toxic (true DLT probability 0.80: grade 4 / prolonged grade 3 "
        "CRS, prolonged cytopenia): BOIN must de-escalate and eliminate it.",
        dlt_prob=(0.05, 0.80),
        crs_prob=(0.75, 0.95),
    ),
    "late-dlt": replace(
        _DEFAULT,
        name="late-dlt",
        description="DLTs arise late in the 28-day window (days 10-20, non-haematological "
        "grade 3 lasting > 7 days); conducted with TITE-BOIN so accrual need not wait.",
        dlt_prob=(0.05, 0.35),
        late_dlt=True,
        design="tite-boin",
    ),
    "ppcl-heavy": replace(
        _DEFAULT,
        name="ppcl-heavy",
        description="Half of the patients have primary plasma cell leukaemia (circulating "
        "plasma cells >= 5 %), exercising the PCL response path.",
        ppcl_fraction=0.5,
    ),
    "early-progression": replace(
        _DEFAULT,
        name="early-progression",
        description="Frequent early progression: 35 % progress within about three months, "
        "more primary refractory disease, shorter PFS.",
        response_probs=(0.40, 0.15, 0.17, 0.06, 0.10, 0.12),
        early_progression_fraction=0.35,
        pfs_median_months_responders=8.0,
    ),
    "boin12": replace(
        _DEFAULT,
        name="boin12",
        description="Conducted with BOIN12 (Lin et al., JCO Precis Oncol 2020): escalation "
        "decided on DLTs and on IMWG PR or better by day 28 (pending until assessable); DL2 "
        "responds more (0.80 vs 0.45) but is more toxic (DLT 0.25 vs 0.05).",
        dlt_prob=(0.05, 0.25),
        design="boin12",
        design_settings=(("cap_per_dose", 12), ("boin12", {"phi_e": 0.40, "n_star": 6})),
        eff_prob=(0.45, 0.80),
    ),
    "rose": replace(
        _DEFAULT,
        name="rose",
        description="Escalation with the house BOIN design, then the randomised ROSE stage "
        "(Wang, Yuan & Liu, Biometrics 2025): patients randomised 1:1 between DL1 and DL2 by "
        "the protocol's seeded permuted-block list (12 per arm, lambda 0.09 for PCS >= 0.65 "
        "with p_high 0.80, delta 0.20), selected on IMWG PR or better by day 28; DL2 responds "
        "more (0.80 vs 0.55) and is a little more toxic (DLT 0.15 vs 0.05). The stage replaces "
        "the expansion.",
        dlt_prob=(0.05, 0.15),
        design_settings=(("randomised_stage", {"doses": ["DL1", "DL2"], "p_high": 0.80,
                                               "margin": 0.20}), ("expansion", None)),
        eff_prob=(0.55, 0.80),
    ),
    "boin-et": replace(
        _DEFAULT,
        name="boin-et",
        description="Conducted with BOIN-ET (Takeda, Taguri & Morita, Pharm Stat 2018) as "
        "protocol ct071_boinet: escalation decided on the observed DLT and IMWG PR-or-better "
        "(by day 28) rates, target DLT 0.30, target response 0.60; DL2 responds more (0.75 vs "
        "0.40) and is a little more toxic (DLT 0.20 vs 0.05), so DL2 is the OBD.",
        dlt_prob=(0.05, 0.20),
        design="boin-et",
        design_settings=BOINET_SETTINGS,
        eff_prob=(0.40, 0.75),
    ),
}


def get_scenario(name: str) -> Scenario:
    """The registered scenario ``name`` (InputError listing the names otherwise).

    Parameters
    ----------
    name : str
        One of "default", "toxic-dose", "late-dlt", "ppcl-heavy", "early-progression",
        "boin12", "rose", "boin-et".

    Returns
    -------
    Scenario
        The scenario's parameters.

    Raises
    ------
    InputError
        ``name`` is not registered.

    Examples
    --------
    >>> get_scenario("toxic-dose").dlt_prob
    (0.05, 0.8)
    >>> get_scenario("nope")
    Traceback (most recent call last):
    cartrial.errors.InputError: unknown example scenario 'nope'; choose one of default, \
toxic-dose, late-dlt, ppcl-heavy, early-progression, boin12, rose, boin-et
    """
    try:
        return SCENARIOS[name]
    except KeyError:
        raise InputError(
            f"unknown example scenario {name!r}; choose one of {', '.join(SCENARIOS)}"
        ) from None


def scenario_table() -> list[dict[str, object]]:
    """Scenarios as plain rows (name, description, every parameter) for listings.

    Returns
    -------
    list of dict
        One mapping per registered scenario, field name to value, in registry order.

    Examples
    --------
    >>> [row["name"] for row in scenario_table()][:3]
    ['default', 'toxic-dose', 'late-dlt']
    """
    return [{f.name: getattr(s, f.name) for f in fields(s)} for s in SCENARIOS.values()]
