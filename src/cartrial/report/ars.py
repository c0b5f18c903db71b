"""Analysis-results metadata behind every report table, in the spirit of CDISC ARS v1.0.

Each table (and listing) the report writes gets, beside its renderings in ``OUT/tables``,
``<name>.ard.json`` (the analysis metadata and its results) and ``<name>.ard.csv`` (the results
only), ``<name>`` being the table's file name (``table_14_1_1``). The metadata name the analysis
(id), the ADaM dataset(s), the population flag, the variables, the dataset where-clause, the
grouping and the method (:mod:`cartrial.report.ars_metadata`). The analysis results dataset (ARD)
has one row per displayed statistic: table, row label, column label, statistic, value, the
number as shown and the whole cell text. Where the table is described cell by cell (row and
column where-clauses on the ADaM datasets), the values are computed from the ADaM frames the
report also writes, unrounded (``value_source = "ADaM"``), and a reviewer can recompute them
from the ADaM files alone (``tools/recompute_tables.py``); elsewhere the values are the
displayed numbers (``value_source = "displayed"``) and the metadata say why the table cannot
be recomputed from ADaM alone.

References
----------
CDISC Analysis Results Standard (ARS) v1.0, CDISC 2024: analyses (dataset, where-clause,
grouping, method) and analysis results data (one row per result).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cartrial._memory import release_freed_memory
from cartrial.report.ars_json import json_text
from cartrial.report.table import ReportTable

ARD_COLUMNS = ("table", "analysis_id", "row", "column", "group", "where", "denominator_where",
               "worst_grade", "variable", "timepoint", "statistic", "value", "shown", "text",
               "value_source")

_NUM = r"-?[\d,]+(?:\.\d+)?(?:e[-+]\d+)?|NE|NR"
# (pattern, statistic names): the first pattern a displayed cell matches names its statistics
_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"(\d+)", ("n",)),
    (r"(\d+) \(([\d.]+)%\)", ("n", "pct")),
    (r"(\d+)/(\d+) \(([\d.]+)%\)", ("n", "denominator", "pct")),
    (r"(\d+) \(([\d.]+)%\) \[([\d.]+), ([\d.]+)\]", ("n", "pct", "ci_low", "ci_high")),
    (r"(\d+) \[([\d.]+), ([\d.]+)\]", ("n", "ci_low", "ci_high")),
    (r"(\d+) \(([\d.]+)%\) \[([\d.]+), ([\d.]+)\] of (\d+)",
     ("n", "pct", "ci_low", "ci_high", "denominator")),
    (r"(\d+) \[([\d.]+), ([\d.]+)\] of (\d+)", ("n", "ci_low", "ci_high", "denominator")),
    (r"(\d+)/(\d+) \(([\d.]+)%\) \[([\d.]+), ([\d.]+)\]",
     ("n", "denominator", "pct", "ci_low", "ci_high")),
    (rf"({_NUM}) \[({_NUM})-({_NUM})\] \((\d+)\)", ("median", "min", "max", "n")),
    (rf"({_NUM}) \(({_NUM})-({_NUM})\)", ("median", "min", "max")),
    (rf"({_NUM}) \(({_NUM})%\)", ("geo_mean", "geo_cv_pct")),
    (rf"({_NUM}) \(({_NUM}), ({_NUM})\); n=(\d+)", ("median", "min", "max", "n")),
    (rf"({_NUM}) \(({_NUM}), ({_NUM})\)", ("estimate", "ci_low", "ci_high")),
    (rf"({_NUM})% \(({_NUM}), ({_NUM})\)", ("pct", "ci_low", "ci_high")),
    (r"(\d+) / (\d+)", ("events", "censored")),
    (rf"chi-square ({_NUM}), (\d+) df, p = ({_NUM})", ("chisq", "df", "p_value")),
    (rf"({_NUM}) \(({_NUM})\)", ("estimate", "in_parentheses")),
    (rf"({_NUM})\u2013({_NUM})", ("min", "max")),
    (rf"({_NUM})", ("estimate",)),
)
_COMPILED = tuple((re.compile(f"^{p}$"), names) for p, names in _PATTERNS)


def parse_cell(text: str, row: str = "") -> list[tuple[str, str]]:
    """The statistics of one displayed cell as (statistic, shown number) pairs.

    Parameters
    ----------
    text : str
        The cell as displayed.
    row : str
        The row label: "Median (Q1, Q3)" names the quartiles of "x (a, b)" (else a CI),
        "Mean (SD)" the mean and SD of "x (s)" (else an estimate and the number in
        parentheses, e.g. a p-value).

    Returns
    -------
    list of (str, str)
        One pair per number in the cell; ``[("text", text)]`` for a cell that is not a number
        pattern of the report (a label, a date, a category).

    Examples
    --------
    >>> parse_cell("3 (75.0%)")
    [('n', '3'), ('pct', '75.0')]
    >>> parse_cell("2/15 (13.3%)")
    [('n', '2'), ('denominator', '15'), ('pct', '13.3')]
    >>> parse_cell("Grade 3")
    [('text', 'Grade 3')]
    >>> parse_cell("60.0 (54.8, 65.5)", "Median (Q1, Q3)")
    [('median', '60.0'), ('q1', '54.8'), ('q3', '65.5')]
    """
    for rx, names in _COMPILED:
        m = rx.match(text.strip())
        if m:
            if "Q1, Q3" in row and names == ("estimate", "ci_low", "ci_high"):
                names = ("median", "q1", "q3")
            if "Mean (SD)" in row and names == ("estimate", "in_parentheses"):
                names = ("mean", "sd")
            return list(zip(names, m.groups(), strict=True))
    return [("text", text)]


def shown_value(shown: str) -> float:
    """The number a displayed token stands for (NaN for NE, NR and text)."""
    try:
        return float(shown.replace(",", ""))
    except ValueError:
        return math.nan


def displayed_ard(table: ReportTable, analysis_id: str) -> pd.DataFrame:
    """The ARD of a table from its displayed cells: one row per number shown.

    Parameters
    ----------
    table : ReportTable
        The table.
    analysis_id : str
        Its analysis id.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ARD_COLUMNS`; ``value`` is the displayed number (``value_source =
        "displayed"``).

    Examples
    --------
    >>> t = ReportTable("1", "T", "All", pd.DataFrame({"row": ["a"], "column": ["c"],
    ...                                                "value": ["1 (50.0%)"]}))
    >>> displayed_ard(t, "AN1")[["statistic", "value", "shown"]].values.tolist()
    [['n', 1.0, '1'], ['pct', 50.0, '50.0']]
    """
    return pd.DataFrame(_displayed(table, analysis_id), columns=list(ARD_COLUMNS))


def _displayed(table: ReportTable, analysis_id: str) -> list[dict]:
    """The rows of :func:`displayed_ard` as records (none for a listing)."""
    if table.kind == "listing":
        return []
    return [rec for r, c, v in zip(table.cells["row"], table.cells["column"],
                                   table.cells["value"], strict=True)
            for rec in displayed_cell(table.number, analysis_id, r, c, v)]


def displayed_cell(number: str, analysis_id: str, row: object, column: object,
                   value: object) -> list[dict]:
    """The ARD records of one displayed cell: one per number shown (``value_source =
    "displayed"``).

    Parameters
    ----------
    number, analysis_id : str
        The table's number and its analysis id.
    row, column, value : object
        The cell's row label, column label and displayed text.

    Returns
    -------
    list of dict
        Records with the keys :data:`ARD_COLUMNS`.

    Examples
    --------
    >>> [(r["statistic"], r["value"]) for r in displayed_cell("1", "AN1", "a", "c", "2 (5.0%)")]
    [('n', 2.0), ('pct', 5.0)]
    """
    text, label = str(value), _clean(row)
    return [dict(zip(ARD_COLUMNS, (number, analysis_id, label, str(column), "", "", "", "", "",
                                   "", stat, shown_value(shown) if stat != "text" else math.nan,
                                   shown, text, "displayed"), strict=True))
            for stat, shown in parse_cell(text, label)]


def _clean(label: str) -> str:
    """A row label without the invisible zero-width spaces that keep repeated labels apart."""
    return str(label).replace("\u200b", "")


def file_stem(table: ReportTable) -> str:
    """The file name of a table's renderings without suffix (``table_14_1_1``)."""
    return f"{table.kind}_{table.number.replace('.', '_')}"


def write_ars(tables: list[ReportTable], ds: dict[str, pd.DataFrame], tdir: Path, *,
              count_dose_as: str = "assigned",
              baskets: Sequence = ()) -> list[Path]:
    """Write ``<name>.ard.json`` and ``<name>.ard.csv`` beside every table in ``tdir``.

    Parameters
    ----------
    tables : list of ReportTable
        Every table and listing of the report.
    ds : dict of str to pandas.DataFrame
        The ADaM datasets the report writes (``ADSL``, ``ADAE``, ...).
    tdir : pathlib.Path
        The report's tables folder.
    count_dose_as : str
        The protocol's ``conduct.count_dose_as`` (the grouping of the DLT table).
    baskets : sequence of EventBasket
        The protocol's event baskets (``safety.baskets``), each the ADAE customized query of
        its category (:func:`cartrial.adam.adae_baskets.basket_queries`).

    Returns
    -------
    list of pathlib.Path
        The files written (JSON then CSV per table), in report order.

    Raises
    ------
    cartrial.errors.InputError
        A table has no analysis metadata (:mod:`cartrial.report.ars_metadata`).

    References
    ----------
    CDISC Analysis Results Standard v1.0, CDISC 2024.

    Examples
    --------
    >>> import tempfile
    >>> t = ReportTable("14.2.2", "Decision table", "Design", pd.DataFrame(
    ...     {"row": ["Escalate if"], "column": ["DLTs"], "value": ["0"]}))
    >>> [p.name for p in write_ars([t], {}, Path(tempfile.mkdtemp()))]
    ['table_14_2_2.ard.json', 'table_14_2_2.ard.csv']
    """
    plan = plan_ars(tables, ds, count_dose_as)
    left = iter(range(len(plan.groups)))
    files = write_groups(plan, tables, ds, tdir, lambda: next(left, None), baskets=baskets)
    return [p for i in range(len(tables)) for p in files[i]]


@dataclass(frozen=True)
class Plan:
    """The analysis metadata of each table, and the tables in groups that read the same
    analysis data (:func:`cartrial.report.ars_specs.data_key`), each group's in report order.

    Examples
    --------
    >>> Plan([{"id": "AN1"}], [[0]]).groups
    [[0]]
    """

    metas: list[dict]
    groups: list[list[int]]


def plan_ars(tables: list[ReportTable], ds: dict[str, pd.DataFrame],
             count_dose_as: str = "assigned") -> Plan:
    """Each table's analysis metadata, and the tables grouped by the analysis data they read.

    Parameters
    ----------
    tables, ds, count_dose_as
        As :func:`write_ars`.

    Returns
    -------
    Plan
        Groups in the order of what their analysis data are made of (the tables described
        from the displayed cells first), each group's tables in report order: the order
        :func:`write_ars` writes them in.

    Raises
    ------
    cartrial.errors.InputError
        A table has no analysis metadata.

    Examples
    --------
    >>> t = ReportTable("14.2.2", "Decision table", "Design", pd.DataFrame(
    ...     {"row": ["Escalate if"], "column": ["DLTs"], "value": ["0"]}))
    >>> plan_ars([t, t], {}).groups
    [[0, 1]]
    """
    from cartrial.report.ars_specs import data_key

    metas = [_meta(t, ds, count_dose_as) for t in tables]
    keys = [data_key(m) if m.get("cells") else "" for m in metas]
    groups: dict[str, list[int]] = {}
    for i in sorted(range(len(tables)), key=keys.__getitem__):  # tables on alike data in turn
        groups.setdefault(keys[i], []).append(i)
    return Plan(metas, list(groups.values()))


def write_groups(plan: Plan, tables: list[ReportTable], ds: dict[str, pd.DataFrame],
                 tdir: Path, take: Callable[[], int | None], *,
                 baskets: Sequence = ()) -> dict[int, list[Path]]:
    """Write the files of the groups of ``plan`` that ``take`` hands out, until it hands out
    None.

    Parameters
    ----------
    plan : Plan
        :func:`plan_ars` of ``tables``.
    tables, ds, tdir, baskets
        As :func:`write_ars`.
    take : callable
        Returns the position in ``plan.groups`` of the next group to write, None when none is
        left (another process may be taking groups from the same list).

    Returns
    -------
    dict of int to list of pathlib.Path
        The files written (JSON then CSV) by the table's position in ``tables``.

    Examples
    --------
    >>> import tempfile
    >>> t = ReportTable("14.2.2", "Decision table", "Design", pd.DataFrame(
    ...     {"row": ["Escalate if"], "column": ["DLTs"], "value": ["0"]}))
    >>> left = iter([0])
    >>> files = write_groups(plan_ars([t], {}), [t], {}, Path(tempfile.mkdtemp()),
    ...                      lambda: next(left, None))
    >>> [p.name for p in files[0]]
    ['table_14_2_2.ard.json', 'table_14_2_2.ard.csv']
    """
    from cartrial.adam.adae_baskets import basket_queries

    queries, files = basket_queries(baskets), {}
    while (g := take()) is not None:
        frames: dict = {}  # the group's analysis data, shared by its tables
        # one analysis data held at a time, its pages handed back before the next is made
        # (issue #18: memory; at 10,000 patients each table's analysis data grew on top of
        # the ones before)
        release_freed_memory()
        for i in plan.groups[g]:
            files[i] = _write_table(tables[i], plan.metas[i], ds, queries, frames, tdir)
        frames.clear()
    return files


def _meta(t: ReportTable, ds: dict[str, pd.DataFrame], count_dose_as: str) -> dict:
    """The table's analysis metadata; not recomputable when a dataset it reads is absent."""
    from cartrial.report.ars_metadata import analysis_for

    meta = analysis_for(t, count_dose_as)
    absent = [n for n in dict.fromkeys([*meta.get("datasets", ()), *(meta.get("also") or {})])
              if n not in ds]
    if meta.get("cells") and absent:  # an engine refused the data (--allow-partial)
        meta = {**meta, "recomputable": False, "cells": "",
                "reason": f"ADaM dataset(s) {', '.join(absent)} not produced in this run "
                          "(see the report's 'Not produced' list)"}
    return meta


def _write_table(t: ReportTable, meta: dict, ds: dict[str, pd.DataFrame], queries: dict,
                 frames: dict, tdir: Path) -> list[Path]:
    """``<name>.ard.json`` and ``<name>.ard.csv`` of one table."""
    from cartrial.report.ars_specs import ard_records

    records = ard_records(t, ds, meta, queries, frames) if meta.get("cells") else \
        _displayed(t, meta["id"])
    ard = pd.DataFrame(records, columns=list(ARD_COLUMNS))
    if meta.get("recomputable"):  # cells no ADaM where-clause describes, named
        bare = ard[(ard["where"] == "") & (ard["statistic"] != "text")]
        meta = {**meta, "rows_not_recomputed": list(dict.fromkeys(bare["row"]))}
    doc = {"table": t.number, "kind": t.kind, "caption": t.caption,
           "population_label": t.population, "source": t.source,
           "analysis": {k: v for k, v in meta.items() if k != "cells"},
           "results": [_json_row(r) for r in records]}
    base = tdir / file_stem(t)
    js, cs = base.with_suffix(".ard.json"), base.with_suffix(".ard.csv")
    js.write_text(json_text(doc) + "\n", encoding="utf-8")
    ard.to_csv(cs, index=False, lineterminator="\n", float_format="%.17g")
    return [js, cs]


def _json_row(r: dict) -> dict:
    v = r["value"]
    v = None if v is None else float(v)  # a number as a DataFrame's float column holds it
    return {**r, "value": None if v is None or math.isnan(v) else v}
