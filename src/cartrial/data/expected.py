"""Records the study's own data says must exist: what a transfer cut on a record boundary, or a
header-only file, leaves missing.

A file that parses can still be incomplete: a CSV cut on a line end, an XPT cut where an
observation ends on an 80-byte record, a domain exported with its header only. Each is caught
by what the rest of the study shows happened (CAR-T infusions in EX, CRS / ICANS recorded in AE
or treated in CM):

- ``DOMAIN_EMPTY``       a domain with no records although EX shows CAR-T infusions (every
  infused patient is followed for safety, kinetics and response), or DS without records while
  DM lists subjects;
- ``RECORDS_EXPECTED``   an infused subject followed in at least two of the domains the
  protocol schedule fills from the day of infusion (vital signs, laboratory, the daily CRS /
  ICANS page (FA), ICE (QS), cellular kinetics (PC)) but absent from another of them; a DM
  subject with no disposition record; a subject with CRS (AE) but no CRS assessment page (FA),
  or ICANS (AE) but no ICE assessment (QS), or CRS / ICANS management (CM) but no CRS or ICANS
  adverse event.

References: ASTCT consensus grading requires the daily assessment of fever, hypotension and
hypoxia (CRS) and the ICE score (ICANS) for graded events: Lee DW et al., Biol Blood Marrow
Transplant 2019;25:625-638, Tables 3-6.
"""

from __future__ import annotations

import pandas as pd

from cartrial.data.domains import Domains
from cartrial.data.load import Study
from cartrial.data.report_frame import COLUMNS
from cartrial.data.text import upper_stripped
from cartrial.data.validate_codes import subjects_of

IP_CAT = "INVESTIGATIONAL PRODUCT"
CRS_TERM = "CYTOKINE RELEASE SYNDROME"
ICANS_TERM = "IMMUNE EFFECTOR CELL-ASSOCIATED NEUROTOXICITY SYNDROME"
CRS_ICANS_CM = "CRS/ICANS MANAGEMENT"
# domains every infused subject has records in (the schedule of assessments from day 0)
FOLLOWED = ("VS", "LB", "FA", "QS", "PC")
# a subject with records in this many other FOLLOWED domains is being followed: a FOLLOWED
# domain without any of the subject's records is then a gap, not a subject infused yesterday
FOLLOWED_EVIDENCE = 2
# domains that cannot be empty once anyone was infused (lymphodepletion and infusion bring
# adverse events, vital signs, laboratory, the daily CRS / ICANS pages and ICE; every patient
# with relapsed/refractory myeloma has prior therapy in CM)
NOT_EMPTY_AFTER_INFUSION = ("AE", "CM", "VS", "LB", "FA", "QS")


def _subjects(df: pd.DataFrame | None, mask: pd.Series | None = None) -> set[str]:
    if df is None or "USUBJID" not in df:
        return set()
    return subjects_of(df, None if mask is None else mask.fillna(False).to_numpy(bool))


def _empty(df) -> bool:
    """``df.empty`` of a domain as held (a frame or its CompactFrame: not decoded for it)."""
    return len(df) == 0 or len(df.columns) == 0


def _upper(df: pd.DataFrame | None, var: str) -> pd.Series | None:
    if df is None or var not in df:
        return None
    return upper_stripped(df[var])


def _row(domain: str, usubjid: str | None, variable: str | None, value: object, rule_id: str,
         rule: str) -> list:
    return ["error", rule_id, domain, usubjid, None, variable, value, rule]


def infused_subjects(study: Study) -> set[str]:
    """Subjects with a CAR-T infusion record in EX (EXCAT = INVESTIGATIONAL PRODUCT).

    Parameters
    ----------
    study : Study
        The loaded study.

    Returns
    -------
    set of str
        USUBJID values (empty when EX or its EXCAT is absent).

    Examples
    --------
    >>> infused_subjects(Study(domains={}))
    set()
    """
    ex = study.get("EX")
    cat = _upper(ex, "EXCAT")
    return set() if cat is None else _subjects(ex, cat == IP_CAT)


