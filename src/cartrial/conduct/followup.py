"""Follow-up at a data cut-off: the one rule `decide --as-of`, the escalation history and
`analyze --cutoff` share."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd


def followed_to_cutoff(subjects: pd.DataFrame, infusion: pd.Series,
                       cutoff: date | str | pd.Timestamp) -> pd.DataFrame:
    """Subjects with ``FOLLOWUP_DAY`` set to whole days from the infusion date to the cut-off.

    A patient who neither died (``DEATH_DAY``) nor withdrew (``WITHDRAWN``) in the data known at
    the cut-off is followed up to the cut-off date: the data are taken as complete on that date.
    Follow-up is counted in whole days from the infusion date to the cut-off date, whatever
    the recorded follow-up says. The other reading, ``max(recorded, days to the cut-off)``, is
    wrong in two ways: a record dated on the cut-off day carries a clock time and would push the
    follow-up a fraction of a day past the cut-off (a TITE weight of 28.4/28 instead of 28/28),
    and a record dated after the cut-off (data not snapshotted) would count follow-up that was
    not known then. Whole days are what a committee counts on its cut-off date and what
    time-to-event designs weight (days since infusion; Yuan Y et al., Clin Cancer Res
    2018;24:4921-30; Cheung YK and Chappell R, Biometrics 2000;56:1177-82). Patients who died
    or withdrew keep their recorded follow-up.

    Parameters
    ----------
    subjects : pandas.DataFrame
        ``USUBJID``, ``FOLLOWUP_DAY``, ``DEATH_DAY`` and ``WITHDRAWN`` (the safety engine's
        subject frame, :func:`cartrial.safety.followup`).
    infusion : pandas.Series
        Infusion date (or date-time: its date is used) per USUBJID.
    cutoff : date, str or pandas.Timestamp
        The data cut-off date.

    Returns
    -------
    pandas.DataFrame
        A copy of ``subjects`` with ``FOLLOWUP_DAY`` as above (float days).

    Raises
    ------
    KeyError
        ``subjects`` lacks one of the columns above (the safety engine always provides them).

    Examples
    --------
    >>> subj = pd.DataFrame({"USUBJID": ["A", "B"], "FOLLOWUP_DAY": [3.4, 9.0],
    ...                      "DEATH_DAY": [np.nan, 9.0], "WITHDRAWN": [False, False]})
    >>> inf = pd.Series(pd.to_datetime(["2024-01-01 10:30", "2024-01-01 00:00"]), index=["A", "B"])
    >>> followed_to_cutoff(subj, inf, "2024-01-20")["FOLLOWUP_DAY"].tolist()
    [19.0, 9.0]
    """
    cut = pd.Timestamp(cutoff).normalize()
    out = subjects.copy()
    start = pd.to_datetime(out["USUBJID"].map(infusion)).dt.normalize()
    days = (cut - start).dt.days.to_numpy(dtype=float)
    alive = out["DEATH_DAY"].isna().to_numpy() & ~out["WITHDRAWN"].to_numpy(dtype=bool)
    out["FOLLOWUP_DAY"] = np.where(alive, days, out["FOLLOWUP_DAY"].to_numpy(dtype=float))
    return out
