"""The statistical section of a U-BOIN protocol, as Markdown (``cartrial design protocol-text``).

Design, utility of the four joint outcomes, stage-I BOIN boundaries (Liu & Yuan 2015) and the
decision table, the stage-II posterior-utility rule with its admissibility criteria and the
posterior table of one cohort, stopping and OBD selection, operating characteristics across
scenarios and the sample-size justification, references (Zhou, Lee & Yuan, Stat Med
2019;38:5299-316). The settings the paper's summary does not fix (stage-I size, the Dirichlet
prior, the admissibility cut-offs, stage II's exploration step) are the protocol's, stated as
such in the text.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cartrial.design.boin12_tables import table_markdown
from cartrial.design.boundaries import (
    boin_boundaries,
    deescalate_min,
    elimination_count,
    escalate_max,
)
from cartrial.design.simulate_uboin import UboinOc
from cartrial.design.uboin import Uboin
from cartrial.design.uboin_tables import posterior_table

REFERENCES = [
    "Zhou Y, Lee JJ, Yuan Y. A utility-based Bayesian optimal interval (U-BOIN) phase I/II "
    "design to identify the optimal biological dose for targeted and immune therapies. Stat Med "
    "2019;38:5299-5316.",
    "Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials. J R Stat Soc "
    "Ser C 2015;64:507-523.",
    "Thall PF, Cook JD. Dose-finding based on efficacy-toxicity trade-offs. Biometrics "
    "2004;60:684-693 (Gumbel model of the joint outcome in the simulations).",
]


def _stage1_table(d: Uboin) -> pd.DataFrame:
    """Stage-I BOIN rule in DLT counts for n = cohort, 2 x cohort, ... up to stage I's size."""
    b = boin_boundaries(d.params.stage1_target)
    rows = []
    for n in range(d.cohort_size, d.stage1_per_dose + 1, d.cohort_size):
        el = elimination_count(n, d.target, d.c_t)
        rows.append({"patients at the dose": n,
                     "escalate if DLTs <=": escalate_max(n, b.lambda_e),
                     "de-escalate if DLTs >=": deescalate_min(n, b.lambda_d),
                     "eliminate if DLTs >=": "" if el is None else el})
    return pd.DataFrame(rows)


def _utility(d: Uboin) -> pd.DataFrame:
    return pd.DataFrame({"outcome": ["response, no DLT", "response and DLT",
                                     "no response, no DLT", "DLT, no response"],
                         "utility": [100, d.response_dlt, d.no_response_no_dlt, 0]})


def _rules(d: Uboin, start: int) -> list[str]:
    b = boin_boundaries(d.params.stage1_target)
    return [
        f"The first cohort of {d.cohort_size} patients receives dose {start + 1}.",
        f"Stage I (until some dose has {d.stage1_per_dose} patients) follows BOIN with target "
        f"{d.params.stage1_target:g}: escalate when the observed DLT rate at the current dose "
        f"is <= lambda_e = {b.lambda_e:.4f}, de-escalate when it is > lambda_d = "
        f"{b.lambda_d:.4f}, otherwise stay.",
        f"At any time a dose with at least 3 patients and P(p_T > {d.target:g} | data) > "
        f"{d.c_t:g} (beta(1, 1) prior) is eliminated with every higher dose; if dose 1 is "
        "eliminated the trial stops with no dose selected.",
        "Stage II: when the highest tried dose has a DLT rate <= lambda_e and the next dose is "
        "neither tried nor eliminated, the next cohort explores it; otherwise it receives the "
        "admissible dose with the highest posterior mean utility (ties: the lower dose).",
        f"A dose is admissible when it has been tried, is not eliminated, P(p_T > {d.target:g} "
        f"| data) <= {d.c_t:g} and P(p_E < {d.phi_e:g} | data) <= {d.c_e:g}, under a "
        f"Dirichlet({d.prior:g}, {d.prior:g}, {d.prior:g}, {d.prior:g}) prior on the four "
        "joint outcomes; no admissible dose stops the trial with no dose selected.",
    ]


def _stopping(d: Uboin) -> str:
    cap = (f"when {d.cap_per_dose} patients have been treated at the dose to be given next "
           "(stage II), or " if d.cap_per_dose else "")
    return (f"The trial ends {cap}at {d.max_sample_size} patients. The optimal biological dose "
            "(OBD) is then the admissible dose with the highest posterior mean utility; the "
            "reason (admissible set, utilities) is stated with the selection.")


