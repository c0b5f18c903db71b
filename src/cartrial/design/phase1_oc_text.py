"""A phase I protocol's operating characteristics and sample-size justification, as Markdown.

The per-scenario tables are the :class:`~cartrial.design.oc_result.OcResult` of the exact
enumeration (:func:`~cartrial.design.exact_oc.exact_oc`) or the Monte Carlo simulator
(:func:`~cartrial.design.simulate_oc.simulate_oc`), the numbers ``cartrial design simulate``
prints, rounded for the reader; nothing is recomputed here. Operating characteristics as the
BOIN package's ``get.oc`` (Liu S, Yuan Y, J R Stat Soc C 2015;64:507-523).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from cartrial.design.boin12_tables import table_markdown
from cartrial.design.oc_result import OcResult

CAPPED = ("boin", "tite-boin", "i3+3", "mtpi2")  # the designs with BOIN's n.earlystop


def _span(v: Sequence[float], fmt: str) -> str:
    lo, hi = fmt.format(min(v)), fmt.format(max(v))
    return lo if lo == hi else f"{lo} to {hi}"


def too_toxic(r: OcResult, phi2: float | None) -> bool:
    """Whether every dose of the scenario is overly toxic (true P(DLT) above ``phi2``).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> too_toxic(SimpleNamespace(true_tox=(0.5, 0.6)), 0.42), too_toxic(
    ...     SimpleNamespace(true_tox=(0.3, 0.6)), 0.42)
    (True, False)
    """
    return phi2 is not None and min(r.true_tox) > phi2


def oc_table(r: OcResult, phi2: float | None = None) -> str:
    """One scenario's per-dose table and its summary line (Markdown).

    Parameters
    ----------
    r : OcResult
        From :func:`~cartrial.design.exact_oc.exact_oc` or
        :func:`~cartrial.design.simulate_oc.simulate_oc`.
    phi2 : float, optional
        BOIN's lowest overly toxic DLT probability: when every dose's true DLT probability is
        above it, the summary says that stopping with no dose selected is the right outcome.

    Returns
    -------
    str

    Examples
    --------
    3+3 passes a dose with DLT probability 0.2 in 70.86% of trials (Storer 1989):

    >>> from cartrial.design import ThreePlusThree, exact_oc
    >>> print(oc_table(exact_oc(ThreePlusThree(n_doses=2, max_sample_size=12), (0.2, 0.5)))
    ...       .splitlines()[3])
    | 2 | 0.50 | 7.8 | 3.2 | 1.6 | 70.9 |
    """
    per = r.per_dose
    frame = pd.DataFrame({
        "Dose": per["dose"].astype(int),
        "True P(DLT)": per["true_tox"].map("{:.2f}".format),
        "% selected as MTD": per["pct_selected"].map("{:.1f}".format),
        "Mean patients": per["mean_patients"].map("{:.1f}".format),
        "Mean DLTs": per["mean_dlts"].map("{:.1f}".format),
        "% of trials treating the dose": per["pct_treated"].map("{:.1f}".format),
    })
    o = r.overall.iloc[0]
    mtd = "none (no dose is acceptable)" if r.true_mtd is None else f"dose {r.true_mtd + 1}"
    se = "" if r.n_trials is None else f" (Monte Carlo SE {o.se_pct_correct_selection:.1f})"
    if too_toxic(r, phi2):
        return table_markdown(frame) + (
            f"\nEvery dose is overly toxic (true P(DLT) > phi2 = {phi2:g}): the right outcome "
            f"is to stop with no dose selected, as in {o.pct_early_stop:.1f}% of trials; the "
            f"dose closest to the target, {mtd}, is selected in {o.pct_correct_selection:.1f}%"
            f"{se}; {o.pct_patients_above_mtd:.1f}% of patients are treated above it; mean "
            f"sample size {o.mean_sample_size:.1f}.\n")
    return table_markdown(frame) + (
        f"\nTrue MTD: {mtd}. Correct selection {o.pct_correct_selection:.1f}%{se}; no dose "
        f"selected (early stop) {o.pct_early_stop:.1f}%; {o.pct_patients_above_mtd:.1f}% of "
        f"patients treated above the true MTD; mean sample size {o.mean_sample_size:.1f}.\n"
    )


def oc_lines(results: Sequence[OcResult], phi2: float | None = None) -> list[str]:
    """The "Operating characteristics" section: one table per scenario and how they were got.

    Parameters
    ----------
    results : sequence of OcResult
        One per scenario, in order.
    phi2 : float, optional
        BOIN's lowest overly toxic DLT probability (see :func:`oc_table`).

    Returns
    -------
    list of str
        Markdown lines (empty when no scenario is given).

    Examples
    --------
    >>> oc_lines([])
    []
    """
    if not results:
        return []
    out = ["## Operating characteristics", "",
           "The true MTD of a scenario is the dose whose true DLT probability is closest to the "
           f"target ({results[0].target:g}); correct selection is the percentage of trials "
           "selecting it.", ""]
    for i, r in enumerate(results, start=1):
        out += [f"### Scenario {i}", "", oc_table(r, phi2)]
    how = [_how(r) for r in results]
    if len(set(how)) == 1:
        many = "Each scenario" if len(how) > 1 else "The scenario"
        return [*out, f"{many}: {how[0]}.", ""]
    return [*out, *[f"Scenario {i}: {h}." for i, h in enumerate(how, start=1)], ""]


def _how(r: OcResult) -> str:
    if r.n_trials is None:
        return "exact operating characteristics (every possible trial enumerated with its " \
               "probability; no simulation error)"
    return f"{r.n_trials} simulated trials, numpy SeedSequence seed {r.seed}"


def sample_size_lines(spec: Any, results: Sequence[OcResult],
                      phi2: float | None = None) -> list[str]:
    """The "Sample size" section: the maximum, the cap, expansion, and what the OC show.

    Parameters
    ----------
    spec : cartrial.protocol.DesignSpec
        The protocol's design.
    results : sequence of OcResult
        The scenarios' operating characteristics.
    phi2 : float, optional
        BOIN's lowest overly toxic DLT probability: scenarios where every dose is above it
        have no acceptable dose.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> sample_size_lines(load_protocol("ct071").design, [])[2][:40]
    'At most 18 patients are treated in dose '
    """
    capped = spec.cap_per_dose and spec.name in CAPPED  # 3+3 and CRM have no such cap
    cap = (f"; escalation also ends when {spec.cap_per_dose} patients have been treated at the "
           "dose to be given next" if capped else "")
    text = (f"At most {spec.max_sample_size} patients are treated in dose escalation (cohorts of "
            f"{spec.cohort_size}{cap}).")
    if spec.backfill.enabled:
        text += (f" Backfilled patients come in addition (a backfilled dose takes patients "
                 f"while it has fewer than {spec.backfill.max_per_dose}); the mean sample sizes "
                 "of the operating characteristics include them.")
    ex = spec.expansion
    if ex is not None and ex.patients:
        where = "the selected dose" if ex.dose == "selected" else f"dose {ex.dose}"
        text += (f" A further {ex.patients} patients are treated at {where} in expansion; they "
                 f"do not enter the escalation decisions: at most "
                 f"{spec.max_sample_size + ex.patients} patients in all.")
    acceptable = [r for r in results if r.true_mtd is not None and not too_toxic(r, phi2)]
    if acceptable:
        pcs = [float(r.overall.iloc[0].pct_correct_selection) for r in acceptable]
        n = [float(r.overall.iloc[0].mean_sample_size) for r in results]
        many = (f"Across the {len(results)} scenarios above the mean sample size is "
                f"{_span(n, '{:.1f}')}, and in those with an acceptable dose"
                if len(results) > 1 else
                f"In the scenario above the mean sample size is {n[0]:.1f}, and")
        text += (f" {many} the MTD is selected correctly in {_span(pcs, '{:.1f}%')} of trials; "
                 "the sample size is "
                 "justified by these operating characteristics rather than by a power "
                 "calculation, as usual for phase I dose finding.")
    return ["## Sample size", "", text, ""]
