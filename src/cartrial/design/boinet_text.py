"""The statistical section of a BOIN-ET protocol, as Markdown (``cartrial design protocol-text``).

Design, the boundaries lambda1, lambda2 and eta1 (chosen as the boinet R package does, by
minimising the probability of an incorrect decision on a 0.01 grid), the decision rules and the
decision table in counts, admissibility, stopping and OBD selection, operating characteristics
across scenarios (:func:`cartrial.design.simulate_boinet.simulate_boinet`), the sample size and
references (Takeda K, Taguri M, Morita S, Pharm Stat 2018;17:383-395). No I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cartrial.design import boinet_rules as R
from cartrial.design.boin12_tables import table_markdown
from cartrial.design.boinet import BoinEt

REFERENCES = (
    "Takeda K, Taguri M, Morita S. BOIN-ET: Bayesian optimal interval design for dose finding "
    "based on both efficacy and toxicity outcomes. Pharm Stat 2018;17:383-395.",
    "Yamaguchi Y, Takeda K. boinet: Conduct simulation study of Bayesian optimal interval design "
    "with BOIN-ET family. R package version 1.5.0 (CRAN).",
    "Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials. J R Stat Soc "
    "Ser C 2015;64:507-523.",
)

OBD_TEXT = {
    "max-effprob": "the admissible tried dose with the highest estimated response probability "
    "among those at or below the dose whose estimated DLT probability is closest to phi",
    "utility-weighted": "the admissible tried dose with the highest utility p_E - w1 p_T - w2 "
    "p_T 1[p_T > phi2] (w1 = {w1:g}, w2 = {w2:g})",
    "utility-truncated-linear": "the admissible tried dose with the highest truncated-linear "
    "utility (toxicity term 1 below phi1 falling linearly to 0 at phi2; efficacy term 0 below "
    "delta1 / 2 rising linearly to 1 at delta)",
    "utility-scoring": "the admissible tried dose with the highest expected score (response "
    "without DLT 100, response with DLT {psi11:g}, neither {psi00:g}, DLT without response 0)",
}


def _first(values: range, test) -> int | str:
    return next((v for v in values if test(v)), "")


def _last(values: range, test) -> int | str:
    return next((v for v in reversed(values) if test(v)), "")


def decision_table(d: BoinEt, sizes: Sequence[int]) -> pd.DataFrame:
    """The rule in counts for ``n`` patients at the current dose (all outcomes known).

    The thresholds are the rule's own comparisons of the observed rates with lambda1, lambda2
    and eta1 (:func:`cartrial.design.boinet_rules.decide_rows`) and its admissibility
    (:func:`cartrial.design.boinet_rules.admissible`) at each count; empty: no count qualifies.

    Parameters
    ----------
    d : BoinEt
        The design.
    sizes : sequence of int
        Patients at the dose.

    Returns
    -------
    pandas.DataFrame
        Per n: escalate if DLTs <= (and responses <= the efficacy bound), de-escalate if DLTs
        >=, and the counts that make the dose not admissible (DLTs >=, responses <=).

    Examples
    --------
    >>> d = BoinEt(n_doses=3, target=0.3, delta=0.6, max_sample_size=18)
    >>> list(decision_table(d, [3]).to_dict("records")[0].values())
    [3, 0, 1, 2, 3, '']
    """
    return pd.DataFrame([_counts(d, n) for n in sizes])


def _counts(d: BoinEt, n: int) -> dict[str, int | str]:
    """One row of :func:`decision_table`: the rule's comparisons at each count of ``n``."""
    b = d.boundaries
    counts = range(n + 1)

    def adm(y: int, x: int) -> bool:
        return bool(R.admissible(np.array([n]), np.array([y]), np.array([x]), d.target,
                                 b.delta1, d.stop_t, d.stop_e)[0])

    return {
        "patients at the dose": n,
        "escalate if DLTs <=": _last(counts, lambda y: y / n <= b.lambda1),
        "and responses <=": _last(counts, lambda x: x / n <= b.eta1),
        "de-escalate if DLTs >=": _first(counts, lambda y: y / n >= b.lambda2),
        "not admissible if DLTs >=": _first(counts, lambda y: not adm(y, n)),
        "not admissible if responses <=": _last(counts, lambda x: not adm(0, x)),
    }


def _sizes(d: BoinEt) -> list[int]:
    top = min(d.cap_per_dose or d.max_sample_size or 0, d.max_sample_size or 0)
    return list(range(d.cohort_size, top + 1, d.cohort_size))


