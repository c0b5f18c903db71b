"""Table 14.4.2 (MRD negativity) described cell by cell on ADRS (CDISC ARS v1.0 in spirit):
the where-clause of each row on the MRD, MRDSUST, MRDNEGCR and CBOR records
(:mod:`cartrial.adam.adrs_mrd`), so that every count, percentage and Clopper-Pearson interval
is recomputed from the ADaM files alone.

References
----------
Kumar S et al., Lancet Oncol 2016;17:e328-46 (MRD negativity, sustained negativity); FDA draft
guidance, January 2026 (FDA-2025-D-2616; MRD-negative CR).
"""

from __future__ import annotations

import pandas as pd

from cartrial.adam.adrs_mrd import CRITERIA

#: Table 14.4.2 population -> (numerator criterion flag, denominator where-clause)
_POPULATIONS = {
    "VGPR or better (registration)": (
        "CRIT1FL", f"PARAMCD == 'CBOR' and AVALC in {list(CRITERIA['CRIT1'][1])!r}"),
    "All treated": ("", ""), "All treated (FDA 2026 draft)": ("", ""),
    "CR or better (IMWG)": (
        "CRIT2FL", f"PARAMCD == 'CBOR' and AVALC in {list(CRITERIA['CRIT2'][1])!r}")}


def mrd(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """The where-clauses of one row of Table 14.4.2 on ADRS.

    Parameters
    ----------
    row : str
        The row label ("DAY 28, VGPR or better (registration): MRD-negative at 1e-05").
    ind : int
        The row's indent (unused).
    adsl : pandas.DataFrame
        ADSL (unused).
    ctx : dict
        The table's context (unused).

    Returns
    -------
    dict or None
        ``where`` and ``denominator_where`` ("" = every treated patient of the column); None
        for a row this function does not know.

    Examples
    --------
    >>> mrd("DAY 28, All treated: MRD-negative at 1e-05", 0, None, {})["where"]
    "PARAMCD == 'MRD' and AVALC == 'NEGATIVE' and MRDSENS <= 1e-05 and AVISIT == 'DAY 28'"
    >>> mrd("Any time, CR or better (IMWG): Sustained MRD-negative (>= 365 days apart)", 0,
    ...     None, {})["where"]
    "PARAMCD == 'MRDSUST' and AVALC == 'Y' and CRIT2FL == 'Y'"
    """
    time, _, rest = row.partition(", ")
    pop, _, label = rest.partition(": ")
    if pop not in _POPULATIONS:
        return None
    flag, denominator = _POPULATIONS[pop]
    if label.startswith("MRD-negative at "):
        where = (f"PARAMCD == 'MRD' and AVALC == 'NEGATIVE' and MRDSENS <= "
                 f"{float(label.removeprefix('MRD-negative at '))!r}")
        where += "" if time == "Any time" else f" and AVISIT == {time!r}"
    elif label.startswith("Sustained MRD-negative") and time == "Any time":
        where = "PARAMCD == 'MRDSUST' and AVALC == 'Y'"
    elif label.startswith("MRD-negative CR") and time == "Any time":
        where = "PARAMCD == 'MRDNEGCR' and AVALC == 'Y'"
    else:
        return None
    return {"where": where + (f" and {flag} == 'Y'" if flag else ""),
            "denominator_where": denominator}
