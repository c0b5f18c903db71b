"""Table 14.6.3 "Randomised dose-optimisation stage": the ROSE stage by arm and its selection.

When the protocol has a randomised stage (``design.randomised_stage``), the patients randomised
after the escalation (``SUPPDM`` ``PART = RANDOMISED``, arm ``DM.ARMCD``) are shown per arm:
planned and randomised (infused), responders of the protocol's dose-decision efficacy outcome
(``design.efficacy``, pending until assessable) with the exact Clopper-Pearson interval, DLT,
CRS of grade 3 or higher and ICANS; then the selection rule in words with its sample-size
justification (exact PCS), the selected dose and the reason -- or, while the stage is
unfinished, that the selection is pending and the dose not known yet. The rule is the ROSE
design's (Wang S, Yuan Y, Liu S, Biometrics 2025;81(4):ujaf124), decided by
:func:`cartrial.conduct.rose_state.rose_stage_at`, the same function ``cartrial decide`` shows.
"""

from __future__ import annotations

import pandas as pd

from cartrial.protocol import Protocol
from cartrial.report.recommended_dose import rate_cell
from cartrial.report.table import ReportTable, table_from_wide

NUMBER = "14.6.3"
TITLE = "Randomised dose-optimisation stage (ROSE)"
REFERENCE = "Wang S, Yuan Y, Liu S. Biometrics 2025;81(4):ujaf124"


def rule_text(protocol: Protocol) -> str:
    """The stage's selection rule and sample-size justification in words, with its citation.

    Parameters
    ----------
    protocol : Protocol
        With ``design.randomised_stage``.

    Returns
    -------
    str

    Examples
    --------
    >>> from cartrial.example.trial import conducted_protocol
    >>> from cartrial.protocol import load_protocol
    >>> rule_text(conducted_protocol(load_protocol("ct071"), "rose"))[:72]
    'Selection rule: the higher dose is selected when its observed response r'
    """
    from cartrial.design.rose_spec import stage_design

    spec = protocol.design.randomised_stage
    d = stage_design(spec)
    lam = f"lambda = {d.boundary:g}"
    interim = ""
    if d.interim_low:
        interim = (f" An interim analysis after {d.interim_low} and {d.interim_high} patients "
                   f"selects the higher dose early when the difference exceeds lambda_1 = "
                   f"{d.interim_boundary:g}.")
    how = ("given by the protocol" if spec.n_per_arm is not None else
           f"the smallest meeting both targets ({spec.method} method)")
    return (f"Selection rule: the higher dose is selected when its observed response rate "
            f"exceeds the lower dose's by more than {lam}, otherwise the lower dose (at equal "
            f"benefit the lower dose is preferred; ROSE, {REFERENCE}).{interim} Sample size: "
            f"{d.n_low} and {d.n_high} patients (lower, higher dose; allocation "
            f"{spec.allocation[0]}:{spec.allocation[1]}), {how}: probability of correct "
            f"selection {d.exact_low:.3f} when both doses respond with {spec.p_high:g} "
            f"(target {spec.pcs_low:g}) and {d.exact_high:.3f} when the lower dose responds "
            f"with {spec.p_high - spec.margin:g} (target {spec.pcs_high:g}), exact binomial "
            "probabilities.")


def _patients(study, protocol: Protocol) -> pd.DataFrame:  # noqa: ANN001
    """Randomised infused patients: USUBJID, ARMCD."""
    from cartrial.conduct.rose_state import PART
    from cartrial.data.study_parts import study_parts

    sp = study_parts(study)
    sp = sp[(sp["PART"] == PART) & sp["INFUSION_DATE"].notna()]
    return sp.assign(USUBJID=sp["USUBJID"].astype(str))[["USUBJID", "ARMCD"]]


def _safety_rows(pts: pd.DataFrame, dose: str, safety, level: float) -> list[str]:  # noqa: ANN001
    """DLT (DLT-evaluable), CRS grade >= 3 and ICANS (any grade, grade >= 3) of one arm."""
    ids = pts.loc[pts["ARMCD"] == dose, "USUBJID"]
    dlt = safety.dlt.patients.assign(USUBJID=lambda d: d["USUBJID"].astype(str))
    ev = dlt[dlt["USUBJID"].isin(ids) & dlt["DLT_EVALUABLE"].astype(bool)]
    syn = safety.syndrome_events
    worst = {}
    for e in ("CRS", "ICANS"):
        s = syn[syn["EVENT"] == e] if len(syn) else syn
        worst[e] = (s.groupby(s["USUBJID"].astype(str))["GRADE"].max() if len(s)
                    else pd.Series(dtype=float))
    g_crs, g_icans = (ids.map(worst[e]).fillna(0) for e in ("CRS", "ICANS"))
    return [rate_cell(int((ev["DLT"] == "yes").sum()), len(ev), level),
            rate_cell(int((g_crs >= 3).sum()), len(ids), level),
            rate_cell(int((g_icans >= 1).sum()), len(ids), level),
            rate_cell(int((g_icans >= 3).sum()), len(ids), level)]


