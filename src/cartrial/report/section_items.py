"""The safety (14.2.3, 14.3) and efficacy (14.4) sections' items: the safety tables computed
from the ADaM datasets (:mod:`cartrial.report.safety_adam`), the efficacy items from the
engines' results and ADaM."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from cartrial.protocol.model import Protocol
from cartrial.report import sections as S
from cartrial.report.dose_comparisons import table_dose_comparisons
from cartrial.report.fig_items import crs_icans_item, efficacy_figures
from cartrial.report.grades import ctcae_label

INFECTIONS = "Infections and infestations"
SYNDROME_SOURCE = "ADAE (patients by worst grade), ADSYND (episodes)"
ORDER_NOTE = ("System organ classes, and the MedDRA preferred terms nested under each, by "
              "descending number of patients (all dose levels), ties alphabetically.")


def _preferred_term(row: str) -> str:
    """"SOC / PT" -> "PT" (shown indented under its system organ class)."""
    return row.split(" / ", 1)[-1]


def _syndrome_items(tables: dict, n: dict, crit: str, primary: str) -> list:
    """Tables 14.3.2 (CRS) and 14.3.3 (ICANS): patients by worst grade on ADAE, the episodes'
    onset, duration and therapy on ADSYND; the patients whose derived episode no AE record
    reports are named (the grade rows, on ADAE, cannot count them)."""
    un = tables.get("uncounted_episodes")
    notes = {e: () for e in ("CRS", "ICANS")}
    for e, ids in ([] if un is None else un.groupby("EVENT")["USUBJID"]):
        notes[e] = (f"Not in the grade rows: {len(ids)} patient(s) with a {e} episode derived "
                    f"from the daily observations that no AE record reports ({', '.join(ids)});"
                    " their episodes are in ADSYND and in the onset, duration and therapy "
                    "rows.",)
    return [
        S.tidy_to_table(tables["crs"], "14.3.2", "Cytokine release syndrome",
                        "Safety (infused)", col_n=n, footnotes=(
                            crit, primary, "Onset in days after infusion (day 0 = infusion); "
                            "duration of resolved episodes in days; onset, duration and therapy "
                            "from the derived episodes.", *notes["CRS"]),
                        source=SYNDROME_SOURCE),
        S.tidy_to_table(tables["icans"], "14.3.3",
                        "Immune effector cell-associated neurotoxicity syndrome",
                        "Safety (infused)", col_n=n, footnotes=(crit, primary,
                                                                *notes["ICANS"]),
                        source=SYNDROME_SOURCE)]


def safety_table_items(adsl: pd.DataFrame, tables: dict, method: Mapping,
                       protocol: Protocol) -> list:
    """The 14.3 safety tables computed from ADaM, in report order.

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL (the column headers' N: SAFFL, TRT01A; deaths by timing).
    tables : dict of str to pandas.DataFrame
        :func:`cartrial.report.safety_adam.adam_safety_tables` of the report's ADaM datasets.
    method : mapping
        The analysis method record (``SafetyAnalysis.method``: criteria names and versions,
        the protocol's treatment-emergent window and prolonged-cytopenia day), read for the
        footnotes only.
    protocol : Protocol
        The primary CRS / ICANS grade source and the dose levels.

    Returns
    -------
    list of ReportTable
        14.3.1, 14.3.1.1, 14.3.2, 14.3.3, 14.3.4, 14.3.5, 14.3.6, 14.3.6.1, 14.3.7 and the
        safety-standard tables (:func:`cartrial.report.safety_standards.safety_standard_items`);
        the engine-only items (14.3.2.1, Figure 14.3.1) are added by :func:`safety_items`.

    Examples
    --------
    Needs a trial's ADaM datasets, so not run here:

    >>> safety_table_items(ds["ADSL"], adam_safety_tables(ds, p), method, p)  # doctest: +SKIP
    """
    from cartrial.report.csr_deaths import table_deaths_timing
    from cartrial.report.safety_standards import safety_standard_items  # ICAHT, IEC-HS, baskets
    from cartrial.safety.grade_source import source_label

    primary = source_label(protocol.safety.crs_icans_grade_source)
    n = S._n_by_dose(adsl, "SAFFL", protocol.dose_ids)
    m, ctcae = method, ctcae_label(method.get("ctcae_version"))
    te = (f"Treatment-emergent: onset on or after infusion and up to day "
          f"{m.get('treatment_emergent_until_day')}.")
    items: list = [
        S.tidy_to_table(tables["teae"], "14.3.1",
                        "Treatment-emergent adverse events by system organ class and preferred "
                        "term (worst grade per patient)", "Safety (infused)", col_n=n,
                        label=_preferred_term,
                        footnotes=(te, primary, "Other AE grades as reported by the "
                                   f"investigator (AETOXGR, {ctcae}, the version the protocol "
                                   "pins).", "A patient is counted once per row at the worst "
                                   "grade.", ORDER_NOTE), source="ADAE"),
        S.tidy_to_table(tables["teae_grade"].query("COLUMN == @S.OVERALL"), "14.3.1.1",
                        "Treatment-emergent adverse events by system organ class, preferred "
                        "term and worst grade (all dose levels)", "Safety (infused)", col_n=n,
                        label=_preferred_term,
                        footnotes=(te, primary, "A patient is counted once per row, at the "
                                   "worst grade reached.", ORDER_NOTE), source="ADAE"),
        *_syndrome_items(tables, n, _criteria(m), primary),
        S.tidy_to_table(tables["cytopenias"], "14.3.4",
                        "Grade >= 3 cytopenias after infusion and recovery", "Safety (infused)",
                        col_n=n, footnotes=(
                            f"{ctcae} grades from laboratory values (the version the protocol "
                            "pins); a grade holds until the next assessment.",
                            "Prolonged: grade >= 3 still present beyond day "
                            f"{m.get('prolonged_cytopenia_day')}."), source="ADHTOX")]
    if "gprc5d" in tables:   # protocol baskets of category "GPRC5D on-target"
        items.append(S.tidy_to_table(tables["gprc5d"], "14.3.5",
                                     "GPRC5D on-target adverse events", "Safety (infused)",
                                     col_n=n, footnotes=(
                                         "Groups of MedDRA preferred terms defined in the "
                                         "protocol (safety.baskets).",), source="ADAE"))
    items += [S.tidy_to_table(tables["deaths"], "14.3.6", "Deaths", "Safety (infused)",
                              col_n=n, footnotes=("Days from infusion; cause from DS DSTERM.",),
                              source="ADSL"),
              table_deaths_timing(adsl, "14.3.6.1")]
    inf = tables["teae_grade"]
    inf = inf[inf["ROW"].str.startswith(INFECTIONS) & (inf["COLUMN"] == S.OVERALL)]
    if len(inf):
        items.append(S.tidy_to_table(
            inf, "14.3.7", "Infections by preferred term and worst grade (all dose levels)",
            "Safety (infused)", col_n=n, label=_preferred_term, footnotes=(
                te, "MedDRA system organ class 'Infections and infestations'; a patient is "
                f"counted once per row, at the worst grade (as reported, {ctcae}).",
                ORDER_NOTE), source="ADAE"))
    return items + safety_standard_items(tables, m, n)


def _criteria(m: Mapping) -> str:
    return (f"CRS ({m.get('crs_criteria')}) and ICANS ({m.get('icans_criteria')}) graded by the "
            "ASTCT consensus (Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38) from "
            "daily vital signs, oxygen support, vasopressors, ICE score and neurological "
            "findings; laboratory toxicity by NCI CTCAE v" + str(m.get("ctcae_version")) + ".")


def safety_items(adsl, safety, protocol: Protocol, figures: dict, tables: dict) -> list:
    """Section 14.3: the tables computed from ADaM (``tables``, :func:`safety_table_items`),
    with the grade reconciliation (14.3.2.1, events and the observations behind their derived
    grade, which ADaM does not carry) and Figure 14.3.1 from the safety engine's result.

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL.
    safety : cartrial.safety.SafetyAnalysis
        The safety engine's result: ``reconciliation``, the episodes of the figure and
        ``method`` (footnotes) only.
    protocol : Protocol
        The primary grade source, dose levels and baskets.
    figures : dict
        Figure files by name (the figure is added).
    tables : dict of str to pandas.DataFrame
        :func:`cartrial.report.safety_adam.adam_safety_tables`.

    Returns
    -------
    list
        ReportTable and ReportFigure items in report order.

    Examples
    --------
    Needs a trial's engine result and ADaM datasets, so not run here:

    >>> safety_items(ds["ADSL"], safety, p, {}, adam_safety_tables(ds, p))  # doctest: +SKIP
    """
    from cartrial.report.grades import table_grade_reconciliation
    from cartrial.safety.grade_source import source_label

    source = protocol.safety.crs_icans_grade_source
    items = safety_table_items(adsl, tables, safety.method, protocol)
    at = [t.number for t in items].index("14.3.3")
    items.insert(at, table_grade_reconciliation(safety.reconciliation, source, "14.3.2.1"))
    items.insert(at + 2, crs_icans_item(adsl, safety, source_label(source),
                                        _criteria(safety.method), figures))
    return items


def dlt_item(adsl: pd.DataFrame, tables: dict, method: Mapping, protocol: Protocol):
    """Table 14.2.3, DLTs by dose level, from the ADSL DLT variables.

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL (the counted-dose footnote: TRT01P / TRT01A).
    tables : dict of str to pandas.DataFrame
        :func:`cartrial.report.safety_adam.adam_safety_tables` (``tables["dlt"]``).
    method : mapping
        The analysis method record (``ctcae_version``, named in a footnote).
    protocol : Protocol
        DLT criteria and window, ``conduct.count_dose_as``.

    Returns
    -------
    ReportTable

    Examples
    --------
    Needs a trial's ADaM datasets, so not run here:

    >>> dlt_item(ds["ADSL"], adam_safety_tables(ds, p), method, p)  # doctest: +SKIP
    """
    from cartrial.report.dlt_counting import counted_dose_note
    from cartrial.report.safety_adam import dlt_patients

    return S.tidy_to_table(
        tables["dlt"], "14.2.3", "Dose-limiting toxicities by dose level",
        "Safety (infused)", footnotes=(
            "DLT criteria (protocol): " + "; ".join(protocol.dlt.criteria().values()) + ".",
            f"DLT window {protocol.design.dlt_window_days} days from infusion; CRS/ICANS "
            "graded by ASTCT 2019 from the daily assessments, cytopenias by "
            f"{ctcae_label(method.get('ctcae_version'))} from laboratory values.",
            *filter(None, [counted_dose_note(adsl, dlt_patients(adsl, protocol), protocol)])),
        source="ADSL (DLTEVLFL, DLTFL)", col_n=None)


def efficacy_tables(adam: dict[str, pd.DataFrame], protocol: Protocol | None,
                    footnotes: tuple[str, ...] | list[str]) -> list:
    """Tables 14.4.1-14.4.4 from the ADaM datasets (ADSL, ADRS, ADTTE) alone, through the
    efficacy engine's estimators (:mod:`cartrial.report.efficacy_adam`).

    Parameters
    ----------
    adam : dict of str to pandas.DataFrame
        ADSL, ADRS and ADTTE (others are not read).
    protocol : Protocol or None
        Endpoint settings and dose levels (without it: defaults, the levels of ADSL TRT01A
        sorted, and no Table 14.4.4).
    footnotes : sequence of str
        The efficacy engine's method statements (``EfficacyResult.footnotes``).

    Returns
    -------
    list of ReportTable
        14.4.1, 14.4.2 (with ADRS MRD records), 14.4.3 and 14.4.4 (when a dose-level comparison
        exists).

    Examples
    --------
    >>> efficacy_tables  # doctest: +ELLIPSIS
    <function efficacy_tables at ...>
    """
    from cartrial.protocol.model import EndpointSettings
    from cartrial.report import efficacy_adam as E

    adsl, notes = adam["ADSL"], list(footnotes)
    s = protocol.endpoints if protocol is not None else EndpointSettings()
    doses = list(protocol.dose_ids) if protocol is not None else sorted(
        set(S.dose_id(adsl["TRT01A"].dropna())))
    items: list = [S.table_response(E.rates_from_adam(adsl, adam["ADRS"], s, doses), "14.4.1",
                                    "Leukapheresed (intent-to-treat), by dose level infused",
                                    [notes[0], notes[1]])]
    mrd = E.mrd_from_adam(adsl, adam["ADRS"], s, doses)
    if mrd is not None and len(mrd):
        items.append(S.table_mrd(mrd, "14.4.2", [
            notes[-1], "n (%) [95% CI, Clopper-Pearson] of the patients in the denominator."]))
    items.append(S.table_tte(*E.tte_from_adam(adsl, adam["ADTTE"], s, doses), "14.4.3",
                             [notes[2], notes[3], "NR = not reached; NE = not estimable."]))
    if protocol is not None:  # survival by dose level (cartrial.report.dose_comparisons)
        t = table_dose_comparisons(*E.survival_rows(adsl, adam["ADTTE"], s, doses), s, doses,
                                   "14.4.4")
        items += [t] if t else []
    return items


def efficacy_items(adam: dict[str, pd.DataFrame], efficacy, figures: dict,
                   protocol: Protocol | None = None, cm: pd.DataFrame | None = None) -> list:
    """The efficacy section: its tables from ADaM (:func:`efficacy_tables`), its figures."""
    items = efficacy_tables(adam, protocol, efficacy.footnotes)
    return items + efficacy_figures(adam["ADSL"], adam["ADRS"], cm, efficacy, figures)
