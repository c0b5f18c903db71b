"""Trial conduct: per-dose table and the design's recommendation on the data at a cut-off.

Joins the data (who received which dose when), the safety engine's DLT adjudication and the
design engine; used by ``cartrial decide`` and the committee workspace.
"""

from cartrial.conduct.from_study import StudyDecision, decide_study, dlt_status
from cartrial.conduct.recommend import Recommendation, recommend
from cartrial.conduct.state import dose_table, trial_state

__all__ = [
    "Recommendation",
    "StudyDecision",
    "decide_study",
    "dlt_status",
    "dose_table",
    "recommend",
    "trial_state",
]