def expected_records(study: Study) -> pd.DataFrame:
    """Findings for records the study's own data shows must exist but are absent.

    Parameters
    ----------
    study : Study
        The loaded study (domains whose file could not be read, ``study.unread``, are already
        reported and are not checked again).

    Returns
    -------
    pandas.DataFrame
        One row per finding (``DOMAIN_EMPTY``, ``RECORDS_EXPECTED``; columns
        ``cartrial.data.report_frame.COLUMNS``).

    References
    ----------
    Lee DW et al. ASTCT consensus grading for cytokine release syndrome and neurologic
    toxicity associated with immune effector cells. Biol Blood Marrow Transplant
    2019;25:625-638.

    Examples
    --------
    >>> expected_records(Study(domains={})).empty
    True
    """
    rows: list[list] = []
    infused = infused_subjects(study)
    # as held (nothing decoded): each rule reads the variables it needs (Domains.frame)
    present = study.domains.only(n for n in study.domains if n not in study.unread)
    if infused:
        for name in NOT_EMPTY_AFTER_INFUSION:
            if name in present and _empty(present.held(name)):
                rows.append(_row(name, None, None, None, "DOMAIN_EMPTY",
                                 f"{name} holds no records although EX shows {len(infused)} "
                                 "CAR-T infusion(s) (header-only or cut file?)"))
        followed = {n: _subjects(present.frame(n, ["USUBJID"])) for n in FOLLOWED
                    if n in present}
        for name, have in followed.items():
            if not have and _empty(present.held(name)):
                continue  # DOMAIN_EMPTY (or a domain not yet filled) says it
            for u in sorted(infused - have):
                elsewhere = sorted(n for n, h in followed.items() if n != name and u in h)
                if len(elsewhere) >= FOLLOWED_EVIDENCE:
                    rows.append(_row(name, u, "USUBJID", u, "RECORDS_EXPECTED",
                                     f"infused subject (EX) with {', '.join(elsewhere)} records "
                                     f"has no {name} records (cut file?)"))
    rows += _ds_rows(study, present)
    rows += _event_rows(present)
    return pd.DataFrame(rows, columns=COLUMNS)


def _ds_rows(study: Study, present: Domains) -> list[list]:
    ds, dm = present.get("DS"), present.get("DM")
    subjects = _subjects(dm)
    if ds is None or not subjects:
        return []
    if ds.empty:
        return [_row("DS", None, None, None, "DOMAIN_EMPTY",
                     f"DS holds no records although DM lists {len(subjects)} subject(s)")]
    return [_row("DS", u, "USUBJID", u, "RECORDS_EXPECTED",
                 "subject in DM has no disposition (DS) record (cut file?)")
            for u in sorted(subjects - _subjects(ds))]


def _event_rows(present: Domains) -> list[list]:
    """CRS / ICANS recorded in one domain and missing from the domain that must hold it too."""
    ae, cm = present.get("AE"), present.get("CM")
    fa, qs = present.frame("FA", ["USUBJID", "FAOBJ"]), present.frame("QS", ["USUBJID"])
    decod, obj, cat = _upper(ae, "AEDECOD"), _upper(fa, "FAOBJ"), _upper(cm, "CMCAT")
    rows = []
    if decod is not None and fa is not None and obj is not None:
        for u in sorted(_subjects(ae, decod == CRS_TERM) - _subjects(fa, obj == CRS_TERM)):
            rows.append(_row("FA", u, "FAOBJ", CRS_TERM, "RECORDS_EXPECTED",
                             "subject has CRS in AE but no CRS assessment records in FA"))
    if decod is not None and qs is not None:
        for u in sorted(_subjects(ae, decod == ICANS_TERM) - _subjects(qs)):
            rows.append(_row("QS", u, "USUBJID", u, "RECORDS_EXPECTED",
                             "subject has ICANS in AE but no ICE assessment records in QS"))
    if cat is not None and decod is not None:
        events = _subjects(ae, decod.isin([CRS_TERM, ICANS_TERM]))
        for u in sorted(_subjects(cm, cat == CRS_ICANS_CM) - events):
            rows.append(_row("AE", u, "AEDECOD", None, "RECORDS_EXPECTED",
                             "subject treated for CRS/ICANS (CM) has no CRS or ICANS "
                             "adverse event in AE"))
    return rows
