"""The analysis metadata of every report table and, for the tables described cell by cell, the
where-clause of each row and column on the ADaM datasets (CDISC ARS v1.0 in spirit).

Where-clauses and groups are pandas query expressions on the ADaM columns (``AEDECOD ==
'Anaemia' and ATOXGRN >= 3``; a missing value is ``TRT01A.fillna('') == ''``). The data of an
analysis are the population (ADSL records whose flag is ``"Y"``), left-joined with the analysis
dataset's records that meet the dataset where-clause. A cell counts the distinct subjects of its
group (``group``) whose records meet the row's where-clause; its denominator is the subjects of
the group (meeting ``denominator_where`` when given); with ``worst_grade`` a subject counts when
the highest ATOXGRN of its records meeting the where-clause equals that grade. Percentages are
100 n / N, confidence intervals Clopper-Pearson 95% (Clopper CJ, Pearson ES, Biometrika
1934;26:404-13).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from cartrial.errors import InputError
from cartrial.report.ars import ARD_COLUMNS, _clean, displayed_ard, parse_cell, shown_value
from cartrial.report.table import ReportTable

_N_PCT = "n (%) of the population in the column (percentage 100 n / N)"
_CP = _N_PCT + "; 95% CI Clopper-Pearson"
_MED = "median (min-max) of the patients' values"
_TEAE = ("TRTEMFL == 'Y'", ("AEBODSYS", "AEDECOD", "ATOXGRN", "TRTEMFL"))

# number -> (datasets, population flag, dataset where, variables, grouping, method, cells, or
# the reason the table cannot be recomputed from ADaM alone)
_A: dict[str, tuple] = {
    "14.1.1": ("ADSL", "ITTFL", "", ("SAFFL", "DLTEVLFL", "EFFFL", "PPCLFL", "POPCD", "EOSSTT",
                                     "DCSREAS", "DTHFL"), "TRT01A", "n", "populations"),
    "14.1.2": ("ADSL", "", "", ("APHFL", "BRIDGFL", "LDFL", "SAFFL", "MFGFFL", "EOSSTT"),
               "TRT01P", _N_PCT, "rows not yet described cell by cell"),
    "14.1.3": ("ADSL", "SAFFL", "", ("AGE", "SEX", "RACE", "ECOGBL", "ISS", "RISS", "PRLINES"),
               "TRT01A", _N_PCT + "; " + _MED, "rows not yet described cell by cell"),
    "14.1.4": ("ADSL", "ITTFL", "", ("DOSEP", "DOSEA", "VVDUR", "LDFL", "MFGFFL"), "TRT01P",
               _N_PCT + "; " + _MED, "lymphodepletion by agent is read from SDTM EX"),
    "14.2.1": ("ADSL", "SAFFL", "", ("TRT01P", "DLTFL"), "decision date",
               "the design's decision on the data as known at each date",
               "re-derived by trial conduct at each decision date (DLT adjudication as known "
               "then), not an ADaM analysis"),
    "14.2.2": ("", "", "", (), "", "the design's decision rules",
               "computed from the protocol's design, no data"),
    "14.2.3": ("ADSL", "SAFFL", "", ("DLTEVLFL", "DLTFL"), "TRT01P", "n; n/N (%)", "dlt"),
    "14.3.1": ("ADAE", "SAFFL", *_TEAE, "TRT01A", _N_PCT + ", a patient once per row",
               "teae"),
    "14.3.1.1": ("ADAE", "SAFFL", *_TEAE, "", _N_PCT + ", a patient once per row at the "
                 "worst grade", "teae"),
    "14.3.2": ("ADAE", "SAFFL", "CRSFL == 'Y'", ("ATOXGRN", "ASTDY", "ADURN"), "TRT01A",
               _N_PCT + "; " + _MED, "episode onset, duration and therapy come from the "
               "safety engine's derived episodes (not in ADAE)"),
    "14.3.2.1": ("ADAE", "SAFFL", "GRDDIFFL == 'Y'", ("AETOXGR", "DTOXGRN", "GRDDIFFL"), "",
                 "list of events", "a listing of events with the observations behind each"),
    "14.3.3": ("ADAE", "SAFFL", "ICANSFL == 'Y'", ("ATOXGRN", "ASTDY", "ADURN"), "TRT01A",
               _N_PCT + "; " + _MED, "episode onset, duration and therapy come from the "
               "safety engine's derived episodes (not in ADAE)"),
    "14.3.4": ("ADLB", "SAFFL", "", ("PARAMCD", "ATOXGRL", "ADAYINF"), "TRT01A",
               _N_PCT + "; " + _MED, "recovery times from the safety engine's graded "
               "laboratory episodes"),
    "14.3.5": ("ADAE", "SAFFL", *_TEAE, "TRT01A", _N_PCT, "basket membership of preferred "
               "terms is protocol metadata, not an ADAE variable"),
    "14.3.6": ("ADSL", "SAFFL", "DTHFL == 'Y'", ("DTHCAUS", "DTHADY"), "TRT01A",
               "n; " + _MED, "rows not yet described cell by cell"),
    "14.3.6.1": ("ADSL", "ITTFL", "DTHFL == 'Y'", ("DTHCAUS", "DTHTIM"), "DTHTIM", "n",
                 "rows not yet described cell by cell"),
    "14.3.7": ("ADAE", "SAFFL", "TRTEMFL == 'Y' and AEBODSYS == "
               "'Infections and infestations'", ("AEDECOD", "ATOXGRN"), "", _N_PCT +
               ", a patient once per row at the worst grade", "teae"),
    "14.3.7.1": ("ADAE", "SAFFL", "TRTEMFL == 'Y'", ("AEDECOD",), "TRT01A", _N_PCT,
                 "pathogen type is a mapping of preferred terms, not an ADAE variable"),
    "14.3.8": ("ADLB", "SAFFL", "PARAMCD == 'NEUT'", ("AVAL", "ADAYINF"), "TRT01A", _N_PCT,
               "ICAHT grade derived by the safety engine from the neutrophil course"),
    "14.3.9": ("ADHTOX", "SAFFL", "", ("PARAMCD", "AVAL", "AVALC"), "TRT01A", _N_PCT,
               "rows not yet described cell by cell"),
    "14.3.9.1": ("ADHTOX", "SAFFL", "", ("PARAMCD", "AVALC"), "risk group", _N_PCT,
                 "ICAHT grade derived by the safety engine from the neutrophil course"),
    "14.3.10": ("ADAE", "SAFFL", "", ("AEDECOD", "ATOXGRN"), "TRT01A", _N_PCT,
                "laboratory screen from the safety engine's IEC-HS criteria"),
    "14.3.11": ("ADAE", "SAFFL", *_TEAE, "TRT01A", _N_PCT, "basket membership of preferred "
                "terms is protocol metadata, not an ADAE variable"),
    "14.3.12": ("ADAE", "SAFFL", *_TEAE, "TRT01A", _N_PCT, "basket membership of preferred "
                "terms is protocol metadata, not an ADAE variable"),
    "14.4.1": ("ADRS", "ITTFL", "PARAMCD == 'CBOR'", ("AVALC",), "TRT01A", _CP, "response"),
    "14.4.2": ("ADRS", "SAFFL", "PARAMCD == 'MRD'", ("AVALC", "AVISIT", "MRDSENS"), "TRT01A",
               _CP, "denominators by response category come from the efficacy engine"),
    "14.4.3": ("ADTTE", "ITTFL", "", ("PARAMCD", "AVAL", "CNSR"), "", "Kaplan-Meier median "
               "and landmark estimates (Brookmeyer-Crowley CI)", "Kaplan-Meier estimates: "
               "not recomputed in this release"),
    "14.4.4": ("ADTTE", "ITTFL", "", ("PARAMCD", "AVAL", "CNSR"), "TRT01A", "log-rank test, "
               "Cox hazard ratio, reverse Kaplan-Meier follow-up, cumulative incidence",
               "model fits (Cox regression), not a count"),
    "14.5.1": ("ADPP", "SAFFL", "", ("PARAMCD", "AVAL"), "TRT01A", "geometric mean (CV%); "
               + _MED, "rows not yet described cell by cell"),
    "14.5.2": ("ADPC", "SAFFL", "", ("AVAL", "ADY"), "TRT01A", _CP, "the landmark sample "
               "window is the kinetics engine's rule"),
    "14.5.3": ("ADCYT", "SAFFL", "", ("PARAMCD", "AVAL"), "TRT01A", _MED,
               "rows not yet described cell by cell"),
    "14.5.4": ("", "SAFFL", "", (), "TRT01A", _CP, "ADA results are in SDTM IS; no ADaM "
               "dataset of them yet"),
    "14.5.5": ("ADPP, ADAE", "SAFFL", "", ("AVAL", "ATOXGRN"), "worst CRS grade",
               _MED + "; Jonckheere-Terpstra trend test", "a rank test (model), not a count"),
    "14.6.1": ("ADSL, ADAE, ADRS, ADPP", "SAFFL", "", ("TRT01A",), "TRT01A", _CP,
               "dose-response model fits"),
    "14.6.2": ("", "", "", (), "", "the design's dose selection", "the design engine on the "
               "escalation patients' outcomes"),
}
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
    >>> t = ReportTable("14.4.1", "Best overall response", "ITT", pd.DataFrame(
    ...     {"row": ["a"], "column": ["c"], "value": ["1"]}))
    >>> a = analysis_for(t)
    >>> a["id"], a["datasets"], a["population"], a["where"]
    ('AN14.4.1', ['ADRS'], "ADSL.ITTFL == 'Y'", "PARAMCD == 'CBOR'")
    """
    aid = f"AN{table.number}"
    if table.kind == "listing":
        if table.number not in _LISTING_WHERE:
            raise InputError(f"listing {table.number}: no analysis metadata (report.ars_specs)")
        d, w = _LISTING_WHERE[table.number]
        return {"id": aid, "datasets": d.split(", "), "where": w, "method": "listing",
                "recomputable": False, "reason": "a listing", "cells": ""}
    if table.number not in _A:
        raise InputError(f"table {table.number}: no analysis metadata (report.ars_specs)")
    d, flag, where, variables, group, method, cells = _A[table.number]
    if table.number == "14.2.3" and count_dose_as == "received":
        group = "TRT01A"
    described = cells in _CELLS
    return {"id": aid, "datasets": [x for x in d.split(", ") if x],
            "population": f"ADSL.{flag} == 'Y'" if flag else "", "where": where,
            "variables": list(variables), "grouping": group, "method": method,
            "recomputable": described, "reason": "" if described else cells,
            "cells": cells if described else ""}


