"""The statistical section of a protocol's randomised ROSE stage, as Markdown.

Design, the decision rule in responder counts, the sample-size justification with the exact
binomial PCS of the design, operating characteristics of escalation + stage across scenarios,
references (Wang, Yuan & Liu, Biometrics 2025;81(4):ujaf124).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cartrial.design.boin12_tables import table_markdown
from cartrial.design.rose import RoseDesign
from cartrial.design.rose_rules import count_cut
from cartrial.design.simulate_rose import RoseSimulation
from cartrial.protocol.randomised_stage import RandomisedStageSpec

REFERENCES = [
    "Wang S, Yuan Y, Liu S. Randomized optimal selection design for dose optimization. "
    "Biometrics 2025;81(4):ujaf124 (arXiv:2505.03898).",
    "Lan KKG, DeMets DL. Discrete sequential boundaries for clinical trials. Biometrika "
    "1983;70:659-63.",
    "Simon R, Wittes RE, Ellenberg SS. Randomized phase II clinical trials. Cancer Treat Rep "
    "1985;69:1375-81.",
]


def min_lead(boundary: float, n: int) -> int:
    """Fewest extra responders on the higher dose (equal arms of n) that select it.

    Examples
    --------
    >>> min_lead(0.056, 18)  # 1/18 = 0.0556 is not > 0.056; 2/18 is
    2
    """
    return count_cut(boundary, n, n) // n + 1


def _rule(d: RoseDesign, low: str, high: str) -> list[str]:
    def at(n_l: int, n_h: int, lam: float) -> str:
        if n_l == n_h:
            k = min_lead(lam, n_l)
            who = "responder" if k == 1 else "responders"
            return (f"{high} when it has at least {k} more {who} than {low} out of {n_l} "
                    f"each (observed difference > {lam:.4g})")
        return f"{high} when its response rate exceeds {low}'s by more than {lam:.4g}"

    out = []
    if d.interim_boundary is not None:
        out.append(f"1. Interim analysis after {d.interim_low} ({low}) and {d.interim_high} "
                   f"({high}) evaluable patients: select "
                   f"{at(d.interim_low, d.interim_high, d.interim_boundary)}; otherwise "
                   "continue.")
    out.append(f"{len(out) + 1}. Final analysis after {d.n_low} ({low}) and {d.n_high} "
               f"({high}) evaluable patients: select {at(d.n_low, d.n_high, d.boundary)}; "
               f"otherwise select {low} (a tie selects {low}).")
    return out


def _justification(d: RoseDesign) -> str:
    rows = []
    for name, oc, target, right in (
        ("L: lower dose is the OBD", d.scenario_low, d.pcs_low, "lower"),
        ("H: higher dose is the OBD", d.scenario_high, d.pcs_high, "higher"),
    ):
        exact = oc.select_low if right == "lower" else oc.select_high
        rows.append({"scenario": name, "response lower": f"{oc.p_low:.2f}",
                     "response higher": f"{oc.p_high:.2f}", "target PCS": f"{target:.2f}",
                     "exact PCS": f"{exact:.3f}",
                     "expected patients": f"{oc.mean_low + oc.mean_high:.1f}"})
    return table_markdown(pd.DataFrame(rows))


def _shortfall(d: RoseDesign) -> list[str]:
    if min(d.exact_low - d.pcs_low, d.exact_high - d.pcs_high) >= 0:
        return []
    return ["With discrete counts this design falls short of a target PCS; the exact search "
            "(`method: exact`) gives the smallest design that meets both.", ""]


def _oc(sims: Sequence[RoseSimulation], ids: Sequence[str]) -> list[str]:
    out = ["### Operating characteristics (escalation + randomised stage)", ""]
    for i, r in enumerate(sims, 1):
        per = r.per_dose
        frame = pd.DataFrame({
            "dose": list(ids), "true DLT": per["true_tox"].map("{:.2f}".format),
            "true response": per["true_eff"].map("{:.2f}".format),
            "% selected (escalation)": per["escalation_pct"].map("{:.1f}".format),
            "% selected (final)": per["selected_pct"].map("{:.1f}".format),
            "patients": per["patients"].map("{:.1f}".format),
            "DLTs": per["dlt"].map("{:.2f}".format),
        })
        o = r.overall
        best = "none" if r.true_obd is None else ids[r.true_obd]
        out += [f"Scenario {i} (correct dose: {best})", "", table_markdown(frame),
                f"Correct selection {o['correct_selection_pct']:.1f}% (Monte Carlo SE "
                f"{o['correct_selection_pct_se']:.1f}); randomised stage run in "
                f"{o['randomised_pct']:.1f}% of trials (early selection "
                f"{o['early_selection_pct']:.1f}%); mean patients {o['mean_patients']:.1f} "
                f"(escalation {o['mean_escalation_patients']:.1f}, stage "
                f"{o['mean_stage_patients']:.1f}); no dose selected {o['no_selection_pct']:.1f}%.",
                ""]
    if sims:
        out += [sims[0].method.split(";")[0] + f"; {sims[0].n_trials} simulated trials per "
                "scenario.", ""]
    return out


def rose_protocol_text(
    spec: RandomisedStageSpec,
    d: RoseDesign,
    escalation: str,
    dose_ids: Sequence[str],
    scenarios: Sequence[RoseSimulation] = (),
) -> str:
    """Markdown statistical section of the randomised stage.

    Parameters
    ----------
    spec : RandomisedStageSpec
        The protocol's ``design.randomised_stage``.
    d : RoseDesign
        Its design (:func:`cartrial.design.rose_spec.stage_design`).
    escalation : str
        Name of the escalation design that precedes the stage.
    dose_ids : sequence of str
        The protocol's dose level ids.
    scenarios : sequence of RoseSimulation
        Operating characteristics to tabulate (may be empty).

    Returns
    -------
    str

    References
    ----------
    Wang S, Yuan Y, Liu S. Biometrics 2025;81(4):ujaf124.

    Examples
    --------
    >>> from cartrial.design.rose import rose_design
    >>> s = RandomisedStageSpec(doses=("DL1", "DL2"), p_high=0.3, margin=0.1)
    >>> text = rose_protocol_text(s, rose_design(0.3, 0.1, 0.6, 0.6), "boin", ["DL1", "DL2"])
    >>> "at least 1 more responder than DL1 out of 11 each" in text
    True
    """
    low, high = (spec.doses if spec.doses is not None
                 else ("the dose below the selected dose", "the selected dose"))
    a, b = spec.allocation
    block = spec.block_multiple * (a + b)
    how = ("the normal approximation of the paper" if d.method == "normal" else
           "exact binomial probabilities" if d.method == "exact" else "a fixed sample size")
    two = (f" An interim analysis after {d.interim_low} + {d.interim_high} patients may select "
           f"the higher dose early; the lower dose's error 1 - PCS_L is spent there with the "
           "O'Brien-Fleming-type function of Lan and DeMets." if d.interim_boundary else "")
    lines = [
        "## Randomised dose-optimisation stage (ROSE)", "",
        f"After dose escalation ({escalation}), patients are randomised {a}:{b} between {low} "
        f"and {high} in permuted blocks of {block} (list generated from seed {spec.seed}), and "
        "the optimal biological dose is selected by the randomised optimal selection (ROSE) "
        "design of Wang, Yuan and Liu (2025): the higher dose is chosen only when its observed "
        "response rate exceeds the lower dose's by more than a decision boundary, since a "
        "lower dose of similar efficacy is preferred." + two, "",
        "### Decision rule", "", *_rule(d, low, high), "",
        "### Sample size justification", "",
        f"The sample size ({d.n_low} + {d.n_high} patients) is the smallest for which the "
        f"probability of correct selection (PCS), computed with {how}, reaches "
        f"{d.pcs_low:.2f} when both doses respond with probability {d.p_high:.2f} and "
        f"{d.pcs_high:.2f} when the lower dose responds with {d.p_high - d.margin:.2f} "
        f"(a clinically meaningful difference of {d.margin:.2f}). Exact binomial PCS of the "
        "design:", "", _justification(d), "", *_shortfall(d),
        *_oc(scenarios, list(dose_ids)),
        "### References", "", *[f"- {r}" for r in REFERENCES], "",
    ]
    return "\n".join(lines)
