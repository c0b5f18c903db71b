"""The analysis metadata of every report table (CDISC ARS v1.0 in spirit): datasets, population
flag, dataset where-clause, variables, grouping, method, and whether the table is described cell
by cell (:mod:`cartrial.report.ars_specs`) or why it cannot be recomputed from ADaM alone."""

from __future__ import annotations

from cartrial.errors import InputError
from cartrial.report.ars_dose import ALSO
from cartrial.report.table import ReportTable

_N_PCT = "n (%) of the population in the column (percentage 100 n / N)"
_CP = _N_PCT + "; 95% CI Clopper-Pearson"
_MED = "median (min-max) of the patients' values"
# a CRS / ICANS record the primary (derived) grade puts at 0 is not an event (ATOXGRN >= 1)
_TEAE = ("TRTEMFL == 'Y' and ATOXGRN >= 1", ("AEBODSYS", "AEDECOD", "ATOXGRN", "TRTEMFL"))
# event baskets: the ADAE customized query of the basket's category (zz), per patient
_BASKET = ("TRTEMFL == 'Y'", ("CQzzNAM", "ATOXGRN", "AOCCzzFL", "CQzzONDY", "CQzzRSFL",
                              "CQzzRSDY", "TRTEMFL"))

# number -> (datasets, population flag, dataset where, variables, grouping, method, cells, or
# the reason the table cannot be recomputed from ADaM alone)
_A: dict[str, tuple] = {
    "14.1.1": ("ADSL", "ITTFL", "", ("SAFFL", "DLTEVLFL", "EFFFL", "PPCLFL", "POPCD", "EOSSTT",
                                     "DCSREAS", "DTHFL"), "TRT01A", "n", "populations"),
    "14.1.2": ("ADSL", "", "", ("APHFL", "BRIDGFL", "LDFL", "SAFFL", "NINFRS", "DLTEVLFL",
                                "EFFFL", "EOSSTT", "DCSREAS", "DTHFL"), "ARMCD", _N_PCT,
               "disposition"),
    "14.1.3": ("ADSL", "SAFFL", "", ("AGE", "SEX", "ECOGBL", "POPCD", "DIAGDURY", "PRLINES",
                                     "TCEXPFL", "TCREFFL", "PENEXPFL", "PENREFFL", "BCMAFL",
                                     "ISS", "RISS", "HRCYTOFL", "EMDFL", "BRIDGFL", "BRDGRSP"),
               "TRT01A", _N_PCT + "; n, mean (SD), median (Q1, Q3; R quantile type 7), min-max",
               "baseline"),
    "14.1.4": ("ADEX", "APHFL", "", ("MFGFFL", "LDFL", "SAFFL", "DOSELFL", "VVDUR", "PARCAT1",
                                     "PARCAT2", "PARAMCD", "AVAL"), "ARMCD",
               _N_PCT + "; n, mean (SD), median (Q1, Q3; R quantile type 7), min-max",
               "exposure"),
    "14.2.1": ("ADSL", "SAFFL", "", ("TRT01P", "DLTFL"), "decision date",
               "the design's decision on the data as known at each date",
               "re-derived by trial conduct at each decision date (DLT adjudication as known "
               "then), not an ADaM analysis"),
    "14.2.2": ("", "", "", (), "", "the design's decision rules",
               "computed from the protocol's design, no data"),
    "14.2.3": ("ADSL", "SAFFL", "", ("DLTEVLFL", "DLTFL", "DLTPNDFL", "DLTCRIT"), "TRT01P",
               "n; n/N (%)", "dlt"),
    "14.3.1": ("ADAE", "SAFFL", *_TEAE, "TRT01A", _N_PCT + ", a patient once per row",
               "teae"),
    "14.3.1.1": ("ADAE", "SAFFL", *_TEAE, "", _N_PCT + ", a patient once per row at the "
                 "worst grade", "teae"),
    "14.3.2": ("ADAE, ADSYND", "SAFFL", "CRSFL == 'Y' and ATOXGRN >= 1",
               ("CRSFL", "ATOXGRN", "PARCAT1", "PARAMCD", "EPISODE", "AVAL"), "TRT01A",
               _N_PCT + "; " + _MED, "syndrome"),
    "14.3.2.1": ("ADAE", "SAFFL", "GRDDIFFL == 'Y'", ("AETOXGR", "DTOXGRN", "GRDDIFFL"), "",
                 "list of events", "a listing of the CRS / ICANS events whose reported and "
                 "derived grades differ, each with the observation that drove its derived grade "
                 "(the first time point at the episode's worst grade in VS, FA, CM, QS), which "
                 "ADaM does not carry, and with the derived events no AE record reports, which "
                 "ADAE cannot hold: built from the safety engine's grade reconciliation"),
    "14.3.3": ("ADAE, ADSYND", "SAFFL", "ICANSFL == 'Y' and ATOXGRN >= 1",
               ("ICANSFL", "ATOXGRN", "PARCAT1", "PARAMCD", "EPISODE", "AVAL"), "TRT01A",
               _N_PCT + "; " + _MED, "syndrome"),
    "14.3.4": ("ADHTOX", "SAFFL", "PARCAT1 == 'CYTOPENIA'", ("PARCAT2", "PARAMCD", "AVAL"),
               "TRT01A", _N_PCT + "; " + _MED, "cytopenia"),
    "14.3.5": ("ADAE", "SAFFL", *_BASKET, "TRT01A", _N_PCT + "; " + _MED,
               "basket"),
    "14.3.6": ("ADSL", "SAFFL", "", ("DTHFL", "DTHADY", "DTHCAUS"), "TRT01A", _N_PCT,
               "deaths"),
    "14.3.6.1": ("ADSL", "", "", ("DTHFL", "DTHCAUS", "DTHTIM"), "DTHTIM", "n",
                 "deaths_timing"),
    "14.3.7": ("ADAE", "SAFFL", "TRTEMFL == 'Y' and AEBODSYS == "
               "'Infections and infestations'", ("AEDECOD", "ATOXGRN"), "", _N_PCT +
               ", a patient once per row at the worst grade", "teae"),
    "14.3.7.1": ("ADAE", "SAFFL", *_BASKET, "TRT01A", _N_PCT + "; " + _MED, "basket"),
    "14.3.8": ("ADHTOX", "SAFFL", "PARCAT1 == 'ICAHT'", ("PARAMCD", "AVAL", "ICAHTCFL"),
               "TRT01A", _N_PCT + "; " + _MED, "htox"),
    "14.3.9": ("ADHTOX", "SAFFL", "PARAMCD == 'HTOXSCOR'", ("PARAMCD", "AVAL", "HTOXRISK"),
               "TRT01A",
               _N_PCT + "; " + _MED, "htox"),
    "14.3.9.1": ("ADHTOX", "SAFFL", "PARCAT1 == 'ICAHT'", ("PARAMCD", "AVAL", "HTOXRISK"),
                 "HTOXRISK", _N_PCT + " with an ICAHT grade", "htox_risk"),
    "14.3.10": ("ADAE", "SAFFL", "IECHSFL == 'Y'", ("IECHSFL", "ATOXGRN", "IECSCRFL"),
                "TRT01A", _N_PCT + ", a patient once per row at the worst grade", "iec_hs"),
    "14.3.11": ("ADAE", "SAFFL", *_BASKET, "TRT01A", _N_PCT + "; " + _MED,
                "basket"),
    "14.3.12": ("ADAE", "SAFFL", *_BASKET, "TRT01A", _N_PCT + "; " + _MED,
                "basket"),
    "14.4.1": ("ADRS", "ITTFL", "PARAMCD == 'CBOR'", ("AVALC",), "TRT01A", _CP, "response"),
    "14.4.2": ("ADRS", "SAFFL", "PARAMCD in ['CBOR', 'MRD', 'MRDSUST', 'MRDNEGCR']",
               ("AVALC", "AVISIT", "MRDSENS", "CRIT1FL", "CRIT2FL"), "TRT01A", _CP, "mrd"),
    "14.4.3": ("ADTTE", "ITTFL", "", ("PARAMCD", "AVALM", "CNSR"), "TRT01A", "Kaplan-Meier "
               "(event: CNSR == 0) median with Brookmeyer-Crowley CI and landmark estimates "
               "with pointwise CI, both on the transform of the analysis' km settings; TTR: "
               "median (min-max)", "tte"),
    "14.4.4": ("ADTTE", "SAFFL", "", ("PARAMCD", "AVAL", "CNSR", "EVNTDESC", "TRT01A"), "TRT01A",
               "log-rank test across TRT01A (statsmodels survdiff); Cox hazard ratio against "
               "the reference level, Efron ties, Wald CI (statsmodels PHReg); median follow-up "
               "by reverse Kaplan-Meier of OS (CNSR != 0 the event) with Brookmeyer-Crowley "
               "CI; Aalen-Johansen cumulative incidence of the PFS events by EVNTDESC "
               "(progression, death competing), delta-method SE, log-scale CI", "survival"),
    "14.5.1": ("ADPP", "SAFFL", "", ("PARCAT1", "PARCAT2", "PPTESTCD", "AVAL", "TRT01AN"),
               "TRT01A",
               "geometric mean (CV% = 100 sqrt(exp(s^2) - 1), s the SD of the logs); median "
               "[min-max] (n) of AVAL", "nca"),
    "14.5.2": ("ADPC, ADPP", "SAFFL", "", ("PARCAT1", "PARAMCD", "AVAL", "AVALC", "AFRLT",
                                           "PARCAT2", "TRT01AN"), "TRT01A", _CP +
               "; evaluable: an ADPC record with a result (AVALC) at or after the landmark "
               "window's start, detectable: one with AVAL > 0; the analyte shown is the ADPP "
               "PARCAT1 of the ADPC PARAMCD and specimen (PARCAT2)", "persistence"),
    "14.5.3": ("ADCYT", "SAFFL", "", ("PARCAT1", "PARAMCD", "PARAM", "AVAL", "TRT01AN"),
               "TRT01A",
               "median [min-max] (n) of AVAL", "cytokines"),
    "14.5.4": ("ADAB", "SAFFL", "PARCAT1 == 'ADA_BAB'", ("PARCAT1", "AVISIT", "PARAMCD",
                                                          "AVALC", "ADPBLPFL", "TRT01AN"),
               "TRT01A", _N_PCT + " of the evaluable patients (ADPBLPFL); 95% CI "
               "Clopper-Pearson", "ada"),
    "14.5.5": ("ADPP, ADAE", "SAFFL", "", ("PARCAT1", "PARCAT2", "PPTESTCD", "AVAL", "CRSMAX"),
               "CRSMAX", "median [min-max] (n) of AVAL by CRSMAX, the patient's maximum ADAE "
               "ATOXGRN of the CRS records (0: none); Spearman rank correlation of AVAL with "
               "CRSMAX (scipy.stats.spearmanr)", "crs_exposure"),
    "14.6.1": ("ADSL, ADAE, ADRS, ADPP", "SAFFL", "", ("TRT01A", "DLTEVLFL", "DLTFL", "CRSFL",
                                                      "ICANSFL", "ATOXGRN", "PARAMCD", "AVALC",
                                                      "PARCAT1", "PPTESTCD", "AVAL"), "TRT01A",
               "n/N (%) of the patients of the column (a patient's worst grade for CRS and "
               "ICANS); 95% CI Clopper-Pearson; median (min, max) and n of AVAL",
               "dose_profile"),
    "14.6.2": ("", "", "", (), "", "the design's dose selection", "the design engine on the "
               "escalation patients' outcomes"),
    "14.6.3": ("ADSL, ADAE, ADRS", "SAFFL", "", ("ARMCD",), "ARMCD", _CP + "; the ROSE "
               "selection rule", "the study part (SUPPDM PART = RANDOMISED) is not an ADSL "
               "variable, and the selection is the ROSE rule's decision on the arms"),
}
# further datasets of a table: dataset -> where-clause (report.ars_safety.add_datasets)
_ALSO = {"14.3.2": {"ADSYND": "PARCAT1 == 'CRS'"}, "14.3.3": {"ADSYND": "PARCAT1 == 'ICANS'"},
         "14.6.1": ALSO}
