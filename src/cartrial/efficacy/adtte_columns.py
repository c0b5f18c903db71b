"""Median follow-up and competing-risk incidence from ADTTE columns (AVAL, CNSR, EVNTDESC).

The one place the dose-level follow-up and cumulative-incidence rules read their inputs:
:func:`cartrial.efficacy.dose_comparisons` calls them per dose level on the efficacy engine's
ADTTE-shaped rows, and the report's analysis results (Table 14.4.4) on the ADTTE dataset it
writes, so both give the same numbers from the same columns. Times are days (AVAL), turned into
months with the protocol's ``days_per_month``; CNSR 0 is an event (ADaM BDS-TTE v1.0).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cartrial.efficacy.cuminc import cumulative_incidence
from cartrial.efficacy.follow_up import FollowUp, median_follow_up
from cartrial.efficacy.time_to_event import event_from_cnsr
from cartrial.errors import InputError
from cartrial.protocol.model import EndpointSettings

PFS_CAUSES = {1: "Disease progression", 2: "Death without progression"}  # labels
#: EVNTDESC of a PFS event -> its cause code in :data:`PFS_CAUSES`
PFS_EVENTS = {"Disease progression": 1, "Death": 2}


def follow_up_from_adtte(aval: pd.Series, cnsr: pd.Series,
                         settings: EndpointSettings) -> FollowUp:
    """Median follow-up by reverse Kaplan-Meier of ADTTE records (OS: death is the event).

    Parameters
    ----------
    aval : pandas.Series
        ADTTE AVAL, days from STARTDT.
    cnsr : pandas.Series
        ADTTE CNSR (0 = event).
    settings : EndpointSettings
        Confidence level, KM transform and ``days_per_month``.

    Returns
    -------
    FollowUp
        Median follow-up in months with its Brookmeyer-Crowley limits.

    References
    ----------
    Schemper M, Smith TL. Control Clin Trials 1996;17:343-6.

    Examples
    --------
    >>> s = EndpointSettings(days_per_month=1.0)
    >>> f = follow_up_from_adtte(pd.Series([3, 6, 9, 12]), pd.Series([0, 1, 1, 1]), s)
    >>> f.median, f.ci_low
    (9.0, 6.0)
    """
    return median_follow_up(aval, event_from_cnsr(cnsr), settings.confidence_level,
                            settings.km_ci_transform, settings.days_per_month)


def pfs_causes(cnsr: pd.Series, evntdesc: pd.Series, usubjid: pd.Series) -> np.ndarray:
    """0 = censored, 1 = progression, 2 = death without progression (from EVNTDESC).

    Parameters
    ----------
    cnsr, evntdesc, usubjid : pandas.Series
        ADTTE CNSR, EVNTDESC and USUBJID of PFS records.

    Returns
    -------
    numpy.ndarray
        The cause code of each record.

    Raises
    ------
    InputError
        A PFS event whose EVNTDESC is neither 'Disease progression' nor 'Death'.

    Examples
    --------
    >>> pfs_causes(pd.Series([0, 0, 1]), pd.Series(["Death", "Disease progression", ""]),
    ...            pd.Series(["a", "b", "c"])).tolist()
    [2, 1, 0]
    """
    ev = event_from_cnsr(cnsr)
    desc = evntdesc.to_numpy(dtype=object)
    code = np.select([~ev] + [desc == k for k in PFS_EVENTS], [0, *PFS_EVENTS.values()], -1)
    bad = code < 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"PFS event of {usubjid.iloc[i]} has EVNTDESC {desc[i]!r}; expected "
            "'Disease progression' or 'Death'"
        )
    return code


def cuminc_at(table: pd.DataFrame, months: Sequence[float]) -> pd.DataFrame:
    """Incidence and CI of each cause at landmark months (step function; NaN past the end).

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`cartrial.efficacy.cuminc.CumIncResult.table`.
    months : sequence of float
        The landmark months.

    Returns
    -------
    pandas.DataFrame
        cause, month, cuminc, ci_low, ci_high (no band where the incidence is 0).

    Examples
    --------
    >>> r = cumulative_incidence([2, 4, 4, 6, 8], [1, 2, 0, 1, 0], PFS_CAUSES, days_per_month=1)
    >>> cuminc_at(r.table, [6, 9])["cuminc"].round(2).tolist()
    [0.5, nan, 0.2, nan]
    """
    frames = []
    m = np.asarray(months, dtype=float)
    for cause, c in table.groupby("cause", sort=False):
        x = c["time"].to_numpy()
        i = np.searchsorted(x, m, side="right") - 1
        out = {"cause": cause, "month": m}
        for col in ("cuminc", "ci_low", "ci_high"):
            before = 0.0 if col == "cuminc" else np.nan  # no band where F = 0 (R: NA)
            v = np.where(i >= 0, c[col].to_numpy()[np.clip(i, 0, None)], before)
            out[col] = np.where(m > x[-1], np.nan, v)
        frames.append(pd.DataFrame(out))
    return pd.concat(frames, ignore_index=True)


def pfs_incidence_from_adtte(pfs: pd.DataFrame, settings: EndpointSettings
                             ) -> tuple[pd.DataFrame, str] | None:
    """Cumulative incidence of progression and of death without progression at the landmarks.

    Parameters
    ----------
    pfs : pandas.DataFrame
        ADTTE PFS records: USUBJID, AVAL (days), CNSR, EVNTDESC.
    settings : EndpointSettings
        Confidence level, ``days_per_month`` and ``landmarks_months``.

    Returns
    -------
    (pandas.DataFrame, str) or None
        :func:`cuminc_at` at the landmark months and the method sentence; None when there
        is no event.

    Raises
    ------
    InputError
        A PFS event that is neither progression nor death.

    References
    ----------
    Aalen OO, Johansen S. Scand J Stat 1978;5:141-50.

    Examples
    --------
    >>> pfs = pd.DataFrame({"USUBJID": list("abcde"), "AVAL": [2, 4, 4, 6, 8],
    ...                     "CNSR": [0, 0, 1, 0, 1], "EVNTDESC": ["Disease progression",
    ...                     "Death", "", "Disease progression", ""]})
    >>> s = EndpointSettings(days_per_month=1.0, landmarks_months=[6.0])
    >>> pfs_incidence_from_adtte(pfs, s)[0]["cuminc"].round(2).tolist()
    [0.5, 0.2]
    """
    code = pfs_causes(pfs["CNSR"], pfs["EVNTDESC"], pfs["USUBJID"])
    if not (code > 0).any():
        return None
    r = cumulative_incidence(pfs["AVAL"], code, PFS_CAUSES, settings.confidence_level,
                             settings.days_per_month)
    return cuminc_at(r.table, settings.landmarks_months), r.method
