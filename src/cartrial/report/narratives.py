"""Short generated patient narratives for every death, dose-limiting toxicity and serious
adverse event, as a clinical study report's section 14.3.3 lists them (ICH E3, section 12.3.2:
narratives of deaths, other serious adverse events and other significant adverse events).

Each narrative is built from ADaM (ADSL, ADAE) and the safety engine's DLT adjudication and
CRS / ICANS events only, so it says nothing the tables do not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.report.table import ReportTable, table_from_wide

_SEX = {"M": "man", "F": "woman"}
_NEEDED = ("AEDECOD", "ATOXGR", "AETOXGR")  # ADAE variables every narrated record needs
_POP = {"RRMM": "relapsed/refractory multiple myeloma", "PPCL": "primary plasma cell leukaemia"}


def _day(when, infusion) -> str:
    if pd.isna(when) or pd.isna(infusion):
        return "an unknown day"
    return f"day {(pd.Timestamp(when) - pd.Timestamp(infusion)).days}"


def _dates(s: pd.Series) -> pd.Series:
    """A date column as ``datetime64`` (as ADaM holds it); other columns value by value as
    ``pd.Timestamp`` reads them."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s
    return pd.to_datetime(pd.Series([pd.NaT if pd.isna(v) else pd.Timestamp(v) for v in s],
                                    index=s.index, dtype=object))


def _days(when: pd.Series, infusion: pd.Series) -> list[str]:
    """``_day`` of each record at once: "day <whole days after infusion>" (floored, as
    ``Timedelta.days``), "an unknown day" when either date is missing."""
    days = (_dates(when).reset_index(drop=True) - infusion).dt.days.tolist()
    return ["an unknown day" if d != d else f"day {int(d)}" for d in days]


def _record_text(decod, grade, source, investigator, start: str, end: str, outcome) -> str:
    """One serious adverse event's words (``end``: its end day's text, "" when unresolved)."""
    out = str(outcome or "").lower()
    words = f"grade {grade}"
    if str(source) == "DERIVED" and str(investigator) != str(grade):
        words += f" (ASTCT 2019 derived; investigator grade {investigator})"
    return (f"serious {decod.lower()}, {words}, from {start}"
            + (f" to {end}" if end else ", not resolved") + (f" ({out})" if out else ""))


def _sae_texts(sae: pd.DataFrame, subjects: pd.Series, infusion: pd.Series) -> list[list[str]]:
    """The serious adverse events' words of each subject (``subjects``, one per narrative, with
    its ``infusion`` date), each subject's records by start date, then AESEQ (stable).

    One sort of every subject's records (subject, ASTDT, AESEQ: within a subject the order of
    sorting its own records alone), each subject's run found by position, the days after
    infusion computed for all records at once."""
    codes, uniq = pd.factorize(sae["USUBJID"], use_na_sentinel=True)
    kept = np.flatnonzero(codes >= 0)  # a record without USUBJID belongs to no narrative
    key = pd.DataFrame({"_g": codes[kept]} | {c: sae[c].iloc[kept].reset_index(drop=True)
                                              for c in ("ASTDT", "AESEQ")})
    order = kept[key.sort_values(["_g", "ASTDT", "AESEQ"]).index.to_numpy()]
    bounds = np.searchsorted(codes[order], np.arange(len(uniq) + 1))
    at = pd.Index(uniq).get_indexer(subjects.to_numpy())
    first, n = np.where(at >= 0, bounds[at], 0), np.where(at >= 0, bounds[at + 1] - bounds[at], 0)
    rec = order[np.repeat(first - np.cumsum(n) + n, n) + np.arange(n.sum())]
    if not len(rec):
        return [[] for _ in range(len(subjects))]
    inf = _dates(infusion).iloc[np.repeat(np.arange(len(n)), n)].reset_index(drop=True)

    def col(c: str) -> list:  # a Series' own Python values, as itertuples gives them
        return sae[c].iloc[rec].tolist() if c in sae.columns or c in _NEEDED else [""] * len(rec)

    ended = sae["AENDT"].notna().to_numpy()[rec]
    ends = [e if done else "" for e, done in zip(_days(sae["AENDT"].iloc[rec], inf), ended,
                                                 strict=True)]
    texts = [_record_text(*r) for r in zip(
        col("AEDECOD"), col("ATOXGR"), col("ATOXGRSC"), col("AETOXGR"),
        _days(sae["ASTDT"].iloc[rec], inf), ends, col("AEOUT"), strict=True)]
    cut = np.cumsum(n)
    return [texts[c - k:c] for c, k in zip(cut.tolist(), n.tolist(), strict=True)]


def _criterion(r) -> str:
    """The DLT criterion met, in the protocol's words when the adjudication carries them."""
    words = getattr(r, "DLT_CRITERION", None)
    return f"DLT criterion: {words}" if isinstance(words, str) and words else (
        f"DLT rule {r.DLT_RULE}")


def _dlt_texts(dlt: pd.DataFrame) -> dict[object, list[str]]:
    """Each subject's dose-limiting toxicities in words, in the adjudication's order."""
    out: dict[object, list[str]] = {}
    for r in dlt.itertuples(index=False):
        if pd.isna(r.USUBJID):  # no subject's narrative
            continue
        out.setdefault(r.USUBJID, []).append(
            f"dose-limiting toxicity on day {float(r.DLT_ONSET_DAY):.0f}: "
            f"{str(r.DLT_TERM).lower()} grade {float(r.DLT_GRADE):.0f} ({_criterion(r)})")
    return out


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
    # every subject's records in one pass (a large trial narrates thousands of subjects)
    subj = adsl[adsl["USUBJID"].isin(who)].sort_values("USUBJID")
    sae_texts = _sae_texts(sae, subj["USUBJID"], subj["TRTSDT"]) if len(sae) else \
        [[] for _ in range(len(subj))]
    dlt_texts = _dlt_texts(dlt)
    rows = []
    for s, own in zip(subj.itertuples(index=False), sae_texts, strict=True):
        inf = s.TRTSDT
        reasons, parts = [], []
        head = (f"A {int(s.AGE)}-year-old {_SEX.get(str(s.SEX), 'patient')} with "
                f"{_POP.get(str(s.POPCD), str(s.POPCD))}, leukapheresed on "
                f"{pd.Timestamp(s.APHDT):%Y-%m-%d}" if pd.notna(s.APHDT) else
                f"A {int(s.AGE)}-year-old {_SEX.get(str(s.SEX), 'patient')} with "
                f"{_POP.get(str(s.POPCD), str(s.POPCD))}")
        head += (f", infused with {s.TRT01A} on {pd.Timestamp(inf):%Y-%m-%d}" if pd.notna(inf)
                 else ", not infused")
        d = dlt_texts.get(s.USUBJID, [])
        reasons += ["DLT"] * len(d)
        parts += d
        if own:
            reasons.append("serious adverse event")
            parts += own
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
