"""The tables described cell by cell: the where-clause of each row and column on the ADaM
datasets (CDISC ARS v1.0 in spirit), and their values computed from the ADaM frames.

Where-clauses and groups are pandas query expressions on the ADaM columns (``AEDECOD ==
'Anaemia' and ATOXGRN >= 3``; a missing value is ``TRT01A.fillna('') == ''``). The data of an
analysis are the population (ADSL records whose flag is ``"Y"``), left-joined with the analysis
dataset's records that meet the dataset where-clause. A cell counts the distinct subjects of its
group (``group``) whose records meet the row's where-clause; its denominator is the subjects of
the group (meeting ``denominator_where`` when given); with ``worst_grade`` a subject counts when
the highest ATOXGRN of its records meeting the where-clause equals that grade; with
``variable`` the cell summarises that variable over the records (n, median, min, max, geometric
mean and CV%; mean, SD and quartiles, R type 7); a cell computed otherwise (``compute``: a
Kaplan-Meier fit, a test) names the variables it reads (``reads``). The analysis data of a
table hold the variables its cells read (every one when a cell's are not known: issue #18).
Percentages are 100 n / N, confidence intervals Clopper-Pearson 95% (Clopper CJ, Pearson ES,
Biometrika 1934;26:404-13).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from functools import cache

import pandas as pd

from cartrial.errors import InputError
from cartrial.report.ars import ARD_COLUMNS, _clean, displayed_cell, parse_cell, shown_value
from cartrial.report.ars_clause import clause_names
from cartrial.report.ars_counts import count_cell, summary_cell
from cartrial.report.ars_join import joined_records, kept
from cartrial.report.ars_kinetics import with_derived
from cartrial.report.ars_query import select
from cartrial.report.ars_rows import CELLS
from cartrial.report.ars_safety import add_datasets
from cartrial.report.table import ReportTable


def _group(column: str, var: str, adsl: pd.DataFrame) -> tuple[str, str]:
    """(group expression, column statistic) of a column label "DL1 (N=4): grade >= 3"."""
    head, _, stat = column.partition(": ")
    dose = head.split(" (N=")[0]
    if var == "DTHTIM" and dose != "Overall":  # columns by death timing (report.csr_deaths)
        from cartrial.report.csr_deaths import TIMING_LABELS

        return f"DTHTIM == {({v: k for k, v in TIMING_LABELS.items()}[dose])!r}", ""
    if var == "HTOXRISK" and dose != "Overall":  # columns by CAR-HEMATOTOX risk (14.3.9.1)
        from cartrial.safety.icaht_tables import RISK_COLUMNS

        code = {v: k for k, v in RISK_COLUMNS.items()}[dose].upper()
        return (f"HTOXRISK == {code!r}" if code else "HTOXRISK.fillna('') == ''"), stat
    if var == "CRSMAX":  # Table 14.5.5: "CRS grade 2", and the correlation over all
        return (f"CRSMAX == {int(dose.rsplit(' ', 1)[1])}" if dose.startswith("CRS grade ")
                else ""), ""
    if dose == "Overall" or not var:
        return "", stat
    texts = _texts(adsl[var])
    if var == "TRT01A" and dose in texts:  # "DL1 0.1 x10^6/kg"
        return f"{var} == {dose!r}", stat
    if dose == "Not infused":
        return f"{var}.fillna('') == ''", stat
    values = sorted({v for v in texts if v.split(" ")[0] == dose})
    if len(values) != 1:
        raise InputError(f"ARS: column {column!r} matches {len(values)} values of ADSL.{var}")
    return f"{var} == {values[0]!r}", stat


def _texts(column: pd.Series) -> set[str]:
    """``set(column.dropna().astype(str))``: the distinct values taken as they are when each is
    a text (one step per distinct value, not per record: issue #18, each column label of each
    table asks), else each record's text."""
    kept = column.dropna()
    if pd.api.types.infer_dtype(kept, skipna=False) == "string":
        return set(pd.unique(kept.to_numpy(dtype=object)))
    return set(kept.astype(str))


