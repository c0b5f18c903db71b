"""Phase I/II designs in the escalation history: when the decision inputs change, and the OBD.

A phase I/II design (BOIN12, Lin R et al., JCO Precis Oncol 2020;4:1393-402) decides on each
patient's DLT and efficacy outcome, so its inputs change not only when a DLT becomes known but
also when a response becomes assessable (the visit that shows it), when the efficacy window
closes without one, and when a patient enters. After a SUSPEND, ``conduct.history`` re-derives
the decision the day after the first such change (as it does after a DLT for BOIN). The dose is
selected on complete data: ``COMMITTEE_LAG_DAYS`` after the last escalation patient completed
the longer of the DLT window and the efficacy window; the selected dose is the OBD.
"""

from __future__ import annotations

import pandas as pd

from cartrial.conduct.dose_efficacy import PHASE12_DESIGNS
from cartrial.data import Study
from cartrial.protocol import Protocol

DAY = pd.Timedelta(days=1)


def is_phase12(protocol: Protocol) -> bool:
    """Whether the protocol's design decides on efficacy as well as DLTs (boin12, tite-boin12).

    Parameters
    ----------
    protocol : Protocol
        The protocol.

    Returns
    -------
    bool

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> is_phase12(load_protocol("ct071"))
    False
    """
    return protocol.design.name in PHASE12_DESIGNS


def complete_after_days(protocol: Protocol) -> int:
    """Days after an infusion by which every outcome the design decides on is known: the DLT
    window, and for a phase I/II design the day after the efficacy window closes.

    Parameters
    ----------
    protocol : Protocol
        The protocol.

    Returns
    -------
    int

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> complete_after_days(load_protocol("ct071"))
    28
    """
    window = protocol.design.dlt_window_days
    e = protocol.design.efficacy
    if not is_phase12(protocol) or e is None:
        return window
    return max(window, e.by_day + e.window_days + 1)


def selected_index(selection: object) -> int | None:
    """The selected dose (0-based) of a design's selection: the OBD of a phase I/II design
    (``Obd.obd``, None when no dose qualifies), the MTD otherwise.

    Parameters
    ----------
    selection : object
        ``Design.select`` output (``.mtd``, and ``.obd`` for BOIN12).

    Returns
    -------
    int or None

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> selected_index(SimpleNamespace(obd=None, mtd=1)) is None
    True
    """
    return selection.obd if hasattr(selection, "obd") else selection.mtd  # type: ignore[attr-defined]


def _inputs(study: Study, protocol: Protocol, t: pd.Timestamp) -> frozenset:
    from cartrial.conduct.from_study import dlt_status

    return _fingerprint(dlt_status(study, protocol, t))


def _fingerprint(p: pd.DataFrame) -> frozenset:
    """Who is infused and each one's DLT and efficacy status: the decision's inputs."""
    if not len(p):
        return frozenset()
    resp = p["RESPONSE"] if "RESPONSE" in p else pd.Series("", index=p.index)
    return frozenset(zip(p["USUBJID"].astype(str), p["DLT"], resp, strict=True))


def next_input_change(study: Study, protocol: Protocol, t: pd.Timestamp,
                      patients: pd.DataFrame) -> pd.Timestamp | None:
    """The day after the first date after ``t`` on which the decision's inputs change.

    Parameters
    ----------
    study : Study
        The escalation study.
    protocol : Protocol
        A phase I/II protocol (``design.efficacy``).
    t : pandas.Timestamp
        The date of the SUSPEND.
    patients : pandas.DataFrame
        ``conduct.dlt_status`` at ``t`` (with RESPONSE).

    Returns
    -------
    pandas.Timestamp or None
        None when no outcome is open any more (the suspension waits on data not recorded).

    Raises
    ------
    InputError
        Data the engines cannot use (``conduct.dlt_status``).

    Examples
    --------
    >>> next_input_change(study, protocol, pd.Timestamp("2024-01-02"), patients)
    ... # doctest: +SKIP
    """
    window = pd.Timedelta(days=protocol.design.dlt_window_days)
    eff_close = pd.Timedelta(days=complete_after_days(protocol))
    if not len(patients):
        return None
    inf = patients["INFUSION_DATE"]
    ends = pd.concat([inf[patients["DLT"] == "pending"] + window,
                      inf[patients.get("RESPONSE", pd.Series(dtype=object)) == "pending"]
                      + eff_close])
    ends = ends[ends > t]
    if not len(ends):
        return None
    hi = ends.min()
    known = _fingerprint(patients)
    if _inputs(study, protocol, hi) == known:
        return hi + DAY
    lo = t  # the inputs differ at hi but not at lo: the first date they differ, by bisection
    while (hi - lo).days > 1:
        mid = lo + pd.Timedelta(days=(hi - lo).days // 2)
        if _inputs(study, protocol, mid) == known:
            lo = mid
        else:
            hi = mid
    return hi + DAY
