"""ADHTOX cytopenia parameters: each grade >= 3 cytopenia after infusion and its recovery, one
record per subject, CTCAE term and parameter (PARCAT1 = CYTOPENIA, PARCAT2 = the term).

From the safety engine's graded laboratory course (:func:`cartrial.safety.cytopenia_recovery`:
NCI CTCAE grades of the LB records after infusion, a grade holding until the next assessment);
a subject has these records for a term once a post-infusion assessment is graded >= 3:

========  ==================================================================  ============
PARAMCD   PARAM (for <term>; prefix ANEM, NEUT, PLAT, THRC)                   source
========  ==================================================================  ============
xxxxG3DY  <term>: first day graded >= 3 after infusion                         FIRST_DAY
xxxxRECV  <term>: recovered to grade <= 2 (1 = yes, 0 = no)                    RECOVERED
xxxxRCDY  <term>: days from first grade >= 3 to recovery                       RECOVERY_DAY
                                                                               - FIRST_DAY
xxxxPROL  <term>: grade >= 3 on the last assessment by the protocol's day      PROLONGED
========  ==================================================================  ============
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: CTCAE term -> PARAMCD prefix (CTCAE v5.0 names and v6.0's Thrombocytopenia).
PREFIX = {"Anemia": "ANEM", "Neutrophil count decreased": "NEUT",
          "Platelet count decreased": "PLAT", "Thrombocytopenia": "THRC"}
#: suffix -> (PARAM after "<term>: ", unit)
SUFFIX = {"G3DY": ("first day graded >= 3 after infusion", "DAYS"),
          "RECV": ("recovered to grade <= 2 (1 = yes, 0 = no)", ""),
          "RCDY": ("days from first grade >= 3 to recovery", "DAYS"),
          "PROL": ("grade >= 3 on the last assessment by day {day}", "")}
_SRC = ("the safety engine's NCI CTCAE grading of the LB records after infusion, a grade "
        "holding until the next assessment (cartrial.safety.cytopenia_recovery)")
#: The value-level derivation of AVAL per PARAMCD (cartrial.adam.derivations).
DEFINE_PARAMS = {
    **{f"{p}G3DY": f"{t}: day (infusion = day 0) of the first assessment graded >= 3 ({_SRC})."
       for t, p in PREFIX.items()},
    **{f"{p}RECV": f"{t}: 1 when an assessment graded < 3 follows the last one graded >= 3, "
                   f"else 0 ({_SRC})." for t, p in PREFIX.items()},
    **{f"{p}RCDY": f"{t}: day of the first assessment graded < 3 after the last one graded >= 3 "
                   f"minus the first day graded >= 3; missing when not recovered ({_SRC})."
       for t, p in PREFIX.items()},
    **{f"{p}PROL": f"{t}: 1 when the last assessment on or before the protocol's "
                   f"safety.prolonged_cytopenia_day is graded >= 3, 0 when graded lower, missing "
                   f"without an assessment by then ({_SRC})." for t, p in PREFIX.items()},
}
#: Origin and derivation of each variable this module derives (cartrial.adam.derivations).
DEFINE = {"PARCAT2": "Assigned: for PARCAT1 = CYTOPENIA, the NCI CTCAE term of the cytopenia."}


def cytopenia_rows(cytopenias: pd.DataFrame | None, prolonged_day: float) -> pd.DataFrame:
    """ADHTOX records of the grade >= 3 cytopenias (four parameters per subject and term).

    Parameters
    ----------
    cytopenias : pandas.DataFrame or None
        :func:`cartrial.safety.cytopenia_recovery` output (USUBJID, TERM, FIRST_DAY,
        RECOVERED, RECOVERY_DAY, PROLONGED); None or empty: no records.
    prolonged_day : float
        The protocol's ``safety.prolonged_cytopenia_day`` (named in PARAM).

    Returns
    -------
    pandas.DataFrame
        USUBJID, PARAMCD, PARAM, PARCAT1, PARCAT2, AVAL, AVALC, AVALU.

    Examples
    --------
    >>> c = pd.DataFrame({"USUBJID": ["P1"], "TERM": ["Anemia"], "FIRST_DAY": [3.0],
    ...     "RECOVERED": [True], "RECOVERY_DAY": [10.0], "PROLONGED": [False]})
    >>> cytopenia_rows(c, 28)[["PARAMCD", "AVAL"]].values.tolist()
    [['ANEMG3DY', 3.0], ['ANEMRECV', 1.0], ['ANEMRCDY', 7.0], ['ANEMPROL', 0.0]]
    """
    cols = ["USUBJID", "PARAMCD", "PARAM", "PARCAT1", "PARCAT2", "AVAL", "AVALC", "AVALU"]
    if cytopenias is None or not len(cytopenias):
        return pd.DataFrame(columns=cols)
    c = cytopenias
    first = c["FIRST_DAY"].astype(float)
    values = {"G3DY": first, "RECV": c["RECOVERED"].astype(bool).astype(float),
              "RCDY": c["RECOVERY_DAY"].astype(float) - first,
              "PROL": pd.Series(c["PROLONGED"], dtype="boolean").astype("Float64").astype(float)}
    prefix = c["TERM"].map(lambda t: PREFIX.get(t) or "".join(
        ch for ch in str(t).upper() if ch.isalnum())[:4])
    parts = []
    for suffix, (param, unit) in SUFFIX.items():
        v = values[suffix].to_numpy(dtype=float)
        flag = suffix in ("RECV", "PROL")
        parts.append(pd.DataFrame({
            "USUBJID": c["USUBJID"].astype(str).to_numpy(),
            "PARAMCD": (prefix + suffix).to_numpy(),
            "PARAM": (c["TERM"].astype(str) + ": " + param.format(day=f"{prolonged_day:g}")
                      ).to_numpy(),
            "PARCAT1": "CYTOPENIA", "PARCAT2": c["TERM"].astype(str).to_numpy(), "AVAL": v,
            "AVALC": np.where(flag & ~np.isnan(v), np.where(v == 1, "Y", "N"), ""),
            "AVALU": unit}))
    out = pd.concat(parts, ignore_index=True)
    order = {s: i for i, s in enumerate(SUFFIX)}
    key = out["PARAMCD"].str[-4:].map(order)
    return out.assign(_K=key).sort_values(["USUBJID", "PARCAT2", "_K"], kind="stable").drop(
        columns="_K").reset_index(drop=True)[cols]
