"""Table 14.4.2 (MRD negativity) described cell by cell on ADRS (CDISC ARS v1.0 in spirit):
the where-clause of each row on the MRD, MRDSUST, MRDNEGCR and CBOR records
(:mod:`cartrial.adam.adrs_mrd`), so that every count, percentage and Clopper-Pearson interval
is recomputed from the ADaM files alone.

References
----------
Kumar S et al., Lancet Oncol 2016;17:e328-46 (MRD negativity, sustained negativity); FDA draft
guidance, January 2026 (FDA-2025-D-2616; MRD-negative CR).
"""

from __future__ import annotations

import re

import pandas as pd

from cartrial.adam.adrs_mrd import CRITERIA
from cartrial.report.ars_clause import variables_of
from cartrial.report.ars_query import remembered, select

#: Table 14.4.2 population -> (numerator criterion flag, denominator where-clause)
_POPULATIONS = {
    "VGPR or better (registration)": (
        "CRIT1FL", f"PARAMCD == 'CBOR' and AVALC in {list(CRITERIA['CRIT1'][1])!r}"),
    "All treated": ("", ""), "All treated (FDA 2026 draft)": ("", ""),
    "CR or better (IMWG)": (
        "CRIT2FL", f"PARAMCD == 'CBOR' and AVALC in {list(CRITERIA['CRIT2'][1])!r}")}