_LISTING_WHERE = {"16.2.1": ("ADSL", "ITTFL == 'Y'"), "16.2.2": ("ADSL", "DLTFL == 'Y'"),
                  "16.2.3": ("ADAE", "TRTEMFL == 'Y' and (ATOXGRN >= 3 or AESER == 'Y')"),
                  "16.2.4": ("ADRS", "PARAMCD == 'CBOR'"),
                  "16.2.5": ("ADSL, ADAE", "DTHFL == 'Y' or DLTFL == 'Y' or AESER == 'Y'"),
                  "16.2.6": ("ADSL", "DOSELFL == 'Y'"),
                  "16.2.7": ("ADAE, ADLB", "AEDECOD == 'Immune effector cell-associated "
                             "HLH-like syndrome'")}


def analysis_for(table: ReportTable, count_dose_as: str = "assigned") -> dict:
    """The analysis metadata of one report table.

    Parameters
    ----------
    table : ReportTable
        A table or listing of the report.
    count_dose_as : str
        The protocol's ``conduct.count_dose_as``: the DLT table groups by TRT01P when
        ``"assigned"``, by TRT01A when ``"received"``.

    Returns
    -------
    dict
        id, datasets, population, where, variables, grouping, method, recomputable, reason
        (and ``cells``: the name of the cell description, empty when there is none).

    Raises
    ------
    InputError
        The table has no metadata.

    Examples
    --------
    >>> import pandas as pd
    >>> t = ReportTable("14.4.1", "Best overall response", "ITT", pd.DataFrame(
    ...     {"row": ["a"], "column": ["c"], "value": ["1"]}))
    >>> a = analysis_for(t)
    >>> a["id"], a["datasets"], a["population"], a["where"]
    ('AN14.4.1', ['ADRS'], "ADSL.ITTFL == 'Y'", "PARAMCD == 'CBOR'")
    """
    aid = f"AN{table.number}"
    if table.kind == "listing":
        if table.number not in _LISTING_WHERE:
            raise InputError(f"listing {table.number}: no analysis metadata (report.ars_metadata)")
        d, w = _LISTING_WHERE[table.number]
        return {"id": aid, "datasets": d.split(", "), "where": w, "method": "listing",
                "recomputable": False, "reason": "a listing", "cells": ""}
    if table.number not in _A:
        raise InputError(f"table {table.number}: no analysis metadata (report.ars_metadata)")
    d, flag, where, variables, group, method, cells = _A[table.number]
    if table.number == "14.2.3" and count_dose_as == "received":
        group = "TRT01A"
    from cartrial.report.ars_rows import CELLS

    described = cells in CELLS
    extra = {"also": _ALSO[table.number]} if table.number in _ALSO else {}
    if cells == "tte":  # the Kaplan-Meier settings as the table states them
        from cartrial.report.ars_tte import km_settings

        extra = {"km": km_settings(table.footnotes)}
    from cartrial.report.ars_kinetics import EXTRA

    if described:  # subject-level groupings from another dataset, rank tests
        extra |= EXTRA.get(table.number, {})
        for k, v in table.analysis.items():  # the table's own settings (e.g. the CI level)
            extra[k] = {**extra.get(k, {}), **v}
    return {"id": aid, "datasets": [x for x in d.split(", ") if x], **extra,
            "population": f"ADSL.{flag} == 'Y'" if flag else "", "where": where,
            "variables": list(variables), "grouping": group, "method": method,
            "recomputable": described, "reason": "" if described else cells,
            "cells": cells if described else ""}
