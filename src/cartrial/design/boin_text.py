"""The statistical section of a protocol's BOIN escalation, as Markdown (no I/O).

Design and boundaries (Liu & Yuan, J R Stat Soc C 2015;64:507-23), the dose-assignment rules,
the decision table in DLT counts (:func:`cartrial.design.tables.decision_table`, written by
:func:`cartrial.design.tables.decision_table_markdown`, the table ``cartrial design table``
writes), stopping and MTD selection by isotonic regression (as BOIN's ``select.mtd``),
references. Operating characteristics are not written here: :mod:`cartrial.design.phase1_text`
adds them with the DLT window, backfill and sample size, and a protocol with a randomised stage
reports them for escalation and stage together (:mod:`cartrial.design.protocol_sections`).
"""

from __future__ import annotations

from typing import Any

from cartrial.design.boundaries import boin_boundaries
from cartrial.design.tables import decision_table, decision_table_markdown

REFERENCES = (
    "Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials. J R Stat Soc "
    "Ser C 2015;64:507-523.",
    "Yuan Y, Hess KR, Hilsenbeck SG, Gilbert MR. Bayesian optimal interval design: a simple and "
    "well-performing design for phase I oncology trials. Clin Cancer Res 2016;22:4291-4301.",
)


def _rules(spec: Any, start: int) -> list[str]:
    b = boin_boundaries(spec.target, spec.phi1, spec.phi2)
    out = [
        f"The first cohort of {spec.cohort_size} patients receives dose level {start + 1}.",
        f"With n patients treated at the current dose and y of them with a DLT, the next cohort "
        f"receives the next higher dose when y / n <= lambda_e = {b.lambda_e:.4f}, the next "
        f"lower dose when y / n > lambda_d = {b.lambda_d:.4f}, and the same dose otherwise "
        "(never above the highest dose, below the lowest dose or onto an eliminated dose).",
        f"A dose with at least 3 patients and P(p > {spec.target:g} | data) > "
        f"{spec.elimination_cutoff:g} under a beta(1, 1) prior is eliminated together with every "
        "higher dose; if the lowest dose is eliminated the trial stops with no dose selected.",
    ]
    if spec.extrasafe:
        out.append("Extra safety: at the lowest dose the trial stops when P(p > target | data) "
                   f"> {spec.elimination_cutoff - 0.05:g} (the elimination cut-off minus 0.05).")
    return out


def _stopping(spec: Any) -> str:
    cap = (f"when {spec.cap_per_dose} patients have been treated at the dose to be given next, "
           "or " if spec.cap_per_dose else "")
    bound = (" The selected dose must also have an isotonic estimate at or below lambda_d "
             "(boundMTD)." if spec.bound_mtd else "")
    return (
        f"Escalation ends {cap}when {spec.max_sample_size} patients have been treated. The DLT "
        f"probabilities of the tried, non-eliminated doses are then estimated by isotonic "
        f"regression (pool-adjacent-violators, weighted by the inverse posterior variance under "
        f"a beta({spec.selection_prior:g}, {spec.selection_prior:g}) prior), and the maximum "
        f"tolerated dose (MTD) is the dose whose estimate is closest to {spec.target:g}; of two "
        "tied doses the higher is taken when both estimates are below the target, otherwise "
        "the lower." + bound
    )


def boin_protocol_text(spec: Any, start_dose: int = 0,
                       title: str = "Statistical design") -> str:
    """The BOIN escalation's statistical section as Markdown.

    Parameters
    ----------
    spec : cartrial.protocol.DesignSpec
        A ``boin`` design (target, cohort size, sample size, cap, cut-off, phi1 / phi2).
    start_dose : int
        0-based starting dose.
    title : str
        Heading of the section.

    Returns
    -------
    str
        Markdown: design, dose assignment, decision table, stopping and MTD selection,
        references.

    References
    ----------
    Liu S, Yuan Y. J R Stat Soc C 2015;64:507-523. Yuan Y, et al. Clin Cancer Res
    2016;22:4291-4301.

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> text = boin_protocol_text(load_protocol("ct071").design)
    >>> "| Escalate if # of DLT <= | 0 | 1 | 2 |" in text  # Liu & Yuan 2015, target 0.3
    True
    """
    b = boin_boundaries(spec.target, spec.phi1, spec.phi2)
    table_n = spec.cap_per_dose or spec.max_sample_size
    t = decision_table("boin", spec.target, cohort_size=spec.cohort_size, max_n=table_n,
                       cutoff=spec.elimination_cutoff, phi1=spec.phi1, phi2=spec.phi2,
                       extrasafe=spec.extrasafe)
    lines = [
        f"# {title}", "", "## Design", "",
        "Dose escalation follows the Bayesian optimal interval (BOIN) design (Liu and Yuan "
        f"2015; Yuan et al. 2016). The target DLT probability is phi = {spec.target:g}; "
        f"phi1 = {b.phi1:g} is the highest DLT probability deemed sub-therapeutic and phi2 = "
        f"{b.phi2:g} the lowest deemed overly toxic, which give the escalation boundary "
        f"lambda_e = {b.lambda_e:.4f} and the de-escalation boundary lambda_d = "
        f"{b.lambda_d:.4f}. Patients are enrolled in cohorts of {spec.cohort_size}, at most "
        f"{spec.max_sample_size} in escalation; DLTs are assessed over {spec.dlt_window_days} "
        "days after infusion.", "",
        "## Dose assignment", "",
        *[f"{i}. {r}" for i, r in enumerate(_rules(spec, start_dose), start=1)], "",
        "## Decision table", "",
        "The rules above in numbers of patients with a DLT among those treated at the current "
        "dose (NA: no number of DLTs gives this decision at that number of patients):", "",
        *decision_table_markdown(t, grid=False).splitlines()[2:-2], "",
        "## Stopping and MTD selection", "", _stopping(spec), "",
        "## References", "", *[f"- {r}" for r in REFERENCES], "",
    ]
    return "\n".join(lines)
