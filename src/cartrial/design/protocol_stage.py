"""One statistical section for escalation followed by a randomised ROSE stage.

The escalation writer's design sections stay as written; its operating characteristics,
sample size and references give way to the joint ones: the stage (doses and the rule that
picks them, allocation, decision rule, the stage's sample size from the PCS rule; Wang S, Yuan
Y, Liu S, Biometrics 2025;81(4):ujaf124), the operating characteristics of escalation and stage
simulated together across the scenarios, the total sample size, and one reference list.
"""

from __future__ import annotations

from collections.abc import Sequence

from cartrial.design.protocol_sections import JOINT, Scenario, join_sections
from cartrial.design.rose import RoseDesign
from cartrial.design.rose_spec import stage_design
from cartrial.design.rose_text import display_name, oc_lines, references, stage_lines
from cartrial.design.simulate_rose import RoseSimulation, simulate_rose
from cartrial.protocol import Protocol


def _span(v: Sequence[float], unit: str) -> str:
    lo, hi = f"{min(v):.1f}{unit}", f"{max(v):.1f}{unit}"
    return lo if lo == hi else f"{lo} to {hi}"


def _sample_size(p: Protocol, d: RoseDesign, sims: Sequence[RoseSimulation]) -> list[str]:
    spec = p.design
    cap = (f", at most {spec.cap_per_dose} at one dose" if spec.cap_per_dose else "")
    total = spec.max_sample_size + d.n_low + d.n_high
    text = (f"At most {spec.max_sample_size} patients are treated in dose escalation (cohorts "
            f"of {spec.cohort_size}{cap}) and {d.n_low} + {d.n_high} in the randomised stage, "
            f"which opens only as described above: at most {total} patients in all. The "
            "stage's size follows from its PCS targets (above).")
    if sims:
        tot = [r.overall["mean_patients"] for r in sims]
        ok = [r.overall["correct_selection_pct"] for r in sims]
        many = f"Across the {len(sims)} scenarios" if len(sims) > 1 else "In the scenario"
        text += (f" {many} simulated the mean number of patients "
                 f"is {_span(tot, '')} and the correct dose is selected in {_span(ok, '%')} of "
                 "trials.")
    return ["## Sample size", "", text, ""]


def with_stage(
    p: Protocol,
    escalation: tuple[list[str], list[tuple[str, list[str]]]],
    pairs: Sequence[Scenario],
    trials: int,
    seed: int,
) -> str:
    """The escalation's sections (from :func:`~cartrial.design.protocol_sections.split_sections`)
    joined with the stage, the joint operating characteristics, sample size and references.

    Parameters
    ----------
    p : Protocol
        A protocol with ``design.randomised_stage``.
    escalation : (list of str, list of (str, list of str))
        The escalation writer's Markdown split into its head and ``## `` sections.
    pairs : sequence of (list of float, list of float)
        Scenarios: true DLT and response probability per dose.
    trials, seed : int
        Simulated trials per scenario; scenario i uses ``seed + i``.

    Returns
    -------
    str
        Markdown.

    References
    ----------
    Wang S, Yuan Y, Liu S. Biometrics 2025;81(4):ujaf124.

    Examples
    --------
    >>> from cartrial.design.protocol_sections import protocol_sections
    >>> from cartrial.example.trial import conducted_protocol
    >>> from cartrial.protocol import load_protocol
    >>> text = protocol_sections(conducted_protocol(load_protocol("ct071"), "rose"), [], 100, 0)
    >>> [x for x in text.splitlines() if x.startswith("## ")][-3:]
    ['## Randomised dose-optimisation stage (ROSE)', '## Sample size', '## References']
    """
    st = p.design.randomised_stage
    assert st is not None
    d = stage_design(st)
    head, secs = escalation
    # the escalation writers' references, less the one for their own simulations' Gumbel model
    refs = [x[2:] for t, body in secs if t == "References" for x in body
            if x.startswith("- ") and "in the simulations" not in x]
    kept = [(t, body) for t, body in secs if not t.startswith(JOINT)]
    sims = [simulate_rose(p.design, t, e, p.dose_ids, trials, seed + i, start_dose=p.start_index)
            for i, (t, e) in enumerate(pairs)]
    endpoint = None if p.design.efficacy is None else p.design.efficacy.label
    lines = [
        *stage_lines(st, d, display_name(p.design.name), endpoint, level=2),
        *oc_lines(sims, p.dose_ids, level=2),
        *_sample_size(p, d, sims),
        "## References", "",
        *[f"- {r}" for r in dict.fromkeys([*refs, *references(d)])], "",
    ]
    return join_sections(head, [*kept, ("", lines)])
