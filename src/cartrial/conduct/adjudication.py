"""The committee's DLT adjudication over the engine's call.

The safety engine calls each escalation patient's DLT status from the protocol's rules
(``cartrial.safety.dlt``); the safety review committee may confirm or override that call for a
patient, with a rationale (US FDA, Guidance for Industry: Establishment and Operation of
Clinical Trial Data Monitoring Committees, 2006, section 4.3: the committee's judgement is
recorded with its reasons). What the committee decided is what the design then counts: an
override to ``yes`` makes the patient DLT-evaluable with a DLT; an override to ``no`` removes
the DLT: the patient is then ``no`` once the window is completed (or follow-up ended early:
not evaluable) and ``pending`` while still inside it (the protocol's ``completed_window_or_dlt``
rule applied to the adjudicated status).

Adjudications are dated: only those recorded on or before the data cut-off apply, so that
``decide --as-of`` reproduces what was known on that date.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from cartrial.errors import InputError, require_columns

ADJUDICATION_COLUMNS = ("USUBJID", "DLT", "RATIONALE", "ADJ_DATE")


def apply_adjudications(patients: pd.DataFrame, adjudications: pd.DataFrame | None,
                        window_days: float, as_of: date | str | None = None) -> pd.DataFrame:
    """The patients' DLT status with the committee's adjudications applied.

    Parameters
    ----------
    patients : pandas.DataFrame
        One row per escalation patient with ``USUBJID``, ``DLT`` (``yes`` / ``no`` /
        ``pending``), ``FOLLOWUP_DAY`` (see ``cartrial.conduct.dlt_status``).
    adjudications : pandas.DataFrame or None
        ``USUBJID``, ``DLT`` (``yes`` or ``no``: the committee's call), ``RATIONALE`` (required,
        non-empty) and ``ADJ_DATE`` (the meeting date). When a patient was adjudicated more than
        once, the latest adjudication on or before ``as_of`` applies. None or empty: unchanged.
    window_days : float
        The protocol's DLT window (days).
    as_of : date or str, optional
        Data cut-off: adjudications dated after it are not applied.

    Returns
    -------
    pandas.DataFrame
        ``patients`` with ``ENGINE_DLT`` (the engine's call), ``DLT`` (the call that counts:
        a committee ``no`` inside the window is ``pending`` until the window closes),
        ``DLT_SOURCE`` (``engine`` or ``committee``), ``ADJ_RATIONALE`` and a recomputed
        ``DLT_EVALUABLE`` for adjudicated patients.

    Raises
    ------
    InputError
        An adjudication that names a call other than yes/no, has no rationale, or names a
        subject who is not an escalation patient at the cut-off.

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"USUBJID": ["S1"], "DLT": ["pending"], "FOLLOWUP_DAY": [12.0],
    ...                   "DLT_EVALUABLE": [False]})
    >>> a = pd.DataFrame({"USUBJID": ["S1"], "DLT": ["yes"],
    ...                   "RATIONALE": ["grade 4 neutropenia beyond day 21 confirmed"],
    ...                   "ADJ_DATE": ["2024-03-01"]})
    >>> out = apply_adjudications(p, a, 28)
    >>> [str(v) for v in out.loc[0, ["ENGINE_DLT", "DLT", "DLT_SOURCE", "DLT_EVALUABLE"]]]
    ['pending', 'yes', 'committee', 'True']
    """
    out = patients.copy()
    out["ENGINE_DLT"] = out["DLT"]
    out["DLT_SOURCE"] = "engine"
    out["ADJ_RATIONALE"] = ""
    if adjudications is None or adjudications.empty:
        return out
    require_columns(adjudications, ADJUDICATION_COLUMNS, where="DLT adjudications")
    a = adjudications.copy()
    a["ADJ_DATE"] = pd.to_datetime(a["ADJ_DATE"])
    if as_of is not None:
        a = a[a["ADJ_DATE"] <= pd.Timestamp(as_of)]
    for _, r in a.iterrows():
        where = f"DLT adjudication USUBJID={r['USUBJID']} of {r['ADJ_DATE'].date()}"
        if r["DLT"] not in ("yes", "no"):
            raise InputError(f"{where}: DLT={r['DLT']!r} must be yes or no")
        if not str(r["RATIONALE"] or "").strip():
            raise InputError(f"{where}: a committee call needs its rationale (RATIONALE is "
                             "empty)")
        if r["USUBJID"] not in set(out["USUBJID"]):
            raise InputError(f"{where}: not an escalation patient infused by the cut-off")
    a = a.sort_values("ADJ_DATE", kind="stable").groupby("USUBJID").tail(1).set_index("USUBJID")
    hit = out["USUBJID"].isin(a.index)
    call = out.loc[hit, "USUBJID"].map(a["DLT"])
    out.loc[hit, "DLT_SOURCE"] = "committee"
    out.loc[hit, "ADJ_RATIONALE"] = out.loc[hit, "USUBJID"].map(a["RATIONALE"])
    done = out.loc[hit, "FOLLOWUP_DAY"].astype(float) >= float(window_days)
    left = (out.loc[hit, "EVALUABILITY"] == "left before end of window"
            if "EVALUABILITY" in out else pd.Series(False, index=call.index))
    out.loc[hit, "DLT"] = call.where((call == "yes") | done | left, "pending")
    out.loc[hit, "DLT_EVALUABLE"] = (call == "yes") | done
    return out
