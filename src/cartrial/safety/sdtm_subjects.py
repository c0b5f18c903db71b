"""Per-patient safety inputs from SDTM: the adverse events (AE) with their days and categories,
and each infused patient's follow-up (DM, DS and the last dated record): dose level, death,
withdrawal and the day follow-up ends. Time and dates as in :mod:`cartrial.safety.sdtm`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.dates import impute_date, parse_dtc
from cartrial.data.text import spread
from cartrial.data.validate_codes import column_codes
from cartrial.protocol.model import Protocol
from cartrial.safety._frames import fail, text_values
from cartrial.safety.sdtm_base import (
    CRS_TERM,
    END_OF_DAY,
    HEMATOLOGIC_TERMS,
    ICANS_TERM,
    _day,
    _domain,
    _dtc_codes,
    _read,
    _text,
    infusion_dates,
)

WITHDRAWAL_TERMS = ("WITHDRAWAL BY SUBJECT", "LOST TO FOLLOW-UP", "PHYSICIAN DECISION",
                    "ADVERSE EVENT", "PROGRESSIVE DISEASE")


def _ae_days(ae: pd.DataFrame, inf: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    ref = ae["USUBJID"].astype(str).map(inf)
    # a partial start in the infusion's month (or year) starts no earlier than the infusion
    st_dt, _ = impute_date(ae["AESTDTC"], "start", min_dates=ref)
    p = parse_dtc(ae["AESTDTC"])
    with_time = p["dt"].where(p["precision"] == "time")
    start = ((with_time.fillna(st_dt) - ref).dt.total_seconds() / 86400.0).to_numpy()
    fail(ae.assign(SEQ=ae.get("AESEQ")), np.isnan(start), domain="AE", variable="AESTDTC",
         rule="start date missing or invalid")
    if "AEENDTC" in ae.columns:
        en_dt, _ = impute_date(ae["AEENDTC"], "end")
        pe = parse_dtc(ae["AEENDTC"])
        en_time = pe["dt"].where(pe["precision"] == "time")
        end = np.where(en_time.notna(),
                       ((en_time - ref).dt.total_seconds() / 86400.0).to_numpy(),
                       ((en_dt - ref).dt.days + 1.0).to_numpy())   # date-only: whole day covered
    else:
        end = np.full(len(ae), np.nan)
    return start, end.astype(float)


def adverse_events(study, protocol: Protocol | None = None) -> pd.DataFrame:
    """AE frame for tables and DLT, one row per AE record of an infused patient.

    Parameters
    ----------
    study : cartrial.data.Study or dict of str to pandas.DataFrame
        SDTM domains: DM and AE required, EX optional (infusion date).
    protocol : Protocol, optional
        Gives ``safety.treatment_emergent_until_day``; 365 days when None.

    Returns
    -------
    pandas.DataFrame
        USUBJID, SEQ, AEDECOD, AEBODSYS, GRADE (1-5), START_DAY, END_DAY (days since
        infusion; a date-only end covers its whole day), RELATED, CATEGORY (CRS, ICANS,
        HEMATOLOGIC, NON_HEMATOLOGIC), TRTEMFL ("Y": start on/after infusion and within
        the treatment-emergent window).

    Raises
    ------
    RecordError
        AETOXGR not 1-5, or a start date missing or invalid.

    Examples
    --------
    >>> dm = pd.DataFrame({"USUBJID": ["S1"], "RFSTDTC": ["2026-03-02"]})
    >>> ae = pd.DataFrame({"USUBJID": ["S1"], "AESEQ": [1], "AEBODSYS": ["Immune system disorders"],
    ...     "AEDECOD": ["Cytokine release syndrome"], "AETOXGR": ["2"],
    ...     "AESTDTC": ["2026-03-03"], "AEENDTC": ["2026-03-05"], "AEREL": ["RELATED"]})
    >>> adverse_events({"DM": dm, "AE": ae}).iloc[:, 4:]
       GRADE  START_DAY  END_DAY  RELATED CATEGORY TRTEMFL
    0      2        1.0      4.0     True      CRS       Y
    """
    inf = infusion_dates(study)
    ae = _domain(study, "AE")
    ae = ae[ae["USUBJID"].astype(str).isin(inf.index)].reset_index(drop=True)
    grade = pd.to_numeric(ae["AETOXGR"], errors="coerce").to_numpy()
    fail(ae.assign(SEQ=ae["AESEQ"]), np.isnan(grade) | ~np.isin(grade, [1, 2, 3, 4, 5]),
         domain="AE", variable="AETOXGR", rule="AETOXGR must be 1-5")
    start, end = _ae_days(ae, inf)
    term = ae["AEDECOD"].astype(str).str.strip()
    up = term.str.upper()
    cat = np.where(up == CRS_TERM.upper(), "CRS", np.where(
        up == ICANS_TERM.upper(), "ICANS", np.where(
            up.isin([t.upper() for t in HEMATOLOGIC_TERMS]), "HEMATOLOGIC", "NON_HEMATOLOGIC")))
    te_until = protocol.safety.treatment_emergent_until_day if protocol else 365
    rel = _text(ae["AEREL"]).isin(["RELATED", "POSSIBLY RELATED"]) if "AEREL" in ae else False
    return pd.DataFrame({
        "USUBJID": ae["USUBJID"].astype(str), "SEQ": ae["AESEQ"], "AEDECOD": term,
        "AEBODSYS": ae["AEBODSYS"].astype(str), "GRADE": grade, "START_DAY": start,
        "END_DAY": end, "RELATED": rel, "CATEGORY": cat,
        "TRTEMFL": np.where((start >= 0) & (start <= te_until), "Y", ""),
    })


def _last_dated(df: pd.DataFrame, dtc: str) -> pd.DataFrame:
    """USUBJID (as str) and the latest date-time of its ``dtc`` records (NaT: none complete to
    the day): each distinct text parsed once and each subject's latest kept, so a large LB's
    million records are not put together again; a missing USUBJID takes the record-wise way."""
    subj, names = column_codes(df["USUBJID"])  # shared inside codes_memo (safety_inputs)
    if (subj < 0).any():
        return pd.DataFrame({"USUBJID": df["USUBJID"].astype(str), "dt": parse_dtc(df[dtc])["dt"]})
    codes, dt = _dtc_codes(df, dtc)
    per = pd.Series(spread(dt, codes, np.datetime64("NaT", "ns"))).groupby(subj).max()
    return pd.DataFrame({"USUBJID": pd.Series(names[per.index], dtype=object).astype(str),
                         "dt": per.to_numpy()})


def followup(study, protocol: Protocol | None = None) -> pd.DataFrame:
    """Per infused patient: dose level, end of follow-up, death and withdrawal.

    Parameters
    ----------
    study : cartrial.data.Study or dict of str to pandas.DataFrame
        SDTM domains: DM required; EX, DS, AE, LB, VS, FA, QS optional.
    protocol : Protocol, optional
        When given, every infused subject's ACTARMCD must be one of its dose levels.

    Returns
    -------
    pandas.DataFrame
        USUBJID, DOSE_LEVEL (DM.ACTARMCD), DEATH_DAY (a date-only death at 23:59),
        WITHDRAWN, DEATH_CAUSE, FOLLOWUP_DAY (death, end of study or last contact in DS,
        else the last dated record, else 0: the infusion is the last contact known; days
        since infusion).

    Raises
    ------
    RecordError
        An ACTARMCD that is not a protocol dose level, or an unusable DS date.

    Examples
    --------
    >>> dm = pd.DataFrame({"USUBJID": ["S1"], "RFSTDTC": ["2026-03-02"], "ACTARMCD": ["DL1"],
    ...                    "DTHDTC": ["2026-03-20"]})
    >>> followup({"DM": dm})[["DOSE_LEVEL", "DEATH_DAY", "FOLLOWUP_DAY"]].round(3)
      DOSE_LEVEL  DEATH_DAY  FOLLOWUP_DAY
    0        DL1     18.999        18.999
    """
    inf = infusion_dates(study)
    dm = _domain(study, "DM")
    dm = dm.assign(USUBJID=dm["USUBJID"].astype(str))
    dm = dm[dm["USUBJID"].isin(inf.index)].set_index("USUBJID")
    out = pd.DataFrame(index=dm.index)
    out["DOSE_LEVEL"] = dm["ACTARMCD"].astype(str)
    if protocol is not None:
        bad = ~out["DOSE_LEVEL"].isin(protocol.dose_ids).to_numpy()
        fail(out.reset_index().assign(DOMAIN="DM"), bad, domain="DM", variable="ACTARMCD",
             rule=f"infused subject with an arm that is not a protocol dose level "
                  f"{protocol.dose_ids}")
    ref = out.index.to_series().map(inf)
    if "DTHDTC" in dm:
        p = parse_dtc(dm["DTHDTC"])
        day = ((p["dt"] - ref).dt.total_seconds() / 86400.0).to_numpy()
        # a date-only death counts at the end of that day (records of the same day come before)
        out["DEATH_DAY"] = np.where((p["precision"] == "day").to_numpy(), day + END_OF_DAY, day)
    else:
        out["DEATH_DAY"] = np.nan
    ds = _domain(study, "DS", required=False)
    last = pd.Series(np.nan, index=out.index)
    out["WITHDRAWN"] = False
    out["DEATH_CAUSE"] = ""
    if ds is not None and len(ds):
        d = ds[text_values(ds["DSCAT"]) == "DISPOSITION EVENT"].copy()
        d["USUBJID"] = d["USUBJID"].astype(str)
        d = d[d["USUBJID"].isin(out.index)]
        d["DAY"] = _day(d, "DSSTDTC", inf, domain="DS", seq="DSSEQ")
        last = d.groupby("USUBJID")["DAY"].max().reindex(out.index)
        w = d[_text(d["DSDECOD"]).isin(WITHDRAWAL_TERMS)].groupby("USUBJID").size()
        out["WITHDRAWN"] = out.index.isin(w.index)
        cause = d[text_values(d["DSDECOD"]) == "DEATH"].groupby("USUBJID")["DSTERM"].first()
        out["DEATH_CAUSE"] = cause.reindex(out.index).fillna("").astype(str)
    # without a disposition record: the last dated record of the subject
    dated = []
    for name, dtc in (("AE", "AESTDTC"), ("LB", "LBDTC"), ("VS", "VSDTC"), ("FA", "FADTC"),
                      ("QS", "QSDTC")):
        df = _read(study, name, ["USUBJID", dtc], required=False)
        if df is not None and len(df) and dtc in df:
            dated.append(_last_dated(df, dtc))
    if dated:
        alld = pd.concat(dated).dropna()
        lastrec = alld.groupby("USUBJID")["dt"].max().reindex(out.index)
        lastrec_day = ((lastrec - ref).dt.total_seconds() / 86400.0)
        last = last.fillna(lastrec_day)
    fu = last.to_numpy(dtype=float)
    fu = np.where(np.isnan(out["DEATH_DAY"].to_numpy()), fu,
                  np.fmin(fu, out["DEATH_DAY"].to_numpy()))
    out["FOLLOWUP_DAY"] = np.where(np.isnan(fu), 0.0, fu)
    return out.reset_index()
