"""The report's CRS / ICANS grade reconciliation: events whose reported and derived grades
differ, one row per event, with the observation behind the derived grade."""

from __future__ import annotations

import pandas as pd

from cartrial.errors import InputError
from cartrial.report.table import ReportTable, fmt_median_range, table_from_wide
from cartrial.safety.grade_source import source_label


def ctcae_label(version: str | None) -> str:
    """The CTCAE version a table's laboratory grades follow, as the table names it.

    Parameters
    ----------
    version : str or None
        The version pinned by the protocol (``safety.ctcae_version``: "5.0" or "6.0") and
        recorded by the safety engine (``SafetyResult.method["ctcae_version"]``).

    Returns
    -------
    str
        "NCI CTCAE v5.0" or "NCI CTCAE v6.0" (Common Terminology Criteria for Adverse Events,
        National Cancer Institute).

    Raises
    ------
    InputError
        No version recorded: a table must not guess which criteria graded its values.

    Examples
    --------
    >>> ctcae_label("6.0")
    'NCI CTCAE v6.0'
    """
    if not version:
        raise InputError("the safety results do not record the CTCAE version that graded the "
                         "laboratory values (protocol safety.ctcae_version)")
    return f"NCI CTCAE v{version}"


def _grade(v: float) -> str:
    return "-" if v != v else f"{v:.0f}"


def table_grade_reconciliation(differ: pd.DataFrame, source: str, number: str) -> ReportTable:
    """Every CRS / ICANS event whose investigator-reported and derived grades differ.

    Parameters
    ----------
    differ : pandas.DataFrame
        :func:`cartrial.safety.grade_source.reconcile_syndrome_grades` output.
    source : str
        The protocol's primary grade source (``"derived"`` or ``"reported"``).
    number : str
        Table number, e.g. ``"14.3.2.1"``.

    Returns
    -------
    ReportTable
        Subject, event, onset day, reported grade, derived grade, grade used and the observation
        that drove the derived grade; one row saying so when no event differs.

    Raises
    ------
    InputError
        When ``source`` is unknown.

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38.

    Examples
    --------
    >>> import pandas as pd
    >>> from cartrial.safety.grade_source import EVENT_COLUMNS
    >>> t = table_grade_reconciliation(pd.DataFrame(columns=EVENT_COLUMNS), "derived", "1.1")
    >>> t.wide().iloc[0, 0]
    'none: every reported grade equals the derived grade'
    """
    note = source_label(source)
    d = differ.sort_values(["EVENT", "USUBJID", "ONSET_DAY"], kind="stable")
    w = pd.DataFrame({
        "Subject": d["USUBJID"].astype(str),
        "Event": d["EVENT"].astype(str),
        "Onset (day)": d["ONSET_DAY"].astype(float).map(lambda v: f"{v:.1f}"),
        "Reported grade (AETOXGR)": d["REPORTED_GRADE"].astype(float).map(_grade),
        "Derived grade (ASTCT 2019)": d["DERIVED_GRADE"].astype(float).map(_grade),
        "Grade used in the tables": d["GRADE"].astype(float).map(_grade),
        "Observation that drove the derived grade": d["DRIVER"].fillna("").astype(str),
    })
    if w.empty:
        w = pd.DataFrame({"Subject": ["none: every reported grade equals the derived grade"]}
                         ).reindex(columns=w.columns, fill_value="")
    return table_from_wide(
        number, "CRS and ICANS events whose reported and derived grades differ",
        "Safety (infused)", w, kind="table", footnotes=(
            note,
            "Onset in days after infusion (day 0 = infusion), from the AE record (or the derived "
            "episode when no AE record exists). Reported grade '-': no AE record; derived grade "
            "0: the patient's observations do not meet the ASTCT 2019 criteria in the record's "
            "span (from one day before its start to one day after its end).",
            "The driving observation is the first time point at the episode's worst grade."),
        source="ADAE (AETOXGR, DTOXGRN, GRDDIFFL), daily observations (VS, FA, CM, QS)")


