"""The safety (14.3) and efficacy (14.4) sections' items, from the engines' results and ADaM."""

from __future__ import annotations

import pandas as pd

from cartrial.protocol.model import Protocol
from cartrial.report import sections as S
from cartrial.report.dose_comparisons import table_dose_comparisons
from cartrial.report.fig_items import crs_icans_item, efficacy_figures
from cartrial.report.grades import ctcae_label

INFECTIONS = "Infections and infestations"
ORDER_NOTE = ("System organ classes, and the MedDRA preferred terms nested under each, by "
              "descending number of patients (all dose levels), ties alphabetically.")


def _preferred_term(row: str) -> str:
    """"SOC / PT" -> "PT" (shown indented under its system organ class)."""
    return row.split(" / ", 1)[-1]


def safety_items(adsl, safety, protocol: Protocol, figures: dict) -> list:
    from cartrial.report.grades import table_grade_reconciliation
    from cartrial.safety.grade_source import source_label

    source = protocol.safety.crs_icans_grade_source
    primary = source_label(source)
    doses = protocol.dose_ids
    n = S._n_by_dose(adsl, "SAFFL", doses)
    m = safety.method
    crit = (f"CRS ({m.get('crs_criteria')}) and ICANS ({m.get('icans_criteria')}) graded by the "
            "ASTCT consensus (Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38) from "
            "daily vital signs, oxygen support, "
            "vasopressors, ICE score and neurological findings; laboratory toxicity by NCI CTCAE "
            "v" + str(m.get("ctcae_version")) + ".")
    te = (f"Treatment-emergent: onset on or after infusion and up to day "
          f"{m.get('treatment_emergent_until_day')}.")
    items: list = [
        S.tidy_to_table(safety.tables["teae"], "14.3.1",
                        "Treatment-emergent adverse events by system organ class and preferred "
                        "term (worst grade per patient)", "Safety (infused)", col_n=n,
                        label=_preferred_term,
                        footnotes=(te, primary, "Other AE grades as reported by the "
                                   f"investigator (AETOXGR, {ctcae_label(m.get('ctcae_version'))}"
                                   ", the version the protocol pins).",
                                   "A patient is counted once per row at the worst grade.",
                                   ORDER_NOTE),
                        source="ADAE"),
        S.tidy_to_table(safety.tables["teae_grade"].query("COLUMN == @S.OVERALL"), "14.3.1.1",
                        "Treatment-emergent adverse events by system organ class, preferred "
                        "term and worst grade (all dose levels)", "Safety (infused)", col_n=n,
                        label=_preferred_term,
                        footnotes=(te, primary, "A patient is counted once per row, at the "
                                   "worst grade reached.", ORDER_NOTE), source="ADAE"),
        S.tidy_to_table(safety.tables["crs"], "14.3.2", "Cytokine release syndrome",
                        "Safety (infused)", col_n=n, footnotes=(
                            crit, primary, "Onset in days after infusion (day 0 = infusion); "
                            "duration of resolved episodes in days; onset, duration and therapy "
                            "from the derived episodes."), source="ADAE, safety engine"),
        table_grade_reconciliation(safety.reconciliation, source, "14.3.2.1"),
        S.tidy_to_table(safety.tables["icans"], "14.3.3",
                        "Immune effector cell-associated neurotoxicity syndrome",
                        "Safety (infused)", col_n=n, footnotes=(crit, primary),
                        source="ADAE, safety engine"),
    ]
    items.append(crs_icans_item(adsl, safety, primary, crit, figures))
    items.append(S.tidy_to_table(safety.tables["cytopenias"], "14.3.4",
                                 "Grade >= 3 cytopenias after infusion and recovery",
                                 "Safety (infused)", col_n=n, footnotes=(
        f"{ctcae_label(m.get('ctcae_version'))} grades from laboratory values (the version the "
        "protocol pins); a grade holds until the next assessment.",
        f"Prolonged: grade >= 3 still present beyond day {m.get('prolonged_cytopenia_day')}."),
        source="ADLB"))
    if "gprc5d" in safety.tables:   # protocol baskets of category "GPRC5D on-target"
        items.append(S.tidy_to_table(safety.tables["gprc5d"], "14.3.5",
                                     "GPRC5D on-target adverse events", "Safety (infused)",
                                     col_n=n, footnotes=(
                                         "Groups of MedDRA preferred terms defined in the "
                                         "protocol (safety.baskets).",), source="ADAE"))
    items.append(S.tidy_to_table(safety.tables["deaths"], "14.3.6", "Deaths",
                                 "Safety (infused)", col_n=n, footnotes=(
                                     "Days from infusion; cause from DS DSTERM.",),
                                 source="ADSL"))
    from cartrial.report.csr_deaths import table_deaths_timing

    items.append(table_deaths_timing(adsl, "14.3.6.1"))
    inf = safety.tables["teae_grade"]
    inf = inf[inf["ROW"].str.startswith(INFECTIONS) & (inf["COLUMN"] == S.OVERALL)]
    if len(inf):
        items.append(S.tidy_to_table(
            inf, "14.3.7", "Infections by preferred term and worst grade (all dose levels)",
            "Safety (infused)", col_n=n, label=_preferred_term, footnotes=(
                te, "MedDRA system organ class 'Infections and infestations'; a patient is "
                "counted once per row, at the worst grade (as reported, "
                f"{ctcae_label(safety.method.get('ctcae_version'))}).",
                ORDER_NOTE), source="ADAE"))
    from cartrial.report.safety_standards import safety_standard_items  # ICAHT, IEC-HS, baskets

    return items + safety_standard_items(safety, n)


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
