"""ADSYND: CRS and ICANS episodes graded from the daily observations, one row per subject,
syndrome, episode and parameter (BDS).

Why a dataset of its own: an episode is derived by the safety engine from the daily vital
signs, oxygen support, vasopressors, ICE score and neurological findings (ASTCT 2019 consensus
grading, Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38; :func:`cartrial.safety.
grade_crs`, :func:`cartrial.safety.grade_icans`); some episodes have no AE record, and one AE
record may span several episodes, so ADAE (one row per AE record) cannot hold them. PARCAT1 is
CRS or ICANS; EPISODE numbers a subject's episodes of that syndrome by onset (1 = the first).

========  ===================================================================  ==============
PARAMCD   PARAM                                                                source column
========  ===================================================================  ==============
xxxONDY   Onset, whole days from infusion (infusion day = day 0)               ONSET_DAY
xxxDURDY  Duration of the resolved episode, days (resolution - onset)          DURATION_DAYS
xxxMAXGR  Highest ASTCT 2019 grade of the episode                              MAX_GRADE
CRSTOCI   Tocilizumab given during the episode (1 = yes, 0 = no)               TOCILIZUMAB
xxxSTER   Corticosteroids given during the episode (1 = yes, 0 = no)           STEROID
========  ===================================================================  ==============

(xxx = CRS or ICN.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam._dates import require
from cartrial.data.text import share_repeats

#: PARAMCD suffix -> (PARAM, source column, AVALU); "TOCI" for CRS only
PARAMS = {
    "ONDY": ("Onset, whole days from infusion (day 0)", "ONSET_DAY", "DAYS"),
    "DURDY": ("Duration of the resolved episode (days)", "DURATION_DAYS", "DAYS"),
    "MAXGR": ("Highest ASTCT 2019 grade of the episode", "MAX_GRADE", ""),
    "TOCI": ("Tocilizumab given during the episode", "TOCILIZUMAB", ""),
    "STER": ("Corticosteroids given during the episode", "STEROID", ""),
}
PREFIX = {"CRS": "CRS", "ICANS": "ICN"}
_SRC = ("the safety engine's ASTCT 2019 grading of the daily observations (Lee et al., Biol "
        "Blood Marrow Transplant 2019;25:625-38)")
#: Origin and derivation of each variable this module derives (cartrial.adam.derivations).
DEFINE = {
    "PARCAT1": "Assigned: CRS or ICANS.",
    "PARAMCD": "Assigned: the parameter code (see PARAM).",
    "PARAM": "Assigned: the syndrome and the description of PARAMCD.",
    "EPISODE": f"Derived: the subject's episodes of the syndrome numbered by onset from 1 "
               f"({_SRC}; an episode ends when the grade returns to 0).",
    "AVAL": "Derived: the parameter's value (see its method).",
    "AVALU": "Assigned: DAYS for the onset and duration parameters, else none.",
}
#: The value-level derivation of AVAL per PARAMCD (cartrial.adam.derivations).
DEFINE_PARAMS = {
    **{f"{p}ONDY": f"{s}: the whole days from midnight of the infusion day to the first graded "
                   f"time point of the episode (floor; infusion day = 0; {_SRC})."
       for s, p in PREFIX.items()},
    **{f"{p}DURDY": f"{s}: days from onset to the first later time point graded 0; missing "
                    f"while unresolved ({_SRC})." for s, p in PREFIX.items()},
    **{f"{p}MAXGR": f"{s}: highest grade over the episode's time points ({_SRC})."
       for s, p in PREFIX.items()},
    "CRSTOCI": "CRS: 1 when tocilizumab (CM) was given on a time point of the episode, else 0.",
    **{f"{p}STER": f"{s}: 1 when a corticosteroid (CM) was given on a time point of the episode, "
                   "else 0." for s, p in PREFIX.items()},
}


def _episode_rows(ep: pd.DataFrame, syndrome: str) -> pd.DataFrame:
    p = PREFIX[syndrome]
    parts = []
    for suffix, (param, col, unit) in PARAMS.items():
        if col not in ep.columns:
            continue
        v = ep[col].astype(float).to_numpy()
        parts.append(pd.DataFrame({
            "USUBJID": ep["USUBJID"].astype(str).to_numpy(), "PARCAT1": syndrome,
            "EPISODE": ep["EPISODE"].astype(int).to_numpy(), "PARAMCD": p + suffix,
            "PARAM": f"{syndrome}: {param}", "AVALU": unit,
            "AVAL": np.floor(v) if suffix == "ONDY" else v}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def derive_adsynd(crs_episodes: pd.DataFrame, icans_episodes: pd.DataFrame,
                  adsl: pd.DataFrame) -> pd.DataFrame:
    """ADSYND: onset, duration, highest grade and therapy of each CRS and ICANS episode.

    Parameters
    ----------
    crs_episodes, icans_episodes : pandas.DataFrame
        ``CrsResult.episodes`` and ``IcansResult.episodes`` (USUBJID, EPISODE, ONSET_DAY,
        DURATION_DAYS, MAX_GRADE, STEROID; TOCILIZUMAB for CRS).
    adsl : pandas.DataFrame
        ADSL (STUDYID, USUBJID, TRT01A, TRT01AN).

    Returns
    -------
    pandas.DataFrame
        STUDYID, USUBJID, ASEQ, TRT01A, TRT01AN, PARCAT1, EPISODE, PARAMCD, PARAM, AVAL, AVALU;
        sorted by USUBJID, PARCAT1, EPISODE and parameter.

    Raises
    ------
    InputError
        Missing columns.

    References
    ----------
    Lee DW et al. Biol Blood Marrow Transplant 2019;25:625-38 (ASTCT consensus grading);
    CDISC ADaMIG v1.3, section 3.3 (BDS).

    Examples
    --------
    >>> ep = pd.DataFrame({"USUBJID": ["P1"], "EPISODE": [1], "ONSET_DAY": [2.4],
    ...     "DURATION_DAYS": [3.5], "MAX_GRADE": [2], "TOCILIZUMAB": [True], "STEROID": [False]})
    >>> sl = pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["P1"], "TRT01A": ["DL1"],
    ...                    "TRT01AN": [1]})
    >>> d = derive_adsynd(ep, ep.iloc[:0], sl)
    >>> d[["PARAMCD", "AVAL"]].values.tolist()
    [['CRSONDY', 2.0], ['CRSDURDY', 3.5], ['CRSMAXGR', 2.0], ['CRSTOCI', 1.0], ['CRSSTER', 0.0]]
    """
    need = ["USUBJID", "EPISODE", "ONSET_DAY", "DURATION_DAYS", "MAX_GRADE", "STEROID"]
    require(crs_episodes, [*need, "TOCILIZUMAB"], "ADSYND (CRS episodes)")
    require(icans_episodes, need, "ADSYND (ICANS episodes)")
    require(adsl, ["STUDYID", "USUBJID", "TRT01A", "TRT01AN"], "ADSYND (ADSL)")
    parts = [_episode_rows(e, s) for e, s in ((crs_episodes, "CRS"), (icans_episodes, "ICANS"))
             if len(e)]
    cols = ["STUDYID", "USUBJID", "ASEQ", "TRT01A", "TRT01AN", "PARCAT1", "EPISODE", "PARAMCD",
            "PARAM", "AVAL", "AVALU"]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    sl = adsl.assign(USUBJID=adsl["USUBJID"].astype(str)).set_index("USUBJID")
    out = out[out["USUBJID"].isin(sl.index)]
    for c in ("STUDYID", "TRT01A", "TRT01AN"):
        out[c] = out["USUBJID"].map(sl[c])
    order = {s: i for i, s in enumerate(PARAMS)}
    out["_K"] = out["PARAMCD"].str[3:].map(order)
    out = out.sort_values(["USUBJID", "PARCAT1", "EPISODE", "_K"], kind="stable")
    out = out.drop(columns="_K").reset_index(drop=True)
    out["ASEQ"] = out.groupby("USUBJID").cumcount() + 1
    out = out[cols]
    return share_repeats(out)  # one object per distinct text value (issue #18: memory)
