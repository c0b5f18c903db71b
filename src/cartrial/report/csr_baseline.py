"""CSR Table 14.1.3: baseline demographics and disease characteristics of a myeloma CAR-T
study, by dose level, from ADSL (cartrial.adam.adsl_csr; rules in cartrial.adam.myeloma).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.protocol.model import Protocol
from cartrial.report.csr_stats import CellRows, level_groups
from cartrial.report.csr_stats import flag as _y
from cartrial.report.table import ReportTable

STAGES = (("I", "I"), ("II", "II"), ("III", "III"))
BRIDGING_RESPONSES = (("sCR", "Stringent complete response"), ("CR", "Complete response"),
                      ("VGPR", "Very good partial response"), ("PR", "Partial response"),
                      ("MR", "Minimal response"), ("SD", "Stable disease"),
                      ("PD", "Progressive disease"), ("NE", "Not evaluable"))


def dose_groups(adsl: pd.DataFrame, protocol: Protocol, flag: str = "SAFFL"
                ) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The patients with ``flag`` = Y and their columns: each actual dose level, then Overall."""
    s = adsl[adsl[flag] == "Y"].reset_index(drop=True)
    dl = s["TRT01A"].fillna("").astype(str).str.split(" ").str[0]
    return s, level_groups(s, protocol.dose_ids, dl)


def table_baseline(adsl: pd.DataFrame, protocol: Protocol, number: str) -> ReportTable:
    """Table ``number``: demographics and disease characteristics (safety population).

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL with the variables of cartrial.adam.adsl_csr.
    protocol : Protocol
        Dose levels (columns).
    number : str
        Table number.

    Returns
    -------
    ReportTable
        Continuous variables as n, mean (SD), median (Q1, Q3), min–max; categories as n (%).
    """
    s, groups = dose_groups(adsl, protocol)
    t = CellRows(s, groups)
    t.summary("Age (years)", s["AGE"].astype(float), 1)
    t.count("Age >= 65 years", (s["AGE"].astype(float) >= 65).to_numpy())
    t.categories("Sex", s["SEX"], (("M", "Male"), ("F", "Female")))
    ecog = s["ECOGBL"].map(lambda v: "" if v != v else str(int(v)))
    t.categories("ECOG performance status", ecog, (("0", "0"), ("1", "1"), ("2", "2"),
                                                   ("3", "3"), ("4", "4")))
    t.categories("Disease type", s["POPCD"], (("RRMM", "Relapsed/refractory multiple myeloma"),
                                              ("PPCL", "Primary plasma cell leukaemia")))
    t.summary("Time from diagnosis to leukapheresis (years)", s["DIAGDURY"].astype(float), 2)
    t.summary("Prior lines of therapy", s["PRLINES"].astype(float), 1)
    lines = s["PRLINES"].astype(float).to_numpy()
    t.count(">= 4 prior lines", lines >= 4, 1)
    t.header("Prior therapy exposure and refractoriness")
    for col, lab in (("TCEXPFL", "Triple-class exposed"), ("TCREFFL", "Triple-class refractory"),
                     ("PENEXPFL", "Penta-drug exposed"), ("PENREFFL", "Penta-drug refractory"),
                     ("BCMAFL", "Prior BCMA-directed therapy")):
        t.count(lab, _y(s, col), 1)
    t.categories("ISS stage", s["ISS"], STAGES, "Not evaluable (missing value)")
    t.categories("R-ISS stage", s["RISS"], STAGES, "Not evaluable (missing value)")
    t.count("High-risk cytogenetics (del(17p), t(4;14) or t(14;16))", _y(s, "HRCYTOFL"))
    t.count("Extramedullary disease", _y(s, "EMDFL"))
    t.count("Bridging therapy", _y(s, "BRIDGFL"))
    if "BRDGRSP" in s:
        t.categories("Response to bridging therapy", s["BRDGRSP"], BRIDGING_RESPONSES,
                     "Not evaluable", mask=_y(s, "BRIDGFL"))
    return ReportTable(number, "Baseline demographics and disease characteristics",
                       "Safety (infused)", t.frame_cells(), (
        "Continuous variables: n, mean (SD), median (Q1, Q3) with quartiles as R quantile type "
        "7, min\u2013max (min and max at the data's precision, mean, median and quartiles one "
        "decimal more, SD two); categories: n (%) of the column (N).",
        "Baseline = last value before lymphodepletion. ECOG: RS ECOG101. Time from diagnosis: "
        "MH primary diagnosis date (partial dates imputed to the first of the month).",
        "Prior lines: CM PRIOR ANTI-MYELOMA THERAPY grouped by CMGRPID; refractory lines: SUPPCM "
        "REFRACT (IMWG: no response or progression within 60 days of the last dose, Rajkumar SV "
        "et al., Blood 2011;117:4691-5). Triple-class = at least one immunomodulatory drug, one "
        "proteasome inhibitor and one anti-CD38 antibody; penta-drug = at least two "
        "immunomodulatory drugs, two proteasome inhibitors and one anti-CD38 antibody (Gandhi UH "
        "et al., Leukemia 2019;33:2266-75).",
        "ISS: Greipp PR et al., J Clin Oncol 2005;23:3412-20 (I: beta2-microglobulin < 3.5 mg/L "
        "and albumin >= 35 g/L; III: beta2-microglobulin >= 5.5 mg/L; II: other). R-ISS: "
        "Palumbo A et al., J Clin Oncol 2015;33:2863-9 (I: ISS I, standard-risk cytogenetics "
        "and LDH not above the upper limit of normal; III: ISS III and high-risk cytogenetics "
        "or LDH above the upper limit of normal; II: other).",
        "High-risk cytogenetics by iFISH at screening (MH CYTOGENETICS records list the "
        "abnormalities found; none recorded = standard risk). Other abnormalities (e.g. 1q21 "
        "gain) are recorded but are not high risk in the R-ISS.",
        "Response to bridging therapy (ADSL BRDGRSP): IMWG 2016 category, unconfirmed, of the "
        "last disease assessment before lymphodepletion against the first (screening), by "
        "serum/urine M-protein and serum free light chains (Kumar S et al., Lancet Oncol "
        "2016;17:e328-46); n (%) of the column's patients with bridging therapy; not evaluable: "
        "fewer than two assessments or a measurement missing."), "ADSL")
