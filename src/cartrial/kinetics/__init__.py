"""Cellular kinetics of CAR-T expansion (NCA), cytokines and immunogenicity (ADA).

Engines over plain data frames; conventions of PKNCA (R package PKNCA defaults).
"""

from typing import TYPE_CHECKING

from cartrial._lazy import attach

if TYPE_CHECKING:
    from cartrial.kinetics.ada import ADA_CATEGORIES, ada_summary, classify_ada
    from cartrial.kinetics.analysis import KineticsReport, analyse_kinetics
    from cartrial.kinetics.cytokines import CYTOKINE_FLAGS, cytokine_auc_code, cytokine_parameters
    from cartrial.kinetics.exposure import (
        IMWG_ORDER,
        ExposureResponse,
        exposure_response,
        rank_tests,
    )
    from cartrial.kinetics.nca import (
        NCA_FLAGS,
        NCA_PARAMETERS,
        nca,
        nca_method,
        nca_parameter_codes,
        partial_auc_code,
    )
    from cartrial.kinetics.persistence import month_column, persistence, persistence_summary
    from cartrial.kinetics.sdtm import ada_data, cytokine_data, infusions, pc_profiles
    from cartrial.kinetics.sdtm_pp import nca_long, to_pp
    from cartrial.kinetics.sdtm_subjects import crs_grades_from_ae
    from cartrial.kinetics.summary import (
        SUMMARY_COLUMNS,
        attach_groups,
        parameters_from_records,
        summarise_parameters,
    )

__all__ = [
    "ADA_CATEGORIES",
    "CYTOKINE_FLAGS",
    "IMWG_ORDER",
    "NCA_FLAGS",
    "NCA_PARAMETERS",
    "SUMMARY_COLUMNS",
    "ExposureResponse",
    "KineticsReport",
    "ada_data",
    "ada_summary",
    "analyse_kinetics",
    "attach_groups",
    "classify_ada",
    "crs_grades_from_ae",
    "cytokine_auc_code",
    "cytokine_data",
    "cytokine_parameters",
    "exposure_response",
    "infusions",
    "month_column",
    "nca",
    "nca_long",
    "nca_method",
    "nca_parameter_codes",
    "parameters_from_records",
    "partial_auc_code",
    "pc_profiles",
    "persistence",
    "persistence_summary",
    "rank_tests",
    "summarise_parameters",
    "to_pp",
]

__getattr__, __dir__ = attach(__name__, __file__, __all__)
