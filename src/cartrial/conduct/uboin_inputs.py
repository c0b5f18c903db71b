"""U-BOIN on the data: per-dose counts from the patients' DLT and response, and the decision.

U-BOIN (Zhou Y, Lee JJ, Yuan Y, Stat Med 2019;38:5299-5316) scores each patient's joint outcome
(response without DLT, response with DLT, neither, DLT without response), so besides the DLTs
and responses per dose it needs the patients with both a DLT and a response. They come from the
per-patient frame ``conduct.from_study.dlt_status`` builds for phase I/II designs (DLT from the
safety engine, ``RESPONSE`` from the efficacy engine: ``conduct.dose_efficacy``). A patient
counts once both outcomes are known; while one is pending the patient is pending, and, U-BOIN
deciding on complete outcomes, accrual waits while a patient at the current dose is pending.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.conduct.dose_efficacy import PHASE12_DESIGNS
from cartrial.design import Decision, TrialState
from cartrial.errors import InputError
from cartrial.protocol import Protocol

#: designs whose decision needs each patient's efficacy outcome (``design.efficacy``)
EFFICACY_DESIGNS = (*PHASE12_DESIGNS, "u-boin")
VALUES = ("yes", "no", "pending")


def _check(patients: pd.DataFrame) -> None:
    for col in ("DLT", "RESPONSE"):
        if col not in patients:
            raise InputError(f"U-BOIN needs each patient's {col} (yes / no / pending); the "
                             "patient frame has no such column")
        bad = ~patients[col].isin(VALUES)
        if bad.any():
            r = patients.loc[bad].iloc[0]
            raise InputError(f"USUBJID={r['USUBJID']} {col}={r[col]!r}: must be yes, no or "
                             "pending (U-BOIN counts)")


def uboin_counts(patients: pd.DataFrame, protocol: Protocol) -> pd.DataFrame:
    """Per dose level the counts U-BOIN decides on.

    Parameters
    ----------
    patients : pandas.DataFrame
        One row per escalation patient: USUBJID, DOSE_INDEX (0-based), DLT and RESPONSE
        (``yes`` / ``no`` / ``pending``), as ``conduct.dlt_status`` returns for a u-boin protocol.
    protocol : Protocol
        Dose levels.

    Returns
    -------
    pandas.DataFrame
        DOSE_INDEX, DOSE_ID, TREATED, PENDING (DLT or response still pending), N (both outcomes
        known), DLT, RESPONSES, DLT_AND_RESPONSE (among the N), one row per dose level.

    Raises
    ------
    InputError
        A DLT or RESPONSE value other than yes / no / pending (names the patient).

    References
    ----------
    Zhou Y, Lee JJ, Yuan Y. Stat Med 2019;38:5299-5316.

    Examples
    --------
    >>> pt = pd.DataFrame({"USUBJID": ["a", "b"], "DOSE_INDEX": [0, 0],
    ...                    "DLT": ["yes", "no"], "RESPONSE": ["yes", "pending"]})
    >>> uboin_counts(pt, load_protocol("ct071"))["DLT_AND_RESPONSE"].tolist()  # doctest: +SKIP
    [1, 0]
    """
    _check(patients)
    k = len(protocol.dose_levels)
    idx = patients["DOSE_INDEX"].to_numpy(dtype=int)
    done = ((patients["DLT"] != "pending") & (patients["RESPONSE"] != "pending")).to_numpy()
    dlt = (patients["DLT"] == "yes").to_numpy()
    resp = (patients["RESPONSE"] == "yes").to_numpy()

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(idx[mask], minlength=k)

    return pd.DataFrame({
        "DOSE_INDEX": np.arange(k), "DOSE_ID": protocol.dose_ids,
        "TREATED": count(np.ones(len(idx), dtype=bool)), "PENDING": count(~done),
        "N": count(done), "DLT": count(done & dlt), "RESPONSES": count(done & resp),
        "DLT_AND_RESPONSE": count(done & dlt & resp),
    })


def _joint(patients: pd.DataFrame, protocol: Protocol, state: TrialState) -> tuple[int, ...]:
    """DLT-and-response counts per dose, checked against the state's complete counts."""
    c = uboin_counts(patients, protocol)
    done = state.completed()
    if tuple(c["N"]) != tuple(done.n) or tuple(c["DLT"]) != tuple(done.y):
        raise InputError("U-BOIN: the complete patients per dose "
                         f"{c['N'].tolist()} / DLTs {c['DLT'].tolist()} differ from the trial "
                         f"state's {list(done.n)} / {list(done.y)} (a patient counted twice?)")
    return tuple(int(v) for v in c["DLT_AND_RESPONSE"])


