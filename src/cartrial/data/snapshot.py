"""A study as it was known on a past date (data cut-off), for ``decide --as-of``.

Records dated after the cut-off are removed; end dates and death dates after it are blanked
(they were not known then); DM.RFSTDTC after the cut-off is blanked (not yet infused). Partial
dates compare by their first possible day, so a record of ``2024-03`` is kept for a cut-off in
March 2024. Records without a date (MH history, DM) are kept.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd

from cartrial.data.dates import impute_date
from cartrial.data.load import Study

EVENT_DATE = {"AE": "AESTDTC", "LB": "LBDTC", "VS": "VSDTC", "FA": "FADTC", "QS": "QSDTC",
              "PC": "PCDTC", "IS": "ISDTC", "EX": "EXSTDTC", "PR": "PRSTDTC", "CM": "CMSTDTC",
              "DS": "DSSTDTC", "TU": "TUDTC", "TR": "TRDTC", "RS": "RSDTC", "MH": "MHSTDTC"}
END_DATE = {"AE": ["AEENDTC", "AEOUT"], "CM": ["CMENDTC"], "EX": ["EXENDTC"], "LB": ["LBENDTC"],
            "PR": ["PRENDTC"]}


def _after(values: pd.Series, cutoff: pd.Timestamp) -> pd.Series:
    start, _ = impute_date(values, "start")
    return (start > cutoff).fillna(False)


def snapshot(study: Study, as_of: date | str) -> Study:
    """The study restricted to what was recorded on or before ``as_of`` (a date).

    Parameters
    ----------
    study : Study
        The full transfer.
    as_of : datetime.date or str
        Data cut-off (``"2024-03-15"``); records dated after it are removed.

    Returns
    -------
    Study
        A new study; end dates after the cut-off are blanked (and AEOUT set to not recovered).

    Examples
    --------
    >>> ae = pd.DataFrame({"USUBJID": ["S1", "S1"], "AESEQ": [1, 2],
    ...                    "AESTDTC": ["2024-03-12", "2024-04-02"],
    ...                    "AEENDTC": ["2024-03-20", None]})
    >>> snapshot(Study({"AE": ae}), "2024-03-15")["AE"]
      USUBJID  AESEQ     AESTDTC AEENDTC
    0      S1      1  2024-03-12    <NA>
    """
    cutoff = pd.Timestamp(as_of).normalize()
    out: dict[str, pd.DataFrame] = {}
    for name, df in study.domains.items():
        df = df.copy()
        var = EVENT_DATE.get(name)
        if var and var in df:
            df = df.loc[~_after(df[var], cutoff)]
        for end in END_DATE.get(name, []):
            if end.endswith("DTC") and end in df:
                late = _after(df[end], cutoff)
                df.loc[late, end] = pd.NA
                if name == "AE" and "AEOUT" in df:  # the outcome was not known either
                    df.loc[late, "AEOUT"] = "NOT RECOVERED/NOT RESOLVED"
        if name == "DM":
            for v in ("RFSTDTC", "RFENDTC", "DTHDTC"):
                if v in df:
                    late = _after(df[v], cutoff)
                    df.loc[late, v] = pd.NA
                    if v == "DTHDTC" and "DTHFL" in df:
                        df.loc[late, "DTHFL"] = pd.NA
        out[name] = df.reset_index(drop=True)
    return replace(study, domains=out)
