"""The statistical section of a protocol that uses BOIN12, as Markdown (no I/O).

Design description, utility table, decision rules and boundaries, the rank-based desirability
table, stopping and selection rules, operating characteristics across scenarios, the sample-size
justification and references (Lin R, Zhou Y, Yan F, Li D, Yuan Y. JCO Precis Oncol
2020;4:1393-1402; Liu S, Yuan Y. JRSS-C 2015;64:507-523).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cartrial.design.boin12 import Boin12
from cartrial.design.boin12_tables import (
    boundary_table,
    desirability_table,
    table_markdown,
    utility_table,
)
from cartrial.design.simulate_boin12 import Boin12Oc

REFERENCES = (
    "Lin R, Zhou Y, Yan F, Li D, Yuan Y. BOIN12: Bayesian optimal interval phase I/II trial "
    "design for utility-based dose finding in immunotherapy and targeted therapies. JCO Precis "
    "Oncol 2020;4:1393-1402.",
    "Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials. J R Stat Soc "
    "Ser C 2015;64:507-523.",
    "Thall PF, Cook JD. Dose-finding based on efficacy-toxicity trade-offs. Biometrics "
    "2004;60:684-693 (Gumbel model of the DLT-response association used in the simulations).",
)


def _rules(d: Boin12, start: int) -> list[str]:
    b = d.boundaries
    u = d.utility
    explore = (
        f"From a dose with at least {d.n_explore} patients, unless the DLT rate calls for "
        "de-escalation, the next higher dose is given if no patient has received it yet "
        "(dose exploration)."
        if d.n_explore is not None
        else "No dose-exploration rule is used."
    )
    return [
        f"Patients are treated in cohorts of {d.cohort_size}, starting at dose level {start + 1}; "
        f"at most "
        f"{d.max_sample_size} patients are enrolled.",
        f"Each patient's outcome is scored: response without DLT 100, response with DLT "
        f"{u.response_dlt:g}, neither {u.no_response_no_dlt:g}, DLT without response 0.",
        f"After each cohort, a dose with P(DLT probability > {d.target:g} | data) > {d.c_t:g} "
        "(beta(1, 1) prior, at least 3 patients) is eliminated together with all higher doses; "
        f"a dose with P(response probability < {d.phi_e:g} | data) > {d.c_e:g} is eliminated. "
        "Eliminated doses are never given again.",
        f"If the observed DLT rate at the current dose is >= lambda_d = {b.lambda_d:.3f}, the "
        "next cohort receives the nearest lower dose not eliminated.",
        "Otherwise the next cohort receives, among the current dose and the nearest lower and "
        "higher doses not eliminated, the one with the highest desirability score (rank of "
        "P(utility > u_b | data)); ties go to the higher dose. The higher dose is a candidate "
        f"only while fewer than N* = {d.n_star} patients were treated at the current dose or "
        f"its DLT rate is <= lambda_e = {b.lambda_e:.3f}.",
        explore,
    ]


def _oc_table(oc: Boin12Oc) -> str:
    per = oc.per_dose
    frame = pd.DataFrame(
        {
            "Dose": per["dose"],
            "P(DLT)": per["true_tox"].map("{:.2f}".format),
            "P(response)": per["true_eff"].map("{:.2f}".format),
            "Utility": per["true_utility"].map("{:.1f}".format),
            "% selected": per["selected_pct"].map("{:.1f}".format),
            "Patients": per["patients"].map("{:.1f}".format),
            "DLTs": per["dlt"].map("{:.1f}".format),
            "Responses": per["responses"].map("{:.1f}".format),
        }
    )
    o = oc.overall
    obd = "none" if oc.true_obd is None else f"dose {oc.true_obd + 1}"
    return table_markdown(frame) + (
        f"\nTrue OBD: {obd}; correct selection {o['obd_selected_pct']:.1f}%; early stop "
        f"{o['early_stop_pct']:.1f}%; mean sample size {o['mean_patients']:.1f}.\n"
    )


def _rds_wide(d: Boin12, sizes: list[int]) -> str:
    t = desirability_table(d, sizes)
    untried = t.loc[t["n"] == 0, "rds_label"].iloc[0]
    t = t[t["n"] > 0]
    wide = t.pivot(index=["n", "dlt"], columns="responses", values="rds_label").reset_index()
    wide.columns = [
        "Patients" if c == "n" else "DLTs" if c == "dlt" else f"{c} resp." for c in wide.columns
    ]
    return table_markdown(wide.fillna("")) + f"\nAn untried dose scores {untried}.\n"


def protocol_text(
    design: Boin12,
    scenarios: Sequence[Boin12Oc],
    title: str = "Statistical design",
    start_dose: int = 0,
) -> str:
    """The statistical section of a BOIN12 protocol as Markdown.

    Parameters
    ----------
    design : Boin12
        The design (``max_sample_size`` required).
    scenarios : sequence of Boin12Oc
        Operating characteristics under the scenarios to report (from
        :func:`~cartrial.design.simulate_boin12.simulate_boin12`).
    title : str
        Heading of the section.
    start_dose : int
        0-based starting dose.

    Returns
    -------
    str
        Markdown: design, utility, rules, boundaries, desirability table, stopping and
        selection, operating characteristics, sample size, references.

    References
    ----------
    Lin R, et al. JCO Precis Oncol 2020;4:1393-1402.

    Examples
    --------
    >>> d = Boin12(n_doses=3, target=0.35, phi_e=0.25, max_sample_size=18)
    >>> protocol_text(d, []).splitlines()[0]
    '# Statistical design'
    """
    d = design
    u_bar, u_b = d.utility.benchmark(d.target, d.phi_e)
    cs = d.cohort_size
    sizes = list(range(0, 3 * cs + 1, cs))
    lines = [
        f"# {title}",
        "",
        "## Design",
        "",
        f"Dose finding uses the BOIN12 design (Lin et al. 2020), a Bayesian optimal interval "
        f"phase I/II design that chooses doses by the trade-off between toxicity and response "
        f"measured by a utility. {d.n_doses} dose levels are studied. The highest acceptable DLT "
        f"probability is phi_T = {d.target:g} and the lowest acceptable response probability "
        f"phi_E = {d.phi_e:g}. The optimal biological dose (OBD) is the dose with the highest "
        "utility among the safe doses.",
        "",
        "## Utility",
        "",
        table_markdown(utility_table(d)),
        f"The benchmark u_b = {u_b:g} lies halfway between {u_bar:g}, the utility of a dose "
        "with DLT and response probabilities at phi_T and phi_E, and 100. The desirability of "
        "a dose is P(utility > u_b | data) under a beta(1, 1) prior for the utility / 100 "
        "(quasi-binomial likelihood).",
        "",
        "## Dose assignment",
        "",
        *[f"{i}. {r}" for i, r in enumerate(_rules(d, start_dose), start=1)],
        "",
        "## Decision boundaries",
        "",
        table_markdown(boundary_table(d, sizes[1:])),
        "## Rank-based desirability scores (E = eliminated)",
        "",
        _rds_wide(d, sizes),
        "## Stopping and OBD selection",
        "",
        _stopping(d),
        "",
    ]
    lines += _oc_section(d, scenarios)
    lines += ["## References", "", *[f"- {r}" for r in REFERENCES], ""]
    return "\n".join(lines)


def _stopping(d: Boin12) -> str:
    cap = f" or when {d.cap_per_dose} patients were treated at one dose" if d.cap_per_dose else ""
    return (
        "The trial stops early, with no dose selected, when dose 1 is eliminated for toxicity "
        "or when every dose that could be given next is eliminated; otherwise it ends at "
        f"{d.max_sample_size} patients{cap}. DLT probabilities are then estimated by isotonic "
        f"regression and the MTD is the dose whose estimate is closest to {d.target:g}; "
        "response probabilities are estimated by unimodal isotonic regression averaged over "
        "the possible modes; the OBD is the dose with the highest estimated utility among the "
        "tried, non-eliminated doses at or below the MTD."
    )


def _oc_section(d: Boin12, scenarios: Sequence[Boin12Oc]) -> list[str]:
    if not scenarios:
        return []
    out = ["## Operating characteristics", ""]
    for i, oc in enumerate(scenarios, start=1):
        out += [f"### Scenario {i}", "", _oc_table(oc)]
    pct = [oc.overall["obd_selected_pct"] for oc in scenarios if oc.true_obd is not None]
    n0 = scenarios[0]
    out += [
        f"Each scenario: {n0.n_trials} simulated trials ({n0.method}).",
        "",
        "## Sample size",
        "",
        f"A maximum of {d.max_sample_size} patients ({d.max_sample_size // d.cohort_size} "
        f"cohorts of {d.cohort_size}) is planned."
        + (
            f" Across the scenarios with an acceptable dose the OBD is selected in "
            f"{min(pct):.1f}% to {max(pct):.1f}% of simulated trials."
            if pct
            else ""
        ),
        "",
    ]
    return out
