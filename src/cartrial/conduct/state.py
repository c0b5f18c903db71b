"""From patients' DLT status to the design's trial state and the per-dose table.

Input is one row per infused patient (the safety engine's DLT adjudication, or a DLT listing):
USUBJID, DOSE_INDEX (0-based protocol dose level), INFUSION_DATE, DLT (``yes`` / ``no`` /
``pending``), FOLLOWUP_DAY (days followed since infusion at the data cut-off) and optionally
DLT_EVALUABLE, DLT_RULE, DLT_TERM, DLT_ONSET_DAY, BACKFILL (Y when treated as backfill) and
ASSIGNED_INDEX (the level assigned, when a patient counts at another: ``conduct.dose_counted``;
the design's current dose is the assigned one).

Counting rules (BOIN and TITE-BOIN; protocol ``dlt.evaluable =
completed_window_or_dlt``): a patient counts at their dose when they had a DLT or completed the
window; a patient who left the window early without a DLT is not evaluable and is not counted;
a pending patient is passed to the design with their follow-up (``TrialState.pending``, counted
in ``n``): time-to-event designs (TITE-BOIN, TITE-CRM) weight them, the others suspend accrual
while anyone at the current dose is pending and decide on complete data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.design import PendingPatient, TrialState
from cartrial.errors import InputError, require_columns
from cartrial.protocol import Protocol

TITE_DESIGNS = ("tite-boin", "tite-crm")
REQUIRED = ("USUBJID", "DOSE_INDEX", "INFUSION_DATE", "DLT", "FOLLOWUP_DAY")


def _check(patients: pd.DataFrame, protocol: Protocol) -> pd.DataFrame:
    require_columns(patients, REQUIRED, where="DLT status")
    p = patients.copy()
    bad = ~p["DLT"].isin(["yes", "no", "pending"])
    if bad.any():
        r = p.loc[bad].iloc[0]
        raise InputError(f"DLT USUBJID={r['USUBJID']} DLT={r['DLT']!r}: must be yes, no or pending")
    k = len(protocol.dose_levels)
    bad = ~p["DOSE_INDEX"].between(0, k - 1)
    if bad.any():
        r = p.loc[bad].iloc[0]
        raise InputError(f"DLT USUBJID={r['USUBJID']} DOSE_INDEX={r['DOSE_INDEX']!r}: "
                         f"not a dose level of {protocol.study_id} (0..{k - 1})")
    if "DLT_EVALUABLE" not in p:
        window = protocol.design.dlt_window_days
        p["DLT_EVALUABLE"] = (p["DLT"] == "yes") | (p["FOLLOWUP_DAY"] >= window)
    if "BACKFILL" not in p:
        p["BACKFILL"] = "N"
    p["INFUSION_DATE"] = pd.to_datetime(p["INFUSION_DATE"])
    return p.sort_values(["INFUSION_DATE", "USUBJID"], kind="stable").reset_index(drop=True)


def dose_table(patients: pd.DataFrame, protocol: Protocol,
               eliminated: tuple[int, ...] = ()) -> pd.DataFrame:
    """Per dose level: treated, DLT-evaluable, DLTs, pending with follow-up, not evaluable.

    Parameters
    ----------
    patients : pandas.DataFrame
        One row per infused patient (module docstring: USUBJID, DOSE_INDEX, INFUSION_DATE, DLT,
        FOLLOWUP_DAY and the optional columns).
    protocol : Protocol
        Dose levels and the DLT window.
    eliminated : tuple of int
        Dose levels (0-based) eliminated by the design so far.

    Returns
    -------
    pandas.DataFrame
        One row per protocol dose level: DOSE_INDEX, DOSE_ID, DOSE, TREATED, EVALUABLE, DLT,
        PENDING, PENDING_FOLLOWUP, DAYS_LEFT_MIN, NOT_EVALUABLE, BACKFILL, ELIMINATED.

    Raises
    ------
    InputError
        A required column is missing, a DLT status is not yes / no / pending, or a dose index is
        not one of the protocol's levels (the patient is named).

    Examples
    --------
    >>> import pandas as pd
    >>> from cartrial.protocol import load_protocol
    >>> pts = pd.DataFrame({"USUBJID": ["A", "B", "C"], "DOSE_INDEX": [0, 0, 0],
    ...     "INFUSION_DATE": ["2024-01-01", "2024-01-08", "2024-01-15"],
    ...     "DLT": ["no", "no", "no"], "FOLLOWUP_DAY": [60, 53, 46]})
    >>> dose_table(pts, load_protocol("ct071"))[["DOSE_ID", "TREATED", "DLT"]].values.tolist()
    [['DL1', 3, 0], ['DL2', 0, 0]]
    """
    p = _check(patients, protocol)
    window = float(protocol.design.dlt_window_days)
    rows = []
    for j, d in enumerate(protocol.dose_levels):
        at = p[p["DOSE_INDEX"] == j]
        pend = at[at["DLT"] == "pending"]
        fu = np.minimum(pend["FOLLOWUP_DAY"].to_numpy(dtype=float), window)
        rows.append({
            "DOSE_INDEX": j, "DOSE_ID": d.id, "DOSE": d.label,
            "TREATED": len(at),
            "EVALUABLE": int(at["DLT_EVALUABLE"].sum()),
            "DLT": int((at["DLT"] == "yes").sum()),
            "PENDING": len(pend),
            "PENDING_FOLLOWUP": ", ".join(f"{f / window:.2f}" for f in fu),
            "DAYS_LEFT_MIN": float(window - fu.max()) if len(fu) else np.nan,
            "NOT_EVALUABLE": int(((at["DLT"] != "pending") & ~at["DLT_EVALUABLE"]).sum()),
            "BACKFILL": int((at["BACKFILL"] == "Y").sum()),
            "ELIMINATED": j in eliminated,
        })
    return pd.DataFrame(rows)


def trial_state(patients: pd.DataFrame, protocol: Protocol) -> tuple[TrialState, int]:
    """(TrialState for the protocol's design, number pending at the current dose).

    Parameters
    ----------
    patients : pandas.DataFrame
        One row per infused patient (see the module docstring).
    protocol : Protocol
        Dose levels, start dose and DLT window.

    Returns
    -------
    tuple
        (:class:`cartrial.design.TrialState`, patients pending at the current dose).

    Raises
    ------
    InputError
        As :func:`dose_table`.

    Examples
    --------
    >>> import pandas as pd
    >>> from cartrial.protocol import load_protocol
    >>> pts = pd.DataFrame({"USUBJID": ["A", "B", "C"], "DOSE_INDEX": [0, 0, 0],
    ...     "INFUSION_DATE": ["2024-01-01", "2024-01-08", "2024-01-15"],
    ...     "DLT": ["no", "no", "no"], "FOLLOWUP_DAY": [60, 53, 46]})
    >>> state, pending = trial_state(pts, load_protocol("ct071"))
    >>> state.n, state.y, state.current, pending
    ((3, 0), (0, 0), 0, 0)
    """
    p = _check(patients, protocol)
    k = len(protocol.dose_levels)
    if "RESPONSE" in p:  # phase I/II: a patient counts once both outcomes are known
        p.loc[p["RESPONSE"].eq("pending"), "DLT"] = "pending"
    counted = (p["DLT"] == "yes") | p["DLT_EVALUABLE"] | (p["DLT"] == "pending")
    n = np.bincount(p.loc[counted, "DOSE_INDEX"], minlength=k)
    y = np.bincount(p.loc[p["DLT"] == "yes", "DOSE_INDEX"], minlength=k)
    esc = p[p["BACKFILL"] != "Y"]
    # the design's current dose is the one assigned (a patient may count at the dose received)
    at = "ASSIGNED_INDEX" if "ASSIGNED_INDEX" in p else "DOSE_INDEX"
    current = int(esc[at].iloc[-1]) if len(esc) else protocol.start_index
    bf = p["BACKFILL"] == "Y"
    backfill_n = np.bincount(p.loc[bf & counted, "DOSE_INDEX"], minlength=k)
    backfill_y = np.bincount(p.loc[bf & (p["DLT"] == "yes"), "DOSE_INDEX"], minlength=k)
    pend = p[p["DLT"] == "pending"]
    pending = tuple(PendingPatient(int(d), float(f))
                    for d, f in zip(pend["DOSE_INDEX"], pend["FOLLOWUP_DAY"], strict=True))
    last = esc[esc[at] == current].tail(protocol.design.cohort_size)
    last_resolved = last[last["DLT"] != "pending"]
    state = TrialState(
        n=tuple(int(v) for v in n), y=tuple(int(v) for v in y), current=current,
        pending=pending, dlt_window=float(protocol.design.dlt_window_days),
        backfill_n=tuple(int(v) for v in backfill_n) if bf.any() else None,
        backfill_y=tuple(int(v) for v in backfill_y) if bf.any() else None,
        last_cohort=(current, len(last_resolved), int((last_resolved["DLT"] == "yes").sum()))
        if len(last_resolved) else None,
        responses=tuple(int(v) for v in np.bincount(
            p.loc[p["RESPONSE"].eq("yes") & p["DLT"].ne("pending"), "DOSE_INDEX"], minlength=k))
        if "RESPONSE" in p else None,
    )
    pending_current = int(((p["DOSE_INDEX"] == current) & (p["DLT"] == "pending")).sum())
    return state, pending_current