def analysis_data(ds: dict[str, pd.DataFrame], meta: dict,
                  columns: Collection[str] | None = None) -> pd.DataFrame:
    """The population (ADSL flag) left-joined with the dataset's records meeting its where.

    Parameters
    ----------
    ds : dict of str to pandas.DataFrame
        The ADaM datasets.
    meta : dict
        :func:`cartrial.report.ars_metadata.analysis_for` of a table described cell by cell.
    columns : collection of str, optional
        The variables kept (USUBJID and the derived ones always): those the table's cells
        read (:func:`variables_read`). The records and the values of the variables kept are
        those of the whole frame: a variable comes from the dataset it comes from there (an
        ADaM variable ADSL also holds from ADSL). None (default): every variable.

    Returns
    -------
    pandas.DataFrame
        One row per record (a subject without records once, with missing values).

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "SAFFL": ["Y", None], "AGE": [60, 70]})
    >>> meta = {"datasets": ["ADSL"], "population": "ADSL.SAFFL == 'Y'", "where": ""}
    >>> analysis_data({"ADSL": adsl}, meta)["USUBJID"].tolist()
    ['1']
    >>> analysis_data({"ADSL": adsl}, meta, {"AGE"}).columns.tolist()
    ['USUBJID', 'AGE']
    """
    adsl = ds["ADSL"]
    pop = select(adsl, meta["population"].removeprefix("ADSL.")) \
        if meta["population"] else adsl
    mine = pop if columns is None else pop[kept(pop.columns, columns)]
    name = meta["datasets"][0]
    if name == "ADSL":  # with the records of further datasets stacked below (Table 14.6.1)
        return add_datasets(mine, pop, ds, meta, columns)
    d = joined_records(ds[name], meta["where"], pop.columns, columns)
    out = add_datasets(mine.merge(d, on="USUBJID", how="left"), pop, ds, meta, columns)
    return with_derived(out, ds, meta["derived"]) if meta.get("derived") else out


def variables(ds: dict[str, pd.DataFrame], meta: dict) -> set[str]:
    """The variables of a table's whole analysis data (:func:`analysis_data` without
    ``columns``), without building it: those of ADSL, of the datasets joined and stacked, and
    the derived ones.

    Parameters
    ----------
    ds, meta
        As :func:`analysis_data`.

    Returns
    -------
    set of str

    Examples
    --------
    >>> ds = {"ADSL": pd.DataFrame(columns=["USUBJID", "SAFFL"]),
    ...       "ADRS": pd.DataFrame(columns=["USUBJID", "AVALC"])}
    >>> sorted(variables(ds, {"datasets": ["ADRS"]}))
    ['AVALC', 'SAFFL', 'USUBJID']
    """
    joined = [meta["datasets"][0], *(meta.get("also") or {})]  # not 14.5.5's ADAE (CRSMAX's source)
    names = getattr(ds, "columns", None)  # adam.HeldDatasets: without decoding the datasets
    return set(ds["ADSL"].columns).union(
        *(names(n) if names is not None else ds[n].columns for n in joined),
        meta.get("derived") or {})


def data_key(meta: dict) -> str:
    """What the analysis data of a table are made of (:func:`analysis_data` reads only these
    metadata): tables with the same key read the same frame.

    Parameters
    ----------
    meta : dict
        :func:`cartrial.report.ars_metadata.analysis_for` of a table described cell by cell.

    Returns
    -------
    str
        The population, datasets, where-clauses and derived variables, as text.

    Examples
    --------
    >>> print(data_key({"population": "ADSL.SAFFL == 'Y'", "datasets": ["ADAE"], "where": ""}))
    ["ADSL.SAFFL == 'Y'", ['ADAE'], '', None, None]
    """
    return repr([meta.get(k) for k in ("population", "datasets", "where", "also", "derived")])


