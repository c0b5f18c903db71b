"""Trial conduct: per-dose table and the design's recommendation on the data at a cut-off.

Joins the data (who received which dose when, in which study part and cohort), the safety
engine's DLT adjudication and the design engine; used by ``cartrial decide``, the committee
workspace and the report's escalation history.
"""

from typing import TYPE_CHECKING

from cartrial._lazy import attach

if TYPE_CHECKING:
    from cartrial.conduct.adjudication import apply_adjudications
    from cartrial.conduct.followup import followed_to_cutoff
    from cartrial.conduct.from_study import (
        StudyDecision,
        decide_study,
        dlt_status,
        escalation_subjects,
    )
    from cartrial.conduct.history import cohorts, decisions_on, escalation_history
    from cartrial.conduct.recommend import Recommendation, recommend
    from cartrial.conduct.record import committee_record, escalation_record
    from cartrial.conduct.state import dose_table, trial_state
    from cartrial.data.dose_counted import counted_dose

__all__ = [
    "Recommendation",
    "apply_adjudications",
    "StudyDecision",
    "cohorts",
    "committee_record",
    "counted_dose",
    "decide_study",
    "decisions_on",
    "dlt_status",
    "dose_table",
    "escalation_history",
    "escalation_record",
    "escalation_subjects",
    "followed_to_cutoff",
    "recommend",
    "trial_state",
]

__getattr__, __dir__ = attach(__name__, __file__, __all__)
