"""The row describers of the tables described cell by cell: for each kind of table
(:data:`CELLS`, by name), the function giving a row's where-clause on the ADaM datasets (and
the variable it summarises, or how it is computed) from the row's label, its indent, ADSL and
what the rows before it set (``ctx``); None: the row has no description.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from cartrial.errors import InputError
from cartrial.report.ars_baseline import baseline
from cartrial.report.ars_dose import dose_profile
from cartrial.report.ars_efficacy import mrd, survival
from cartrial.report.ars_exposure import exposure
from cartrial.report.ars_kinetics import ada, crs_exposure, persistence
from cartrial.report.ars_safety import (
    basket,
    cytopenia,
    dlt,
    htox_risk,
    iec_hs,
    syndrome,
)
from cartrial.report.ars_tte import tte


def _populations(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    fixed = {"Leukapheresed (enrolled)": "ITTFL == 'Y'", "Infused (safety population)":
             "SAFFL == 'Y'", "DLT-evaluable": "DLTEVLFL == 'Y'", "Efficacy-evaluable":
             "EFFFL == 'Y'", "Primary plasma cell leukaemia": "PPCLFL == 'Y'",
             "Relapsed/refractory multiple myeloma": "POPCD == 'RRMM'", "Ongoing in study":
             "EOSSTT == 'ONGOING'", "Discontinued from study": "EOSSTT == 'DISCONTINUED'",
             "Died": "DTHFL == 'Y'"}
    if row in fixed:
        return {"where": fixed[row]}
    reasons = {str(r).capitalize(): r for r in adsl["DCSREAS"].dropna().unique()}
    return {"where": f"DCSREAS == {reasons[row]!r}"} if row in reasons else None


def _teae(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    if row == "Any TEAE":
        return {"where": "TRTEMFL == 'Y'"}
    if ind == 0:
        ctx["soc"] = row
        return {"where": f"AEBODSYS == {row!r}"}
    return {"where": f"AEBODSYS == {ctx['soc']!r} and AEDECOD == {row!r}"}


def _response(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    groups = {"Overall response (PR or better)": ["sCR", "CR", "VGPR", "PR"],
              "VGPR or better": ["sCR", "CR", "VGPR"], "CR or better (CR/sCR)": ["sCR", "CR"]}
    head = row.split(", n (%)")[0]
    if head in groups:
        return {"where": f"AVALC in {groups[head]!r}"}
    if head.startswith("Best response: "):
        cat = head.removeprefix("Best response: ")
        return {"where": f"AVALC == {cat!r}" + (" or AVALC.fillna('') == ''" if cat == "NE"
                                                else "")}
    return None


def _nca(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """"<analyte>, <specimen>: <parameter>, <statistics>" -> the ADPP records of the cell."""
    from cartrial.report.labels import ANALYTE_LABELS, NCA_LABELS

    head, _, rest = row.partition(": ")
    analyte, _, spec = head.rpartition(", ")
    code = {v: k for k, v in ANALYTE_LABELS.items()}.get(analyte, analyte)
    param = {v: k for k, v in NCA_LABELS.items()}.get(rest.rsplit(", ", 1)[0])
    if param is None:
        return None
    return {"where": f"PARCAT1 == {code!r} and PARCAT2 == {spec.upper()!r} and PPTESTCD == "
                     f"{param!r}", "variable": "AVAL"}


def _deaths(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """All deaths, within k days of infusion (DTHADY: infusion = day 0), by cause."""
    if row == "All deaths":
        return {"where": "DTHFL == 'Y'"}
    if row.startswith("Within ") and row.endswith(" days of infusion"):
        return {"where": f"DTHFL == 'Y' and DTHADY <= {int(row.split()[1])}"}
    if row.startswith("Cause: "):
        return {"where": f"DTHFL == 'Y' and DTHCAUS == {row.removeprefix('Cause: ')!r}"}
    return None


def _deaths_timing(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """All deaths, and by cause as shown (report.csr_deaths: "DEATH DUE TO " dropped)."""
    if row == "All deaths":
        return {"where": "DTHFL == 'Y'"}
    for v in adsl.loc[adsl["DTHFL"] == "Y", "DTHCAUS"].fillna("").astype(str).unique():
        shown = v.replace("DEATH DUE TO ", "") or "NOT RECORDED"
        if shown.capitalize() == row:
            return {"where": f"DTHFL == 'Y' and DTHCAUS == {v!r}" if v else
                    "DTHFL == 'Y' and DTHCAUS.fillna('') == ''"}
    return None


def _cytokines(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """"<cytokine>: <parameter>, median [min-max] (n)" -> the ADCYT records of the cell."""
    from cartrial.report.labels import CYTOKINE_LABELS, CYTOKINE_PARAMS

    label, _, rest = row.partition(": ")
    codes = sorted(k for k, v in CYTOKINE_LABELS.items() if v == label) or [label]
    param = {v: k for k, v in CYTOKINE_PARAMS.items()}.get(rest.rsplit(", ", 1)[0])
    names = {"PEAK": "Peak", "FCPEAK": "Fold change at peak", "TPEAK": "Time of peak (days)"}
    if param is None:
        return None
    return {"where": f"PARCAT1 in {codes!r} and PARAM.str.endswith({' ' + names[param]!r})",
            "variable": "AVAL"}


def _htox(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """ICAHT (EHA/EBMT grades) and CAR-HEMATOTOX rows on the ADHTOX parameters."""
    fixed = {"Biphasic course (two or more phases with ANC <= 0.5 x10^9/L)":
             "PARAMCD == 'NEUTPHAS' and AVAL >= 2",
             "Early grade censored or unobserved before day 30 (lower bound)":
             "PARAMCD == 'EICAHTGR' and ICAHTCFL == 'N'",
             "Low risk (score 0-1)": "PARAMCD == 'HTOXSCOR' and AVAL <= 1",
             "High risk (score >= 2)": "PARAMCD == 'HTOXSCOR' and AVAL >= 2",
             "Not evaluable (a baseline factor missing)": "PARAMCD == 'HTOXSCOR' and AVAL.isna()"}
    summaries = {"Days with ANC <= 0.5 x10^9/L, day 0-30": "ANC500DY",
                 "Day of neutrophil recovery (ANC > 0.5 x10^9/L, >= 3 days)": "ANCRECDY",
                 "CAR-HEMATOTOX score": "HTOXSCOR"}
    if row in fixed:
        return {"where": fixed[row]}
    head = row.removesuffix(", median (min-max)")
    if head in summaries:
        return {"where": f"PARAMCD == {summaries[head]!r}", "variable": "AVAL"}
    phase, _, what = row.partition(": ")
    code = {"Early ICAHT (day 0-30)": "EICAHTGR", "Late ICAHT (after day 30)": "LICAHTGR"}.get(
        phase)
    if code is None:
        return None
    if what == "any grade":
        return {"where": f"PARAMCD == {code!r} and AVAL >= 1"}
    if what == "grade >= 3":
        return {"where": f"PARAMCD == {code!r} and AVAL >= 3"}
    if what.startswith("grade ") and what[6:].isdigit():
        return {"where": f"PARAMCD == {code!r} and AVAL == {int(what[6:])}"}
    return None


def _reason_value(label: str, values: pd.Series) -> str:
    """The ADSL value shown as ``label`` (report.csr_disposition: codes capitalised)."""
    for v in values.fillna("").astype(str).unique():
        if (v.capitalize() if v.isupper() else v or "Not recorded") == label:
            return f"{values.name} == {v!r}" if v else f"{values.name}.fillna('') == ''"
    raise InputError(f"ARS: no ADSL.{values.name} value shown as {label!r}")


def _disposition(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    fixed = {"Enrolled (informed consent)": "USUBJID.fillna('') != ''",
             "Leukapheresed": "APHFL == 'Y'", "Received bridging therapy": "BRIDGFL == 'Y'",
             "Received lymphodepleting chemotherapy": "LDFL == 'Y'",
             "Infused with the CAR-T product": "SAFFL == 'Y'",
             "Leukapheresed, not infused": "APHFL == 'Y' and SAFFL.fillna('') != 'Y'",
             "DLT-evaluable": "DLTEVLFL == 'Y'", "Efficacy-evaluable": "EFFFL == 'Y'",
             "Ongoing": "EOSSTT == 'ONGOING'", "Completed": "EOSSTT == 'COMPLETED'",
             "Discontinued": "EOSSTT == 'DISCONTINUED'", "Died": "DTHFL == 'Y'"}
    if row in fixed:
        ctx["block"] = fixed[row]
        return {"where": fixed[row]}
    if row == "Study status":
        return None
    var = "NINFRS" if ctx.get("block", "").startswith("APHFL") else "DCSREAS"
    return {"where": f"{ctx['block']} and {_reason_value(row, adsl[var])}"}


CELLS: dict[str, Callable] = {"populations": _populations, "dlt": dlt, "teae": _teae,
                               "response": _response, "disposition": _disposition,
                               "syndrome": syndrome, "basket": basket, "htox_risk": htox_risk,
                               "iec_hs": iec_hs, "cytopenia": cytopenia, "nca": _nca,
                               "deaths": _deaths, "deaths_timing": _deaths_timing,
                               "cytokines": _cytokines, "htox": _htox, "baseline": baseline,
                               "tte": tte, "ada": ada, "persistence": persistence,
                               "mrd": mrd, "exposure": exposure, "crs_exposure": crs_exposure,
                               "survival": survival, "dose_profile": dose_profile}