def uboin_decision(design, patients: pd.DataFrame, protocol: Protocol,
                   state: TrialState) -> Decision:
    """U-BOIN's decision on the data: suspend while the current dose has a pending patient.

    Parameters
    ----------
    design : cartrial.design.uboin.Uboin
        The protocol's design.
    patients : pandas.DataFrame
        The patient frame (see :func:`uboin_counts`); may be empty.
    protocol : Protocol
        The protocol.
    state : TrialState
        ``conduct.trial_state`` of the same patients (a patient with a pending response is
        pending).

    Returns
    -------
    Decision
        ``suspend`` (rule "suspend: follow-up") while a patient at the current dose has a pending
        DLT or response; ``stay`` (rule "start") while the current dose has no complete patient;
        else :meth:`Uboin.decide` on the complete patients with their DLT-and-response counts.

    Raises
    ------
    InputError
        Inconsistent counts or values (see :func:`uboin_counts`).

    References
    ----------
    Zhou Y, Lee JJ, Yuan Y. Stat Med 2019;38:5299-5316.

    Examples
    --------
    >>> uboin_decision(design, patients, proto, trial_state(patients, proto)[0])
    ... # doctest: +SKIP
    """
    d = state.current
    if state.pending_count(d):
        return Decision("suspend", d, tuple(sorted(state.eliminated)),
                        f"{state.pending_count(d)} patient(s) at dose {d + 1} with DLT or "
                        f"response ({protocol.design.efficacy.label}) still pending: U-BOIN "
                        "decides on complete outcomes, so accrual waits", "suspend: follow-up")
    if state.total_n == 0:
        return design.decide(state)  # the design's start
    if state.completed().n[d] == 0:
        return Decision("stay", d, tuple(sorted(state.eliminated)),
                        f"no patient with complete outcomes at dose {d + 1} yet: treat the next "
                        "cohort there", "start")
    return design.decide(state.completed(), _joint(patients, protocol, state))


def uboin_selection(design, patients: pd.DataFrame, protocol: Protocol, state: TrialState):
    """U-BOIN's OBD on the complete patients (``Uboin.select``), for a stopped trial.

    Parameters
    ----------
    design : cartrial.design.uboin.Uboin
        The protocol's design.
    patients : pandas.DataFrame
        The patient frame.
    protocol : Protocol
        The protocol.
    state : TrialState
        The trial state with the eliminated doses of the decision.

    Returns
    -------
    cartrial.design.uboin.UboinSelection
        OBD, per-dose estimates (posterior mean utility, P(p_T > phi_T), P(p_E < phi_E),
        admissible) and the reason.

    Raises
    ------
    InputError
        Inconsistent counts (see :func:`uboin_counts`).

    Examples
    --------
    >>> uboin_selection(design, patients, proto, state).obd  # doctest: +SKIP
    1
    """
    return design.select(state.completed(), _joint(patients, protocol, state))


def uboin_estimates(patients: pd.DataFrame, protocol: Protocol,
                    eliminated: tuple[int, ...] = ()) -> pd.DataFrame:
    """Per dose the counts and U-BOIN's posterior estimates, for the committee's table.

    Parameters
    ----------
    patients : pandas.DataFrame
        The patient frame (see :func:`uboin_counts`).
    protocol : Protocol
        A u-boin protocol.
    eliminated : tuple of int
        Doses eliminated by the decision (0-based).

    Returns
    -------
    pandas.DataFrame
        :func:`uboin_counts` columns plus UTILITY (posterior mean utility, 0-100, of the
        Dirichlet model; NaN for a dose without complete patient), P_OVERDOSE (P(p_T > phi_T |
        data)), P_FUTILE (P(p_E < phi_E | data)), ELIMINATED and ADMISSIBLE.

    Raises
    ------
    InputError
        Not a u-boin protocol, or bad values (see :func:`uboin_counts`).

    References
    ----------
    Zhou Y, Lee JJ, Yuan Y. Stat Med 2019;38:5299-5316.

    Examples
    --------
    >>> uboin_estimates(patients, proto)["UTILITY"].round(1).tolist()  # doctest: +SKIP
    [57.5, 77.5]
    """
    from cartrial.design.uboin import uboin_from_spec

    c = uboin_counts(patients, protocol)
    design = uboin_from_spec(protocol.design, len(c))
    state = TrialState(n=tuple(int(v) for v in c["N"]), y=tuple(int(v) for v in c["DLT"]),
                       responses=tuple(int(v) for v in c["RESPONSES"]),
                       eliminated=tuple(sorted(eliminated)))
    e = design.select(state, tuple(int(v) for v in c["DLT_AND_RESPONSE"])).estimates
    tried = c["N"].to_numpy() > 0
    return c.assign(UTILITY=np.where(tried, e["utility"], np.nan),
                    P_OVERDOSE=np.where(tried, e["p_overdose"], np.nan),
                    P_FUTILE=np.where(tried, e["p_futile"], np.nan),
                    ELIMINATED=e["eliminated"].to_numpy(), ADMISSIBLE=e["admissible"].to_numpy())
