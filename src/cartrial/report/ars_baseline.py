"""Table 14.1.3 (baseline demographics and disease characteristics) described cell by cell on
ADSL (CDISC ARS v1.0 in spirit): each row's where-clause, and for the continuous variables the
variable summarised (n, mean (SD), median (Q1, Q3) with R quantile type 7, min-max; Hyndman RJ,
Fan Y, Am Stat 1996;50:361-5). The rows are those of :func:`cartrial.report.csr_baseline.
table_baseline`; a row this module does not know is left to its displayed value.
"""

from __future__ import annotations

import pandas as pd

# continuous blocks: header -> ADSL variable
_CONTINUOUS = {"Age (years)": "AGE", "Time from diagnosis to leukapheresis (years)": "DIAGDURY",
               "Prior lines of therapy": "PRLINES"}
# single rows: label -> where-clause
_FLAGS = {"Age >= 65 years": "AGE >= 65", ">= 4 prior lines": "PRLINES >= 4",
          "Triple-class exposed": "TCEXPFL == 'Y'", "Triple-class refractory": "TCREFFL == 'Y'",
          "Penta-drug exposed": "PENEXPFL == 'Y'", "Penta-drug refractory": "PENREFFL == 'Y'",
          "Prior BCMA-directed therapy": "BCMAFL == 'Y'",
          "High-risk cytogenetics (del(17p), t(4;14) or t(14;16))": "HRCYTOFL == 'Y'",
          "Extramedullary disease": "EMDFL == 'Y'", "Bridging therapy": "BRIDGFL == 'Y'"}


def _categories() -> dict[str, tuple[str, dict[str, object], str]]:
    """Category blocks: header -> (ADSL variable, shown label -> code, denominator where)."""
    from cartrial.report.csr_baseline import BRIDGING_RESPONSES, STAGES

    stages = {shown: code for code, shown in STAGES}
    return {"Sex": ("SEX", {"Male": "M", "Female": "F"}, ""),
            "ECOG performance status": ("ECOGBL", {str(k): k for k in range(5)}, ""),
            "Disease type": ("POPCD", {"Relapsed/refractory multiple myeloma": "RRMM",
                                       "Primary plasma cell leukaemia": "PPCL"}, ""),
            "ISS stage": ("ISS", stages, ""), "R-ISS stage": ("RISS", stages, ""),
            "Response to bridging therapy": ("BRDGRSP", {s: c for c, s in BRIDGING_RESPONSES},
                                             "BRIDGFL == 'Y'")}


def baseline(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """The where-clause (and variable) of one row of Table 14.1.3.

    Parameters
    ----------
    row : str
        The row label as shown (without the block prefix under a block header).
    ind : int
        The row's indent (0: a header or a single row).
    adsl : pandas.DataFrame
        ADSL (unused: the codes are the report's).
    ctx : dict
        Carries the current block header from row to row.

    Returns
    -------
    dict or None
        ``where`` (and ``variable``, ``denominator_where``); None for a block header.

    Examples
    --------
    >>> ctx = {}
    >>> baseline("Sex", 0, None, ctx) is None
    True
    >>> baseline("Female", 1, None, ctx)
    {'where': "SEX == 'F'", 'denominator_where': ''}
    >>> baseline("Median (Q1, Q3)", 1, None, {"block": "Age (years)"})
    {'where': 'AGE.notna()', 'variable': 'AGE'}
    """
    if row in _FLAGS:
        return {"where": _FLAGS[row]}
    if ind == 0:
        ctx["block"] = row
        return None
    block = ctx.get("block", "")
    if block in _CONTINUOUS:
        var = _CONTINUOUS[block]
        return {"where": f"{var}.notna()", "variable": var}
    cats = _categories()
    if block not in cats:
        return None
    var, codes, den = cats[block]
    base = f"{den} and " if den else ""
    if row in codes:
        return {"where": f"{base}{var} == {codes[row]!r}", "denominator_where": den}
    # the remaining row: a value that is none of the codes (missing included)
    return {"where": f"{base}~({var} in {list(codes.values())!r})", "denominator_where": den}
