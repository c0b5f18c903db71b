"""`decide` on an SDTM study: snapshot at the cut-off -> safety engine's DLT adjudication ->
the design's recommendation (issue #3 point 7, with issue #5 point 4)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from cartrial.conduct.recommend import Recommendation, recommend
from cartrial.data import Study, snapshot
from cartrial.errors import InputError
from cartrial.protocol import Protocol
from cartrial.safety.analysis import analyse_safety
from cartrial.safety.sdtm import infusion_dates, safety_inputs


@dataclass(frozen=True)
class StudyDecision:
    """A recommendation with what it was made on: cut-off, patients' DLT status, data hash."""

    recommendation: Recommendation
    patients: pd.DataFrame
    as_of: date | None
    data_hash: str


def dlt_status(study: Study, protocol: Protocol, as_of: date | str | None = None) -> pd.DataFrame:
    """Per infused patient on the data known at ``as_of``: dose, infusion date, DLT status.

    With a cut-off, a patient who neither died nor withdrew before it is followed up to the
    cut-off (the data are taken as complete on that date); records after it are not seen.
    """
    snap = snapshot(study, as_of) if as_of is not None else study
    inputs = safety_inputs(snap, protocol)
    inf = infusion_dates(snap)
    subj = inputs.subjects.copy()
    if as_of is not None:
        cut = pd.Timestamp(as_of).normalize()
        days = (cut - subj["USUBJID"].map(inf)).dt.days.to_numpy(dtype=float)
        alive_in = subj["DEATH_DAY"].isna().to_numpy() & ~subj["WITHDRAWN"].to_numpy(dtype=bool)
        subj["FOLLOWUP_DAY"] = np.where(alive_in, np.fmax(subj["FOLLOWUP_DAY"], days),
                                        subj["FOLLOWUP_DAY"])
        inputs = replace(inputs, subjects=subj)
    res = analyse_safety(inputs, protocol).dlt.patients.copy()
    ids = protocol.dose_ids
    unknown = ~res["DOSE_LEVEL"].isin(ids)
    if unknown.any():
        r = res.loc[unknown].iloc[0]
        raise InputError(f"DM USUBJID={r['USUBJID']} ACTARMCD={r['DOSE_LEVEL']!r}: infused "
                         f"subject whose arm is not a protocol dose level {ids}")
    res["DOSE_INDEX"] = res["DOSE_LEVEL"].map({d: i for i, d in enumerate(ids)}).astype(int)
    res["INFUSION_DATE"] = res["USUBJID"].map(inf)
    return res


def decide_study(study: Study, protocol: Protocol,
                 as_of: date | str | None = None) -> StudyDecision:
    """The design's recommendation on the study as known at ``as_of`` (default: all data)."""
    patients = dlt_status(study, protocol, as_of)
    rec = recommend(patients, protocol)
    cut = pd.Timestamp(as_of).date() if as_of is not None else None
    return StudyDecision(rec, patients, cut, study.data_hash)
