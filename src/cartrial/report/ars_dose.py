"""Table 14.6.1 (dose-toxicity, dose-response and dose-exposure by dose level) described cell
by cell on ADaM (CDISC ARS v1.0 in spirit): the population is ADSL's infused patients (SAFFL),
grouped by the dose level received (TRT01A), with the records of ADAE (CRS and ICANS), ADRS
(confirmed best overall response, CBOR) and ADPP (CAR+ T-cell Cmax and AUC0-28d) stacked below
(:func:`cartrial.report.ars_safety.add_datasets`), so that each row's where-clause selects the
records of the dataset it names; ``tools/recompute_dose.py`` recomputes every number from the
ADaM files alone.

Rows: patients infused (SAFFL); DLT among DLT-evaluable patients (ADSL DLTEVLFL, DLTFL); CRS and
ICANS of grade 2 or higher (a patient's worst ADAE ATOXGRN, the protocol's primary grade), among
infused patients; overall response (PR or better) and CR or better among the patients with a
CBOR record (IMWG 2016); Cmax and AUC0-28d of CAR+ T cells, median, min, max and n of ADPP AVAL.
The table shows no fitted dose-response model: nothing of it is a design quantity, and Table
14.6.2 (the design's estimates and selection) is not an ADaM analysis.

References
----------
Clopper CJ, Pearson ES. Biometrika 1934;26:404-13. Lee DW et al., Biol Blood Marrow Transplant
2019;25:625-38 (ASTCT grades). Kumar S et al., Lancet Oncol 2016;17:e328-46 (IMWG response).
"""

from __future__ import annotations

import pandas as pd

#: The analyte of Table 14.6.1's exposure rows and its NCA parameters
ANALYTE = "CARTCELL"
_EXPOSURE = {"Cmax": "CMAX", "AUC0-28d": "AUC0_28"}
#: further datasets of Table 14.6.1 and the records each contributes (ars_metadata ``also``)
ALSO = {"ADAE": "CRSFL == 'Y' or ICANSFL == 'Y'", "ADRS": "PARAMCD == 'CBOR'",
        "ADPP": f"PARCAT1 == {ANALYTE!r} and PPTESTCD in {list(_EXPOSURE.values())!r}"}
_RESPONSE = {"Overall response (PR or better)": ["sCR", "CR", "VGPR", "PR"],
             "CR or better": ["sCR", "CR"]}


def dose_profile(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """The where-clause of one row of Table 14.6.1.

    Parameters
    ----------
    row : str
        The row label ("DLT, n/N (%) [CI]").
    ind : int
        The row's indent (unused).
    adsl : pandas.DataFrame
        ADSL (unused).
    ctx : dict
        The table's context (unused).

    Returns
    -------
    dict or None
        ``where`` (with ``denominator_where`` for a rate, ``variable`` for a summary); None for
        a row this function does not know.

    Examples
    --------
    >>> dose_profile("DLT, n/N (%) [CI]", 0, None, {})["denominator_where"]
    "DLTEVLFL == 'Y'"
    >>> dose_profile("CRS grade >= 2, n/N (%) [CI]", 0, None, {})["where"]
    "CRSFL == 'Y' and ATOXGRN >= 2"
    >>> c = dose_profile("CAR+ T-cell Cmax (cells/uL), median (min, max)", 0, None, {})
    >>> c["where"], c["variable"]
    ("PARCAT1 == 'CARTCELL' and PPTESTCD == 'CMAX'", 'AVAL')
    """
    if row == "Patients infused, n":
        return {"where": "SAFFL == 'Y'"}
    if row.startswith("DLT,"):
        return {"where": "DLTEVLFL == 'Y' and DLTFL == 'Y'",
                "denominator_where": "DLTEVLFL == 'Y'"}
    for syn in ("CRS", "ICANS"):
        if row.startswith(f"{syn} grade >= "):
            grade = int(row.removeprefix(f"{syn} grade >= ").split(",")[0])
            return {"where": f"{syn}FL == 'Y' and ATOXGRN >= {grade}"}
    for label, cats in _RESPONSE.items():
        if row.startswith(label + ","):
            return {"where": f"PARAMCD == 'CBOR' and AVALC in {cats!r}",
                    "denominator_where": "PARAMCD == 'CBOR'"}
    for label, code in _EXPOSURE.items():
        if row.startswith(f"CAR+ T-cell {label}"):
            return {"where": f"PARCAT1 == {ANALYTE!r} and PPTESTCD == {code!r}",
                    "variable": "AVAL"}
    return None