def stage_table(study, protocol: Protocol, safety, selected: str | None,  # noqa: ANN001
                number: str = NUMBER) -> tuple[ReportTable | None, str]:
    """The randomised stage per arm, and the sentence stating its selection (or that it is
    pending).

    Parameters
    ----------
    study : Study
        The study (``SUPPDM`` ``PART = RANDOMISED``, ``DM.ARMCD`` the arm).
    protocol : Protocol
        With ``design.randomised_stage`` and ``design.efficacy``; without a stage nothing is
        shown.
    safety : SafetyAnalysis
        The safety engine's result (DLT adjudication, CRS / ICANS events).
    selected : str or None
        The escalation's selected dose (picks the doses under ``rule:
        selected-and-next-lower``).
    number : str
        Table number.

    Returns
    -------
    (ReportTable or None, str)
        None and "" without a stage; otherwise the table and the sentence.

    Raises
    ------
    InputError
        A randomised patient's arm outside the stage's doses.

    References
    ----------
    Wang S, Yuan Y, Liu S. Biometrics 2025;81(4):ujaf124. Clopper CJ, Pearson ES. Biometrika
    1934;26:404-13.

    Examples
    --------
    >>> stage_table(load_study("sdtm"), load_protocol("p.yaml"), safety, "DL2")  # doctest: +SKIP
    """
    from cartrial.conduct.rose_state import rose_stage_at

    if protocol.design.randomised_stage is None:
        return None, ""
    st = rose_stage_at(study, protocol, selected)
    if st.arms.empty:
        return None, (f"Randomised dose-optimisation stage: not started; {st.reason}; "
                      "selected dose: unknown.")
    level = protocol.endpoints.confidence_level
    pts = _patients(study, protocol)
    label = {d.id: d.label for d in protocol.dose_levels}
    cols = {}
    for a in st.arms.itertuples(index=False):
        key = f"{a.ARM} arm: {a.DOSE_ID} {label.get(a.DOSE_ID, '')}".strip()
        done = "selected" if st.selected == a.DOSE_ID else (
            "pending" if st.selected is None else "")
        cols[key] = [str(a.PLANNED), str(a.RANDOMISED), str(a.COMPLETE), str(a.PENDING),
                     rate_cell(int(a.RESPONDERS), int(a.COMPLETE), level),
                     *_safety_rows(pts, a.DOSE_ID, safety, level), done]
    eff = protocol.design.efficacy
    rows = ["Planned, n", "Randomised and infused, n", "Response assessed, n",
            "Response pending, n", f"Response: {eff.label if eff else 'efficacy'}, n/N (%) [CI]",
            "DLT, n/N (%) [CI]", "CRS grade >= 3, n/N (%) [CI]", "ICANS any grade, n/N (%) [CI]",
            "ICANS grade >= 3, n/N (%) [CI]", "ROSE selection"]
    w = pd.DataFrame({"Measure": rows, **cols})
    sentence = _sentence(st, label)
    spec = protocol.design.randomised_stage
    notes = (
        sentence,
        rule_text(protocol),
        f"Randomisation {spec.allocation[0]}:{spec.allocation[1]} in permuted blocks of "
        f"{spec.block_multiple * sum(spec.allocation)} (seed {spec.seed}); arms as randomised "
        "(DM.ARMCD), patients infused; a patient never infused is not counted.",
        f"[CI]: {100 * level:g}% exact Clopper-Pearson interval (Clopper & Pearson, Biometrika "
        "1934), in percent. Response: among patients whose outcome is known (pending until the "
        "response visit shows it or its window has closed). DLT: among DLT-evaluable patients; "
        "CRS / ICANS: the protocol's primary ASTCT 2019 grade (Lee DW et al., Biol Blood Marrow "
        "Transplant 2019), worst per patient, among infused patients.",
    )
    return table_from_wide(number, TITLE, "Patients randomised in the dose-optimisation stage "
                           "and infused, by arm", w, row_label="Measure", footnotes=notes,
                           source="SUPPDM (PART), DM (ARMCD), ADRS / LB (response), ADAE"), \
        sentence


def _sentence(st, label: dict[str, str]) -> str:  # noqa: ANN001
    """The stage's selection in words (pending while unfinished)."""
    if st.selected is not None:
        return (f"Randomised dose-optimisation stage: {st.selected} "
                f"{label.get(st.selected, '')} selected. Reason: {st.reason}.")
    return (f"Randomised dose-optimisation stage: {st.status}; selection pending ({st.reason}); "
            "selected dose: unknown.")
