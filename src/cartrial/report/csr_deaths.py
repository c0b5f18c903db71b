"""CSR Table 14.3.6.1: deaths by cause and timing relative to the CAR-T infusion (before
infusion; days 0-30, 31-90 and after day 90), all enrolled patients, from ADSL (DTHFL, DTHCAUS,
DTHTIM: cartrial.adam.adsl_csr).
"""

from __future__ import annotations

import pandas as pd

from cartrial.adam.adsl_csr import DEATH_TIMING
from cartrial.report.csr_stats import OVERALL
from cartrial.report.table import ReportTable

TIMING_LABELS = {"BEFORE INFUSION": "Before infusion", "DAY 0-30": "Day 0\u201330",
                 "DAY 31-90": "Day 31\u201390", "AFTER DAY 90": "After day 90"}


def table_deaths_timing(adsl: pd.DataFrame, number: str) -> ReportTable:
    """Table ``number``: number of deaths by cause (rows) and timing (columns).

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL with DTHFL, DTHCAUS and DTHTIM.
    number : str
        Table number.

    Returns
    -------
    ReportTable
        Counts of patients; the Overall column and the "All deaths" row are the totals.

    Examples
    --------
    >>> a = pd.DataFrame({"DTHFL": ["Y", "Y", ""], "DTHCAUS": ["SEPSIS", "PD", ""],
    ...                   "DTHTIM": ["DAY 0-30", "AFTER DAY 90", ""]})
    >>> t = table_deaths_timing(a, "14.3.6.1")
    >>> t.wide().loc["All deaths", "Overall"], t.wide().loc["Sepsis", "Day 0\u201330"]
    ('2', '1')
    """
    d = adsl[adsl["DTHFL"] == "Y"]
    cause = d["DTHCAUS"].fillna("").astype(str).str.replace("DEATH DUE TO ", "", regex=False)
    cause = cause.where(cause != "", "NOT RECORDED").str.capitalize()
    rows = [("All deaths", pd.Series(True, index=d.index), 0)] + [
        (c, cause == c, 1) for c in sorted(cause.unique())]
    cols = [(TIMING_LABELS[k], d["DTHTIM"] == k) for k in DEATH_TIMING] + [
        (OVERALL, pd.Series(True, index=d.index))]
    cells = [(r, c, str(int((rm & cm).sum())), ind) for r, rm, ind in rows for c, cm in cols]
    df = pd.DataFrame(cells, columns=["row", "column", "value", "indent"])
    n = len(adsl)
    return ReportTable(number, "Deaths by cause and timing relative to the CAR-T infusion",
                       f"Enrolled (N={n})", df, (
                           "Timing in days after the infusion (day 0 = the day of infusion); "
                           "before infusion = died before receiving the CAR-T product.",
                           "Cause: DS disposition event DEATH (DSTERM).",
                           "Counts of patients; each patient once."), "ADSL (DTHFL, DTHCAUS, "
                       "DTHTIM)")
