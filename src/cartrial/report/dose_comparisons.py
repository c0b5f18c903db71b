"""Table 14.4.4: survival compared across dose levels (log-rank, Cox, follow-up, competing risks).

Formats :func:`cartrial.efficacy.dose_comparisons` of the ADaM ADTTE records for the study
report: per dose level, the Cox hazard ratio against the first level (Efron ties), median
follow-up by reverse Kaplan-Meier and the cumulative incidence of progression and of death
without progression at the landmark months; per endpoint, the log-rank test across levels. The
footnotes state the methods, the ``days_per_month`` and everything that could not be estimated.
"""

from __future__ import annotations

import math

import pandas as pd

from cartrial.efficacy import dose_comparisons
from cartrial.efficacy.rates import OVERALL
from cartrial.protocol.model import EndpointSettings
from cartrial.report.table import ReportTable

NOT_INFUSED = "Not infused"


def _num(v: float, nd: int = 1) -> str:
    return "NE" if v is None or math.isnan(v) else f"{v:.{nd}f}"


def _cells(comp) -> list[tuple[str, str, str, int]]:  # noqa: ANN001
    cells: list[tuple[str, str, str, int]] = []
    for r in comp.follow_up.itertuples(index=False):  # first row: every column, in order
        cells.append(("Patients, n", str(r.group), str(r.n), 0))
    for r in comp.tests.itertuples(index=False):
        cells.append((f"{r.endpoint}: log-rank test across dose levels", OVERALL,
                      f"chi-square {r.statistic:.2f}, {r.df} df, p = {r.p_value:.3f}", 0))
    for r in comp.hazard_ratios.itertuples(index=False):
        row = f"{r.endpoint}: hazard ratio vs {r.reference} (95% CI)"
        cells.append((row, str(r.reference), "1 (reference)", 1))
        cells.append((row, str(r.group), f"{r.hr:.2f} ({r.ci_low:.2f}, {r.ci_high:.2f})", 1))
    for r in comp.follow_up.itertuples(index=False):
        cells.append(("Median follow-up (reverse Kaplan-Meier, OS), months (95% CI)",
                      str(r.group), f"{_num(r.median)} ({_num(r.ci_low)}, {_num(r.ci_high)})", 0))
    for r in comp.cumulative_incidence.itertuples(index=False):
        v = "NE" if math.isnan(r.cuminc) else (
            f"{100 * r.cuminc:.1f}% ({_num(100 * r.ci_low)}, {_num(100 * r.ci_high)})")
        cells.append((f"{r.cause}: cumulative incidence at {r.month:g} months, % (95% CI)",
                      str(r.group), v, 1))
    return cells


def table_dose_comparisons(
    tte: pd.DataFrame, groups: pd.Series, settings: EndpointSettings, dose_ids: list[str],
    number: str
) -> ReportTable | None:
    """The dose-level survival comparisons as a report table (None when nothing to compare).

    Parameters
    ----------
    tte : pandas.DataFrame
        ADTTE records (USUBJID, PARAMCD, AVAL in days, CNSR, EVNTDESC):
        :func:`cartrial.report.efficacy_adam.survival_rows`.
    groups : pandas.Series
        USUBJID -> dose level ("Not infused" for the patients left out).
    settings : EndpointSettings
        The protocol's endpoint settings (confidence level, ``days_per_month``, landmarks).
    dose_ids : list of str
        The protocol's dose levels in order (the first present is the reference).
    number : str
        Table number, e.g. "14.4.4".

    Returns
    -------
    ReportTable or None
        Rows per analysis, columns per dose level (protocol order) and Overall (the order of
        the follow-up rows, which come first).

    Examples
    --------
    >>> table_dose_comparisons  # doctest: +ELLIPSIS
    <function table_dose_comparisons at ...>
    """
    comp = dose_comparisons(tte, groups, dose_ids, settings)
    cells = _cells(comp)
    if not cells:
        return None
    df = pd.DataFrame(cells, columns=["row", "column", "value", "indent"])
    methods = [
        "Log-rank test (Mantel 1966); Cox proportional hazards with Efron ties (Efron 1977), Wald "
        "95% CI; median follow-up by reverse Kaplan-Meier (Schemper & Smith 1996) with "
        "Brookmeyer-Crowley CI; cumulative incidence by Aalen-Johansen with progression and "
        "death without progression as competing events, log-scale CI.",
        f"Months = days / {comp.days_per_month:g}. NE = not estimable.",
        *comp.notes,
    ]
    return ReportTable(number, "Survival by dose level: log-rank tests, hazard ratios, "
                       "follow-up and cumulative incidence", "Leukapheresed and infused, by "
                       "dose level (PFS, OS); responders (DOR)", df, tuple(methods), "ADTTE",
                       analysis={"test": analysis_settings(settings)})


def analysis_settings(settings: EndpointSettings) -> dict:
    """What Table 14.4.4's analysis-results metadata add to its test: the settings of the
    follow-up and cumulative-incidence rows and the PFS causes by ADTTE EVNTDESC.

    Parameters
    ----------
    settings : EndpointSettings
        The protocol's endpoint settings.

    Returns
    -------
    dict
        confidence_level, ci_transform, days_per_month, cause_variable and causes (the row's
        cause -> EVNTDESC of its events; a PFS event of another EVNTDESC competes).

    Examples
    --------
    >>> analysis_settings(EndpointSettings())["causes"]
    {'Disease progression': 'Disease progression', 'Death without progression': 'Death'}
    """
    from cartrial.efficacy.adtte_columns import PFS_CAUSES, PFS_EVENTS

    return {"confidence_level": settings.confidence_level,
            "ci_transform": settings.km_ci_transform, "days_per_month": settings.days_per_month,
            "cause_variable": "EVNTDESC",
            "causes": {PFS_CAUSES[code]: desc for desc, code in PFS_EVENTS.items()}}
