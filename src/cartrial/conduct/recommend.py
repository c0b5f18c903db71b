"""The design's recommendation for the next cohort, on the data known at a cut-off."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from cartrial.conduct.state import dose_table, trial_state
from cartrial.design import Decision, Design, TrialState
from cartrial.design.factory import design_from_spec
from cartrial.protocol import Protocol


@dataclass(frozen=True)
class Recommendation:
    """What the safety review committee sees: per-dose table, state, decision and its rule.

    Attributes
    ----------
    table : pandas.DataFrame
        :func:`cartrial.conduct.dose_table` of the patients.
    state : TrialState
        The design's input.
    decision : Decision
        The design's decision (action, next dose, rule id, reason in words).
    design : str
        The protocol's design name.
    pending_at_current : int
        Patients still in the DLT window at the current dose.
    selection : object or None
        The design's dose selection once it stops (``.mtd``, ``.reason``).

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> cols = ["USUBJID", "DOSE_INDEX", "INFUSION_DATE", "DLT", "FOLLOWUP_DAY"]
    >>> rec = recommend(pd.DataFrame(columns=cols), load_protocol("ct071"))
    >>> rec.design, rec.pending_at_current, len(rec.table)
    ('boin', 0, 2)
    """

    table: pd.DataFrame
    state: TrialState
    decision: Decision
    design: str
    pending_at_current: int
    selection: object | None = None  # the design's dose selection once it stops (.mtd, .reason)

    def summary(self) -> dict[str, object]:
        d = self.decision
        return {
            "design": self.design,
            "action": d.action,
            "next_dose_index": d.next_dose,
            "eliminated": list(d.eliminated),
            "reason": d.reason,
            "pending_at_current": self.pending_at_current,
        }


def recommend(patients: pd.DataFrame, protocol: Protocol, *,
              design: Design | None = None,
              eliminated: tuple[int, ...] = ()) -> Recommendation:
    """Decision of the protocol's design on the patients' DLT status (see ``conduct.state``).

    Pending patients go to the design with their follow-up: TITE designs weight them, the
    others suspend accrual while the current dose has patients in the DLT window. With no
    patient, the design's start (treat the first cohort at the starting dose). ``eliminated``
    carries doses eliminated by earlier decisions (0-based). When the design stops, its dose
    selection on the same data is in ``selection``.

    Parameters
    ----------
    patients : pandas.DataFrame
        One row per infused patient (:mod:`cartrial.conduct.state`); may be empty.
    protocol : Protocol
        The design and its parameters, dose levels and DLT window.
    design : Design, optional
        A design object to use instead of the protocol's (tests, sweeps).
    eliminated : tuple of int
        Doses eliminated by earlier decisions (0-based).

    Returns
    -------
    Recommendation
        Per-dose table, trial state, decision and (when stopped) selection.

    References
    ----------
    Liu S, Yuan Y, J R Stat Soc C 2015;64:507-23 (BOIN: escalate when the observed DLT rate at
    the current dose is at most 0.236 for a target of 0.3).

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> pts = pd.DataFrame({"USUBJID": ["A", "B", "C"], "DOSE_INDEX": [0, 0, 0],
    ...     "INFUSION_DATE": ["2024-01-01", "2024-01-08", "2024-01-15"],
    ...     "DLT": ["no", "no", "no"], "FOLLOWUP_DAY": [60, 53, 46]})
    >>> d = recommend(pts, load_protocol("ct071")).decision
    >>> d.action, d.next_dose
    ('escalate', 1)
    """
    k = len(protocol.dose_levels)
    des = design or design_from_spec(protocol.design, k)
    if len(patients):
        state, pending_current = trial_state(patients, protocol)
    else:
        state, pending_current = TrialState.empty(k, protocol.start_index), 0
    if eliminated:
        state = replace(state, eliminated=tuple(sorted(set(state.eliminated) | set(eliminated))))
    if des.name == "tite-boin12":  # decides on patients with pending outcomes (issue #20)
        from cartrial.conduct.tite_phase12 import tite_boin12_decision

        decision = tite_boin12_decision(des, patients, protocol, state)
    elif des.name == "u-boin":  # joint DLT-and-response counts from the data (issue #20)
        from cartrial.conduct.uboin_inputs import uboin_decision

        decision = uboin_decision(des, patients, protocol, state)
    else:
        decision = des.decide(state)
    table = dose_table(patients, protocol, eliminated=tuple(decision.eliminated))
    selection = None
    if decision.action == "stop" and state.total_n > 0 and des.name == "u-boin":
        from cartrial.conduct.uboin_inputs import uboin_selection

        selection = uboin_selection(des, patients, protocol,
                                    replace(state, eliminated=decision.eliminated))
    elif decision.action == "stop" and state.total_n > 0:  # TITE-BOIN12 selects as BOIN12
        selection = getattr(des, "boin12", des).select(
            replace(state, pending=(), eliminated=decision.eliminated))
    return Recommendation(table, state, decision, protocol.design.name, pending_current,
                          selection)
