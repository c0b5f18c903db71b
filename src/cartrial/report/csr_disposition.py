"""CSR patient disposition: Table 14.1.2 (disposition by planned dose level) and Figure 14.1.1
(the patient flow from enrolment to the analysis sets, with the number and reasons at each
step). Every count is an ADSL flag (cartrial.adam.adsl_csr), so the report equals ADSL.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.protocol.model import Protocol
from cartrial.report.csr_stats import CellRows, level_groups
from cartrial.report.csr_stats import flag as _y
from cartrial.report.document import ReportFigure
from cartrial.report.figures import with_cutoff
from cartrial.report.flow_diagram import FlowStep, flow_svg, standalone_svg
from cartrial.report.table import ReportTable


def _reason(s: str) -> str:
    """A DS code as text ("MANUFACTURING FAILURE" -> "Manufacturing failure")."""
    if not s:
        return "Not recorded"
    return s.capitalize() if s.isupper() else s


def _counts(labels: pd.Series) -> dict[str, int]:
    v = labels.map(lambda s: _reason(str(s))).value_counts()
    return {k: int(v[k]) for k in sorted(v.index)}


def not_dlt_evaluable_reason(adsl: pd.DataFrame, window_days: int) -> pd.Series:
    """Why an infused patient is not DLT-evaluable: died or left the study within the DLT
    window without a DLT, else followed for less than the window at the data cut-off.

    Parameters
    ----------
    adsl : pandas.DataFrame
        The infused, not DLT-evaluable patients (DTHFL, DTHADY, EOSSTT).
    window_days : int
        The protocol's DLT window.

    Returns
    -------
    pandas.Series
        The reason per patient.

    Examples
    --------
    >>> a = pd.DataFrame({"DTHFL": ["Y", ""], "DTHADY": [12.0, float("nan")],
    ...                   "EOSSTT": ["DISCONTINUED", "ONGOING"]})
    >>> not_dlt_evaluable_reason(a, 28).tolist()
    ['Died within the DLT window', 'DLT window not completed at the cut-off']
    """
    died = (adsl["DTHFL"] == "Y") & (adsl["DTHADY"] <= window_days)
    left = adsl["EOSSTT"] == "DISCONTINUED"
    return pd.Series(np.where(died, "Died within the DLT window", np.where(
        left, "Left the study within the DLT window",
        "DLT window not completed at the cut-off")), index=adsl.index)


def flow_steps(adsl: pd.DataFrame, protocol: Protocol) -> tuple[list[FlowStep],
                                                                  list[FlowStep]]:
    """The flow diagram's steps and analysis sets, counted from ADSL flags.

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL with APHFL, BRIDGFL, LDFL, SAFFL, DLTEVLFL, EFFFL, NINFRS, DCSREAS, EOSSTT,
        DTHFL, DTHADY.
    protocol : Protocol
        The DLT window.

    Returns
    -------
    (list of FlowStep, list of FlowStep)
        Enrolled -> leukapheresed (with bridging) -> lymphodepleted -> infused; then the
        DLT-evaluable and efficacy-evaluable sets of the infused patients.
    """
    aph, ld, inf = _y(adsl, "APHFL"), _y(adsl, "LDFL"), _y(adsl, "SAFFL")
    dlt, eff = _y(adsl, "DLTEVLFL"), _y(adsl, "EFFFL")
    steps = [
        FlowStep("Enrolled (informed consent)", len(adsl),
                 _counts(adsl.loc[~aph, "DCSREAS"].fillna(""))),
        FlowStep("Leukapheresed", int(aph.sum()), _counts(adsl.loc[aph & ~ld, "NINFRS"]),
                 note=f"bridging therapy: {int((aph & _y(adsl, 'BRIDGFL')).sum())}"),
        FlowStep("Lymphodepleted", int(ld.sum()), _counts(adsl.loc[ld & ~inf, "NINFRS"])),
        FlowStep("Infused with the CAR-T product", int(inf.sum())),
    ]
    sub = adsl[inf]
    analysis = [] if "DLTEVLFL" not in adsl else [  # no DLT adjudication: not derived
        FlowStep("DLT-evaluable", int(dlt.sum()), _counts(not_dlt_evaluable_reason(
            sub[~dlt[inf]], protocol.design.dlt_window_days)))]
    analysis += [
        FlowStep("Efficacy-evaluable", int(eff.sum()), _counts(pd.Series(
            "No disease assessment after infusion", index=sub.index[~eff[inf]]))),
    ]
    return steps, analysis


def figure_flow(adsl: pd.DataFrame, protocol: Protocol, number: str) -> ReportFigure:
    """Figure ``number``: the patient flow diagram (inline SVG).

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL (see :func:`flow_steps`).
    protocol : Protocol
        The DLT window.
    number : str
        Figure number.

    Returns
    -------
    ReportFigure
        The figure, its counts and reasons as SVG text.
    """
    steps, analysis = flow_steps(adsl, protocol)
    svg = flow_svg(steps, "Patient flow from enrolment to the analysis sets", analysis)
    notes = (
        "Counts from ADSL: APHFL (PR leukapheresis), BRIDGFL (CM bridging therapy), LDFL (EX "
        "lymphodepleting chemotherapy), SAFFL (EX CAR-T infusion), DLTEVLFL, EFFFL; reasons "
        "from the DS disposition event (NINFRS).",
        f"DLT-evaluable: a DLT, or follow-up through the {protocol.design.dlt_window_days}-day "
        "DLT window. Efficacy-evaluable: at least one disease assessment after infusion.")
    population = f"Enrolled (N = {steps[0].n if steps else 0})"
    cut = with_cutoff("")
    caption = [f"Population: {population}. Data cut-off: "
               f"{cut.split('Data cut-off: ', 1)[1] if cut else 'not stated'}.", *notes]
    return ReportFigure(number, "Patient flow", svg, notes, "Enrolled", file=(
        "patient_flow", standalone_svg(svg, f"Figure {number} Patient flow", caption)))


def table_disposition(adsl: pd.DataFrame, protocol: Protocol, number: str) -> ReportTable:
    """Table ``number``: disposition by planned dose level (DM.ARMCD), percentages of the
    enrolled patients of the column.

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL with ARMCD, APHFL, BRIDGFL, LDFL, SAFFL, NINFRS, DLTEVLFL (when adjudicated),
        EFFFL, EOSSTT, DCSREAS, DTHFL.
    protocol : Protocol
        Dose levels (columns).
    number : str
        Table number.

    Returns
    -------
    ReportTable
        n (%) per step, reason and study status.
    """
    groups = level_groups(adsl, protocol.dose_ids, adsl["ARMCD"])
    t = CellRows(adsl, groups)
    aph, inf = _y(adsl, "APHFL"), _y(adsl, "SAFFL")
    t.count("Enrolled (informed consent)", np.ones(len(adsl), bool))
    t.count("Leukapheresed", aph)
    t.count("Received bridging therapy", _y(adsl, "BRIDGFL"), 1)
    t.count("Received lymphodepleting chemotherapy", _y(adsl, "LDFL"))
    t.count("Infused with the CAR-T product", inf)
    t.count("Leukapheresed, not infused", aph & ~inf)
    for r in sorted(set(adsl.loc[aph & ~inf, "NINFRS"])):
        t.count(_reason(r), (aph & ~inf) & (adsl["NINFRS"] == r).to_numpy(), 1)
    if "DLTEVLFL" in adsl:
        t.count("DLT-evaluable", _y(adsl, "DLTEVLFL"))
    t.count("Efficacy-evaluable", _y(adsl, "EFFFL"))
    t.header("Study status")
    for code, lab in (("ONGOING", "Ongoing"), ("COMPLETED", "Completed"),
                      ("DISCONTINUED", "Discontinued")):
        t.count(f"Study status: {lab}", (adsl["EOSSTT"] == code).to_numpy(), 1)
    disc = (adsl["EOSSTT"] == "DISCONTINUED").to_numpy()
    for r in sorted(set(adsl.loc[disc, "DCSREAS"])):
        t.count(f"Study status: {_reason(r)}", disc & (adsl["DCSREAS"] == r).to_numpy(), 2)
    t.count("Died", _y(adsl, "DTHFL"))
    return ReportTable(number, "Patient disposition by planned dose level", "Enrolled",
                       t.frame_cells(), (
                           "Columns by planned dose level (DM.ARMCD); percentages of the "
                           "enrolled patients of the column.",
                           "Leukapheresis: PR LEUKAPHERESIS; bridging: CM BRIDGING THERAPY; "
                           "lymphodepletion: EX LYMPHODEPLETING CHEMOTHERAPY; infusion: EX "
                           "INVESTIGATIONAL PRODUCT; reasons and study status: DS disposition "
                           "event."), "ADSL")
