"""TU and TR plasmacytoma records in long form (the rows of
:mod:`cartrial.efficacy.sdtm_disease`'s LB disease records): SPD = sum over lesions of the
longest diameter times its perpendicular; a NEW tumour is a new lesion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.text import upper_stripped
from cartrial.efficacy.sdtm_disease import LONG_COLUMNS, sdtm_day
from cartrial.errors import RecordError

_date, _text = sdtm_day, upper_stripped


def tumours_long(tu: pd.DataFrame | None, tr: pd.DataFrame | None) -> pd.DataFrame:
    """SPD per subject and date from TR (LDIAM x LPERP summed over lesions) and NEWLES from TU.

    Parameters
    ----------
    tu, tr : pandas.DataFrame or None
        The TU and TR domains (either may be absent).

    Returns
    -------
    pandas.DataFrame
        Long rows (USUBJID, ADT, BLFL, col, value, LBSEQ) with col SPD or NEWLES.

    Raises
    ------
    RecordError
        A negative lesion diameter (TR, TRSEQ named).
    """
    parts = []
    if tr is not None and len(tr):
        t = tr.copy()
        t["ADT"] = _date(t["TRDTC"])
        t["v"] = pd.to_numeric(t["TRSTRESN"], errors="coerce")
        neg = t["v"] < 0
        if neg.any():
            row = t[neg].iloc[0]
            raise RecordError(
                domain="TR",
                usubjid=str(row["USUBJID"]),
                seq=row.get("TRSEQ"),
                variable="TRSTRESN",
                value=row["TRSTRESN"],
                rule="a lesion diameter must be >= 0",
            )
        w = t.pivot_table(
            index=["USUBJID", "ADT", "TRLNKID"],
            columns=_text(t["TRTESTCD"]),
            values="v",
            aggfunc="first",
        )
        if {"LDIAM", "LPERP"} <= set(w.columns):
            spd = (w["LDIAM"] * w["LPERP"]).groupby(level=["USUBJID", "ADT"]).sum(min_count=1)
            s = spd.rename("value").reset_index()
            s["col"] = "SPD"
            parts.append(s)
    if tu is not None and len(tu):
        u = tu[_text(tu["TUORRES"]).eq("NEW")].copy()
        if len(u):
            u["ADT"] = _date(u["TUDTC"])
            n = u.groupby(["USUBJID", "ADT"]).size().rename("value").reset_index()
            n["value"] = "Y"
            n["col"] = "NEWLES"
            parts.append(n)
    if not parts:
        return pd.DataFrame(columns=LONG_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out["USUBJID"] = out["USUBJID"].astype(str)
    out["BLFL"] = False
    out["LBSEQ"] = np.nan
    return out
