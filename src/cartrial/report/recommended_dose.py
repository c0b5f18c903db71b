"""Section 14.6 "Recommended dose": toxicity, response and exposure by dose level, and the dose
the design selects with its reason (issue #20 point 6).

Table 14.6.1 puts side by side, per dose level, the DLT rate (DLT-evaluable patients), CRS and
ICANS of grade 2 or higher (infused patients; the protocol's primary ASTCT 2019 grade), the
overall response (PR or better) and CR-or-better rates (IMWG 2016 best confirmed response), each
with its exact Clopper-Pearson interval, and CAR+ T-cell expansion (Cmax, AUC0-28d; kinetics
NCA). Table 14.6.2 is the design's dose selection on the escalation patients: with a phase I/II
design (BOIN12, Lin et al., JCO Precis Oncol 2020) the isotonic DLT and smoothed response
estimates, the utility, the admissible set and the optimal biological dose (OBD) with its reason;
with a toxicity-only design the MTD (isotonic regression) with efficacy beside it, never called
an OBD.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd

from cartrial.efficacy.binomial import exact_ci
from cartrial.protocol import Protocol
from cartrial.report.document import Section
from cartrial.report.table import ReportTable, table_from_wide

TITLE = "14.6 Recommended dose"
T = TypeVar("T")


def rate_cell(x: int, n: int, level: float) -> str:
    """``x/n (p%) [lo, hi]`` with the exact Clopper-Pearson interval in percent; ``0/0``
    without patients (the cells of Tables 14.6.1 and 14.6.3).

    Parameters
    ----------
    x, n : int
        Patients with the event, and patients.
    level : float
        Confidence level.

    Returns
    -------
    str

    References
    ----------
    Clopper CJ, Pearson ES. Biometrika 1934;26:404-13.

    Examples
    --------
    >>> rate_cell(1, 2, 0.95)
    '1/2 (50%) [1.3, 98.7]'
    """
    if n == 0:
        return "0/0"
    lo, hi = exact_ci(x, n, level)
    return f"{x}/{n} ({100 * x / n:.0f}%) [{100 * float(lo):.1f}, {100 * float(hi):.1f}]"


def profile_layout(protocol: Protocol, cols: dict[str, list[str]], unit: str,
                   number: str = "14.6.1", specimen: str | None = None) -> ReportTable:
    """Table 14.6.1 from its formatted columns: row labels, footnotes and source.

    Parameters
    ----------
    protocol : Protocol
        The confidence level.
    cols : dict of str to list of str
        Column label ("DL1 0.1 x10^6/kg") -> the eight formatted cells.
    unit : str
        " (cells/uL)": the concentration unit of the exposure rows ("" when unknown).
    number : str
        Table number.
    specimen : str, optional
        The specimen(s) of the exposure rows as recorded ("whole blood"; "" when not
        recorded); None when there are no exposure data.

    Returns
    -------
    ReportTable

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> t = profile_layout(load_protocol("ct071"), {"DL1 x": ["1"] + ["-"] * 7}, "")
    >>> t.wide().iloc[0, 0]
    '1'
    """
    level = protocol.endpoints.confidence_level
    rows = ["Patients infused, n", "DLT, n/N (%) [CI]", "CRS grade >= 2, n/N (%) [CI]",
            "ICANS grade >= 2, n/N (%) [CI]", "Overall response (PR or better), n/N (%) [CI]",
            "CR or better, n/N (%) [CI]", f"CAR+ T-cell Cmax{unit}, median (min, max)",
            f"CAR+ T-cell AUC0-28d{unit}*day, median (min, max)"]
    w = pd.DataFrame({"Measure": rows, **cols})
    pct = f"{100 * level:g}%"
    notes = (
        f"[CI]: {pct} exact Clopper-Pearson interval (Clopper & Pearson, Biometrika 1934), "
        "in percent.",
        "Dose level: the dose received (as treated); a product out of specification infused "
        "at a lower level counts at that level here, whatever the protocol's escalation "
        "counting (Table 14.2.3).",
        "DLT: among DLT-evaluable patients (a DLT, or follow-up through the DLT window; ADSL "
        "DLTEVLFL, DLTFL). CRS / ICANS: the protocol's primary grade (ASTCT 2019, Lee DW et "
        "al., Biol Blood Marrow Transplant 2019), worst per patient (ADAE ATOXGRN), among "
        "infused patients.",
        "Response: IMWG 2016 best confirmed response (Kumar S et al., Lancet Oncol 2016), "
        "efficacy population by dose level (table 14.4).",
        "Expansion: CAR+ T cells by flow cytometry"
        + ("" if specimen is None else f" in {specimen}" if specimen
           else " (specimen not recorded)")
        + "; non-compartmental analysis as in tables 14.5 (ADPP), AUC0-28d by the protocol's "
        "AUC method.",
    )
    return table_from_wide(number, "Dose-toxicity, dose-response and dose-exposure by dose "
                           "level", "Infused patients (all study parts), by dose level", w,
                           row_label="Measure", footnotes=notes,
                           source="ADSL, ADAE (CRS / ICANS), ADRS, ADPP")


def _fmt(v: float, nd: int = 3) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{nd}f}"


def selection_patients(study, protocol: Protocol) -> pd.DataFrame:
    """The escalation patients Table 14.6.2 selects on: each one's DLT status on all data
    (:func:`cartrial.conduct.dlt_status`) with the efficacy outcome joined when the protocol
    names one (:func:`cartrial.conduct.dose_efficacy.with_efficacy`).

    Computed beside the escalation history (:func:`history_and_patients`), the DLT
    status is cut from the safety inputs the history built (the same frames ``decide`` uses).

    Parameters
    ----------
    study : Study
        The study (SUPPDM parts).
    protocol : Protocol
        The protocol (``design.efficacy`` when the outcome enters the table).

    Returns
    -------
    pandas.DataFrame
        One row per infused escalation patient (empty when none was treated).

    Raises
    ------
    InputError
        Data the engines cannot use.

    Examples
    --------
    >>> selection_patients(load_study("sdtm"), load_protocol("ct071"))  # doctest: +SKIP
    """
    from cartrial.conduct import dlt_status
    from cartrial.conduct.dose_efficacy import efficacy_spec, with_efficacy

    pts = dlt_status(study, protocol)
    if not pts.empty and efficacy_spec(protocol) is not None and "RESPONSE" not in pts:
        pts = with_efficacy(pts, study, protocol)
    return pts


def _selection(study, protocol: Protocol, pts: pd.DataFrame | None = None):
    """(escalation patients with outcomes, per-dose efficacy table or None, design selection);
    ``pts``: :func:`selection_patients` when already computed."""
    from cartrial.conduct import trial_state
    from cartrial.conduct.dose_efficacy import dose_efficacy_table, efficacy_spec
    from cartrial.design.factory import design_from_spec

    pts = selection_patients(study, protocol) if pts is None else pts
    if pts.empty:
        return pts, None, None
    eff = None
    if efficacy_spec(protocol) is not None:
        eff = dose_efficacy_table(pts, protocol)
    state, _ = trial_state(pts, protocol)
    design = design_from_spec(protocol.design, len(protocol.dose_levels))
    if design.name == "u-boin":  # with the joint DLT-and-response counts of the data
        from cartrial.conduct.uboin_inputs import uboin_selection

        return pts, eff, uboin_selection(design, pts, protocol, state)
    if design.name == "boin-et":  # tried doses only: extended to every dose level
        from cartrial.report.recommended_dose_boinet import boinet_selection

        return pts, eff, boinet_selection(design, state)
    return pts, eff, getattr(design, "boin12", design).select(state)  # TITE: as BOIN12


def _estimate_rows(est: pd.DataFrame, eff: pd.DataFrame | None, protocol: Protocol,
                   phase12: bool) -> tuple[list[str], list[list[str]]]:
    """Row labels and per-dose values of the selection table (before the status rows)."""
    rows = ["Escalation patients with complete outcomes, n", "DLT, n"]
    y_col = "dlt" if phase12 else "y"
    vals = [est["n"].astype(int).astype(str).tolist(), est[y_col].astype(int).astype(str)
            .tolist()]
    if eff is not None:
        rows += [f"Responses ({protocol.design.efficacy.label}), n", "Response pending, n"]
        vals += [eff["RESPONDERS"].astype(str).tolist(), eff["EFF_PENDING"].astype(str).tolist()]
    if phase12 and "p_overdose" in est:  # U-BOIN: Dirichlet posterior (Zhou et al. 2019)
        rows += ["DLT and response, n", f"P(DLT rate > {protocol.design.target:g})",
                 f"P(response rate < {protocol.design.uboin.phi_e:g})",
                 "Utility estimate (posterior mean, 0-100)"]
        vals += [est["dlt_and_response"].astype(int).astype(str).tolist(),
                 [_fmt(v) for v in est["p_overdose"]], [_fmt(v) for v in est["p_futile"]],
                 [_fmt(v, 1) for v in est["utility"]]]
    elif phase12 and protocol.design.boinet is not None:  # BOIN-ET (Takeda et al. 2018)
        from cartrial.report.recommended_dose_boinet import boinet_rows

        more, values = boinet_rows(est, protocol)
        rows, vals = rows + more, vals + values
    elif phase12:
        rows += ["DLT probability (isotonic estimate)", "Response probability (unimodal, "
                 "model-averaged estimate)", "Utility estimate (0-100)"]
        vals += [[_fmt(v) for v in est["p_tox"]], [_fmt(v) for v in est["p_eff"]],
                 [_fmt(v, 1) for v in est["utility"]]]
    else:
        rows += ["DLT probability (isotonic estimate) [95% CrI]", "P(DLT rate > target)"]
        vals += [[f"{_fmt(a)} [{_fmt(b)}, {_fmt(c)}]" for a, b, c in
                  zip(est["isotonic_estimate"], est["ci_low"], est["ci_high"], strict=True)],
                 [_fmt(v) for v in est["p_over_target"]]]
    return rows, vals


def selection_table(study, protocol: Protocol, number: str = "14.6.2"
                    ) -> tuple[ReportTable | None, str]:
    """The design's dose selection on the escalation patients, and the sentence that states it.

    Parameters
    ----------
    study : Study
        The study (SUPPDM parts: only escalation patients enter the design).
    protocol : Protocol
        The design and, when given, ``design.efficacy``.
    number : str
        Table number.

    Returns
    -------
    (ReportTable or None, str)
        The estimates per dose (None when no escalation patient was treated) and the selected
        dose with its reason: the OBD for a phase I/II design, the MTD otherwise.

    Raises
    ------
    InputError
        Data the engines cannot use.

    References
    ----------
    Lin R, Zhou Y, Yan F, Li D, Yuan Y. JCO Precis Oncol 2020;4:1393-1402.
    Liu S, Yuan Y. J R Stat Soc C 2015;64:507-23.

    Examples
    --------
    >>> selection_table(load_study("sdtm"), load_protocol("ct071"))[1]  # doctest: +SKIP
    """
    return _selection_parts(study, protocol, number)[:2]


def _selection_parts(study, protocol: Protocol, number: str, pts: pd.DataFrame | None = None
                     ) -> tuple[ReportTable | None, str, str | None]:
    """:func:`selection_table` and the selected dose id (None when none)."""
    pts, eff, sel = _selection(study, protocol, pts)
    if sel is None:
        return None, "No escalation patient was treated: no dose is selected.", None
    ids = protocol.dose_ids
    phase12 = hasattr(sel, "obd")
    est = sel.estimates if phase12 else sel.table
    chosen, what = (sel.obd, "OBD") if phase12 else (sel.mtd, "MTD")
    rows, vals = _estimate_rows(est, eff, protocol, phase12)
    rows += ["Eliminated", "Admissible", "Selected"]
    vals += [["yes" if v else "" for v in est["eliminated"]],
             ["yes" if v else "" for v in est["admissible"]],
             [what if j == chosen else "" for j in range(len(ids))]]
    cols = {f"{d.id} {d.label}": [] for d in protocol.dose_levels}
    for j, key in enumerate(cols):
        cols[key] = [v[j] for v in vals]
    w = pd.DataFrame({"Estimate": rows, **cols})
    admissible = [ids[j] for j in np.nonzero(est["admissible"].to_numpy(dtype=bool))[0]]
    name = protocol.design.name.upper()
    numbering = ", ".join(f"{j + 1} = {d}" for j, d in enumerate(ids))
    if chosen is None:
        head = f"No dose is selected ({name})."
    elif phase12:
        head = f"Optimal biological dose (OBD): {ids[chosen]} {protocol.dose_levels[chosen].label}."
    else:
        head = (f"Maximum tolerated dose (MTD): {ids[chosen]} "
                f"{protocol.dose_levels[chosen].label}. {name} selects on toxicity alone: "
                "efficacy and exposure are shown beside the MTD, and no optimal biological dose "
                "is named.")
    sentence = (f"{head} Reason: {sel.reason}. Admissible set: "
                f"{', '.join(admissible) or 'none'}. Dose numbers in the reason are the "
                f"protocol's dose levels in order ({numbering}).")
    notes = (sentence,
             "Escalation patients only (sentinel, escalation and backfill; expansion patients "
             "never enter the design's selection); patients whose outcomes are still pending are "
             "left out of the estimates.")
    t = table_from_wide(number, f"Dose selection by the protocol's design ({name})",
                        "Escalation patients", w, row_label="Estimate", footnotes=notes,
                        source="the design engine on the escalation patients' outcomes")
    intro = (f"{head.split(':')[0]} by the protocol's design ({name}): "
             f"{'none' if chosen is None else ids[chosen]}; Table 14.6.2 gives the reason and "
             "the admissible set.") if chosen is not None else head
    return t, intro, None if chosen is None else ids[chosen]


def recommended_dose_section(study, protocol: Protocol, safety, efficacy, kin, *,
                             patients: pd.DataFrame | None = None) -> Section | None:
    """Section 14.6 without its first table: :func:`selection_table` (14.6.2) and, with a
    randomised stage, Table 14.6.3 (:func:`cartrial.report.rose_stage_table.stage_table`); None
    without safety. Table 14.6.1 is computed from the ADaM datasets and put first by
    :func:`cartrial.report.dose_profile_adam.with_adam_profile`.

    Parameters
    ----------
    study : Study
        The study as analysed (before the pipeline frees its domains).
    protocol : Protocol
        The protocol.
    safety, efficacy, kin
        The engines' results (efficacy and kinetics may be None).
    patients : pandas.DataFrame, optional
        :func:`selection_patients` when already computed (beside the escalation history,
        :func:`history_and_patients`).

    Returns
    -------
    Section or None

    Raises
    ------
    InputError
        Data the engines cannot use.

    Examples
    --------
    >>> recommended_dose_section(study, protocol, safety, eff, kin).title  # doctest: +SKIP
    '14.6 Recommended dose'
    """
    if safety is None:
        return None
    from cartrial.report.rose_stage_table import stage_table

    sel, sentence, chosen = _selection_parts(study, protocol, "14.6.2", patients)
    stage, said = stage_table(study, protocol, safety, chosen)  # the ROSE stage, if any
    items = ([sel] if sel is not None else []) + ([stage] if stage is not None else [])
    return Section(TITLE, tuple(items), intro=f"{sentence} {said}".strip())


def history_and_patients(study, protocol: Protocol, history: Callable[[], T]
                         ) -> tuple[T, pd.DataFrame | None]:
    """``history()`` (the escalation history, :func:`cartrial.conduct.escalation_history`) and
    :func:`selection_patients` on the safety inputs built once for both
    (:class:`cartrial.conduct.known_on.KnownOn`, as ``decide`` shares them).

    Parameters
    ----------
    study, protocol : Study, Protocol
        The study as analysed and its protocol.
    history : callable
        Computes the history of ``(study, protocol)`` (the pipeline keeps its refusal).

    Returns
    -------
    tuple
        ``history()`` and the patients; None for the patients when the data are refused
        (:func:`recommended_dose_section` then computes them, and reports the refusal).

    Examples
    --------
    >>> from functools import partial                                  # doctest: +SKIP
    >>> from cartrial.conduct import escalation_history                # doctest: +SKIP
    >>> history_and_patients(s, p, partial(escalation_history, s, p))  # doctest: +SKIP
    """
    from cartrial.conduct.known_on import KnownOn, known_on
    from cartrial.errors import InputError

    try:
        k = KnownOn(study, protocol)
    except InputError:  # refused: the history and 14.6 each report it as before
        return history(), None
    with known_on(k):
        done = history()
        try:
            return done, selection_patients(study, protocol)
        except InputError:
            return done, None
