"""What stops the ICAHT day count: disease progression, a subsequent line of therapy, death.

The EHA/EBMT grading counts days with ANC below its thresholds cumulatively and censors the
count "at the time of disease progression, subsequent line of therapy, or death" (the rule as
restated with the thrombocytopenic extension of the grading: Rejeski K et al., Blood
2025, Table 1 footnote, following Rejeski K et al., Blood 2023;142(10):865-877). This module
reads the three days from SDTM for :func:`cartrial.safety.grade_icaht`:

* **progression**: the first investigator-reported overall response of PD (RS, RSTESTCD
  OVRLRESP, RSSTRESC "PD");
* **subsequent therapy**: the first start of a subsequent anti-myeloma therapy (CM, CMCAT
  "SUBSEQUENT ANTI-MYELOMA THERAPY");
* **death**: DEATH_DAY of :func:`cartrial.safety.sdtm_subjects.followup`.

Days are days since midnight of the infusion date (infusion = day 0), as everywhere in the
safety engine; an incomplete date raises a RecordError naming the record.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.safety.sdtm_base import _day, _domain, _text, infusion_dates

PROGRESSION = "PD"
SUBSEQUENT_THERAPY = "SUBSEQUENT ANTI-MYELOMA THERAPY"
REASONS = ("progression", "subsequent therapy", "death")


def _first_day(df: pd.DataFrame | None, keep: pd.Series | None, dtc: str, inf: pd.Series,
               domain: str) -> pd.Series:
    if df is None or not len(df) or dtc not in df.columns:
        return pd.Series(dtype=float)
    d = df[keep.to_numpy()] if keep is not None else df
    d = d[d["USUBJID"].astype(str).isin(inf.index)]
    if not len(d):
        return pd.Series(dtype=float)
    day = _day(d, dtc, inf, domain=domain, seq=f"{domain}SEQ")
    return pd.Series(day, index=d["USUBJID"].astype(str).to_numpy()).groupby(level=0).min()


def icaht_censoring(study, subjects: pd.DataFrame) -> pd.DataFrame:
    """Progression, subsequent-therapy and censoring day per infused subject.

    Parameters
    ----------
    study : cartrial.data.Study
        Loaded SDTM study (RS and CM optional).
    subjects : pandas.DataFrame
        :func:`cartrial.safety.sdtm_subjects.followup` output (USUBJID, DEATH_DAY).

    Returns
    -------
    pandas.DataFrame
        USUBJID, PROGRESSION_DAY, NEXT_THERAPY_DAY, CENSOR_DAY (the first of progression,
        subsequent therapy and death; NaN when none occurred) and CENSOR_REASON.

    Raises
    ------
    RecordError
        An RS or CM date that is incomplete or invalid (naming domain, subject and --SEQ).

    References
    ----------
    Rejeski K et al. Blood 2023;142(10):865-877 (ICAHT grading); the censoring rule as restated
    in the footnote of Table 1 of the thrombocytopenic ICAHT grading (Rejeski K et al., Blood
    Adv 2024).

    Examples
    --------
    >>> dm = pd.DataFrame({"USUBJID": ["P1"], "RFSTDTC": ["2026-01-01"]})
    >>> rs = pd.DataFrame({"USUBJID": ["P1"], "RSSEQ": [1], "RSTESTCD": ["OVRLRESP"],
    ...                    "RSSTRESC": ["PD"], "RSDTC": ["2026-01-21"]})
    >>> subj = pd.DataFrame({"USUBJID": ["P1"], "DEATH_DAY": [40.0]})
    >>> c = icaht_censoring({"DM": dm, "RS": rs}, subj)
    >>> float(c["CENSOR_DAY"].iloc[0]), c["CENSOR_REASON"].iloc[0]
    (20.0, 'progression')
    """
    ids = subjects["USUBJID"].astype(str)
    out = pd.DataFrame({"USUBJID": ids.to_numpy()}).set_index("USUBJID")
    inf = infusion_dates(study)
    rs = _domain(study, "RS", required=False)
    cm = _domain(study, "CM", required=False)
    pd_keep = None
    if rs is not None and len(rs):
        pd_keep = _text(rs["RSTESTCD"]).eq("OVRLRESP") & _text(rs["RSSTRESC"]).eq(PROGRESSION)
    cm_keep = _text(cm["CMCAT"]).eq(SUBSEQUENT_THERAPY) if cm is not None and len(cm) else None
    out["PROGRESSION_DAY"] = _first_day(rs, pd_keep, "RSDTC", inf, "RS").reindex(out.index)
    out["NEXT_THERAPY_DAY"] = _first_day(cm, cm_keep, "CMSTDTC", inf, "CM").reindex(out.index)
    death = pd.Series(subjects["DEATH_DAY"].to_numpy(dtype=float), index=ids.to_numpy())
    days = np.column_stack([out["PROGRESSION_DAY"].to_numpy(dtype=float),
                            out["NEXT_THERAPY_DAY"].to_numpy(dtype=float),
                            death.reindex(out.index).to_numpy(dtype=float)])
    out["CENSOR_DAY"], out["CENSOR_REASON"] = first_stop(days)
    return out.reset_index()


def first_stop(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first of the progression, subsequent-therapy and death days of each subject (one
    row each, in ``REASONS`` order; NaN when none occurred) and its reason ("" when none)."""
    any_ = ~np.isnan(days).all(axis=1)
    first = np.full(len(days), np.nan)
    which = np.full(len(days), "", dtype=object)
    if any_.any():
        first[any_] = np.nanmin(days[any_], axis=1)
        which[any_] = np.asarray(REASONS, dtype=object)[np.nanargmin(days[any_], axis=1)]
    return first, which
