"""The CRS flow sheet and ICANS assessments of the escalation patients as known on a date, cut
from frames built once (:mod:`cartrial.conduct.known_on`).

The frames are built once by the safety engine's own functions on the whole study with every
death date blanked; the deaths known on a date are merged into the cut by the engine's own rule
(``_flag_deaths``: the death's time point and flags). A time point is known on date D when
its --DTC is on or before D, i.e. when its ``DAY`` is below ``(D - infusion).days + 1``: the
CRS / ICANS time points of each patient up to D are a prefix of the whole frame. A cut equals
the rebuild on the study as known on D unless, among the patients infused by D,

- a CRS/ICANS management medication started by D ends after D (the end is blanked on D, so its
  running flags stop at the first time point);
- an ICE item (QS) first recorded after D (which ICE columns are kept depends on it);
- the vital-signs sequence number's type differs (an FA time point with no temperature makes it
  a float column);

in each of those cases the frame is rebuilt from the study as known on D. An FA test first
recorded after D has no column on D: its column is dropped from the cut.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data import Study
from cartrial.data.batches import take_rows
from cartrial.data.dates import impute_date
from cartrial.safety.sdtm import (
    CM_CLASSES,
    FA_CRS,
    FA_ICANS,
    QS_ICE,
    _flag_deaths,
    crs_observations,
    icans_assessments,
)
from cartrial.safety.sdtm_base import CRS_TERM, ICANS_TERM, _text

_CRS_OBJ = "CYTOKINE RELEASE SYNDROME"
#: the columns FA NEUOTH becomes in the ICANS frame (``icans_assessments``)
_OTHER_CAUSE = [f"{d}_OTHER_CAUSE" for d in ("ICE", "CONSCIOUSNESS", "SEIZURE", "MOTOR", "ICP")]


def _codes(df: pd.DataFrame | None, keep: pd.Series | None, test: str, dtc: str,
           names: dict[str, str]) -> pd.DataFrame:
    """USUBJID, test code and first possible date of each flow-sheet record of ``names``."""
    if df is None or not len(df):
        return pd.DataFrame({"USUBJID": pd.Series(dtype=object), "CODE": pd.Series(dtype=object),
                             "START": pd.Series(dtype="M8[ns]"), "DTC": pd.Series(dtype=object)})
    d = df[keep.to_numpy()] if keep is not None else df
    code = _text(d[test])
    d, code = d[code.isin(list(names)).to_numpy()], code[code.isin(list(names))]
    return pd.DataFrame({"USUBJID": d["USUBJID"].astype(str).to_numpy(),
                         "CODE": code.to_numpy(),
                         "START": impute_date(d[dtc], "start")[0].to_numpy(),
                         "DTC": d[dtc].astype(object).to_numpy()})


class KnownSyndromes:
    """CRS and ICANS frames of one study, cut per date (module docstring).

    Parameters
    ----------
    study : Study
        The treated escalation patients' study (all data).
    inf : pandas.Series
        Infusion date per USUBJID.

    Examples
    --------
    Needs a whole trial on disk (SDTM as loaded by ``load_study``), so not run here:

    >>> crs, icans = KnownSyndromes(treated, inf).at(ids, limit, cut, deaths, known)
    ... # doctest: +SKIP
    """

    def __init__(self, study: Study, inf: pd.Series) -> None:
        dm = study["DM"].copy()
        for v in ("DTHDTC", "DTHFL"):
            if v in dm:
                dm[v] = pd.Series(pd.NA, index=dm.index, dtype=dm[v].dtype)
        alive = Study({**study.domains, "DM": dm})
        self.crs, self.icans = crs_observations(alive), icans_assessments(alive)
        self.inf = inf
        fa, qs, vs = study.get("FA"), study.get("QS"), study.get("VS")
        fa_obj = _text(fa["FAOBJ"]) if fa is not None and len(fa) else None
        self.fa_crs = _codes(fa, None if fa_obj is None else fa_obj == _CRS_OBJ, "FATESTCD",
                             "FADTC", FA_CRS)
        self.fa_icans = _codes(fa, None if fa_obj is None else fa_obj == ICANS_TERM.upper(),
                               "FATESTCD", "FADTC", FA_ICANS)
        self.qs_ice = _codes(qs, None if qs is None or not len(qs) else
                             _text(qs["QSCAT"]) == "ICE", "QSTESTCD", "QSDTC", QS_ICE)
        temp = _codes(vs, None, "VSTESTCD", "VSDTC", {"TEMP": "TEMP"})
        vs_keys = set(zip(temp["USUBJID"], temp["DTC"], strict=True))
        fa_only = [(u, t) not in vs_keys
                   for u, t in zip(self.fa_crs["USUBJID"], self.fa_crs["DTC"], strict=True)]
        self.fa_only = self.fa_crs[np.asarray(fa_only, dtype=bool)]
        self.seq_dtype = vs["VSSEQ"].dtype if vs is not None and "VSSEQ" in vs else None
        self.cm = self._medications(study.get("CM"))

    @staticmethod
    def _medications(cm: pd.DataFrame | None) -> pd.DataFrame:
        """CRS/ICANS management records with their start and end (first possible days)."""
        if cm is None or not len(cm) or "CMCLAS" not in cm:
            return pd.DataFrame({"USUBJID": [], "START": pd.Series(dtype="M8[ns]"),
                                 "END": pd.Series(dtype="M8[ns]")})
        cm = cm[((_text(cm["CMCAT"]) == "CRS/ICANS MANAGEMENT")
                 & _text(cm["CMCLAS"]).isin(list(CM_CLASSES))).to_numpy()]
        end = (impute_date(cm["CMENDTC"], "start")[0].to_numpy() if "CMENDTC" in cm
               else np.full(len(cm), np.datetime64("NaT"), dtype="M8[ns]"))
        return pd.DataFrame({"USUBJID": cm["USUBJID"].astype(str).to_numpy(),
                             "START": impute_date(cm["CMSTDTC"], "start")[0].to_numpy(),
                             "END": end})

    def at(self, ids: np.ndarray, limit: pd.Series, cut: np.datetime64, deaths: np.ndarray,
           known) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
        """(CRS, ICANS) as known on ``cut``; None for a frame that must be rebuilt.

        Parameters
        ----------
        ids : numpy.ndarray
            The patients infused by ``cut``.
        limit : pandas.Series
            Per patient, ``(cut - infusion).days + 1``: a DAY below it is known.
        cut : numpy.datetime64
            The cut-off (midnight, ns).
        deaths : numpy.ndarray
            USUBJIDs (among ``ids``) whose death is known on ``cut``.
        known : object
            The study as known on ``cut`` (``get(domain)``: DM and AE for the deaths).

        Returns
        -------
        tuple
            The CRS and ICANS frames, or None where a cut would not equal the rebuild.
        """
        if self._medication_ends_later(ids, cut):
            return None, None
        crs = self._cut(self.crs, ids, limit, cut, [(self.fa_crs, FA_CRS, True)])
        if crs is not None:
            crs = self._seq(crs, ids, cut)
        icans = self._cut(self.icans, ids, limit, cut, [(self.qs_ice, QS_ICE, False),
                                                         (self.fa_icans, FA_ICANS, True)])
        if len(deaths):  # the safety engine's own rule merges each known death in
            inf = self.inf[self.inf.index.isin(ids)]
            if crs is not None:
                crs = _flag_deaths(known, crs, inf, term=CRS_TERM, flag="CRS_DEATH")
            if icans is not None:
                icans = _flag_deaths(known, icans, inf, term=ICANS_TERM, flag="ICANS_DEATH")
        return crs, icans

    def _medication_ends_later(self, ids: np.ndarray, cut: np.datetime64) -> bool:
        m = self.cm
        mine = np.isin(m["USUBJID"].to_numpy(), ids)
        start, end = m["START"].to_numpy(), m["END"].to_numpy()
        return bool((mine & ~(start > cut) & (end > cut)).any())

    def _cut(self, frame: pd.DataFrame, ids: np.ndarray, limit: pd.Series, cut: np.datetime64,
             tests: list[tuple[pd.DataFrame, dict[str, str], bool]]) -> pd.DataFrame | None:
        subj = frame["USUBJID"].to_numpy()
        lim = pd.Series(subj, dtype=object).map(limit).to_numpy(dtype=float)
        keep = np.isin(subj, ids) & (frame["DAY"].to_numpy(dtype=float) < lim)
        if not keep.any():
            return None
        gone = []
        for codes, names, droppable in tests:  # a test not yet recorded has no column yet
            now = codes[np.isin(codes["USUBJID"].to_numpy(), ids)
                        & ~(codes["START"].to_numpy() > cut)]
            missing = set(codes["CODE"]) - set(now["CODE"])
            if missing and not droppable:
                return None
            gone += [_OTHER_CAUSE if c == "NEUOTH" else [names[c]] for c in sorted(missing)]
        out = take_rows(frame, keep)
        return out.drop(columns=[c for cols in gone for c in cols]) if gone else out

    def _seq(self, crs: pd.DataFrame, ids: np.ndarray,
             cut: np.datetime64) -> pd.DataFrame | None:
        """VSSEQ keeps its type on a date with no FA time point lacking a temperature."""
        if self.seq_dtype is None or "SEQ" not in crs or crs["SEQ"].dtype == self.seq_dtype:
            return crs
        f = self.fa_only
        if (np.isin(f["USUBJID"].to_numpy(), ids) & ~(f["START"].to_numpy() > cut)).any():
            return crs
        if crs["SEQ"].isna().any():  # a float for another reason: rebuild
            return None
        crs["SEQ"] = crs["SEQ"].astype(self.seq_dtype)
        return crs