def _rules(d: BoinEt) -> list[str]:
    b = d.boundaries
    return [
        f"Patients are treated in cohorts of {d.cohort_size}, starting at dose level 1; the "
        "decision after each cohort uses the observed DLT rate p_T and response rate p_E at the "
        "current dose (patients with both outcomes known; while an outcome at the current dose "
        "is pending, accrual waits).",
        f"If p_T <= lambda1 = {b.lambda1:g} and p_E <= eta1 = {b.eta1:g}: escalate to the next "
        "higher dose (at the highest dose: stay).",
        f"If p_T < lambda2 = {b.lambda2:g} and p_E > eta1: stay at the current dose.",
        "If p_T >= lambda2: de-escalate to the next lower dose.",
        "If lambda1 < p_T < lambda2 and p_E <= eta1: the next higher dose if no patient has "
        "received it, otherwise the one of the lower, current and higher doses with the highest "
        "observed response rate (ties: the lowest).",
        f"A dose is admissible while P(p_T > {d.target:g} | data) <= {d.stop_t:g} and P(p_E < "
        f"{b.delta1:g} | data) <= {d.stop_e:g} (beta(1, 1) priors), recomputed at each "
        "decision. A proposed dose that is not admissible is replaced by the nearest admissible "
        "dose beyond it (upwards: stay when there is none; downwards: stop when there is none); "
        "no admissible dose stops the trial with no dose selected.",
    ]


def _oc(scenarios: Sequence[pd.DataFrame], trials: int, seed: int) -> list[str]:
    if not scenarios:
        return ["## Operating characteristics", "",
                "No scenario was simulated (give --true-tox / --true-eff).", ""]
    out = ["## Operating characteristics", ""]
    for i, oc in enumerate(scenarios, start=1):
        per = oc[oc["dose"] > 0]
        t = pd.DataFrame({"dose": per["dose"], "true P(DLT)": per["true_tox"],
                          "true P(response)": per["true_eff"],
                          "% selected as OBD": per["selected_pct"].round(1),
                          "patients (mean)": per["patients"].round(2)})
        none = float(oc.loc[oc["dose"] == 0, "selected_pct"].iloc[0])
        out += [f"### Scenario {i}", "", table_markdown(t),
                f"No OBD (early stop or no admissible dose) in {none:.1f}% of trials; mean "
                f"patients {per['patients'].sum():.1f}.", ""]
    out += [f"Each scenario: {trials} simulated trials, scenario i with seed {seed} + (i - 1) "
            "(Monte Carlo; DLT and response drawn independently, BOIN-ET's decisions and OBD "
            "depending on the per-dose counts only).", ""]
    return out


