"""Table 14.4.3 (time-to-event endpoints) described cell by cell on ADTTE (CDISC ARS v1.0 in
spirit): each row's where-clause (``PARAMCD == 'PFS'``), the variable (AVALM, the time in
months) and, for a landmark row, the time point; the values are the Kaplan-Meier estimates of
the ADaM records (event = ``CNSR == 0``) with the report's confidence level and transform as
its footnote states them.

References
----------
Kaplan EL, Meier P. J Am Stat Assoc 1958;53:457-81 (the estimator, Greenwood variance).
Brookmeyer R, Crowley J. Biometrics 1982;38:29-41 (the CI of the median).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from cartrial.report.ars_clause import variables_of
from cartrial.report.ars_query import evaluate, remembered, select

_ROW = re.compile(r"^(PFS|OS|DOR|TTR): (patients|events / censored|median \(95% CI\), months|"
                  r"median \(min-max\), months|event-free at ([\d.]+) months \(95% CI\))$")
_TRANSFORM = re.compile(r"Brookmeyer-Crowley, ([\w-]+) transform")


def km_settings(footnotes: tuple[str, ...] | list[str]) -> dict:
    """The Kaplan-Meier settings Table 14.4.3 states: time, censoring, level and transform.

    Parameters
    ----------
    footnotes : sequence of str
        The table's footnotes ("... 95% CI by Brookmeyer-Crowley, log-log transform.").

    Returns
    -------
    dict
        ``time`` (AVALM), ``event`` (``CNSR == 0``), ``confidence_level``, ``ci_transform``.

    Raises
    ------
    cartrial.errors.InputError
        No footnote names the transform.

    Examples
    --------
    >>> km_settings(["Kaplan-Meier median with 95% CI by Brookmeyer-Crowley, log transform."])
    {'time': 'AVALM', 'event': 'CNSR == 0', 'confidence_level': 0.95, 'ci_transform': 'log'}
    """
    from cartrial.errors import InputError

    text = " ".join(footnotes)
    m = _TRANSFORM.search(text)
    if m is None:
        raise InputError("ARS: Table 14.4.3's footnotes name no Brookmeyer-Crowley transform")
    return {"time": "AVALM", "event": "CNSR == 0", "confidence_level": 0.95,
            "ci_transform": m.group(1)}


def tte(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """The where-clause, variable, time point and computation of one row of Table 14.4.3.

    Parameters
    ----------
    row : str
        The row label ("PFS: event-free at 6 months (95% CI)").
    ind : int
        The row's indent (unused).
    adsl : pandas.DataFrame
        ADSL (unused).
    ctx : dict
        ``ctx["km"]``: :func:`km_settings` of the table.

    Returns
    -------
    dict or None
        ``where`` and, but for the patients row, ``variable``, ``timepoint``, ``compute``
        (data, group, where -> statistics) and ``reads`` (the variables it reads); None for a
        row this module does not know.

    Examples
    --------
    >>> tte("OS: patients", 0, None, {})
    {'where': "PARAMCD == 'OS'"}
    >>> tte("OS: event-free at 6 months (95% CI)", 1, None, {"km": {}})["timepoint"]
    '6'
    """
    m = _ROW.match(row)
    if m is None:
        return None
    where = f"PARAMCD == {m.group(1)!r}"
    if m.group(2) == "patients":
        return {"where": where}
    at = m.group(3) or ""
    km = ctx.get("km", {})

    def compute(data: pd.DataFrame, group: str, w: str) -> dict[str, float]:
        return km_values(data, group, w, float(at) if at else math.nan, km)

    return {"where": where, "variable": "AVALM", "timepoint": at, "compute": compute,
            "reads": variables_of([km.get("time", "")], km.get("event", ""))}


def km_values(data: pd.DataFrame, group: str, where: str, at: float, km: dict
              ) -> dict[str, float]:
    """Events, censored, the range, the Kaplan-Meier median with its Brookmeyer-Crowley CI, or
    (``at`` given) the percentage event-free at ``at`` with its pointwise CI, of the records.

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis data (population left-joined with ADTTE).
    group, where : str
        pandas query expressions of the column and the row ("" = every record).
    at : float
        The landmark time in months (NaN: the median).
    km : dict
        :func:`km_settings`.

    Returns
    -------
    dict of str to float
        events, censored, n, median, min, max (the times), and estimate, ci_low, ci_high
        (the median, months) or pct, ci_low, ci_high (percent event-free); NaN when not
        reached or not estimable.

    Examples
    --------
    >>> d = pd.DataFrame({"AVALM": [1.0, 2.0, 3.0], "CNSR": [0, 0, 1]})
    >>> km = {"time": "AVALM", "event": "CNSR == 0", "confidence_level": 0.95,
    ...       "ci_transform": "log-log"}
    >>> km_values(d, "", "AVALM > 0", math.nan, km)["estimate"]
    2.0
    """
    from cartrial.efficacy.km import km_landmark

    out, fit = remembered(data, ("km", group, where, *sorted(km.items())),
                          lambda: _km_fit(data, group, where, km))
    nan = math.nan
    if fit is None:
        return {**out, "estimate": nan, "ci_low": nan, "ci_high": nan, "pct": nan}
    if at == at:
        lm = km_landmark(fit, [at]).iloc[0]
        return {**out, "pct": 100 * float(lm["surv"]), "ci_low": 100 * float(lm["ci_low"]),
                "ci_high": 100 * float(lm["ci_high"])}
    return {**out, "estimate": fit.median, "ci_low": fit.median_ci[0],
            "ci_high": fit.median_ci[1]}


def _km_fit(data: pd.DataFrame, group: str, where: str, km: dict) -> tuple[dict, object]:
    """Counts, range and the Kaplan-Meier fit of the cell's records (None: no record), once
    per analysis data and cell: a row's median, range and landmark cells read the same fit."""
    from cartrial.efficacy.km import kaplan_meier

    f = select(data, group, where)
    t = f[km["time"]].to_numpy(dtype=float)
    ev = evaluate(f, km["event"]).to_numpy(dtype=bool)
    out = {"events": float(ev.sum()), "censored": float((~ev).sum()), "n": float(len(t))}
    if not len(t):
        return out, None
    out |= {"median": float(np.median(t)), "min": float(t.min()), "max": float(t.max())}
    return out, kaplan_meier(t, ev, km["confidence_level"], km["ci_transform"])
