"""Safety engine: CRS / ICANS (ASTCT 2019) and CTCAE v5.0 lab grading, DLT adjudication,
safety tables. Pure functions over plain data frames (shared/reference/clinical-standards.md
sections 1-3; trial-facts.md 5.1)."""

from cartrial.safety._episodes import label_episodes, summarise_episodes
from cartrial.safety.crs import CrsMethod, CrsResult, grade_crs, grade_crs_row
from cartrial.safety.ctcae import (
    CTCAE_VERSION,
    CtcaeMethod,
    compare_reported_grades,
    cytopenia_recovery,
    grade_labs,
    hypogammaglobulinemia,
    lab_grades_long,
    worst_lab_grades,
)
from cartrial.safety.dlt import DltResult, adjudicate_dlt, crs_events, lab_events
from cartrial.safety.guidelines import (
    CrsCriteria,
    CtcaeLabCriteria,
    IcansCriteria,
    crs_criteria,
    ctcae_lab_criteria,
    icans_criteria,
)
from cartrial.safety.icans import IcansMethod, IcansResult, grade_icans, ice_score
from cartrial.safety.tables import (
    count_rows,
    crs_table,
    cytopenia_table,
    deaths_table,
    dlt_table,
    gprc5d_groups,
    gprc5d_table,
    icans_table,
    summary_rows,
    syndrome_table,
    teae_table,
)

__all__ = [
    "CTCAE_VERSION",
    "CrsCriteria",
    "CrsMethod",
    "CrsResult",
    "CtcaeLabCriteria",
    "CtcaeMethod",
    "DltResult",
    "IcansCriteria",
    "IcansMethod",
    "IcansResult",
    "adjudicate_dlt",
    "compare_reported_grades",
    "count_rows",
    "crs_criteria",
    "crs_events",
    "crs_table",
    "ctcae_lab_criteria",
    "cytopenia_recovery",
    "cytopenia_table",
    "deaths_table",
    "dlt_table",
    "gprc5d_groups",
    "gprc5d_table",
    "grade_crs",
    "grade_crs_row",
    "grade_icans",
    "grade_labs",
    "hypogammaglobulinemia",
    "icans_criteria",
    "icans_table",
    "ice_score",
    "lab_events",
    "lab_grades_long",
    "label_episodes",
    "summarise_episodes",
    "summary_rows",
    "syndrome_table",
    "teae_table",
    "worst_lab_grades",
]