def computed_ard(table: ReportTable, ds: dict[str, pd.DataFrame], meta: dict,
                 baskets: dict[str, str] | None = None) -> pd.DataFrame:
    """The ARD of a table described cell by cell, its values computed from ADaM (unrounded).

    Parameters
    ----------
    table : ReportTable
        The table.
    ds : dict of str to pandas.DataFrame
        The ADaM datasets the report writes.
    meta : dict
        :func:`cartrial.report.ars_metadata.analysis_for` of the table.
    baskets : dict of str to str, optional
        The protocol's event baskets (name -> ADAE customized query number zz) for the
        basket tables (:mod:`cartrial.report.ars_safety`).

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
    >>> from cartrial.report.ars_metadata import analysis_for
    >>> computed_ard(t, {"ADSL": adsl}, analysis_for(t))[["where", "value"]].values.tolist()
    [["SAFFL == 'Y'", 1.0]]
    """
    return pd.DataFrame(ard_records(table, ds, meta, baskets), columns=list(ARD_COLUMNS))


def _absent(cell: dict, columns: set[str]) -> bool:
    """Whether the cell reads a variable its analysis data (``columns``) lack: one not
    produced in this run."""
    read = {cell.get("variable", "")} - {""}
    for clause in (cell["where"], cell.get("denominator_where", "")):
        if clause:
            read |= clause_names(clause) or set()
    return not read <= columns


def _statement(cell: dict, stat: str) -> tuple[str, str]:
    """The where-clause and the worst grade of a cell in a column of statistic ``stat``
    ("grade >= 3": records of grade 3 or more; "grade k": the patient's worst grade k)."""
    where = cell["where"] + (" and ATOXGRN >= 3" if stat == "grade >= 3" else "")
    worst = cell.get("worst_grade") or (stat.removeprefix("grade ") if stat.startswith(
        "grade ") and ">" not in stat else "")
    return where, worst


def variables_read(cells: Iterable[tuple[dict, str, str]]) -> frozenset[str] | None:
    """The variables a table's cells read: what the table's analysis data need hold.

    A cell reads the variables its group, where-clause and denominator where-clause name,
    the variable it summarises, ATOXGRN when it counts the patients by worst grade, and the
    subject (USUBJID); a cell computed otherwise (``compute``) reads those it names
    (``reads``).

    Parameters
    ----------
    cells : iterable of (dict, str, str)
        Each described cell (``where``, and ``denominator_where``, ``variable``,
        ``worst_grade``, ``compute`` and ``reads`` when given) with its column's group
        expression and statistic (:func:`_group`).

    Returns
    -------
    frozenset of str or None
        None when a cell's variables cannot be known (a computation naming none; a clause
        that is not Python syntax, such as pandas' ``@`` variables): every variable, then.

    Examples
    --------
    >>> sorted(variables_read([({"where": "AEDECOD == 'Fever'"}, "TRT01A == 'DL1'",
    ...                         "grade 3")]))
    ['AEDECOD', 'ATOXGRN', 'TRT01A', 'USUBJID']
    >>> variables_read([({"where": "", "compute": len}, "", "")]) is None
    True
    """
    names = {"USUBJID"}
    for cell, group, stat in cells:
        if "compute" in cell and cell.get("reads") is None:
            return None
        where, worst = _statement(cell, stat)
        for clause in (group, where, cell.get("denominator_where", "")):
            read = clause_names(clause) if clause else frozenset()
            if read is None:
                return None
            names |= read
        names |= {cell.get("variable", ""), "ATOXGRN" if worst else "", *(cell.get("reads") or ())}
    return frozenset(names - {""})


