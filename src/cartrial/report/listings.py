"""The patient listings (16.2): disposition, DLTs, grade >= 3 or serious AEs, responses,
narratives, infusions below plan, IEC-HS."""

from __future__ import annotations

import pandas as pd

from cartrial.report import sections as S
from cartrial.report.table import table_from_wide

DAY_NOTE = "Days after CAR-T infusion (day 0 = day of infusion), as in every table."


def _day0(when: pd.Series, infusion: pd.Series) -> pd.Series:
    """Whole days from the infusion date (day 0 = infusion day); empty when unknown."""
    return (pd.to_datetime(when) - pd.to_datetime(infusion)).dt.days.astype("Int64").astype(
        str).replace("<NA>", "")


def listing_items(ds: dict[str, pd.DataFrame], safety) -> list:
    adsl = ds["ADSL"]

    def d(s: pd.Series) -> pd.Series:
        return s.dt.strftime("%Y-%m-%d").fillna("")

    subj = pd.DataFrame({
        "Subject": adsl["USUBJID"], "Dose level": S.dose_id(adsl["TRT01A"]),
        "Population": adsl["POPCD"], "Age": adsl["AGE"].astype("Int64").astype(str),
        "Sex": adsl["SEX"], "Leukapheresis": d(adsl["APHDT"]), "Infusion": d(adsl["TRTSDT"]),
        "Status": adsl["EOSSTT"], "Reason": adsl["DCSREAS"], "Death": d(adsl["DTHDT"]),
        "Last known alive": d(adsl["LSTALVDT"]),
        "DLT-evaluable": adsl.get("DLTEVLFL", pd.Series("", index=adsl.index)),
    })
    items: list = [table_from_wide("16.2.1", "Subject disposition and key dates",
                                   "Leukapheresed", subj, kind="listing", source="ADSL")]
    if safety is not None:
        p = safety.dlt.patients
        p = p[p["DLT"] == "yes"]
        dl = pd.DataFrame({"Subject": p["USUBJID"], "Dose level": p["DOSE_LEVEL"],
                           "DLT criterion": p["DLT_CRITERION"], "Event": p["DLT_TERM"],
                           "Onset (day)": p["DLT_ONSET_DAY"].map(lambda v: f"{v:.1f}"),
                           "Grade": p["DLT_GRADE"].map(lambda v: f"{v:.0f}")})
        items.append(table_from_wide("16.2.2", "Dose-limiting toxicities", "Safety (infused)",
                                     dl, kind="listing", source="safety engine DLT adjudication",
                                     footnotes=("Onset in days after infusion (day 0).",)))
    ae = ds["ADAE"]
    ae = ae[(ae["TRTEMFL"] == "Y") & ((ae["ATOXGRN"] >= 3) | (ae.get("AESER", "") == "Y"))]
    al = pd.DataFrame({"Subject": ae["USUBJID"], "Dose level": S.dose_id(ae["TRT01A"]),
                       "Preferred term": ae["AEDECOD"], "Grade": ae["ATOXGR"],
                       "Serious": ae.get("AESER", ""), "Related": ae.get("AEREL", ""),
                       "Start (day)": _day0(ae["ASTDT"], ae["TRTSDT"]),
                       "End (day)": _day0(ae["AENDT"], ae["TRTSDT"]),
                       "Outcome": ae.get("AEOUT", "")})
    items.append(table_from_wide("16.2.3", "Grade >= 3 or serious treatment-emergent adverse "
                                 "events", "Safety (infused)", al, kind="listing",
                                 source="ADAE", footnotes=(
                                     DAY_NOTE,
                                     "Grade: the analysis grade ATOXGR; for CRS and ICANS the "
                                     "protocol's primary grade source (ATOXGRSC), reconciled "
                                     "with the investigator's grade in Table 14.3.2.1.")))
    if "ADRS" in ds:
        r = ds["ADRS"]
        b = r[r["PARAMCD"] == "CBOR"]
        bl = pd.DataFrame({"Subject": b["USUBJID"], "Dose level": S.dose_id(b["TRT01A"]),
                           "Best confirmed response": b["AVALC"],
                           "First response date": d(b["ADT"])})
        items.append(table_from_wide("16.2.4", "Best confirmed response (IMWG 2016)",
                                     "Safety (infused)", bl, kind="listing", source="ADRS"))
    from cartrial.report.csr_exposure import listing_low_dose
    from cartrial.report.narratives import patient_narratives

    items.append(patient_narratives(adsl, ds["ADAE"], None if safety is None
                                    else safety.dlt.patients, "16.2.5"))
    items += [t for t in [listing_low_dose(adsl, "16.2.6")] if t is not None]
    from cartrial.report.safety_standards import iec_hs_listing

    return items + [t for t in [iec_hs_listing(safety, "16.2.7")] if safety and t]