def boinet_protocol_text(design: BoinEt, scenarios: Sequence[pd.DataFrame] = (),
                         title: str = "Statistical design", trials: int = 0,
                         seed: int = 0, doses: Sequence[str] = (), outcome: str = "") -> str:
    """The statistical section of a BOIN-ET protocol as Markdown.

    Parameters
    ----------
    design : BoinEt
        The design (``max_sample_size`` required).
    scenarios : sequence of pandas.DataFrame
        :func:`~cartrial.design.simulate_boinet.simulate_boinet` results to tabulate.
    title : str
        Heading of the section.
    trials, seed : int
        The simulation's trials per scenario and first seed (stated with the OC).
    doses : sequence of str
        The dose levels by name, lowest first (e.g. "DL1 (0.1 x10^6/kg)"); empty: by number.
    outcome : str
        The efficacy outcome the decisions use (e.g. "PR or better by day 28"); empty: "a
        response".

    Returns
    -------
    str
        Markdown: design, boundaries, dose assignment, decision table, stopping and OBD
        selection, operating characteristics, sample size, references.

    References
    ----------
    Takeda K, Taguri M, Morita S. Pharm Stat 2018;17:383-395.

    Examples
    --------
    >>> d = BoinEt(n_doses=3, target=0.3, delta=0.6, max_sample_size=18)
    >>> "lambda1 = 0.14, lambda2 = 0.35 and eta1 = 0.48" in boinet_protocol_text(d)
    True
    """
    d = design
    b = d.boundaries
    cap = (f"once {d.cap_per_dose} patients (N*) have been treated at a dose, or "
           if d.cap_per_dose else "")
    obd = OBD_TEXT[d.obd_method].format(w1=d.w1, w2=d.w2, psi11=d.psi11, psi00=d.psi00)
    est = ("observed response rates" if d.estimate == "obs" else "unimodal isotonic fits of "
           "the response rates averaged with weights exp(-AIC / 2) (multi-iso)")
    lines = [
        f"# {title}", "", "## Design", "",
        "Dose finding uses the BOIN-ET design (Takeda, Taguri and Morita 2018), a Bayesian "
        "optimal interval design that escalates on both the observed DLT and response rates "
        f"and selects the optimal biological dose (OBD). {d.n_doses} dose levels are studied. "
        f"The target DLT probability is phi = {d.target:g}, the highest sub-therapeutic DLT "
        f"probability phi1 = {b.phi1:g} and the lowest overly toxic phi2 = {b.phi2:g}; the "
        f"target response probability is delta = {d.delta:g} and the lowest acceptable "
        f"delta1 = {b.delta1:g}."
        + (f" The dose levels are {', '.join(doses)}." if doses else "")
        + (f" A patient responds when the protocol's efficacy outcome is reached: {outcome}; "
           "until then the response is pending." if outcome else ""), "",
        "## Boundaries", "",
        f"The escalation boundaries are lambda1 = {b.lambda1:g}, lambda2 = {b.lambda2:g} and "
        f"eta1 = {b.eta1:g}: the values on a 0.01 grid (lambda1 in [phi1, phi], lambda2 in "
        "[phi, phi2], eta1 in [delta1, delta]) that minimise the probability of an incorrect "
        "decision averaged over the six hypotheses of the paper with equal prior weights, for "
        "100 patients, as the boinet R package (gridoptim) computes them.", "",
        "## Dose assignment", "", *[f"{i}. {r}" for i, r in enumerate(_rules(d), start=1)], "",
        "## Decision table", "", table_markdown(decision_table(d, _sizes(d))),
        "Counts of patients with both outcomes known at the current dose. Below the "
        "de-escalation count, more responses than the 'and responses <=' count mean stay "
        "(rule 3); as many or fewer mean escalate when the DLTs are at most the escalation "
        "count (rule 2), else the efficacy-guided move (rule 5). An empty cell: no count "
        "qualifies.", "",
        "## Stopping and OBD selection", "",
        f"The trial ends {cap}at {d.max_sample_size} patients, or earlier when no dose is "
        "admissible (no OBD). At the end, DLT probabilities are estimated by isotonic regression "
        f"of the observed DLT rates and response probabilities by {est}; the OBD is {obd} "
        "(ties: the lowest dose); the reason (admissible set and estimates) is stated with the "
        "selection.", "",
        *_oc(scenarios, trials, seed),
        "## Sample size", "",
        f"A maximum of {d.max_sample_size} patients (cohorts of {d.cohort_size}) is planned"
        + (f", at most {d.cap_per_dose} at a dose" if d.cap_per_dose else "")
        + "; the operating characteristics above are the justification.", "",
        "## References", "", *[f"- {r}" for r in REFERENCES], "",
    ]
    return "\n".join(lines)


def protocol_section(p, pairs: Sequence[tuple[list[float], list[float]]], trials: int,
                     seed: int) -> str:
    """A boin-et protocol's section with the OC of each (true DLT, true response) scenario.

    Parameters
    ----------
    p : cartrial.protocol.Protocol
        A protocol whose design is boin-et (starting at its first dose level).
    pairs : sequence of (list of float, list of float)
        Scenarios, one probability per dose level each.
    trials, seed : int
        Simulated trials per scenario; scenario i uses ``seed + i``.

    Returns
    -------
    str

    Raises
    ------
    InputError
        Not a boin-et protocol, a starting dose other than the first (BOIN-ET starts at dose
        1), or a scenario the simulator refuses (see ``simulate_boinet``).

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> "lambda2 = 0.35" in protocol_section(load_protocol("ct071_boinet"), [], 10, 0)
    True
    """
    from cartrial.design.boinet import boinet_from_spec
    from cartrial.design.simulate_boinet import simulate_boinet

    d = boinet_from_spec(p.design, len(p.dose_levels))
    check_start(p)
    ocs = [simulate_boinet(d, t, e, n_trials=trials, seed=seed + i)
           for i, (t, e) in enumerate(pairs)]
    doses = [f"{x.id} ({x.label})" for x in p.dose_levels]
    e = p.design.efficacy
    return boinet_protocol_text(d, ocs, trials=trials, seed=seed, doses=doses,
                                outcome="" if e is None else e.label)


def check_start(p) -> None:
    """Refuse a boin-et protocol that starts above its first dose level (BOIN-ET, as the
    boinet package, starts at dose 1; its simulator knows no other start)."""
    if p.start_index != 0:
        from cartrial.errors import InputError

        raise InputError(f"protocol {p.study_id}: design boin-et starts at the first dose level "
                         f"({p.dose_ids[0]}), starting_dose is {p.starting_dose} (Takeda et al., "
                         "Pharm Stat 2018; boinet 1.5.0)")
