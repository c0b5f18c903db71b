"""Dose-escalation designs: trial state in, decision out (shared/reference/dose-finding.md).

Every design implements :class:`Design` (``decide(state) -> Decision``, ``select(state) ->
MtdSelection``); eliminated doses are never recommended on any path.
"""

from cartrial.design.boin import Boin, TiteBoin
from cartrial.design.boundaries import (
    BoinBoundaries,
    boin_boundaries,
    deescalate_min,
    elimination_count,
    escalate_max,
)
from cartrial.design.selection import MtdSelection, elimination_flags, pava, select_mtd
from cartrial.design.state import ACTIONS, Action, Decision, Design, PendingPatient, TrialState

__all__ = [
    "ACTIONS",
    "Action",
    "Boin",
    "BoinBoundaries",
    "Decision",
    "Design",
    "MtdSelection",
    "PendingPatient",
    "TiteBoin",
    "TrialState",
    "boin_boundaries",
    "deescalate_min",
    "elimination_count",
    "elimination_flags",
    "escalate_max",
    "pava",
    "select_mtd",
]
