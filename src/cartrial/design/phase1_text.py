"""The whole statistical section of a phase I protocol without a randomised stage, as Markdown.

BOIN and TITE-BOIN (the design, boundaries, dose assignment, decision table, stopping and MTD
selection of :mod:`cartrial.design.boin_text`), 3+3, i3+3 and mTPI-2 (their rule and the decision
table ``cartrial design table`` writes, :func:`cartrial.design.tables.decision_table_markdown`),
each followed by the DLT window and what a pending patient means (TITE-BOIN: Yuan Y, Lin R, Li
D, Nie L, Warren KE, Clin Cancer Res 2018;24:4921-30), backfill when the protocol has it (BF-BOIN:
Zhao Y, Yuan Y, Korn EL, Freidlin B, Clin Cancer Res 2024;30:673-9), the operating
characteristics across scenarios and the sample size (:mod:`cartrial.design.phase1_oc_text`) and
one reference list; CRM and TITE-CRM (model, skeleton, prior and rule of
:mod:`cartrial.design.crm_text`) the same way. :data:`TEXT_DESIGNS` lists the designs written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cartrial.design.oc_result import OcResult
from cartrial.design.phase1_oc_text import oc_lines, sample_size_lines
from cartrial.design.tables import decision_table, decision_table_markdown
from cartrial.errors import InputError

TEXT_DESIGNS = ("boin", "tite-boin", "3+3", "i3+3", "mtpi2", "crm", "tite-crm")
REFERENCES = {
    "3+3": ("Storer BE. Design and analysis of phase I clinical trials. Biometrics "
            "1989;45:925-937.",),
    "i3+3": ("Liu M, Wang SJ, Ji Y. The i3+3 design for phase I clinical trials. J Biopharm "
             "Stat 2020;30:294-304.",),
    "mtpi2": ("Guo W, Wang SJ, Yang S, Lynn H, Ji Y. A Bayesian interval dose-finding design "
              "addressing Ockham's razor: mTPI-2. Contemp Clin Trials 2017;58:23-33.",),
    "tite-boin": ("Yuan Y, Lin R, Li D, Nie L, Warren KE. Time-to-event Bayesian optimal "
                  "interval design to accelerate phase I trials. Clin Cancer Res "
                  "2018;24:4921-4930.",),
    "backfill": ("Zhao Y, Yuan Y, Korn EL, Freidlin B. Backfilling patients in phase I "
                 "dose-escalation trials using Bayesian optimal interval design (BOIN). Clin "
                 "Cancer Res 2024;30:673-679.",),
}
LETTER_RULES = {
    "i3+3": ("escalate when y / n < {lo:g}, stay when {lo:g} <= y / n <= {hi:g}, de-escalate "
             "when y / n > {hi:g} unless (y - 1) / n < {lo:g} (then stay; Liu et al. 2020)."),
    "mtpi2": ("the interval (0, 1) is cut into the equivalence interval [{lo:g}, {hi:g}] and "
              "intervals of the same width below and above it; under a beta(1, 1) prior the "
              "interval with the highest unit probability mass (posterior probability divided "
              "by its length) decides: below escalate, the equivalence interval stay, above "
              "de-escalate (Guo et al. 2017)."),
}
NAMES = {"i3+3": ("i3+3", "Liu et al. 2020"), "mtpi2": ("mTPI-2", "Guo et al. 2017")}


def window_lines(spec: Any) -> list[str]:
    """The "DLT assessment window" section: the window, stagger, and a pending patient.

    Parameters
    ----------
    spec : cartrial.protocol.DesignSpec
        The protocol's design.

    Returns
    -------
    list of str
        Markdown lines.

    References
    ----------
    Yuan Y, Lin R, Li D, Nie L, Warren KE. Clin Cancer Res 2018;24:4921-30 (TITE-BOIN).

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> window_lines(load_protocol("ct071").design)[0]
    '## DLT assessment window and pending patients'
    """
    w, acc = spec.dlt_window_days, spec.accrual
    text = (f"DLTs are assessed from infusion to day {w}. A patient is pending while inside "
            "this window without a DLT; a patient with a DLT, or who completed the window "
            "without one, is evaluated.")
    if acc.stagger_days:
        text += (f" Within a cohort, the first patient is observed for {acc.stagger_days} days "
                 "before the others are infused.")
    if spec.name == "tite-crm":
        from cartrial.design.crm_text import tite_crm_lines

        return ["## DLT assessment window and pending patients", "", text, "",
                *tite_crm_lines(spec)]
    if spec.name != "tite-boin":
        rule = ("Dose decisions use evaluated patients only: the next cohort is enrolled when no "
                "patient at the current dose is pending (accrual waits for the whole window).")
        return ["## DLT assessment window and pending patients", "", text, "", rule, ""]
    return [
        "## DLT assessment window and pending patients", "", text, "",
        "Accrual does not wait for every window to close: the dose-assignment rule is applied "
        "with the time-to-event extension TITE-BOIN (Yuan et al. 2018).", "",
        f"1. With n patients at the current dose, y of them with a DLT and c pending with total "
        f"follow-up F days (each capped at {w}), the DLT rate is estimated by y / (n - c + "
        f"F / {w}) (each pending patient counts by the fraction of the window followed) and "
        "compared with lambda_e and lambda_d as above.",
        f"2. Accrual is suspended while more than {acc.max_pending_fraction:.0%} of the "
        "patients at the current dose are pending, and while a de-escalation is called for at "
        "the lowest dose with patients pending.",
        "3. Elimination uses the DLTs observed so far among every patient treated at the dose, "
        "pending ones included (as the TITEgBOIN R package), and the MTD is selected once every "
        "patient's window is complete.", "",
    ]


def backfill_lines(spec: Any) -> list[str]:
    """The "Backfill" section (BF-BOIN), or nothing when the protocol has no backfill.

    Parameters
    ----------
    spec : cartrial.protocol.DesignSpec
        The protocol's design.

    Returns
    -------
    list of str

    References
    ----------
    Zhao Y, Yuan Y, Korn EL, Freidlin B. Clin Cancer Res 2024;30:673-9.

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> backfill_lines(load_protocol("ct071").design)
    []
    """
    if not spec.backfill.enabled:
        return []
    return [
        "## Backfill", "",
        "While escalation waits for pending patients, eligible patients may be backfilled at "
        "lower doses (BF-BOIN, Zhao et al. 2024). A dose below the dose escalation would give "
        "next is open to backfill when it has been cleared (treated and escalated from), is not "
        f"eliminated, has fewer than {spec.backfill.max_per_dose} patients, and is safe: its "
        "own DLT counts, or its counts pooled with those of the dose above, do not call for "
        "de-escalation in the decision table. An unsafe or eliminated dose closes itself and "
        "every dose above it. Backfilled patients count in every later decision, elimination "
        "and in MTD selection. When a lower dose disagrees with the current one (the current "
        "dose would escalate and a lower one would not, or a lower one calls for "
        "de-escalation), the counts of every dose from the conflicting one up to the current "
        "one are pooled and decide; a pooled de-escalation goes to the highest dose whose "
        "counts pooled from the conflicting dose do not call for de-escalation.", "",
    ]


def _table_sections(spec: Any, start: int) -> list[str]:
    """Design, dose assignment, decision table and selection of 3+3, i3+3 or mTPI-2."""
    name = spec.name
    cap = spec.cap_per_dose or spec.max_sample_size
    t = decision_table(name, spec.target, cohort_size=spec.cohort_size, max_n=cap,
                       cutoff=spec.elimination_cutoff, epsilon_low=spec.interval.epsilon_low,
                       epsilon_high=spec.interval.epsilon_high)
    table = decision_table_markdown(t, grid=name != "3+3").splitlines()[2:]
    if not any("| NA" in x for x in table):  # the note explains a cell the table does not have
        table = [x for x in table if not x.startswith("NA: ")]
    table = [x for i, x in enumerate(table) if x or (i and table[i - 1])]  # one blank line
    while table and not table[-1]:
        table.pop()
    if name == "3+3":
        design = (f"Dose escalation follows the 3+3 rule (Storer 1989), in cohorts of 3 starting "
                  f"at dose level {start + 1}, with at most {spec.max_sample_size} patients.")
        rules = ["0 DLTs among 3 patients: escalate to the next dose.",
                 "1 DLT among 3: treat 3 more at the same dose; then at most 1 DLT among 6: "
                 "escalate.",
                 "2 or more DLTs: the dose exceeds the MTD and it and every higher dose are "
                 "closed; the next lower dose is expanded to 6 patients if it has fewer.",
                 "At the highest dose, or below a closed dose, a dose with 0/3 is expanded to 6."]
        select = ("The MTD is the highest dose with at most 1 DLT among 6 patients; if dose 1 "
                  "exceeds the MTD the trial stops with no dose selected. The target DLT "
                  f"probability {spec.target:g} is used only to define the true MTD of the "
                  "scenarios below.")
    else:
        lo = spec.target - spec.interval.epsilon_low
        hi = spec.target + spec.interval.epsilon_high
        design = (f"Dose escalation follows the {NAMES[name][0]} design ({NAMES[name][1]}) "
                  f"with target DLT probability "
                  f"{spec.target:g} and equivalence interval [{lo:g}, {hi:g}]; patients are "
                  f"enrolled in cohorts of {spec.cohort_size} starting at dose level {start + 1}, "
                  f"at most {spec.max_sample_size} in escalation.")
        letter = LETTER_RULES[name].format(lo=lo, hi=hi)
        rules = [f"With n patients at the current dose and y of them with a DLT: {letter}",
                 "The decision table below lists these decisions (E escalate, S stay, D "
                 "de-escalate); never above the highest dose, below the lowest or onto an "
                 "eliminated dose.",
                 f"A dose with at least 3 patients and P(p > {spec.target:g} | data) > "
                 f"{spec.elimination_cutoff:g} under a beta(1, 1) prior is eliminated with every "
                 "higher dose (DU); if the lowest dose is eliminated the trial stops with no dose "
                 "selected."]
        select = (f"Escalation ends when {spec.max_sample_size} patients have been treated"
                  + (f" or {spec.cap_per_dose} at the dose to be given next"
                     if spec.cap_per_dose else "")
                  + ". The MTD is selected as in BOIN: isotonic regression of the DLT rates of "
                  f"the tried, non-eliminated doses, the dose closest to {spec.target:g}.")
    return ["## Design", "", design, "", "## Dose assignment", "",
            *[f"{i}. {r}" for i, r in enumerate(rules, start=1)], "",
            "## Decision table", "", *table, "",
            "## Stopping and MTD selection", "", select, ""]


def phase1_protocol_text(spec: Any, results: Sequence[OcResult], start_dose: int = 0,
                         title: str = "Statistical design",
                         doses: Sequence[str] = (), n_doses: int | None = None) -> str:
    """The statistical section of a phase I protocol (no randomised stage) as Markdown.

    Parameters
    ----------
    spec : cartrial.protocol.DesignSpec
        The protocol's design; ``name`` one of :data:`TEXT_DESIGNS`.
    results : sequence of OcResult
        Operating characteristics per scenario (exact or Monte Carlo), in order.
    start_dose : int
        0-based starting dose.
    title : str
        Heading of the section.
    doses : sequence of str, optional
        The dose levels as the protocol names them (listed under the design when given).
    n_doses : int, optional
        Number of dose levels (default: ``len(doses)``); CRM needs it for its skeleton.

    Returns
    -------
    str
        Markdown: design, dose assignment, decision table, DLT window and pending patients,
        backfill (if any), stopping and MTD selection, operating characteristics, sample size,
        references.

    Raises
    ------
    InputError
        A design with no section written here (the phase I/II designs), or a CRM without the
        number of doses.

    References
    ----------
    Liu S, Yuan Y. J R Stat Soc C 2015;64:507-523. Storer BE. Biometrics 1989;45:925-937.

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> text = phase1_protocol_text(load_protocol("ct071").design, [])
    >>> "lambda_e = 0.2365" in text and "## DLT assessment window and pending patients" in text
    True
    """
    from cartrial.design.protocol_sections import join_sections, split_sections

    if spec.name not in TEXT_DESIGNS:
        raise InputError(f"design {spec.name!r}: protocol-text writes the statistical section "
                         f"of {', '.join(TEXT_DESIGNS)}, BOIN12, TITE-BOIN12 and U-BOIN; "
                         f"{spec.name} has none yet (use `cartrial design simulate` for its OC)")
    refs: list[str] = []
    phi2 = None
    if spec.name in ("boin", "tite-boin"):
        from cartrial.design.boin_text import boin_protocol_text
        from cartrial.design.boundaries import boin_boundaries

        phi2 = boin_boundaries(spec.target, spec.phi1, spec.phi2).phi2
        head, secs = split_sections(boin_protocol_text(spec, start_dose, title))
    elif spec.name in ("crm", "tite-crm"):
        from cartrial.design.crm_text import REFERENCES as CRM_REFS
        from cartrial.design.crm_text import crm_sections

        k = len(doses) if n_doses is None else n_doses
        if k < 1:
            raise InputError(f"{spec.name}: give the number of dose levels (its skeleton)")
        head, secs = split_sections("\n".join([f"# {title}", "",
                                               *crm_sections(spec, k, start_dose)]))
        refs = [*CRM_REFS["crm"], *CRM_REFS.get(spec.name, ())]
    else:
        head, secs = split_sections("\n".join([f"# {title}", "",
                                               *_table_sections(spec, start_dose)]))
    for t, body in secs:
        if t == "References":
            refs += [x[2:] for x in body if x.startswith("- ")]
    secs = [(t, b if b[-1] == "" else [*b, ""]) for t, b in secs if t != "References"]
    if spec.name == "tite-boin":
        secs[0][1][-1:-1] = ["", "Patients whose DLT window is still open are handled by the "
                             "time-to-event extension TITE-BOIN (Yuan et al. 2018; below)."]
    if doses:
        listed = ", ".join(f"{i} = {d}" for i, d in enumerate(doses, start=1))
        secs[0][1][-1:-1] = ["", f"Dose levels: {listed}."]
    at = next(i for i, (t, _) in enumerate(secs) if t.startswith("Stopping"))
    ex = spec.expansion
    if ex is not None and ex.patients and spec.randomised_stage is None:  # ROSE picks the RD
        secs[at][1][-1:-1] = ["", (f"The selected MTD is the recommended dose (RD) for the "
                                   f"expansion of {ex.patients} patients." if ex.dose ==
                                   "selected" else f"Expansion treats {ex.patients} patients "
                                   f"at dose {ex.dose}, whichever dose is selected.")]
    extra = [*window_lines(spec), *backfill_lines(spec)]
    secs[at:at] = [("", extra)]
    refs += [*REFERENCES.get(spec.name, ()),
             *(REFERENCES["backfill"] if spec.backfill.enabled else ())]
    tail = [*oc_lines(results, phi2), *sample_size_lines(spec, results, phi2),
            "## References", "", *[f"- {r}" for r in dict.fromkeys(refs)], ""]
    return join_sections(head, [*secs, ("", tail)])
