"""Short generated patient narratives for every death, dose-limiting toxicity and serious
adverse event, as a clinical study report's section 14.3.3 lists them (ICH E3, section 12.3.2:
narratives of deaths, other serious adverse events and other significant adverse events).

Each narrative is built from ADaM (ADSL, ADAE) and the safety engine's DLT adjudication and
CRS / ICANS events only, so it says nothing the tables do not.
"""

from __future__ import annotations

import pandas as pd

from cartrial.report.table import ReportTable, table_from_wide

_SEX = {"M": "man", "F": "woman"}
_POP = {"RRMM": "relapsed/refractory multiple myeloma", "PPCL": "primary plasma cell leukaemia"}


def _day(when, infusion) -> str:
    if pd.isna(when) or pd.isna(infusion):
        return "an unknown day"
    return f"day {(pd.Timestamp(when) - pd.Timestamp(infusion)).days}"


def _sae_text(ae: pd.DataFrame, infusion) -> list[str]:
    out = []
    for r in ae.sort_values(["ASTDT", "AESEQ"], kind="stable").itertuples(index=False):
        end = (f" to {_day(r.AENDT, infusion)}" if pd.notna(r.AENDT) else ", not resolved")
        outcome = str(getattr(r, "AEOUT", "") or "").lower()
        grade = f"grade {r.ATOXGR}"
        if str(getattr(r, "ATOXGRSC", "")) == "DERIVED" and str(r.AETOXGR) != str(r.ATOXGR):
            grade += f" (ASTCT 2019 derived; investigator grade {r.AETOXGR})"
        out.append(f"serious {r.AEDECOD.lower()}, {grade}, from {_day(r.ASTDT, infusion)}{end}"
                   + (f" ({outcome})" if outcome else ""))
    return out


def _criterion(r) -> str:
    """The DLT criterion met, in the protocol's words when the adjudication carries them."""
    words = getattr(r, "DLT_CRITERION", None)
    return f"DLT criterion: {words}" if isinstance(words, str) and words else (
        f"DLT rule {r.DLT_RULE}")


