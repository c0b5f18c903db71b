"""The statistical section of a protocol's randomised ROSE stage, as Markdown.

The doses randomised and the rule that picks them, allocation, the decision rule in responder
counts, the sample-size justification with the exact binomial PCS of the design, operating
characteristics of escalation + stage across scenarios, references (Wang, Yuan & Liu,
Biometrics 2025;81(4):ujaf124). :func:`stage_lines`, :func:`oc_lines` and :func:`references`
are the parts :mod:`cartrial.design.protocol_sections` places in a whole protocol section;
:func:`rose_protocol_text` writes the stage on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cartrial.design.boin12_tables import table_markdown
from cartrial.design.rose import RoseDesign
from cartrial.design.rose_rules import count_cut
from cartrial.design.simulate_rose import RoseSimulation
from cartrial.design.simulate_rules import BLOCK
from cartrial.protocol.randomised_stage import RandomisedStageSpec

ROSE_REF = ("Wang S, Yuan Y, Liu S. Randomized optimal selection design for dose optimization. "
            "Biometrics 2025;81(4):ujaf124 (arXiv:2505.03898).")
LAN_DEMETS_REF = ("Lan KKG, DeMets DL. Discrete sequential boundaries for clinical trials. "
                  "Biometrika 1983;70:659-63.")
SIMON_REF = ("Simon R, Wittes RE, Ellenberg SS. Randomized phase II clinical trials. Cancer "
             "Treat Rep 1985;69:1375-81.")
REFERENCES = [ROSE_REF, LAN_DEMETS_REF, SIMON_REF]


def min_lead(boundary: float, n: int) -> int:
    """Fewest extra responders on the higher dose (equal arms of n) that select it.

    Examples
    --------
    >>> min_lead(0.056, 18)  # 1/18 = 0.0556 is not > 0.056; 2/18 is
    2
    """
    return count_cut(boundary, n, n) // n + 1


def _rule(d: RoseDesign, low: str, high: str) -> list[str]:
    """The decision rule in responder counts (interim, then final analysis)."""
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
    """The exact PCS of the design in the paper's two configurations, as a table."""
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


def references(d: RoseDesign) -> list[str]:
    """The references the stage's text cites (Lan & DeMets only with an interim analysis).

    Examples
    --------
    >>> from cartrial.design.rose import rose_design
    >>> len(references(rose_design(0.3, 0.1, 0.6, 0.6)))
    2
    """
    return [ROSE_REF, *([LAN_DEMETS_REF] if d.interim_boundary is not None else []), SIMON_REF]


def _pair(spec: RandomisedStageSpec) -> tuple[str, str, str]:
    """(lower, higher, how the pair is chosen and when the stage opens) in words."""
    if spec.doses is not None:
        low, high = spec.doses
        return low, high, (
            f"The protocol names the two doses: {low} and {high}. The stage opens when dose "
            f"escalation selects {high} or a higher dose, so that both doses have been cleared "
            f"for safety. If escalation selects a dose below {high}, that dose is the "
            "recommended dose without randomisation; if it selects no dose, the trial stops "
            "with no dose selected.")
    return "the lower dose", "the higher dose", (
        "The two doses are picked by a rule: the dose selected by escalation (the higher dose) "
        "and the dose level immediately below it (the lower dose). If escalation selects the "
        "lowest dose level, that dose is the recommended dose without randomisation; if it "
        "selects no dose, the trial stops with no dose selected.")


def stage_lines(spec: RandomisedStageSpec, d: RoseDesign, escalation: str,
                endpoint: str | None = None, level: int = 2) -> list[str]:
    """The stage's section: doses, allocation, decision rule, sample size of the stage.

    Parameters
    ----------
    spec : RandomisedStageSpec
        The protocol's ``design.randomised_stage``.
    d : RoseDesign
        Its design (:func:`cartrial.design.rose_spec.stage_design`).
    escalation : str
        Name of the escalation design that precedes the stage, as printed.
    endpoint : str, optional
        The response endpoint in words (the protocol's ``design.efficacy``).
    level : int
        Heading level of the section (its subsections one deeper).

    Returns
    -------
    list of str
        Markdown lines.

    Examples
    --------
    >>> from cartrial.design.rose import rose_design
    >>> s = RandomisedStageSpec(doses=("DL1", "DL2"), p_high=0.3, margin=0.1)
    >>> stage_lines(s, rose_design(0.3, 0.1, 0.6, 0.6), "BOIN")[0]
    '## Randomised dose-optimisation stage (ROSE)'
    """
    h, sub = "#" * level, "#" * (level + 1)
    low, high, opens = _pair(spec)
    ratio_of = f"{low}:{high}" if spec.doses is not None else "lower:higher dose"
    a, b = spec.allocation
    block = spec.block_multiple * (a + b)
    how = ("the normal approximation of the paper" if d.method == "normal" else
           "exact binomial probabilities" if d.method == "exact" else "a fixed sample size")
    resp = (f"Response is {endpoint}; only the randomised patients' responses enter the "
            "comparison." if endpoint else "Only the randomised patients' responses enter the "
            "comparison.")
    two = (f" An interim analysis after {d.interim_low} + {d.interim_high} patients may select "
           f"the higher dose early; the lower dose's error 1 - PCS_L is spent there with the "
           "O'Brien-Fleming-type function of Lan and DeMets." if d.interim_boundary else "")
    return [
        f"{h} Randomised dose-optimisation stage (ROSE)", "",
        f"After dose escalation ({escalation}), the optimal biological dose is chosen between two "
        "doses by the randomised optimal selection (ROSE) design of Wang, Yuan and Liu (2025), "
        "a selection design in the line of Simon, Wittes and Ellenberg (1985): the higher dose "
        "is chosen only when its observed response rate exceeds the lower dose's by more than "
        "a decision boundary, since a lower dose of similar efficacy is preferred." + two, "",
        f"{sub} Doses randomised", "", opens, "",
        f"{sub} Allocation", "",
        f"Patients are randomised {a}:{b} ({ratio_of}) in permuted blocks of {block}; the "
        f"randomisation list is generated in advance from seed {spec.seed}. {resp} Both doses "
        "have been cleared by escalation; DLTs in the stage are reported per arm to the safety "
        "review committee.", "",
        f"{sub} Decision rule", "", *_rule(d, low, high), "",
        f"{sub} Sample size of the randomised stage", "",
        f"The sample size ({d.n_low} + {d.n_high} patients) is the smallest for which the "
        f"probability of correct selection (PCS), computed with {how}, reaches "
        f"{d.pcs_low:.2f} when both doses respond with probability {d.p_high:.2f} and "
        f"{d.pcs_high:.2f} when the lower dose responds with {d.p_high - d.margin:.2f} "
        f"(a clinically meaningful difference of {d.margin:.2f}). Exact binomial PCS of the "
        "design:", "", _justification(d), "", *_shortfall(d),
    ]


