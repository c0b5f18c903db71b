"""Table 14.1.4 (manufacturing and exposure) described cell by cell on ADSL and ADEX (CDISC ARS
v1.0 in spirit): the leukapheresed patients (ADSL.APHFL) left-joined with their ADEX records;
counts on ADSL flags, the lymphodepleting agents on ADEX's per-agent records (PARCAT2 the
agent), the infused dose on ADEX CARTDOSE (AVAL) and the vein-to-vein time on ADSL.VVDUR (one
CARTDOSE record per infused patient), so that every number is recomputed from the ADaM files
alone. The planned dose (the protocol's dose of the level) is a label, not a statistic.
"""

from __future__ import annotations

import pandas as pd

_FLAGS = {"Leukapheresed": "APHFL == 'Y'", "Manufacturing failure": "MFGFFL == 'Y'",
          "Received lymphodepleting chemotherapy": "LDFL == 'Y'",
          "Infused with the CAR-T product": "SAFFL == 'Y'"}
_INFUSED = "SAFFL == 'Y' and PARAMCD == 'CARTDOSE'"


def exposure(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """The where-clause (and variable) of one row of Table 14.1.4.

    Parameters
    ----------
    row : str
        The row label as shown (an indented row without its block prefix).
    ind : int
        The row's indent (0: a single row or a block header).
    adsl : pandas.DataFrame
        ADSL (unused).
    ctx : dict
        Carries the current block from row to row.

    Returns
    -------
    dict or None
        ``where`` (and ``variable`` or ``denominator_where``); None for a header or the
        planned dose.

    Examples
    --------
    >>> ctx = {}
    >>> exposure("Received lymphodepleting chemotherapy", 0, None, ctx)["where"]
    "LDFL == 'Y'"
    >>> exposure("Fludarabine", 1, None, ctx)["where"]
    "PARCAT1 == 'LYMPHODEPLETING CHEMOTHERAPY' and PARCAT2 == 'FLUDARABINE'"
    >>> exposure("Infused dose (10^6 CAR+ T cells/kg)", 0, None, ctx) is None
    True
    >>> exposure("Median (Q1, Q3)", 1, None, ctx)
    {'where': "SAFFL == 'Y' and PARAMCD == 'CARTDOSE'", 'variable': 'AVAL'}
    """
    if ind == 0:
        ctx["block"] = row
        return {"where": _FLAGS[row]} if row in _FLAGS else None
    block = ctx.get("block", "")
    if block == "Received lymphodepleting chemotherapy":
        return {"where": "PARCAT1 == 'LYMPHODEPLETING CHEMOTHERAPY' and PARCAT2 == "
                         f"{row.upper()!r}"}
    if row == "Infused at the planned dose":
        return {"where": "SAFFL == 'Y' and DOSELFL.fillna('') != 'Y'",
                "denominator_where": "SAFFL == 'Y'"}
    if row == "Infused below the planned dose":
        return {"where": "DOSELFL == 'Y'", "denominator_where": "SAFFL == 'Y'"}
    if block.startswith("Infused dose"):
        return {"where": _INFUSED, "variable": "AVAL"}
    if block.startswith("Leukapheresis to infusion"):
        return {"where": _INFUSED, "variable": "VVDUR"}
    return None
