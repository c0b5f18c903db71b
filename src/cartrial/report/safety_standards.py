"""Report tables of the CAR-T safety standards: haematotoxicity (ICAHT, CAR-HEMATOTOX),
IEC-HS (table and listing), infections by pathogen, neurotoxicity other than ICANS and second
primary malignancies (protocol event baskets).

Each table is a tidy table of the safety engine's layout (:mod:`cartrial.safety.icaht_tables`,
:mod:`cartrial.safety.iec_hs`, :mod:`cartrial.safety.baskets`) computed from the ADaM datasets
(:mod:`cartrial.report.safety_adam`); this module only numbers, titles and footnotes them. The
IEC-HS listing (16.2.7) lists the safety engine's screen, which ADaM summarises in flags only.
Footnotes cite the guidelines themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cartrial.report import sections as S
from cartrial.report.table import ReportTable, table_from_wide

ICAHT_REF = ("Rejeski K et al., Immune effector cell-associated hematotoxicity: EHA/EBMT "
             "consensus grading and best practice recommendations, Blood 2023;142:865-77, "
             "Table 1.")
HEMATOTOX_REF = ("Rejeski K et al., CAR-HEMATOTOX: a model for CAR T-cell-related hematologic "
                 "toxicity in relapsed/refractory large B-cell lymphoma, Blood "
                 "2021;138:2499-513.")
IEC_HS_REF = ("Hines MR et al., Immune effector cell-associated hemophagocytic "
              "lymphohistiocytosis-like syndrome, Transplant Cell Ther 2023;29:438.e1-16.")
BASKET_NOTE = ("Groups of MedDRA preferred terms defined in the protocol (safety.baskets); each "
               "event keeps its NCI CTCAE grade as reported; a patient is counted once per row "
               "at the worst grade; onset in days from infusion (day 0), resolution when every "
               "event of the group has ended.")
SAFETY_POP = "Safety (infused)"

# (table key, number, title, extra footnote)
BASKETS = (
    ("baskets_infections_by_pathogen", "14.3.7.1", "Infections by pathogen type",
     "Pathogen type from the preferred term; 'Pathogen not specified' when the term names none."),
    ("baskets_neurotoxicity_other_than_icans", "14.3.11",
     "Neurotoxicity other than ICANS (parkinsonism and movement disorders, cranial nerve palsy, "
     "peripheral neuropathy)",
     "Cerebellar events are tabulated with the GPRC5D on-target events (Table 14.3.5)."),
    ("baskets_second_primary_malignancies", "14.3.12",
     "Second primary malignancies, including T-cell malignancies",
     "Any grade, whenever diagnosed after infusion during follow-up."),
)


def _icaht_tables(tables: Mapping[str, pd.DataFrame], m: Mapping,
                  n: dict[str, int]) -> list[ReportTable]:
    out = []
    if "icaht" in tables:
        out.append(S.tidy_to_table(
            tables["icaht"], "14.3.8",
            "Immune effector cell-associated haematotoxicity (ICAHT, neutropenic) by dose level",
            SAFETY_POP, col_n=n, source="ADHTOX", footnotes=(
                ICAHT_REF,
                "Early ICAHT (day 0-30): cumulative days with ANC <= 0.5 x10^9/L (grade 1 < 7, "
                "grade 2 7-13, grade 3 >= 14 days) or <= 0.1 x10^9/L (grade 3 >= 7, grade 4 >= 14 "
                "days); grade 4 also when ANC is never above 0.5 x10^9/L (read as: from an onset "
                "by day 3 without a stable recovery through day 30). An interval above the "
                "threshold shorter than 3 days is not a recovery and counts towards the total.",
                "Late ICAHT (after day 30): ANC <= 1.5 / 1.0 / 0.5 / 0.1 x10^9/L (grades 1-4) on "
                "at least two measurements.",
                "A day's ANC holds until the next measurement; days are not counted after "
                f"censoring ({m.get('icaht_censoring', 'death')}).")))
    if "hematotox" in tables:
        out.append(S.tidy_to_table(
            tables["hematotox"], "14.3.9", "CAR-HEMATOTOX baseline risk by dose level",
            SAFETY_POP, col_n=n, source="ADHTOX", footnotes=(
                HEMATOTOX_REF,
                "Before lymphodepletion: platelets 75-175 x10^9/L 1 point, < 75 x10^9/L 2; ANC "
                "< 1.2 x10^9/L 1; haemoglobin < 90 g/L 1; CRP >= 30 mg/L 1; ferritin 650-2,000 "
                "ug/L 1, > 2,000 ug/L 2. Low risk 0-1, high risk >= 2.",
                "The score was developed in large B-cell lymphoma; its use in myeloma is "
                "descriptive.")))
    by_risk = tables.get("icaht_by_risk")
    if by_risk is not None and len(by_risk):
        col_n = by_risk.groupby("COLUMN")["DENOM"].first().astype(int).to_dict()
        out.append(S.tidy_to_table(
            by_risk, "14.3.9.1",
            "Early and late ICAHT by CAR-HEMATOTOX risk group (all dose levels)", SAFETY_POP,
            col_n=col_n, source="ADHTOX", footnotes=(
                HEMATOTOX_REF, ICAHT_REF,
                "Columns: CAR-HEMATOTOX risk before lymphodepletion; Overall = every patient "
                "with an ICAHT grade. Percentages of the patients in each column.")))
    return out


def iec_hs_listing(safety, number: str = "16.2.7") -> ReportTable | None:
    """Listing of the IEC-HS cases and laboratory screen-positive patients.

    Parameters
    ----------
    safety : cartrial.safety.SafetyAnalysis
        The safety engine's result (``iec_hs``: :func:`cartrial.safety.identify_iec_hs`).
    number : str
        Listing number.

    Returns
    -------
    ReportTable or None
        The listing, or None when no patient is reported or screen-positive.

    Raises
    ------
    InputError
        A malformed listing (from :class:`cartrial.report.table.ReportTable`).

    References
    ----------
    Hines MR et al. Transplant Cell Ther 2023;29:438.e1-16.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> iec_hs_listing(SimpleNamespace(iec_hs=pd.DataFrame())) is None
    True
    """
    iec = getattr(safety, "iec_hs", None)
    if iec is None or not len(iec):
        return None
    cols = {"USUBJID": "Subject", "STATUS": "Status", "ONSET_DAY": "Ferritin rise, day",
            "SCREEN_DAY": "Screen met, day", "FERRITIN_PEAK": "Ferritin peak (ug/L)",
            "N_OTHER_CORE": "Other groups (n)", "CRS_TIMING": "Timing vs CRS",
            "REPORTED_TERM": "Reported term", "REPORTED_GRADE": "Grade",
            "REPORTED_DAY": "Reported, day"}
    w = iec.reindex(columns=list(cols)).rename(columns=cols)
    for c in ("Ferritin rise, day", "Screen met, day", "Ferritin peak (ug/L)",
              "Other groups (n)", "Grade", "Reported, day"):
        v = pd.to_numeric(w[c], errors="coerce")
        w[c] = np.where(v.isna(), "", v.round(0).astype("Int64").astype(str))
    return table_from_wide(number, "IEC-HS cases and laboratory screen-positive patients",
                           SAFETY_POP, w.sort_values("Subject", kind="stable"), kind="listing",
                           source="ADLB, ADAE", footnotes=(
                               IEC_HS_REF,
                               "Screen (for medical review, not a diagnosis): ferritin "
                               "> 2 x ULN (or baseline) plus two further core manifestation "
                               "groups (cytopenias, transaminases, fibrinogen, "
                               "haemophagocytosis) within 14 days; met on the later of the "
                               "ferritin rise and the second group; timing vs CRS on that day. "
                               "Grade: the investigator's ASTCT IEC-HS grade. Days from "
                               "infusion (day 0)."))


def safety_standard_items(tables: Mapping[str, pd.DataFrame], method: Mapping,
                          n: dict[str, int], listing_number: str = "16.2.7",
                          baskets: Sequence[tuple[str, str, str, str]] = BASKETS) -> list:
    """Report tables of ICAHT, CAR-HEMATOTOX, IEC-HS and the protocol baskets, in order.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        The tidy safety tables by key: those computed from ADaM
        (:func:`cartrial.report.safety_adam.adam_safety_tables`) in the report.
    method : mapping
        The analysis method record (``icaht_censoring`` is named in a footnote).
    n : dict of str to int
        Patients per column header (dose level and Overall).
    listing_number : str
        Number of the IEC-HS listing (:func:`iec_hs_listing`), cited in a footnote.
    baskets : sequence of tuple
        (table key, number, title, footnote) of the basket tables shown when present.

    Returns
    -------
    list of ReportTable
        Tables 14.3.7.1 and 14.3.8-14.3.12, those with data.

    Raises
    ------
    InputError
        A malformed table (from :class:`cartrial.report.table.ReportTable`).

    References
    ----------
    Rejeski K et al. Blood 2023;142:865-77; Rejeski K et al. Blood 2021;138:2499-513; Hines MR
    et al. Transplant Cell Ther 2023;29:438.e1-16.

    Examples
    --------
    >>> safety_standard_items({}, {}, {})
    []
    """
    items: list = []
    t = tables
    for key, number, title, note in baskets[:1]:
        if key in t and len(t[key]):
            items.append(S.tidy_to_table(t[key], number, title, SAFETY_POP, col_n=n,
                                         footnotes=(BASKET_NOTE, note), source="ADAE"))
    items += _icaht_tables(t, method, n)
    if "iec_hs" in t:
        items.append(S.tidy_to_table(
            t["iec_hs"], "14.3.10", "Immune effector cell-associated HLH-like syndrome (IEC-HS)",
            SAFETY_POP, col_n=n, source="ADAE, ADSL", footnotes=(
                IEC_HS_REF, "Reported: IEC-HS recorded by the investigator, graded by the ASTCT "
                "IEC-HS grade. Laboratory screen: see Listing " + listing_number + ".")))
    for key, number, title, note in baskets[1:]:
        if key in t and len(t[key]):
            items.append(S.tidy_to_table(t[key], number, title, SAFETY_POP, col_n=n,
                                         footnotes=(BASKET_NOTE, note), source="ADAE"))
    return items