def oc_lines(sims: Sequence[RoseSimulation], ids: Sequence[str], level: int = 3) -> list[str]:
    """Operating characteristics of escalation + stage, one table per scenario.

    Parameters
    ----------
    sims : sequence of RoseSimulation
        One simulation per scenario (may be empty: no lines).
    ids : sequence of str
        The protocol's dose level ids.
    level : int
        Heading level of the section (scenarios one deeper).

    Returns
    -------
    list of str
        Markdown lines.

    Examples
    --------
    >>> oc_lines([], ["DL1", "DL2"])
    []
    """
    if not sims:
        return []
    h, sub = "#" * level, "#" * (level + 1)
    s0 = sims[0]
    st = s0.stage
    out = [f"{h} Operating characteristics (escalation + randomised stage)", "",
           f"Each scenario was simulated {s0.n_trials:,} times end to end: {_esc_name(s0)} "
           f"escalation, then the randomised stage ({st.n_low} + {st.n_high} patients). The "
           "correct dose is the lowest dose with a DLT probability at or below the target whose "
           "response probability is less than the margin below the best such dose (the dose "
           "the ROSE rule aims at). DLT and response are drawn independently; in the "
           "simulation the stage does not stop for DLTs.", ""]
    for i, r in enumerate(sims, 1):
        per = r.per_dose
        frame = pd.DataFrame({
            "dose": list(ids), "true P(DLT)": per["true_tox"].map("{:.2f}".format),
            "true P(response)": per["true_eff"].map("{:.2f}".format),
            "% selected by escalation": per["escalation_pct"].map("{:.1f}".format),
            "% selected at the end": per["selected_pct"].map("{:.1f}".format),
            "patients, escalation": per["escalation_patients"].map("{:.1f}".format),
            "patients, stage": per["stage_patients"].map("{:.1f}".format),
            "DLTs (both parts)": per["dlt"].map("{:.2f}".format),
        })
        o = r.overall
        best = "none" if r.true_obd is None else ids[r.true_obd]
        out += [f"{sub} Scenario {i} (correct dose: {best})", "", table_markdown(frame),
                f"Correct selection {o['correct_selection_pct']:.1f}% (Monte Carlo SE "
                f"{o['correct_selection_pct_se']:.1f}); the randomised stage ran in "
                f"{o['randomised_pct']:.1f}% of trials"
                + (f" (the higher dose selected at the interim in "
                   f"{o['early_selection_pct']:.1f}% of trials)"
                   if st.interim_boundary is not None else "")
                + f"; no dose selected {o['no_selection_pct']:.1f}%; mean patients "
                f"{o['mean_patients']:.1f} (escalation {o['mean_escalation_patients']:.1f}, "
                f"stage {o['mean_stage_patients']:.1f})"
                + (f"; escalation lasts {o['mean_escalation_days'] / 30.4375:.1f} months on "
                   "average (until the last escalation patient's outcomes are known)"
                   if "mean_escalation_days" in o else "") + ".", ""]
    out += [f"Random numbers: numpy SeedSequence({s0.seed}) for scenario 1, one more for each "
            f"further scenario, in blocks of {BLOCK:,} trials (every figure can be reproduced).",
            ""]
    return out


def _esc_name(r: RoseSimulation) -> str:
    return display_name(r.method.split(" escalation", 1)[0])


def display_name(name: str) -> str:
    """A design's name as printed in a protocol (BOIN, BOIN12, TITE-BOIN12, U-BOIN, mTPI-2).

    Examples
    --------
    >>> display_name("mtpi2"), display_name("tite-boin12")
    ('mTPI-2', 'TITE-BOIN12')
    """
    return {"mtpi2": "mTPI-2", "i3+3": "i3+3"}.get(name, name.upper())


def rose_protocol_text(
    spec: RandomisedStageSpec,
    d: RoseDesign,
    escalation: str,
    dose_ids: Sequence[str],
    scenarios: Sequence[RoseSimulation] = (),
    endpoint: str | None = None,
) -> str:
    """Markdown statistical section of the randomised stage on its own.

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
    endpoint : str, optional
        The response endpoint in words.

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
    >>> text = rose_protocol_text(s, rose_design(0.3, 0.1, 0.6, 0.6), "BOIN", ["DL1", "DL2"])
    >>> "at least 1 more responder than DL1 out of 11 each" in text
    True
    """
    return "\n".join([
        *stage_lines(spec, d, display_name(escalation), endpoint),
        *oc_lines(scenarios, list(dose_ids)),
        "### References", "", *[f"- {r}" for r in references(d)], "",
    ])
