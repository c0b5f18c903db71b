"""Safety engine: CRS / ICANS (ASTCT 2019) and CTCAE v5.0 lab grading, DLT adjudication,
safety tables. Pure functions over plain data frames (Lee DW et al., Biol Blood
Marrow Transplant 2019;25:625-38; NCI CTCAE v5.0; the DLT rules are protocol data)."""

from typing import TYPE_CHECKING

from cartrial._lazy import attach

if TYPE_CHECKING:
    from cartrial.safety._episodes import label_episodes, summarise_episodes
    from cartrial.safety.analysis import SafetyAnalysis, analyse_safety
    from cartrial.safety.baskets import basket_events, basket_summary, basket_table, basket_tables
    from cartrial.safety.crs import CrsMethod, CrsResult, grade_crs, grade_crs_row
    from cartrial.safety.ctcae import (
        CTCAE_VERSION,
        grade_labs,
        lab_grades_long,
        pooled_lab_terms,
        worst_lab_grades,
    )
    from cartrial.safety.cytopenia import (
        cytopenia_recovery,
        cytopenia_table,
        hypogammaglobulinemia,
    )
    from cartrial.safety.dlt import DltResult, adjudicate_dlt, crs_events, lab_events
    from cartrial.safety.dlt_study import adjudicate_study_dlt
    from cartrial.safety.grade_source import (
        primary_ae,
        reconcile_syndrome_grades,
        source_label,
        syndrome_events,
        worst_crs_grade,
    )
    from cartrial.safety.guidelines import (
        CrsCriteria,
        CtcaeLabCriteria,
        IcansCriteria,
        crs_criteria,
        ctcae_lab_criteria,
        icans_criteria,
    )
    from cartrial.safety.hematotox import HematotoxCriteria, car_hematotox, hematotox_criteria
    from cartrial.safety.icaht import IcahtCriteria, grade_icaht, icaht_criteria
    from cartrial.safety.icaht_tables import hematotox_table, icaht_by_risk_table, icaht_table
    from cartrial.safety.icans import IcansMethod, IcansResult, grade_icans, ice_score
    from cartrial.safety.iec_hs import IecHsCriteria, identify_iec_hs, iec_hs_criteria, iec_hs_table
    from cartrial.safety.reported_grades import compare_reported_grades
    from cartrial.safety.sdtm import (
        SafetyInputs,
        crs_observations,
        icans_assessments,
        safety_inputs,
    )
    from cartrial.safety.sdtm_base import infusion_dates
    from cartrial.safety.sdtm_labs import lab_records, weight_records
    from cartrial.safety.sdtm_subjects import adverse_events, followup
    from cartrial.safety.tables import (
        count_rows,
        crs_table,
        deaths_table,
        dlt_table,
        icans_table,
        summary_rows,
        syndrome_table,
        teae_grade_table,
        teae_table,
    )

__all__ = [
    "CTCAE_VERSION",
    "CrsCriteria",
    "CrsMethod",
    "CrsResult",
    "CtcaeLabCriteria",
    "DltResult",
    "HematotoxCriteria",
    "IcahtCriteria",
    "IcansCriteria",
    "IcansMethod",
    "IcansResult",
    "IecHsCriteria",
    "SafetyAnalysis",
    "SafetyInputs",
    "adjudicate_dlt",
    "adjudicate_study_dlt",
    "adverse_events",
    "analyse_safety",
    "basket_events",
    "basket_summary",
    "basket_table",
    "basket_tables",
    "car_hematotox",
    "compare_reported_grades",
    "count_rows",
    "crs_criteria",
    "crs_events",
    "crs_observations",
    "crs_table",
    "ctcae_lab_criteria",
    "cytopenia_recovery",
    "cytopenia_table",
    "deaths_table",
    "dlt_table",
    "followup",
    "grade_crs",
    "grade_crs_row",
    "grade_icaht",
    "grade_icans",
    "grade_labs",
    "hematotox_criteria",
    "hematotox_table",
    "hypogammaglobulinemia",
    "icaht_by_risk_table",
    "icaht_criteria",
    "icaht_table",
    "icans_assessments",
    "icans_criteria",
    "icans_table",
    "ice_score",
    "identify_iec_hs",
    "iec_hs_criteria",
    "iec_hs_table",
    "infusion_dates",
    "lab_events",
    "lab_grades_long",
    "lab_records",
    "label_episodes",
    "pooled_lab_terms",
    "primary_ae",
    "reconcile_syndrome_grades",
    "safety_inputs",
    "source_label",
    "summarise_episodes",
    "summary_rows",
    "syndrome_events",
    "syndrome_table",
    "teae_grade_table",
    "teae_table",
    "weight_records",
    "worst_crs_grade",
    "worst_lab_grades",
]

__getattr__, __dir__ = attach(__name__, __file__, __all__)
