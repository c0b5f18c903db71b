"""The design's recommendation for the next cohort, on the data known at a cut-off."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from cartrial.conduct.state import TITE_DESIGNS, dose_table, trial_state
from cartrial.design import Decision, Design, TrialState
from cartrial.design.factory import design_from_spec
from cartrial.protocol import Protocol


@dataclass(frozen=True)
class Recommendation:
    """What the safety review committee sees: per-dose table, state, decision and its rule."""

    table: pd.DataFrame
    state: TrialState
    decision: Decision
    design: str
    pending_at_current: int

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
              design: Design | None = None) -> Recommendation:
    """Decision of the protocol's design on the patients' DLT status (see ``conduct.state``).

    A non-TITE design decides on complete data only; while patients at the current dose are
    pending, the recommendation is to suspend accrual, with the decision the data would support
    once they complete stated in the reason.
    """
    k = len(protocol.dose_levels)
    des = design or design_from_spec(protocol.design, k)
    state, pending_current = trial_state(patients, protocol)
    decision = des.decide(state)
    if pending_current and protocol.design.name not in TITE_DESIGNS and decision.action != "stop":
        decision = replace(
            decision,
            action="suspend",
            next_dose=state.current,
            rule="suspend: pending, complete data needed",
            reason=(f"{pending_current} patient(s) at the current dose are still in the "
                    f"{protocol.design.dlt_window_days}-day DLT window; {protocol.design.name} "
                    "decides on complete data, so accrual waits"
                    + (f". On the completed data: {decision.reason}"
                       if state.n[state.current] else "")),
        )
    table = dose_table(patients, protocol, eliminated=tuple(decision.eliminated))
    return Recommendation(table, state, decision, protocol.design.name, pending_current)