def mrd(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """The where-clauses of one row of Table 14.4.2 on ADRS.

    Parameters
    ----------
    row : str
        The row label ("DAY 28, VGPR or better (registration): MRD-negative at 1e-05").
    ind : int
        The row's indent (unused).
    adsl : pandas.DataFrame
        ADSL (unused).
    ctx : dict
        The table's context (unused).

    Returns
    -------
    dict or None
        ``where`` and ``denominator_where`` ("" = every treated patient of the column); None
        for a row this function does not know.

    Examples
    --------
    >>> mrd("DAY 28, All treated: MRD-negative at 1e-05", 0, None, {})["where"]
    "PARAMCD == 'MRD' and AVALC == 'NEGATIVE' and MRDSENS <= 1e-05 and AVISIT == 'DAY 28'"
    >>> mrd("Any time, CR or better (IMWG): Sustained MRD-negative (>= 365 days apart)", 0,
    ...     None, {})["where"]
    "PARAMCD == 'MRDSUST' and AVALC == 'Y' and CRIT2FL == 'Y'"
    """
    time, _, rest = row.partition(", ")
    pop, _, label = rest.partition(": ")
    if pop not in _POPULATIONS:
        return None
    flag, denominator = _POPULATIONS[pop]
    if label.startswith("MRD-negative at "):
        where = (f"PARAMCD == 'MRD' and AVALC == 'NEGATIVE' and MRDSENS <= "
                 f"{float(label.removeprefix('MRD-negative at '))!r}")
        where += "" if time == "Any time" else f" and AVISIT == {time!r}"
    elif label.startswith("Sustained MRD-negative") and time == "Any time":
        where = "PARAMCD == 'MRDSUST' and AVALC == 'Y'"
    elif label.startswith("MRD-negative CR") and time == "Any time":
        where = "PARAMCD == 'MRDNEGCR' and AVALC == 'Y'"
    else:
        return None
    return {"where": where + (f" and {flag} == 'Y'" if flag else ""),
            "denominator_where": denominator}


def _levels(data: pd.DataFrame, test: dict) -> list:
    """The grouping values in order (by ``test["order"]``)."""
    d = data[[test["group"], test["order"]]].dropna().drop_duplicates()
    return d.sort_values(test["order"], kind="stable")[test["group"]].tolist()


def survival_values(data: pd.DataFrame, group: str, where: str, test: dict,
                    reference: str) -> dict[str, float]:
    """Log-rank chi-square, df and p across the groups, and the Cox hazard ratio (Efron ties,
    Wald CI) of the column's group against the reference level, of the records of the row.

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis data (population left-joined with ADTTE).
    group, where : str
        The column's and the row's pandas query expressions.
    test : dict
        ``time``, ``event`` (expression), ``group`` and ``order`` variables.
    reference : str
        The reference level's label (its value of ``group`` starts with it).

    Returns
    -------
    dict of str to float
        chisq, df, p_value; and, for a column of a non-reference level, estimate, ci_low,
        ci_high.

    References
    ----------
    Mantel N, Cancer Chemother Rep 1966;50:163-70 (log-rank); Cox DR, J R Stat Soc B
    1972;34:187-220; Efron B, J Am Stat Assoc 1977;72:557-65 (ties).

    Examples
    --------
    >>> d = pd.DataFrame({"AVAL": [1.0, 4, 5, 2, 3, 6], "CNSR": [0, 0, 1, 0, 1, 0],
    ...                   "G": ["A"] * 3 + ["B"] * 3, "GN": [1] * 3 + [2] * 3})
    >>> t = {"time": "AVAL", "event": "CNSR == 0", "group": "G", "order": "GN"}
    >>> sorted(survival_values(d, "G == 'B'", "AVAL > 0", t, "A"))
    ['chisq', 'ci_high', 'ci_low', 'df', 'estimate', 'p_value']
    """
    import numpy as np

    key = ("survival", where, repr(sorted(test.items())))
    out, f, ev, levels = remembered(data, key, lambda: _survival_test(data, where, test))
    ref = [v for v in levels if str(v).split(" ")[0] == reference]
    if not group or len(ref) != 1:
        return dict(out)
    others = [v for v in levels if v != ref[0]]
    fit = remembered(data, (*key, "cox", ref[0]), lambda: _cox_fit(f, ev, test, others))
    col = list(select(f, group)[test["group"]].unique())
    if len(col) != 1 or col[0] not in others:
        return dict(out)
    k = others.index(col[0])
    lo, hi = np.exp(fit.conf_int()[k])
    return {**out, "estimate": float(np.exp(fit.params[k])), "ci_low": float(lo),
            "ci_high": float(hi)}


def _survival_test(data: pd.DataFrame, where: str, test: dict) -> tuple:
    """The row's records with a group and a time, their events, their log-rank test across
    the groups and the groups in order: once per endpoint, every column of its rows (the
    log-rank test, the hazard ratios) reads them."""
    from statsmodels.duration.survfunc import survdiff

    f = select(data, where)
    f = f[f[test["group"]].notna() & f[test["time"]].notna()]
    ev = f.eval(test["event"], engine="python").to_numpy(int)
    levels = _levels(f, test)
    out: dict[str, float] = {}
    if len(levels) > 1:
        chisq, p = survdiff(f[test["time"]].to_numpy(float), ev, f[test["group"]].to_numpy())
        out = {"chisq": float(chisq), "df": float(len(levels) - 1), "p_value": float(p)}
    return out, f, ev, levels


def _cox_fit(f: pd.DataFrame, ev, test: dict, others: list):  # noqa: ANN001, ANN202
    """The Cox model (Efron ties) of the row's records, one indicator per non-reference
    level."""
    import numpy as np
    from statsmodels.duration.hazard_regression import PHReg

    x = np.column_stack([(f[test["group"]] == v).to_numpy(float) for v in others])
    return PHReg(f[test["time"]].to_numpy(float), x, status=ev, ties="efron").fit()


def _settings(test: dict, months: float | None = None):  # noqa: ANN202
    """The protocol's endpoint settings as the analysis' test states them."""
    from cartrial.protocol.model import EndpointSettings

    return EndpointSettings(confidence_level=test["confidence_level"],
                            km_ci_transform=test["ci_transform"],
                            days_per_month=test["days_per_month"],
                            landmarks_months=[months] if months is not None else [])


def follow_up_values(data: pd.DataFrame, group: str, where: str, test: dict
                     ) -> dict[str, float]:
    """Median follow-up (reverse Kaplan-Meier, months) and its limits of the cell's records.

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis data (population left-joined with ADTTE).
    group, where : str
        The column's and the row's pandas query expressions.
    test : dict
        ``time`` (AVAL), ``event`` (``CNSR == 0``), ``confidence_level``, ``ci_transform``
        and ``days_per_month``.

    Returns
    -------
    dict of str to float
        estimate, ci_low, ci_high (NaN: not reached).

    References
    ----------
    Schemper M, Smith TL. Control Clin Trials 1996;17:343-6.

    Examples
    --------
    >>> d = pd.DataFrame({"AVAL": [3.0, 6, 9, 12], "CNSR": [0, 1, 1, 1]})
    >>> t = {"time": "AVAL", "confidence_level": 0.95, "ci_transform": "log-log",
    ...      "days_per_month": 1.0}
    >>> follow_up_values(d, "", "AVAL > 0", t)["estimate"]
    9.0
    """
    from cartrial.efficacy.adtte_columns import follow_up_from_adtte

    f = select(data, group, where)
    if not len(f):
        return {}
    r = follow_up_from_adtte(f[test["time"]], f["CNSR"], _settings(test))
    return {"estimate": r.median, "ci_low": r.ci_low, "ci_high": r.ci_high}


def incidence_values(data: pd.DataFrame, group: str, where: str, test: dict, cause: str,
                     months: float) -> dict[str, float]:
    """Aalen-Johansen cumulative incidence (percent) of ``cause`` at ``months``, with its
    log-scale limits, of the cell's PFS records (the other cause competing).

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis data (population left-joined with ADTTE).
    group, where : str
        The column's and the row's pandas query expressions.
    test : dict
        ``time`` (AVAL), ``confidence_level`` and ``days_per_month``.
    cause : str
        "Disease progression" or "Death without progression".
    months : float
        The landmark.

    Returns
    -------
    dict of str to float
        pct, ci_low, ci_high; empty when the records hold no event.

    References
    ----------
    Aalen OO, Johansen S. Scand J Stat 1978;5:141-50.

    Examples
    --------
    >>> d = pd.DataFrame({"USUBJID": list("abcde"), "AVAL": [2.0, 4, 4, 6, 8],
    ...                   "CNSR": [0, 0, 1, 0, 1], "EVNTDESC": ["Disease progression",
    ...                   "Death", "", "Disease progression", ""]})
    >>> t = {"time": "AVAL", "confidence_level": 0.95, "ci_transform": "log-log",
    ...      "days_per_month": 1.0}
    >>> incidence_values(d, "", "AVAL > 0", t, "Disease progression", 6.0)["pct"]
    50.0
    """
    from cartrial.efficacy.adtte_columns import pfs_incidence_from_adtte

    def fit():  # both causes' rows of the cell read the one fit
        f = select(data, group, where)
        return pfs_incidence_from_adtte(f.assign(AVAL=f[test["time"]]), _settings(test, months))

    got = remembered(data, ("incidence", group, where, months, repr(sorted(test.items()))), fit)
    if got is None:
        return {}
    r = got[0].set_index("cause").loc[cause]
    return {"pct": 100 * float(r["cuminc"]), "ci_low": 100 * float(r["ci_low"]),
            "ci_high": 100 * float(r["ci_high"])}


_FOLLOW_UP = "Median follow-up (reverse Kaplan-Meier, OS), months (95% CI)"
_INCIDENCE = re.compile(r"^(Disease progression|Death without progression): cumulative "
                        r"incidence at ([\d.]+) months, % \(95% CI\)$")


def survival(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """The where-clause (and computation) of one row of Table 14.4.4 on ADTTE: patients, the
    log-rank test across dose levels, the Cox hazard ratios against the reference level, the
    median follow-up (reverse Kaplan-Meier of OS) and the cumulative incidence of progression
    and of death without progression (PFS records) at a landmark.

    Parameters
    ----------
    row : str
        The row label ("PFS: hazard ratio vs DL1 (95% CI)").
    ind : int
        The row's indent (unused).
    adsl : pandas.DataFrame
        ADSL (unused).
    ctx : dict
        ``ctx["test"]``: the analysis' test settings.

    Returns
    -------
    dict or None
        ``where`` (and ``compute`` with ``reads``, the variables it reads); None for a row
        this function does not know.

    Examples
    --------
    >>> survival("Patients, n", 0, None, {})
    {'where': "PARAMCD == 'OS'"}
    >>> survival("DOR: log-rank test across dose levels", 0, None, {"test": {}})["where"]
    "PARAMCD == 'DOR'"
    """
    if row == "Patients, n":
        return {"where": "PARAMCD == 'OS'"}
    test = ctx.get("test", {})
    if row == _FOLLOW_UP:
        return {"where": "PARAMCD == 'OS'", "reads": variables_of([test.get("time", ""), "CNSR"]),
                "compute": lambda d, g, w: follow_up_values(d, g, w, test)}
    m = _INCIDENCE.match(row)
    if m:  # the causes of the PFS events (efficacy.adtte_columns.pfs_incidence_from_adtte)
        return {"where": "PARAMCD == 'PFS'", "timepoint": m.group(2),
                "reads": variables_of([test.get("time", ""), "CNSR", "EVNTDESC", "USUBJID"]),
                "compute": lambda d, g, w: incidence_values(d, g, w, test, m.group(1),
                                                            float(m.group(2)))}
    ep, _, what = row.partition(": ")
    if what == "log-rank test across dose levels":
        ref = ""
    elif what.startswith("hazard ratio vs ") and what.endswith(" (95% CI)"):
        ref = what.removeprefix("hazard ratio vs ").removesuffix(" (95% CI)")
    else:
        return None

    def compute(data: pd.DataFrame, group: str, where: str) -> dict[str, float]:
        return survival_values(data, group, where, test, ref)

    return {"where": f"PARAMCD == {ep!r}", "compute": compute,
            "reads": variables_of([test.get(k, "") for k in ("time", "group", "order")],
                                  test.get("event", ""))}