def _oc(d: Uboin, scenarios: Sequence[UboinOc]) -> list[str]:
    if not scenarios:
        return ["## Operating characteristics", "",
                "No scenario was simulated (give --true-tox / --true-eff).", ""]
    out = ["## Operating characteristics", ""]
    for i, oc in enumerate(scenarios, start=1):
        pd_ = oc.per_dose
        t = pd.DataFrame({
            "dose": pd_["dose"], "true P(DLT)": pd_["true_tox"], "true P(response)":
            pd_["true_eff"], "true utility": pd_["true_utility"].round(1),
            "% selected": pd_["selected_pct"].round(1), "patients (mean)":
            pd_["patients"].round(2)})
        o = oc.overall
        obd = "none acceptable" if oc.true_obd is None else f"dose {oc.true_obd + 1}"
        out += [f"### Scenario {i} (true OBD: {obd})", "", table_markdown(t),
                f"OBD selected {o['obd_selected_pct']:.1f}% (MC SE "
                f"{o['obd_selected_pct_se']:.1f}), early stop {o['early_stop_pct']:.1f}%, mean "
                f"patients {o['mean_patients']:.1f}.", ""]
    pct = [oc.overall["obd_selected_pct"] for oc in scenarios if oc.true_obd is not None]
    n0 = scenarios[0]
    out += [f"Each scenario: {n0.n_trials} simulated trials, seed {n0.seed} ({n0.method}).", ""]
    if pct:
        span = f"{min(pct):.1f}%" if len(pct) == 1 else f"{min(pct):.1f}% to {max(pct):.1f}%"
        out += [f"Across the scenarios with an acceptable dose the OBD is selected in {span} "
                "of simulated trials.", ""]
    return out


def uboin_protocol_text(design: Uboin, scenarios: Sequence[UboinOc] = (),
                        title: str = "Statistical design", start_dose: int = 0) -> str:
    """The statistical section of a U-BOIN protocol as Markdown.

    Parameters
    ----------
    design : Uboin
        The design (``max_sample_size`` required).
    scenarios : sequence of UboinOc
        Operating characteristics to tabulate
        (:func:`~cartrial.design.simulate_uboin.simulate_uboin`).
    title : str
        Heading of the section.
    start_dose : int
        0-based starting dose.

    Returns
    -------
    str
        Markdown: design, utility, dose assignment, stage-I boundaries, stage-II posterior
        table, stopping and selection, operating characteristics, sample size, references.

    References
    ----------
    Zhou Y, Lee JJ, Yuan Y. Stat Med 2019;38:5299-5316.

    Examples
    --------
    >>> d = Uboin(n_doses=3, target=0.3, phi_e=0.2, max_sample_size=30, stage1_per_dose=6)
    >>> text = uboin_protocol_text(d)
    >>> "| 3 | 0 | 2 | 3 |" in text  # stage I at n = 3: BOIN's 0.2365 / 0.3585 boundaries
    True
    """
    d = design
    lines = [
        f"# {title}", "", "## Design", "",
        f"Dose finding uses the U-BOIN design (Zhou, Lee and Yuan 2019), a utility-based "
        f"Bayesian optimal interval phase I/II design in two seamlessly connected stages: stage "
        f"I follows BOIN to explore the doses while collecting toxicity and efficacy; stage II "
        f"models the joint toxicity-efficacy outcome with a multinomial-Dirichlet model and "
        f"assigns each cohort by the posterior mean utility. {d.n_doses} dose levels are "
        f"studied; the highest acceptable DLT probability is phi_T = {d.target:g} and the lowest "
        f"acceptable response probability phi_E = {d.phi_e:g}. Settings the paper's summary "
        f"does not fix are the protocol's: stage I ends when a dose has {d.stage1_per_dose} "
        f"patients, the prior is Dirichlet({d.prior:g}) per outcome, the admissibility "
        f"cut-offs are c_T = {d.c_t:g} and c_E = {d.c_e:g}, and stage II explores the next "
        "untried dose as stated below.", "",
        "## Utility", "", table_markdown(_utility(d)),
        "The utility " + ("is additive (it depends on the DLT and response probabilities only)."
                          if d.additive else "is not additive: the joint outcome counts, so "
                          "the counts of patients with both DLT and response enter the model."),
        "", "## Dose assignment", "",
        *[f"{i}. {r}" for i, r in enumerate(_rules(d, start_dose), start=1)], "",
        "## Stage I: BOIN decision table", "", table_markdown(_stage1_table(d)),
        f"## Stage II: posterior of one cohort of {d.cohort_size} (utility 0-100)", "",
        table_markdown(posterior_table(d, [d.cohort_size]).replace(
            {"admissible": {True: "yes", False: "no"}})),
        "p_overdose = P(p_T > phi_T | data), p_futile = P(p_E < phi_E | data).", "",
        "## Stopping and OBD selection", "", _stopping(d), "",
        *_oc(d, scenarios),
        "## Sample size", "",
        f"A maximum of {d.max_sample_size} patients (cohorts of {d.cohort_size}) is planned, at "
        f"least {d.stage1_per_dose} of them in stage I at one dose before stage II starts; the "
        "operating characteristics above are the justification.", "",
        "## References", "", *[f"- {r}" for r in REFERENCES], "",
    ]
    return "\n".join(lines)
