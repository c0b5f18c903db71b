"""The safety engine's per-patient frame (follow-up, death, withdrawal, ICAHT censoring) as known
on any date, from the whole study's records read once (:mod:`cartrial.conduct.known_on`).

The same derivations as :func:`cartrial.safety.sdtm_subjects.followup` and
:func:`cartrial.safety.icaht_censor.icaht_censoring` on ``snapshot(study, date)``, over
per-record tables cut by date: a disposition event, a progression, a subsequent therapy or a
death is known when its date is on or before the cut-off (``DAY`` below the patient's limit,
days since infusion), and the last dated record is the latest dated AE / LB / VS / FA / QS
record on or before it. The dose level and the level counted for DLT evaluability do not change
with the cut-off (a patient enters once infused, and the infusion record is then known).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data import Study
from cartrial.data.batches import take_rows
from cartrial.data.dates import parse_dtc
from cartrial.safety.icaht_censor import PROGRESSION, SUBSEQUENT_THERAPY, first_stop
from cartrial.safety.sdtm_base import _day, _text
from cartrial.safety.sdtm_subjects import WITHDRAWAL_TERMS

_DATED = (("AE", "AESTDTC"), ("LB", "LBDTC"), ("VS", "VSDTC"), ("FA", "FADTC"), ("QS", "QSDTC"))


def _records(df: pd.DataFrame | None, keep: pd.Series | None, dtc: str, inf: pd.Series,
             domain: str) -> pd.DataFrame:
    """USUBJID and DAY of the kept records of infused subjects (``_day``: complete dates)."""
    if df is None or not len(df) or dtc not in df.columns:
        return pd.DataFrame({"USUBJID": pd.Series(dtype=object), "DAY": pd.Series(dtype=float)})
    d = df[keep.to_numpy()] if keep is not None else df
    d = d[d["USUBJID"].astype(str).isin(inf.index)]
    return pd.DataFrame({"USUBJID": d["USUBJID"].astype(str).to_numpy(),
                         "DAY": _day(d, dtc, inf, domain=domain, seq=f"{domain}SEQ")})


class KnownSubjects:
    """Per-record tables of one study for the subject frame at any cut-off.

    Parameters
    ----------
    study : Study
        The treated escalation patients' study (all data).
    subjects : pandas.DataFrame
        ``safety_inputs(study, protocol).subjects`` (the frame at ``as_of=None``).
    inf : pandas.Series
        Infusion date per USUBJID (``cartrial.safety.sdtm_base.infusion_dates``).

    Examples
    --------
    Needs a whole trial on disk (SDTM as loaded by ``load_study``), so not run here:

    >>> k = KnownSubjects(treated, safety_inputs(treated, protocol).subjects, inf)
    ... # doctest: +SKIP
    >>> k.at(ids, (cut - inf).dt.days + 1.0, cut)  # doctest: +SKIP
    """

    def __init__(self, study: Study, subjects: pd.DataFrame, inf: pd.Series) -> None:
        self.full, self.inf = subjects, inf
        ds = study.get("DS")
        if ds is not None and len(ds):
            d = ds[_text(ds["DSCAT"]) == "DISPOSITION EVENT"]
            d = d[d["USUBJID"].astype(str).isin(inf.index)]
            decod = _text(d["DSDECOD"])
            self.ds = _records(d, None, "DSSTDTC", inf, "DS").assign(
                WITHDRAWAL=decod.isin(WITHDRAWAL_TERMS).to_numpy(),
                DEATH=(decod == "DEATH").to_numpy(), DSTERM=d["DSTERM"].to_numpy())
        else:
            self.ds = None
        dated = []
        for name, dtc in _DATED:
            df = study.get(name)
            if df is not None and len(df) and dtc in df:
                dated.append(pd.DataFrame({"USUBJID": df["USUBJID"].astype(str),
                                           "dt": parse_dtc(df[dtc])["dt"]}))
        self.dated = pd.concat(dated).dropna() if dated else None
        rs, cm = study.get("RS"), study.get("CM")
        pd_keep = (_text(rs["RSTESTCD"]).eq("OVRLRESP") & _text(rs["RSSTRESC"]).eq(PROGRESSION)
                   if rs is not None and len(rs) else None)
        cm_keep = _text(cm["CMCAT"]).eq(SUBSEQUENT_THERAPY) if cm is not None and len(cm) else None
        self.progression = _records(rs, pd_keep, "RSDTC", inf, "RS")
        self.therapy = _records(cm, cm_keep, "CMSTDTC", inf, "CM")

    def at(self, ids: np.ndarray, limit: pd.Series, cut: pd.Timestamp) -> pd.DataFrame:
        """The subject frame of ``safety_inputs`` on the study as known on ``cut``.

        Parameters
        ----------
        ids : numpy.ndarray
            The patients infused by ``cut``.
        limit : pandas.Series
            Per patient, ``(cut - infusion).days + 1``: a DAY below it is known.
        cut : pandas.Timestamp
            The cut-off (midnight).

        Returns
        -------
        pandas.DataFrame
            The columns and row order of ``safety_inputs(...).subjects``.
        """
        out = take_rows(self.full, np.isin(self.full["USUBJID"].to_numpy(), ids))
        index = pd.Index(out["USUBJID"])
        lim = index.to_series().map(limit).to_numpy(dtype=float)
        death = out["DEATH_DAY"].to_numpy(dtype=float)
        death = np.where(death < lim, death, np.nan)  # a death after the cut-off is not known
        last = pd.Series(np.nan, index=index)
        withdrawn = np.zeros(len(out), dtype=bool)
        cause = pd.Series("", index=index, dtype=object)
        if self.ds is not None:
            d = self._known(self.ds, ids, limit)
            last = d.groupby("USUBJID")["DAY"].max().reindex(index)
            withdrawn = index.isin(d.loc[d["WITHDRAWAL"], "USUBJID"])
            cause = d[d["DEATH"]].groupby("USUBJID")["DSTERM"].first()
            cause = cause.reindex(index).fillna("").astype(str)
        if self.dated is not None:
            dt = self.dated
            rec = dt[(dt["dt"] < cut + pd.Timedelta(days=1)).to_numpy()]
            lastrec = rec.groupby("USUBJID")["dt"].max().reindex(index)
            ref = index.to_series().map(self.inf)
            last = last.fillna((lastrec - ref).dt.total_seconds() / 86400.0)
        fu = last.to_numpy(dtype=float)
        fu = np.where(np.isnan(death), fu, np.fmin(fu, death))
        out["DEATH_DAY"] = death
        out["WITHDRAWN"] = withdrawn
        out["DEATH_CAUSE"] = cause.to_numpy()
        out["FOLLOWUP_DAY"] = np.where(np.isnan(fu), 0.0, fu)
        self._censoring(out, index, ids, limit, death)
        return out

    def _known(self, recs: pd.DataFrame, ids: np.ndarray, limit: pd.Series) -> pd.DataFrame:
        subj = recs["USUBJID"].to_numpy()
        lim = pd.Series(subj, dtype=object).map(limit).to_numpy(dtype=float)
        return recs[np.isin(subj, ids) & (recs["DAY"].to_numpy(dtype=float) < lim)]

    def _censoring(self, out: pd.DataFrame, index: pd.Index, ids: np.ndarray,
                   limit: pd.Series, death: np.ndarray) -> None:
        """ICAHT count stops as ``icaht_censoring`` derives them (the first of three days)."""
        firsts = []
        for recs in (self.progression, self.therapy):
            d = self._known(recs, ids, limit)
            firsts.append(d.groupby("USUBJID")["DAY"].min().reindex(index).to_numpy(dtype=float)
                          if len(d) else np.full(len(index), np.nan))
        out["PROGRESSION_DAY"], out["NEXT_THERAPY_DAY"] = firsts
        out["CENSOR_DAY"], out["CENSOR_REASON"] = first_stop(np.column_stack([*firsts, death]))