def table_kinetics_by_crs(exposure: pd.DataFrame, tests: pd.DataFrame, source: str,
                          number: str) -> ReportTable:
    """CAR-T expansion (Cmax, AUC0-28d) by maximum CRS grade, with the rank correlation.

    Parameters
    ----------
    exposure : pandas.DataFrame
        ``KineticsReport.exposure_safety`` (PCTESTCD, PCSPEC, CRSGR, PARAMCD, n, median, min,
        max).
    tests : pandas.DataFrame
        ``KineticsReport.exposure_safety_tests`` (PCTESTCD, PCSPEC, PARAMCD, spearman_rho,
        spearman_p).
    source : str
        The protocol's primary CRS grade source (``"derived"`` or ``"reported"``).
    number : str
        Table number.

    Returns
    -------
    ReportTable
        One row per analyte and parameter; one column per CRS grade and one for Spearman's rho.

    Raises
    ------
    InputError
        When ``source`` is unknown.

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38 (CRS grade).

    Examples
    --------
    >>> import pandas as pd
    >>> e = pd.DataFrame({"PCTESTCD": ["CARTRNSG"], "PCSPEC": ["WHOLE BLOOD"], "CRSGR": [1],
    ...                   "PARAMCD": ["CMAX"], "n": [2], "median": [10.0], "min": [5.0],
    ...                   "max": [20.0]})
    >>> t = table_kinetics_by_crs(e, pd.DataFrame(), "derived", "1")
    >>> t.wide().iloc[0].tolist()
    ['10.0 [5-20] (2)']
    """
    from cartrial.report.labels import ANALYTE_LABELS, NCA_LABELS, label, nca_precision_key

    note = source_label(source)

    e = exposure[exposure["PARAMCD"].isin(["CMAX", "AUC0_28"])]
    row = (e["PCTESTCD"].map(lambda c: label(ANALYTE_LABELS, c)) + ", "
           + e["PCSPEC"].str.lower() + ": " + e["PARAMCD"].map(NCA_LABELS)
           + ", median [min-max] (n)")
    cells = pd.DataFrame({"row": row.to_numpy(),
                          "column": "CRS grade " + e["CRSGR"].astype(int).astype(str),
                          "value": [fmt_median_range(md, lo, hi, n, nca_precision_key(t, p))
                                    for md, lo, hi, n, t, p in zip(
                                        e["median"], e["min"], e["max"], e["n"], e["PCTESTCD"],
                                        e["PARAMCD"], strict=True)]})
    cells = cells.sort_values(["row", "column"], kind="stable")
    if len(tests) and "spearman_rho" in tests:
        t = tests[tests["PARAMCD"].isin(["CMAX", "AUC0_28"])]
        trow = (t["PCTESTCD"].map(lambda c: label(ANALYTE_LABELS, c)) + ", "
                + t["PCSPEC"].str.lower() + ": " + t["PARAMCD"].map(NCA_LABELS)
                + ", median [min-max] (n)")
        cells = pd.concat([cells, pd.DataFrame({
            "row": trow.to_numpy(), "column": "Spearman \u03c1 with CRS grade (p)",
            "value": [f"{r:.2f} ({p:.3g})" for r, p in zip(t["spearman_rho"], t["spearman_p"],
                                                          strict=True)]})], ignore_index=True)
        order = {r: i for i, r in enumerate(dict.fromkeys(cells["row"]))}
        cells = cells.sort_values("row", key=lambda s: s.map(order), kind="stable")
    return ReportTable(number, "CAR-T expansion by maximum CRS grade", "Infused with kinetics "
                       "samples", cells.drop_duplicates(["row", "column"]).reset_index(drop=True),
                       (note, "Maximum CRS grade per patient (0 = no CRS) from the primary "
                        "grade source; Spearman rank correlation of exposure with that grade."),
                       "ADPP, ADAE")
