"""Tables, listings, figures and the self-contained HTML study report."""

from typing import TYPE_CHECKING

from cartrial._lazy import attach

if TYPE_CHECKING:
    from cartrial.report.ars import write_ars
    from cartrial.report.document import (
        Provenance,
        ReportFigure,
        Section,
        figure_to_html,
        render_document,
    )
    from cartrial.report.fig_crs import crs_icans_figure
    from cartrial.report.fig_kinetics import kinetics_figure
    from cartrial.report.fig_km import km_figure
    from cartrial.report.fig_response import spider_figure, waterfall_figure
    from cartrial.report.fig_swimmer import swimmer_figure
    from cartrial.report.figures import cytokine_figure, figure_bytes
    from cartrial.report.grades import table_grade_reconciliation
    from cartrial.report.pdf import find_chromium, html_to_pdf
    from cartrial.report.pipeline import STAGES, AnalysisSummary, build_sections, run_analysis
    from cartrial.report.render import (
        RunningHeader,
        is_wide,
        table_to_docx,
        table_to_html,
        table_to_rtf,
        table_to_text,
        table_width_chars,
    )
    from cartrial.report.table import ReportTable, fmt_n_pct, fmt_num, table_from_wide

__all__ = [
    "STAGES",
    "AnalysisSummary",
    "Provenance",
    "ReportFigure",
    "ReportTable",
    "RunningHeader",
    "Section",
    "build_sections",
    "crs_icans_figure",
    "cytokine_figure",
    "figure_bytes",
    "figure_to_html",
    "find_chromium",
    "fmt_n_pct",
    "fmt_num",
    "html_to_pdf",
    "is_wide",
    "kinetics_figure",
    "km_figure",
    "render_document",
    "run_analysis",
    "spider_figure",
    "swimmer_figure",
    "table_from_wide",
    "table_grade_reconciliation",
    "table_to_docx",
    "table_to_html",
    "table_to_rtf",
    "table_to_text",
    "table_width_chars",
    "waterfall_figure",
    "write_ars",
]

__getattr__, __dir__ = attach(__name__, __file__, __all__)
