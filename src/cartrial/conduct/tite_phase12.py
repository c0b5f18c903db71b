"""TITE-BOIN12 decided from the data: each patient's DLT and response with its follow-up.

TITE-BOIN12 (Zhou Y et al., Stat Med 2022;41:1918-31) decides while outcomes are pending, so it
takes patients rather than counts: the DLT status and days followed in the DLT window (safety
engine's adjudication) and the response status and days followed in the response window
(``conduct.dose_efficacy``). Patients who left the DLT window early without a DLT are not
evaluable and are left out, as for every design (``conduct.state``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.design import Decision, TrialState
from cartrial.design.tite_boin12 import TiteBoin12, TitePatient
from cartrial.protocol import Protocol


def tite_patients(patients: pd.DataFrame, protocol: Protocol) -> list[TitePatient]:
    """:class:`TitePatient` records of the escalation patients (DLT and efficacy status joined).

    Parameters
    ----------
    patients : pandas.DataFrame
        ``conduct.dlt_status`` rows with the efficacy columns of
        ``conduct.dose_efficacy.with_efficacy`` (RESPONSE, EFF_DAYS_LEFT).
    protocol : Protocol
        DLT window and efficacy outcome (``design.efficacy``).

    Returns
    -------
    list of TitePatient
        In infusion order; a pending outcome is None with the days followed so far.

    Raises
    ------
    InputError
        Bad records (``TiteBoin12.slots`` names the subject).

    Examples
    --------
    >>> tite_patients(with_efficacy(dlt_status(s, p, cut), s, p, cut), p)  # doctest: +SKIP
    """
    window = float(protocol.design.dlt_window_days)
    e = protocol.design.efficacy
    eff_window = float(e.by_day + e.window_days)
    p = patients.sort_values(["INFUSION_DATE", "USUBJID"], kind="stable")
    ev = p["DLT_EVALUABLE"].astype(bool) if "DLT_EVALUABLE" in p else p["DLT"].ne("pending")
    p = p[(p["DLT"] == "pending") | (p["DLT"] == "yes") | ev]
    out = []
    for r in p.itertuples(index=False):
        dlt = None if r.DLT == "pending" else r.DLT == "yes"
        resp = None if r.RESPONSE == "pending" else r.RESPONSE == "yes"
        dfu = min(float(r.FOLLOWUP_DAY), window) if dlt is None else window
        efu = eff_window - float(r.EFF_DAYS_LEFT) if resp is None else eff_window
        out.append(TitePatient(int(r.DOSE_INDEX), dlt, min(dfu, np.nextafter(window, 0))
                               if dlt is None else dfu, resp, efu, str(r.USUBJID)))
    return out


def tite_boin12_decision(design: TiteBoin12, patients: pd.DataFrame, protocol: Protocol,
                         state: TrialState) -> Decision:
    """TITE-BOIN12's decision on the data (current dose and eliminations from ``state``).

    Parameters
    ----------
    design : TiteBoin12
        The protocol's design.
    patients : pandas.DataFrame
        As for :func:`tite_patients`; empty before the first infusion.
    protocol : Protocol
        The protocol.
    state : TrialState
        ``conduct.state.trial_state`` of the same patients (current dose, earlier eliminations).

    Returns
    -------
    Decision

    Raises
    ------
    InputError
        Bad records.

    Examples
    --------
    >>> tite_boin12_decision(design, patients, protocol, state).action  # doctest: +SKIP
    'suspend'
    """
    pts = tite_patients(patients, protocol) if len(patients) else []
    return design.decide(pts, current=state.current, eliminated=state.eliminated)
