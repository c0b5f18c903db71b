"""CSR Table 14.1.4: manufacturing and exposure (leukapheresis, manufacturing failures,
lymphodepletion received, planned versus infused dose, vein-to-vein time) by planned dose level,
from ADSL (cartrial.adam.adsl_csr) and ADEX (cartrial.adam.adex), and Listing 16.2.6 of every
infusion below the planned dose.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.protocol.model import Protocol
from cartrial.report.csr_stats import CellRows, level_groups, rounded
from cartrial.report.csr_stats import flag as _y
from cartrial.report.table import ReportTable, table_from_wide

LD = "LYMPHODEPLETING CHEMOTHERAPY"


def _g(v: float) -> str:
    return f"{v:g}"


def table_exposure(adsl: pd.DataFrame, adex: pd.DataFrame | None, protocol: Protocol,
                   number: str) -> ReportTable:
    """Table ``number``: manufacturing and exposure of the leukapheresed patients by planned
    dose level (DM.ARMCD).

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL (APHFL, MFGFFL, LDFL, SAFFL, DOSELFL, VVDUR, ARMCD).
    adex : pandas.DataFrame or None
        ADEX: the lymphodepleting agents each patient received (PARCAT1 LYMPHODEPLETING
        CHEMOTHERAPY, PARCAT2 the agent) and the infused CAR-T dose (PARAMCD CARTDOSE, AVAL).
        None: no agent rows, the infused dose from ADSL DOSEA.
    protocol : Protocol
        Dose levels and their unit.
    number : str
        Table number.

    Returns
    -------
    ReportTable
        Counts as n (%) of the leukapheresed patients of the column; doses and times as n,
        mean (SD), median (Q1, Q3), min–max.
    """
    s = adsl[adsl["APHFL"] == "Y"].reset_index(drop=True)
    arm = s["ARMCD"].fillna("").astype(str)
    planned = {d.id: d.dose for d in protocol.dose_levels}
    unit = protocol.dose_levels[0].unit if protocol.dose_levels else ""
    groups = level_groups(s, protocol.dose_ids, arm)
    t = CellRows(s, groups)
    inf = _y(s, "SAFFL")
    t.count("Leukapheresed", np.ones(len(s), bool))
    t.count("Manufacturing failure", _y(s, "MFGFFL"))
    t.count("Received lymphodepleting chemotherapy", _y(s, "LDFL"))
    dose = s["DOSEA"].astype(float)
    if adex is not None and len(adex):
        agents = adex[adex["PARCAT1"] == LD]
        for a in sorted(agents["PARCAT2"].dropna().unique()):
            who = s["USUBJID"].isin(set(agents.loc[agents["PARCAT2"] == a, "USUBJID"])).to_numpy()
            t.count(str(a).capitalize(), who, 1)
        cart = adex[adex["PARAMCD"] == "CARTDOSE"].drop_duplicates("USUBJID")
        dose = s["USUBJID"].map(cart.set_index("USUBJID")["AVAL"]).astype(float)
    t.count("Infused with the CAR-T product", inf)
    for c, sel in groups.items():
        d = sorted({planned[a] for a in arm[sel] if a in planned})
        t.cells.append((f"Planned dose ({unit})", c, ", ".join(_g(x) for x in d), 0))
    t.summary(f"Infused dose ({unit})", dose, 3, mask=inf)
    t.count("Infused at the planned dose", inf & ~_y(s, "DOSELFL"), 1, denom=inf)
    t.count("Infused below the planned dose", _y(s, "DOSELFL"), 1, denom=inf)
    t.summary("Leukapheresis to infusion (vein-to-vein, days)", s["VVDUR"].astype(float), 1,
              mask=inf)
    return ReportTable(number, "Manufacturing and exposure by planned dose level",
                       "Leukapheresed", t.frame_cells(), (
                           "Columns by planned dose level (DM.ARMCD); planned dose = that "
                           "level's dose in the protocol; infused dose = EX.EXDOSE of the CAR-T "
                           "infusion (EXCAT INVESTIGATIONAL PRODUCT).",
                           "Percentages of the leukapheresed patients of the column; 'at' and "
                           "'below the planned dose' of the infused patients.",
                           "Manufacturing failure: DS disposition event or DM.ARMNRS "
                           "MANUFACTURING FAILURE. Lymphodepletion: EX LYMPHODEPLETING "
                           "CHEMOTHERAPY, patients per agent. Vein-to-vein: days from PR "
                           "LEUKAPHERESIS to the infusion."), "ADSL, ADEX")


def listing_low_dose(adsl: pd.DataFrame, number: str) -> ReportTable | None:
    """Listing ``number``: every patient infused below the planned dose.

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL with DOSELFL, DOSEP, DOSEA, ARMCD, TRTSDT.
    number : str
        Listing number.

    Returns
    -------
    ReportTable or None
        The listing; None when every infusion was at the planned dose.
    """
    s = adsl[adsl.get("DOSELFL", pd.Series("", index=adsl.index)) == "Y"]
    if s.empty:
        return None
    w = pd.DataFrame({"Subject": s["USUBJID"], "Planned level": s["ARMCD"],
                      "Planned dose": s["DOSEP"].map(_g), "Infused dose": s["DOSEA"].map(_g),
                      "Infused / planned (%)": [rounded(100 * a / p, 1) for a, p in zip(
                          s["DOSEA"], s["DOSEP"], strict=True)],
                      "Infusion": s["TRTSDT"].dt.strftime("%Y-%m-%d")})
    return table_from_wide(number, "Infusions below the planned dose", "Safety (infused)", w,
                           kind="listing", source="ADSL", footnotes=(
                               "Planned dose: DM.ARMCD's protocol dose; infused: EX.EXDOSE.",))
