"""Tables 14.5.2 (CAR-T persistence) and 14.5.4 (anti-CAR antibodies) described cell by cell on
ADPC and ADAB (CDISC ARS v1.0 in spirit): the where-clause of each row on the ADaM records, so
that every count, percentage and Clopper-Pearson interval is recomputed from the ADaM files
alone (:mod:`cartrial.report.ars_specs` computes them, ``tools/recompute_tables.py`` checks
them).

References
----------
Shankar G et al., AAPS J 2014;16:658-73 (ADA categories).
"""

from __future__ import annotations

import re
from functools import cache

import pandas as pd

from cartrial.report.ars_query import select

#: Table 14.5.4 row -> ADAB patient-level parameter (the primary test ADA_BAB: letter B)
ADA_ROWS = {"Baseline positive": "BFLAGB", "Treatment-induced": "INDUCDB",
            "Treatment-boosted": "ENHANCB",
            "Treatment-emergent (induced or boosted)": "EMERPOSB",
            "Persistent": "PERSADAB", "Transient": "TRANADAB"}
_EVALUABLE = "PARAMCD == 'EMERPOSB' and ADPBLPFL == 'Y'"


def ada(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """The where-clause of one row of Table 14.5.4 on ADAB.

    Parameters
    ----------
    row : str
        The row label ("Treatment-induced").
    ind : int
        The row's indent (unused).
    adsl : pandas.DataFrame
        ADSL (unused).
    ctx : dict
        The table's context (unused).

    Returns
    -------
    dict or None
        ``where`` (and ``denominator_where`` for the incidence row); None for a row this
        function does not know.

    Examples
    --------
    >>> ada("Treatment-induced", 1, None, {})
    {'where': "PARAMCD == 'INDUCDB' and AVALC == 'Y'"}
    >>> ada("Patients evaluable", 0, None, {})["where"]
    "PARAMCD == 'EMERPOSB' and ADPBLPFL == 'Y'"
    """
    if row == "Patients evaluable":
        return {"where": _EVALUABLE}
    if row in ADA_ROWS:
        return {"where": f"PARAMCD == {ADA_ROWS[row]!r} and AVALC == 'Y'"}
    if row.startswith("Treatment-emergent ADA incidence"):
        return {"where": "PARAMCD == 'EMERPOSB' and AVALC == 'Y'",
                "denominator_where": _EVALUABLE}
    return None


_LANDMARK = re.compile(r"month x ([\d.]+) days\) minus the ([\d.]+)-day window")


def persistence(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """The where-clause of one row of Table 14.5.2 on ADPC: the analyte's records (PARAMCD as
    ADPC names it, PARCAT1 the specimen) at or after the start of the landmark window
    (``AFRLT >= m x days per month - window``, the numbers the table's footnote states) that
    have a result (AVALC: a number or below the LLOQ; a sample not done has none): evaluable
    when the patient has such a record, detectable when one is quantifiable (``AVAL > 0``; a
    result below the LLOQ has AVAL missing).

    Parameters
    ----------
    row : str
        The row label ("<analyte>, <specimen>: month 3, n/N (%) [95% CI]").
    ind : int
        The row's indent (unused).
    adsl : pandas.DataFrame
        ADSL (unused).
    ctx : dict
        ``ctx["footnotes"]``: the table's footnotes ("... (month x 30.4375 days) minus the
        7-day window ...").

    Returns
    -------
    dict or None
        ``where`` and ``denominator_where``; None for a row this function does not know.

    Examples
    --------
    >>> note = ["... the landmark day (month x 30.4375 days) minus the 7-day window ..."]
    >>> w = persistence("CAR transgene by qPCR (copies/\u00b5g gDNA), whole blood: month 1, "
    ...                 "n/N (%) [95% CI]", 0, None, {"footnotes": note})["denominator_where"]
    >>> w.split(" and ")[:2]
    ["PARCAT1 == 'WHOLE BLOOD'", "PARAMCD == 'CARTRNSG'"]
    >>> w.split(" and ")[2:]
    ['AFRLT >= 23.4375', "AVALC.fillna('') != ''"]
    """
    from cartrial.report.labels import ANALYTE_LABELS

    head, _, rest = row.partition(": month ")
    m = _LANDMARK.search(" ".join(ctx.get("footnotes", ())))
    if not rest or m is None:
        return None
    analyte, _, spec = head.rpartition(", ")
    code = {v: k for k, v in ANALYTE_LABELS.items()}.get(analyte, analyte)
    paramcd = _adpc_paramcd(code, spec.upper())
    start = float(rest.split(",")[0]) * float(m.group(1)) - float(m.group(2))
    base = (f"PARCAT1 == {spec.upper()!r} and PARAMCD == {paramcd!r} and AFRLT >= {start!r} "
            "and AVALC.fillna('') != ''")
    return {"where": f"{base} and AVAL > 0", "denominator_where": base}


@cache
def _adpc_paramcd(code: str, spec: str) -> str:
    """PARAMCD as ADPC names the analyte in the specimen (once per analyte and specimen: a
    row of each column asks)."""
    from cartrial.adam.adpc import _paramcd

    return _paramcd(pd.Series([code]), pd.Series([spec])).iloc[0]


#: Per table, metadata beyond :mod:`cartrial.report.ars_metadata`'s: ``derived`` subject-level
#: grouping variables from another ADaM dataset (ARS: a data-driven grouping factor; name ->
#: dataset, where-clause, variable, summary per subject, value of a subject without such a
#: record) and ``test``, the rank correlation of a row's records (statistics ``estimate`` and
#: ``in_parentheses``: rho and its p-value).
EXTRA = {"14.5.5": {
    "derived": {"CRSMAX": {"dataset": "ADAE", "where": "CRSFL == 'Y'", "variable": "ATOXGRN",
                           "function": "max", "missing": 0}},
    "test": {"method": "spearman", "x": "AVAL", "y": "CRSMAX"}},
    "14.4.4": {"test": {"method": "survival", "time": "AVAL", "event": "CNSR == 0",
                        "group": "TRT01A", "order": "TRT01AN", "ties": "efron"}}}


def with_derived(data: pd.DataFrame, ds: dict[str, pd.DataFrame], derived: dict
                 ) -> pd.DataFrame:
    """The analysis data with each derived grouping variable (:data:`EXTRA`) added.

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis data (USUBJID).
    ds : dict of str to pandas.DataFrame
        The ADaM datasets.
    derived : dict
        name -> ``dataset``, ``where``, ``variable``, ``function`` (a pandas groupby
        reduction), ``missing``.

    Returns
    -------
    pandas.DataFrame
        A new frame with one column per derived variable added (sharing ``data``'s columns,
        not copying them: for a large trial the analysis data are hundreds of MB).

    Examples
    --------
    >>> ae = pd.DataFrame({"USUBJID": ["1", "1"], "CRSFL": "Y", "ATOXGRN": [1, 2]})
    >>> d = pd.DataFrame({"USUBJID": ["1", "2"]})
    >>> with_derived(d, {"ADAE": ae}, EXTRA["14.5.5"]["derived"])["CRSMAX"].tolist()
    [2.0, 0.0]
    """
    out = data.copy(deep=False)
    for name, d in derived.items():
        src = select(ds[d["dataset"]], d["where"], columns=["USUBJID", d["variable"]])
        per = src.groupby("USUBJID")[d["variable"]].agg(d["function"])
        out[name] = out["USUBJID"].map(per).astype(float).fillna(d["missing"])
    return out


def crs_exposure(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """One row of Table 14.5.5 on ADPP: the NCA parameter's records (n, median, min, max of
    AVAL per maximum CRS grade, the grouping CRSMAX) and Spearman's rank correlation of AVAL
    with CRSMAX over every record of the row (scipy.stats.spearmanr; Spearman C, Am J Psychol
    1904;15:72-101).

    Parameters
    ----------
    row : str
        "<analyte>, <specimen>: <parameter>, median [min-max] (n)".
    ind : int
        The row's indent (unused).
    adsl : pandas.DataFrame
        ADSL (unused).
    ctx : dict
        The table's context (unused).

    Returns
    -------
    dict or None
        ``where``, ``variable``, ``compute`` (data, group, where -> statistics, the
        correlation as ``estimate`` and its p-value as ``in_parentheses``) and ``reads`` (the
        variables it reads).

    Examples
    --------
    >>> c = crs_exposure("CAR+ T cells by flow cytometry (cells/\\u00b5L), whole blood: Cmax, "
    ...                  "median [min-max] (n)", 0, None, {})
    >>> c["where"]
    "PARCAT1 == 'CARTCELL' and PARCAT2 == 'WHOLE BLOOD' and PPTESTCD == 'CMAX'"
    """
    from cartrial.report.ars_rows import _nca

    cell = _nca(row, ind, adsl, ctx)  # the ADPP records of the row, as Table 14.5.1's
    if cell is None:
        return None

    def compute(data: pd.DataFrame, group: str, where: str) -> dict[str, float]:
        from scipy import stats

        from cartrial.report.ars_counts import summary_cell

        out = summary_cell(data, group, where, "AVAL")
        f = select(data, where)
        f = f[f["AVAL"].notna()]
        rho, p = stats.spearmanr(f["AVAL"].to_numpy(float), f["CRSMAX"].to_numpy(float))
        return {**out, "estimate": float(rho), "in_parentheses": float(p)}

    return {**cell, "compute": compute, "reads": frozenset({"AVAL", "CRSMAX"})}