def patient_narratives(adsl: pd.DataFrame, adae: pd.DataFrame,
                       dlt_patients: pd.DataFrame | None, number: str) -> ReportTable:
    """One narrative per patient who died, had a DLT or had a serious TEAE.

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL (USUBJID, AGE, SEX, POPCD, TRT01A, APHDT, TRTSDT, DTHDT, DTHCAUS).
    adae : pandas.DataFrame
        ADAE (USUBJID, AESEQ, AEDECOD, AETOXGR, ATOXGR, ASTDT, AENDT, AESER, TRTEMFL; AEOUT and
        ATOXGRSC when present).
    dlt_patients : pandas.DataFrame or None
        :class:`cartrial.safety.DltResult` ``patients`` (USUBJID, DLT, DLT_RULE, DLT_TERM,
        DLT_ONSET_DAY, DLT_GRADE); None when the safety engine did not run.
    number : str
        Listing number.

    Returns
    -------
    ReportTable
        A listing: subject, dose level, reason for the narrative and the narrative.

    References
    ----------
    ICH E3 Structure and content of clinical study reports (1995), section 12.3.2.

    Examples
    --------
    >>> import pandas as pd
    >>> sl = pd.DataFrame({"USUBJID": ["P1"], "AGE": [61], "SEX": ["M"], "POPCD": ["RRMM"],
    ...     "TRT01A": ["DL2 0.3 x10^6/kg"], "APHDT": [pd.Timestamp("2024-01-01")],
    ...     "TRTSDT": [pd.Timestamp("2024-01-20")], "DTHDT": [pd.Timestamp("2024-03-01")],
    ...     "DTHCAUS": ["DISEASE PROGRESSION"]})
    >>> t = patient_narratives(sl, pd.DataFrame(columns=["USUBJID"]), None, "16.2.5")
    >>> t.wide().iloc[0]["Narrative"][:45]
    'A 61-year-old man with relapsed/refractory mu'
    """
    dlt = pd.DataFrame(columns=["USUBJID"]) if dlt_patients is None else dlt_patients[
        dlt_patients["DLT"] == "yes"]
    sae = adae[(adae.get("AESER", pd.Series("", index=adae.index)) == "Y")
               & (adae.get("TRTEMFL", pd.Series("", index=adae.index)) == "Y")]
    who = set(adsl.loc[adsl["DTHDT"].notna(), "USUBJID"]) | set(dlt["USUBJID"]) | set(
        sae["USUBJID"])
    # each subject's SAE records looked up, not searched for: one pass over the columns read
    # (a large trial has thousands of narrated subjects and a wide ADAE)
    sae = sae[[c for c in ("USUBJID", "AESEQ", "AEDECOD", "AETOXGR", "ATOXGR", "ATOXGRSC",
                           "ASTDT", "AENDT", "AEOUT") if c in sae.columns]]
    sae_of = dict(tuple(sae.groupby("USUBJID", sort=False))) if len(sae) else {}
    dlt_of = dict(tuple(dlt.groupby("USUBJID", sort=False))) if len(dlt) else {}
    rows = []
    for s in adsl[adsl["USUBJID"].isin(who)].sort_values("USUBJID").itertuples(index=False):
        inf = s.TRTSDT
        reasons, parts = [], []
        head = (f"A {int(s.AGE)}-year-old {_SEX.get(str(s.SEX), 'patient')} with "
                f"{_POP.get(str(s.POPCD), str(s.POPCD))}, leukapheresed on "
                f"{pd.Timestamp(s.APHDT):%Y-%m-%d}" if pd.notna(s.APHDT) else
                f"A {int(s.AGE)}-year-old {_SEX.get(str(s.SEX), 'patient')} with "
                f"{_POP.get(str(s.POPCD), str(s.POPCD))}")
        head += (f", infused with {s.TRT01A} on {pd.Timestamp(inf):%Y-%m-%d}" if pd.notna(inf)
                 else ", not infused")
        d = dlt_of.get(s.USUBJID, dlt.iloc[:0])
        for r in d.itertuples(index=False):
            reasons.append("DLT")
            parts.append(f"dose-limiting toxicity on day {float(r.DLT_ONSET_DAY):.0f}: "
                         f"{str(r.DLT_TERM).lower()} grade {float(r.DLT_GRADE):.0f} "
                         f"({_criterion(r)})")
        own = sae_of.get(s.USUBJID, sae.iloc[:0])
        if len(own):
            reasons.append("serious adverse event")
            parts += _sae_text(own, inf)
        if pd.notna(s.DTHDT):
            reasons.append("death")
            cause = str(s.DTHCAUS or "cause not recorded").lower()
            when = (f"{_day(s.DTHDT, inf)} after infusion" if pd.notna(inf)
                    else f"{pd.Timestamp(s.DTHDT):%Y-%m-%d}")
            parts.append(f"died on {when} ({cause})")
        body = "; ".join(parts)
        text = head + ". " + body[:1].upper() + body[1:] + "."
        rows.append({"Subject": s.USUBJID, "Dose level": str(s.TRT01A).split(" ")[0],
                     "Narrated for": ", ".join(dict.fromkeys(reasons)), "Narrative": text})
    w = pd.DataFrame(rows, columns=["Subject", "Dose level", "Narrated for", "Narrative"])
    return table_from_wide(number, "Narratives of deaths, dose-limiting toxicities and serious "
                           "adverse events", "Leukapheresed", w, kind="listing", footnotes=(
                               "Generated from ADSL, ADAE and the DLT adjudication; days after "
                               "CAR-T infusion (day 0 = day of infusion).",),
                           source="ADSL, ADAE, DLT adjudication (safety engine)")