def _populations(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    fixed = {"Leukapheresed (enrolled)": "ITTFL == 'Y'", "Infused (safety population)":
             "SAFFL == 'Y'", "DLT-evaluable": "DLTEVLFL == 'Y'", "Efficacy-evaluable":
             "EFFFL == 'Y'", "Primary plasma cell leukaemia": "PPCLFL == 'Y'",
             "Relapsed/refractory multiple myeloma": "POPCD == 'RRMM'", "Ongoing in study":
             "EOSSTT == 'ONGOING'", "Discontinued from study": "EOSSTT == 'DISCONTINUED'",
             "Died": "DTHFL == 'Y'"}
    if row in fixed:
        return {"where": fixed[row]}
    reasons = {str(r).capitalize(): r for r in adsl["DCSREAS"].dropna().unique()}
    return {"where": f"DCSREAS == {reasons[row]!r}"} if row in reasons else None


def _dlt(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    return {"Treated": {"where": "SAFFL == 'Y'"},
            "DLT-evaluable": {"where": "DLTEVLFL == 'Y'"},
            "Patients with DLT, n/N (%)": {"where": "DLTEVLFL == 'Y' and DLTFL == 'Y'",
                                           "denominator_where": "DLTEVLFL == 'Y'"}}.get(row)


def _teae(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    if row == "Any TEAE":
        return {"where": "TRTEMFL == 'Y'"}
    if ind == 0:
        ctx["soc"] = row
        return {"where": f"AEBODSYS == {row!r}"}
    return {"where": f"AEBODSYS == {ctx['soc']!r} and AEDECOD == {row!r}"}


def _response(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    groups = {"Overall response (PR or better)": ["sCR", "CR", "VGPR", "PR"],
              "VGPR or better": ["sCR", "CR", "VGPR"], "CR or better (CR/sCR)": ["sCR", "CR"]}
    head = row.split(", n (%)")[0]
    if head in groups:
        return {"where": f"AVALC in {groups[head]!r}"}
    if head.startswith("Best response: "):
        cat = head.removeprefix("Best response: ")
        return {"where": f"AVALC == {cat!r}" + (" or AVALC.fillna('') == ''" if cat == "NE"
                                                else "")}
    return None


_CELLS: dict[str, Callable] = {"populations": _populations, "dlt": _dlt, "teae": _teae,
                               "response": _response}


def _group(column: str, var: str, adsl: pd.DataFrame) -> tuple[str, str]:
    """(group expression, column statistic) of a column label "DL1 (N=4): grade >= 3"."""
    head, _, stat = column.partition(": ")
    dose = head.split(" (N=")[0]
    if dose == "Overall" or not var:
        return "", stat
    if dose == "Not infused":
        return f"{var}.fillna('') == ''", stat
    values = sorted({v for v in adsl[var].dropna().astype(str) if v.split(" ")[0] == dose})
    if len(values) != 1:
        raise InputError(f"ARS: column {column!r} matches {len(values)} values of ADSL.{var}")
    return f"{var} == {values[0]!r}", stat


def analysis_data(ds: dict[str, pd.DataFrame], meta: dict) -> pd.DataFrame:
    """The population (ADSL flag) left-joined with the dataset's records meeting its where.

    Parameters
    ----------
    ds : dict of str to pandas.DataFrame
        The ADaM datasets.
    meta : dict
        :func:`analysis_for` of a table described cell by cell.

    Returns
    -------
    pandas.DataFrame
        One row per record (a subject without records once, with missing values).

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "SAFFL": ["Y", None]})
    >>> analysis_data({"ADSL": adsl}, {"datasets": ["ADSL"], "population":
    ...     "ADSL.SAFFL == 'Y'", "where": ""})["USUBJID"].tolist()
    ['1']
    """
    adsl = ds["ADSL"]
    pop = adsl.query(meta["population"].removeprefix("ADSL."), engine="python")
    name = meta["datasets"][0]
    if name == "ADSL":
        return pop
    d = ds[name]
    d = d.query(meta["where"], engine="python") if meta["where"] else d
    keep = ["USUBJID"] + [c for c in d.columns if c not in pop.columns]
    return pop.merge(d[keep], on="USUBJID", how="left")


def computed_ard(table: ReportTable, ds: dict[str, pd.DataFrame], meta: dict) -> pd.DataFrame:
    """The ARD of a table described cell by cell, its values computed from ADaM (unrounded).

    Parameters
    ----------
    table : ReportTable
        The table.
    ds : dict of str to pandas.DataFrame
        The ADaM datasets the report writes.
    meta : dict
        :func:`analysis_for` of the table.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`cartrial.report.ars.ARD_COLUMNS`; a row whose cell has no description
        keeps its displayed value (``value_source = "displayed"``).

    References
    ----------
    Clopper CJ, Pearson ES. Biometrika 1934;26:404-13 (the exact binomial interval).

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "ITTFL": ["Y", "Y"], "TRT01A": ["DL1 x",
    ...     None], "SAFFL": ["Y", None]})
    >>> t = ReportTable("14.1.1", "P", "L", pd.DataFrame({"row": ["Infused (safety "
    ...     "population)"], "column": ["Overall (N=2)"], "value": ["1"]}))
    >>> computed_ard(t, {"ADSL": adsl}, analysis_for(t))[["where", "value"]].values.tolist()
    [["SAFFL == 'Y'", 1.0]]
    """
    data = analysis_data(ds, meta)
    spec, ctx, rows = _CELLS[meta["cells"]], {}, []
    indents = table.indents
    for r, c, v in zip(table.cells["row"], table.cells["column"], table.cells["value"],
                       strict=True):
        row = _clean(r)
        cell = spec(row, indents.get(r, 0), ds["ADSL"], ctx)
        group, stat = _group(str(c), meta["grouping"], ds["ADSL"])
        if cell is None:
            one = ReportTable(table.number, "", "", pd.DataFrame(
                {"row": [r], "column": [c], "value": [v]}))
            rows += displayed_ard(one, meta["id"]).to_dict("records")
            continue
        where = cell["where"] + (" and ATOXGRN >= 3" if stat == "grade >= 3" else "")
        worst = stat.removeprefix("grade ") if stat.startswith("grade ") and ">" not in stat \
            else ""
        vals = _count(data, group, where, cell.get("denominator_where", ""), worst)
        for name, shown in parse_cell(str(v)):
            rows.append({"table": table.number, "analysis_id": meta["id"], "row": row,
                         "column": str(c), "group": group, "where": where,
                         "denominator_where": cell.get("denominator_where", ""),
                         "worst_grade": worst, "statistic": name,
                         "value": vals.get(name, shown_value(shown)), "shown": shown,
                         "text": str(v), "value_source": "ADaM" if name in vals else
                         "displayed"})
    return pd.DataFrame(rows, columns=list(ARD_COLUMNS))


def _count(data: pd.DataFrame, group: str, where: str, denominator_where: str,
           worst: str) -> dict[str, float]:
    from cartrial.efficacy.binomial import exact_ci

    g = data.query(group, engine="python") if group else data
    den = g.query(denominator_where, engine="python") if denominator_where else g
    hit = g.query(where, engine="python")
    if worst:
        top = hit.groupby("USUBJID")["ATOXGRN"].max()
        n = int((top == float(worst)).sum())
    else:
        n = int(hit["USUBJID"].nunique())
    big = int(den["USUBJID"].nunique())
    lo, hi = exact_ci(n, big) if big else (math.nan, math.nan)
    return {"n": float(n), "denominator": float(big),
            "pct": 100.0 * n / big if big else math.nan,
            "ci_lower": 100.0 * float(lo), "ci_upper": 100.0 * float(hi)}
