"""What a TITE-BOIN12 protocol adds to BOIN12's statistical section: late-onset outcomes.

The assessment windows, the effective-sample-size likelihood with pending patients weighted by
their follow-up, the imputation of a pending outcome, and the accrual suspension rule (Zhou Y,
Lin R, Lee JJ, et al., Stat Med 2022;41:1918-1931, section 2.2; after Lin R, Yuan Y,
Biostatistics 2020;21:807-824), as written in :mod:`cartrial.design.tite_boin12_rules`.
"""

from __future__ import annotations

from typing import Any

REFERENCES = (
    "Zhou Y, Lin R, Lee JJ, Li D, Wang L, Li R, Yuan Y. TITE-BOIN12: a Bayesian phase I/II trial "
    "design to find the optimal biological dose with late-onset toxicity and efficacy. Stat Med "
    "2022;41:1918-1931.",
    "Lin R, Yuan Y. Time-to-event model-assisted designs for dose-finding trials with "
    "delayed toxicity. Biostatistics 2020;21:807-824.",
)


def tite_lines(design: Any, patients_per_month: float | None = None) -> list[str]:
    """The "Late-onset outcomes" section of a TITE-BOIN12 protocol, as Markdown lines.

    Parameters
    ----------
    design : cartrial.design.tite_boin12.TiteBoin12
        The design (windows and suspension fraction).
    patients_per_month : float, optional
        The protocol's accrual rate, stated when given.

    Returns
    -------
    list of str

    References
    ----------
    Zhou Y, Lin R, Lee JJ, et al. Stat Med 2022;41:1918-1931, section 2.2.

    Examples
    --------
    >>> from cartrial.design.boin12 import Boin12
    >>> from cartrial.design.tite_boin12 import TiteBoin12
    >>> g = TiteBoin12(Boin12(n_doses=3, target=0.35, phi_e=0.25), 28.0, 35.0)
    >>> tite_lines(g)[0]
    '## Late-onset toxicity and efficacy (TITE-BOIN12)'
    """
    rate = (f" Patients are expected to enrol at {patients_per_month:g} per month."
            if patients_per_month else "")
    return [
        "## Late-onset toxicity and efficacy (TITE-BOIN12)", "",
        "The rules above are applied with the time-to-event extension TITE-BOIN12 (Zhou et al. "
        "2022), so that a new cohort need not wait until every earlier patient's outcomes are "
        f"known. DLTs are assessed over {design.tox_window:g} days and response over "
        f"{design.eff_window:g} days after infusion.{rate}",
        "",
        "1. For each endpoint and dose, a patient whose outcome is still pending counts in the "
        "likelihood by the fraction of the assessment window followed so far (w); with y "
        "events and m completed assessments without the event, the effective sample size is "
        "y + m + sum(w), the estimate y / ESS and the posterior beta(1 + y, 1 + ESS - y).",
        "2. A pending outcome is imputed by its conditional probability p (1 - w) / (1 - p w) "
        "when the utility's quasi-binomial data are formed; the dose-assignment rule and "
        "boundaries are then BOIN12's.",
        f"3. Accrual is suspended while more than {design.max_pending:.0%} of the patients "
        "treated at the current dose have a pending DLT or response assessment.",
        "4. The OBD is selected as in BOIN12, once every patient's outcomes are known.",
        "",
    ]
