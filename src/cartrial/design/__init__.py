"""Dose-escalation designs: trial state in, decision out (3+3, BOIN, TITE-BOIN, mTPI-2, i3+3, CRM).

Every design implements :class:`Design` (``decide(state) -> Decision``, ``select(state) ->
MtdSelection``); eliminated doses are never recommended on any path.
"""

from typing import TYPE_CHECKING

from cartrial._lazy import attach

if TYPE_CHECKING:
    from cartrial.design.boin import Boin, TiteBoin
    from cartrial.design.boin12 import Boin12, Obd
    from cartrial.design.boin12_tables import boundary_table, desirability_table, utility_table
    from cartrial.design.boinet import BoinEt
    from cartrial.design.boundaries import (
        BoinBoundaries,
        boin_boundaries,
        deescalate_min,
        elimination_count,
        escalate_max,
    )
    from cartrial.design.crm import Crm, CrmPosterior, TiteCrm, crm_skeleton
    from cartrial.design.exact_oc import EXACT_DESIGNS, exact_oc
    from cartrial.design.factory import design_from_spec
    from cartrial.design.interval import I3plus3, Mtpi2, mtpi2_intervals
    from cartrial.design.oc_result import OVERALL_COLUMNS, PER_DOSE_COLUMNS, Boin12Oc, OcResult
    from cartrial.design.paths import dose_paths, dose_paths_figure
    from cartrial.design.patients import state_from_patients
    from cartrial.design.rose import RoseDesign, rose_design
    from cartrial.design.selection import MtdSelection, elimination_flags, pava, select_mtd
    from cartrial.design.simulate_boin12 import simulate_boin12
    from cartrial.design.simulate_boinet import simulate_boinet
    from cartrial.design.simulate_oc import simulate_oc
    from cartrial.design.simulate_plan import spec_from_design
    from cartrial.design.simulate_rose import RoseSimulation, simulate_rose
    from cartrial.design.simulate_tite_boin12 import simulate_tite_boin12
    from cartrial.design.simulate_uboin import UboinOc, simulate_uboin
    from cartrial.design.state import ACTIONS, Action, Decision, Design, PendingPatient, TrialState
    from cartrial.design.tables import (
        DecisionTable,
        decision_table,
        decision_table_csv,
        decision_table_json,
        decision_table_markdown,
    )
    from cartrial.design.three_plus_three import ThreePlusThree
    from cartrial.design.tite_boin12 import TiteBoin12, TitePatient
    from cartrial.design.uboin import Uboin, UboinSelection
    from cartrial.design.utility import UtilityTable

__all__ = [
    "ACTIONS",
    "Action",
    "Boin",
    "Boin12",
    "Boin12Oc",
    "BoinBoundaries",
    "BoinEt",
    "Crm",
    "CrmPosterior",
    "Decision",
    "DecisionTable",
    "Design",
    "EXACT_DESIGNS",
    "I3plus3",
    "MtdSelection",
    "Obd",
    "Mtpi2",
    "OVERALL_COLUMNS",
    "OcResult",
    "PER_DOSE_COLUMNS",
    "PendingPatient",
    "RoseDesign",
    "RoseSimulation",
    "ThreePlusThree",
    "TiteBoin",
    "TiteBoin12",
    "TiteCrm",
    "TitePatient",
    "TrialState",
    "Uboin",
    "UboinOc",
    "UboinSelection",
    "UtilityTable",
    "boin_boundaries",
    "boundary_table",
    "crm_skeleton",
    "decision_table",
    "decision_table_csv",
    "decision_table_json",
    "decision_table_markdown",
    "deescalate_min",
    "desirability_table",
    "design_from_spec",
    "dose_paths",
    "dose_paths_figure",
    "elimination_count",
    "elimination_flags",
    "escalate_max",
    "exact_oc",
    "mtpi2_intervals",
    "pava",
    "rose_design",
    "select_mtd",
    "simulate_boin12",
    "simulate_boinet",
    "simulate_oc",
    "simulate_rose",
    "simulate_tite_boin12",
    "simulate_uboin",
    "spec_from_design",
    "state_from_patients",
    "utility_table",
]

__getattr__, __dir__ = attach(__name__, __file__, __all__)