def ard_records(table: ReportTable, ds: dict[str, pd.DataFrame], meta: dict,
                baskets: dict[str, str] | None = None, frames: dict | None = None
                ) -> list[dict]:
    """The rows of :func:`computed_ard` as records (what its frame is made of).

    The table's analysis data hold the variables its cells read (:func:`variables_read`):
    at 10,000 patients the 73 ADSL variables joined onto each of 400,000 ADPP records were
    most of the memory of writing the analysis results (issue #18).

    Parameters
    ----------
    table, ds, meta, baskets
        As :func:`computed_ard`.
    frames : dict, optional
        The analysis data (:func:`analysis_data`) of the tables before this one on the same
        ``ds``, by what they are made of: a table on the same population, dataset and
        where-clauses reads the same frame (and the positions of its clauses known on it)
        when it holds the variables the table reads.

    Returns
    -------
    list of dict
        One record per statistic, keys :data:`cartrial.report.ars.ARD_COLUMNS`.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "ITTFL": ["Y", "Y"], "SAFFL": ["Y", None]})
    >>> t = ReportTable("14.1.1", "P", "L", pd.DataFrame({"row": ["Infused (safety "
    ...     "population)"], "column": ["Overall (N=2)"], "value": ["1"]}))
    >>> from cartrial.report.ars_metadata import analysis_for
    >>> [(r["value"], r["value_source"]) for r in ard_records(t, {"ADSL": adsl},
    ...                                                      analysis_for(t))]
    [(1.0, 'ADaM')]
    """
    spec, ctx, ard = CELLS[meta["cells"]], {"record": meta["where"], "km": meta.get("km"),
                                               "footnotes": table.footnotes,
                                               "test": meta.get("test")}, []
    if meta["cells"] == "basket":
        ctx["baskets"] = dict(baskets or {})
    indents, present = table.indents, variables(ds, meta)
    group_of = cache(lambda c: _group(c, meta["grouping"], ds["ADSL"]))  # per column label
    described = []  # (label, column, text, row, cell or None: displayed, group, statistic)
    for r, c, v in zip(table.cells["row"], table.cells["column"], table.cells["value"],
                       strict=True):
        row = _clean(r)
        cell = spec(row, indents.get(r, 0), ds["ADSL"], ctx)
        group, stat = group_of(str(c))
        if cell is not None and _absent(cell, present):  # e.g. DLTEVLFL when the safety
            cell = None  # engine refused the data
        described.append((r, c, v, row, cell, group, stat))
    data = _analysis_data(ds, meta, frames, variables_read(
        (cell, group, stat) for _, _, _, _, cell, group, stat in described if cell))
    for r, c, v, row, cell, group, stat in described:
        if cell is None:
            ard += displayed_cell(table.number, meta["id"], r, c, v)
            continue
        where, worst = _statement(cell, stat)
        vals = cell["compute"](data, group, where) if "compute" in cell else \
            summary_cell(data, group, where, cell["variable"]) if "variable" in cell else \
            count_cell(data, group, where, cell.get("denominator_where", ""), worst)
        for name, shown in parse_cell(str(v), row):
            ard.append({"table": table.number, "analysis_id": meta["id"], "row": row,
                         "column": str(c), "group": group, "where": where,
                         "denominator_where": cell.get("denominator_where", ""),
                         "worst_grade": worst, "variable": cell.get("variable", ""),
                         "timepoint": cell.get("timepoint", ""),
                         "statistic": name,
                         "value": vals.get(name, shown_value(shown)), "shown": shown,
                         "text": str(v), "value_source": "ADaM" if name in vals else
                         "displayed"})
    return ard


def _analysis_data(ds: dict[str, pd.DataFrame], meta: dict, frames: dict | None,
                   columns: frozenset[str] | None) -> pd.DataFrame:
    """The table's analysis data holding ``columns`` (None: every variable): the frame of
    ``frames`` made alike when it holds them, else a new one, kept in ``frames`` in its
    place."""
    made_of = data_key(meta)
    frames = {} if frames is None else frames
    if made_of in frames:
        held, data = frames[made_of]
        if held is None or (columns is not None and columns <= held):
            return data
        del frames[made_of], data  # one frame at a time: this one is freed before the next
    data = analysis_data(ds, meta, columns)
    frames[made_of] = (columns, data)
    return data
