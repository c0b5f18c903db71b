"""The design sections of a CRM or TITE-CRM protocol, as Markdown lines (no I/O).

The one-parameter power model with its skeleton (given, or calibrated by the indifference-interval
method of Lee SM, Cheung YK, Clin Trials 2009;6:227-238), the prior, the dose-assignment rule with
its safety stop, overdose control, no skipping and coherence as
:mod:`cartrial.design.crm_rules` applies them, TITE-CRM's weighted likelihood (Cheung YK,
Chappell R, Biometrics 2000;56:1177-82) and the MTD selection of :meth:`Crm.select
<cartrial.design.crm.Crm.select>`. :mod:`cartrial.design.phase1_text` adds the operating
characteristics, sample size and references.
"""

from __future__ import annotations

from typing import Any

from cartrial.design.factory import design_from_spec

REFERENCES = {
    "crm": ("O'Quigley J, Pepe M, Fisher L. Continual reassessment method: a practical design "
            "for phase 1 clinical trials in cancer. Biometrics 1990;46:33-48.",
            "Lee SM, Cheung YK. Model calibration in the continual reassessment method. Clin "
            "Trials 2009;6:227-238."),
    "tite-crm": ("Cheung YK, Chappell R. Sequential designs for phase I clinical trials with "
                 "late-onset toxicities. Biometrics 2000;56:1177-1182.",),
}


def _rules(spec: Any, d: Any, start: int) -> list[str]:
    c = spec.crm
    out = [f"The first cohort of {spec.cohort_size} patients receives dose level {start + 1}."]
    if c.safety_stop_probability is not None:
        out.append(f"Safety stop: once dose 1 has been given, the trial stops with no dose "
                   f"selected when P(p_1 > {spec.target:g} | data) > "
                   f"{c.safety_stop_probability:g}.")
    if c.overdose_control:
        out.append(f"Overdose control: the lowest dose with P(p_j > {spec.target:g} | data) > "
                   f"{spec.elimination_cutoff:g} and every higher dose are eliminated for the "
                   "rest of the trial; if dose 1 is eliminated the trial stops with no dose "
                   "selected.")
    nxt = ("After each cohort the next cohort receives the non-eliminated dose whose estimate "
           f"p_j = s_j ^ exp(E[a | data]) is closest to {spec.target:g} (the lower dose on ties)")
    limits = [x for x, on in (("never more than one level above the current dose",
                               c.no_skipping),
                              ("never above the current dose right after a cohort at it with "
                               "an observed DLT rate at or above the target", c.coherence)) if on]
    out.append(nxt + (": " + "; ".join(limits) if limits else "") + ".")
    return out


def crm_sections(spec: Any, n_doses: int, start_dose: int = 0) -> list[str]:
    """Design (model, skeleton, prior), dose assignment and MTD selection of a CRM protocol.

    Parameters
    ----------
    spec : cartrial.protocol.DesignSpec
        A ``crm`` or ``tite-crm`` design.
    n_doses : int
        Number of dose levels.
    start_dose : int
        0-based starting dose.

    Returns
    -------
    list of str
        Markdown lines with ``## Design``, ``## Dose assignment`` (with the skeleton table) and
        ``## Stopping and MTD selection``.

    References
    ----------
    O'Quigley J, Pepe M, Fisher L. Biometrics 1990;46:33-48. Lee SM, Cheung YK. Clin Trials
    2009;6:227-238.

    Examples
    --------
    >>> from cartrial.protocol import DesignSpec
    >>> spec = DesignSpec(name="crm", target=0.25, cohort_size=3, max_sample_size=24,
    ...                   dlt_window_days=28, crm={"prior_mtd_level": 3, "halfwidth": 0.05})
    >>> [x for x in crm_sections(spec, 5) if x.startswith("| 2 |")]  # Lee & Cheung: 0.15674
    ['| 2 | 0.1567 |']
    """
    d = design_from_spec(spec, n_doses)
    c = spec.crm
    how = ("as given in the protocol" if c.skeleton is not None else
           f"calibrated by the indifference-interval method of Lee and Cheung (2009) with "
           f"half-width {c.halfwidth:g} and prior MTD at dose level {c.prior_mtd_level}")
    name = (" in its time-to-event form TITE-CRM (Cheung and Chappell 2000)"
            if spec.name == "tite-crm" else "")
    design = (f"Dose escalation follows the continual reassessment method (CRM; O'Quigley "
              f"et al. 1990){name} with target DLT probability {spec.target:g}: the DLT "
              f"probability of dose j is modelled as p_j = s_j ^ exp(a), with skeleton s_j "
              f"{how}, and a normal prior a ~ N(0, {c.prior_sd:.4g}^2). The posterior of a is "
              "computed by numerical integration after each cohort. Patients are enrolled in "
              f"cohorts of {spec.cohort_size}, at most {spec.max_sample_size} in escalation.")
    skel = ["| Dose level | Skeleton s_j |", "|---|---|",
            *[f"| {j} | {s:.4f} |" for j, s in enumerate(d.skeleton, start=1)]]
    select = (f"Escalation ends when {spec.max_sample_size} patients have been treated. The MTD "
              f"is the non-eliminated dose whose estimate p_j, with every patient's DLT "
              f"outcome complete, is closest to {spec.target:g}; if every dose is eliminated "
              "no dose is selected.")
    return ["## Design", "", design, "", *skel, "", "## Dose assignment", "",
            *[f"{i}. {r}" for i, r in enumerate(_rules(spec, d, start_dose), start=1)], "",
            "## Stopping and MTD selection", "", select, ""]


def tite_crm_lines(spec: Any) -> list[str]:
    """What a pending patient means under TITE-CRM (Cheung & Chappell 2000), as Markdown lines.

    Parameters
    ----------
    spec : cartrial.protocol.DesignSpec
        A ``tite-crm`` design.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from cartrial.protocol import DesignSpec
    >>> spec = DesignSpec(name="tite-crm", target=0.25, cohort_size=1, max_sample_size=24,
    ...                   dlt_window_days=28)
    >>> tite_crm_lines(spec)[0][:40]
    'Accrual does not wait for every window t'
    """
    w = spec.dlt_window_days
    return [
        "Accrual does not wait for every window to close (TITE-CRM, Cheung and Chappell 2000): "
        "a patient still pending without a DLT enters the likelihood with weight w = min(u / "
        f"{w}, 1), u the days followed so far, as (1 - w p_j); a patient with a DLT or a "
        "complete window counts fully. The dose-assignment rule above is then applied.", "",
    ]
