"""The tidy table model behind every report table (TLG Catalog conventions).

One :class:`ReportTable` holds a clinical-study-report table as data: its number
("14.3.1.1"), title, population, a tidy frame (one row per cell: row label, column, formatted
value), footnotes stating methods, and a source line. Renderers (``report.render``) turn the same
object into HTML, plain text (snapshot tests) and DOCX, so the three never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cartrial.errors import InputError

_NUMBER = re.compile(r"^\d+(\.\d+)*$")
CELL_COLUMNS = ("row", "column", "value")


@dataclass(frozen=True)
class ReportTable:
    """A numbered, titled table: ``cells`` has columns row, column, value (all text), and
    optionally ``indent`` (0, 1, 2: nesting of the row label, e.g. preferred term under SOC).

    Row and column order is the order of first appearance in ``cells``.

    Parameters
    ----------
    number : str
        The CSR table number, dot-separated digits ("14.3.1.1"; listings "16.2.x").
    title : str
        The table title (without the number).
    population : str
        The analysis population, e.g. "Safety population".
    cells : pandas.DataFrame
        One row per cell: columns ``row``, ``column``, ``value`` (formatted text) and
        optionally ``indent`` (0, 1 or 2); each (row, column) pair at most once.
    footnotes : tuple of str, optional
        Footnotes stating methods and abbreviations, printed under the table.
    source : str, optional
        Source line (datasets the table is derived from, e.g. "ADSL, ADAE").
    kind : str, optional
        "table" (default) or "listing".
    slug : str, optional
        HTML anchor id; default "t" + the number with dots as underscores.
    stub : str, optional
        Header of the row-label column.
    analysis : dict, optional
        Settings of the analysis that the analysis-results metadata carry and the table does
        not display (e.g. the confidence level); never rendered.

    Raises
    ------
    InputError
        The number is not dot-separated digits, a cell column is missing, or a (row, column)
        pair holds two values.

    Examples
    --------
    >>> import pandas as pd
    >>> cells = pd.DataFrame({"row": ["DL1", "DL2"], "column": ["N", "N"], "value": ["3", "6"]})
    >>> t = ReportTable("14.3.1", "DLTs by dose level", "DLT-evaluable", cells)
    >>> t.caption, t.rows, t.columns, t.slug
    ('Table 14.3.1 DLTs by dose level', ['DL1', 'DL2'], ['N'], 't14_3_1')
    """

    number: str
    title: str
    population: str
    cells: pd.DataFrame
    footnotes: tuple[str, ...] = ()
    source: str = ""
    kind: str = "table"  # "table" or "listing" (numbered 16.2.x in a CSR)
    slug: str = field(default="")
    stub: str = ""  # header of the row-label column
    analysis: dict = field(default_factory=dict, compare=False)  # ARS settings, not shown

    def __post_init__(self) -> None:
        if not _NUMBER.match(self.number):
            raise InputError(f"table number must look like '14.3.1', but was {self.number!r}")
        missing = [c for c in CELL_COLUMNS if c not in self.cells.columns]
        if missing:
            raise InputError(f"table {self.number}: cells lack column(s) {missing}")
        dup = self.cells.duplicated(["row", "column"])
        if dup.any():
            r = self.cells.loc[dup].iloc[0]
            raise InputError(
                f"table {self.number}: two values for row {r['row']!r}, column {r['column']!r}")
        if not self.slug:
            object.__setattr__(self, "slug", "t" + self.number.replace(".", "_"))

    @property
    def rows(self) -> list[str]:
        return list(dict.fromkeys(self.cells["row"].tolist()))

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys(self.cells["column"].tolist()))

    @property
    def indents(self) -> dict[str, int]:
        """Each row's indent (0 without an ``indent`` column); worked out once per table
        (the HTML, RTF, DOCX and analysis-results writers each ask) and handed out as a copy."""
        kept = self.__dict__.get("_indents")
        if kept is None or kept[0] is not self.cells:
            if "indent" not in self.cells.columns:
                ind = dict.fromkeys(self.rows, 0)
            else:
                first = self.cells.drop_duplicates("row")
                ind = dict(zip(first["row"], first["indent"].astype(int), strict=True))
            kept = (self.cells, ind)
            object.__setattr__(self, "_indents", kept)  # a cache, not a field: frozen stays
        return dict(kept[1])

    def wide(self) -> pd.DataFrame:
        """Rows x columns of formatted text (missing cells are empty strings); pivoted once
        per table (every renderer asks for it) and handed out as a copy."""
        kept = self.__dict__.get("_wide")
        if kept is None or kept[0] is not self.cells:
            kept = (self.cells, _grid(self.cells, self.rows, self.columns))
            object.__setattr__(self, "_wide", kept)  # a cache, not a field: frozen stays
        return kept[1].copy()

    @property
    def caption(self) -> str:
        word = "Listing" if self.kind == "listing" else "Table"
        return f"{word} {self.number} {self.title}"


def _grid(cells: pd.DataFrame, rows: list, columns: list) -> pd.DataFrame:
    """Rows x columns of the cells' values, missing cells empty: the cells of a whole grid in
    row-major order (every listing's, :func:`table_from_wide`) are reshaped, not pivoted (issue
    #18: memory; the pivot of a 10,000-patient AE listing rose 41 MiB); the same frame."""
    n, m = len(rows), len(columns)
    if n * m and len(cells) == n * m:
        row, col = cells["row"].to_numpy(), cells["column"].to_numpy()
        if (row[::m] == np.asarray(rows, dtype=object)).all() and (
                row.reshape(n, m) == row[::m, None]).all() and (
                col.reshape(n, m) == np.asarray(columns, dtype=object)).all():
            return pd.DataFrame(cells["value"].to_numpy().reshape(n, m),
                                index=pd.Index(rows, dtype=object, name="row"),
                                columns=pd.Index(columns, dtype=object, name="column"),
                                copy=False).fillna("")
    w = cells.pivot(index="row", columns="column", values="value")
    return w.reindex(index=rows, columns=columns).fillna("")


def table_from_wide(number: str, title: str, population: str, wide: pd.DataFrame, *,
                    row_label: str | None = None, footnotes: Sequence[str] = (),
                    source: str = "", kind: str = "table",
                    indent: Sequence[int] | None = None) -> ReportTable:
    """Build a :class:`ReportTable` from a wide frame of already formatted values.

    ``row_label`` names the column holding the row labels; without it, rows are numbered
    (a listing: every column is shown, row labels are record numbers).

    Parameters
    ----------
    number, title, population : str
        As in :class:`ReportTable`.
    wide : pandas.DataFrame
        One row per table row, one column per table column, values already formatted (missing
        values become empty cells). Repeated row labels are kept, disambiguated invisibly.
    row_label : str, optional
        The column of ``wide`` holding the row labels (also the stub header).
    footnotes : sequence of str, optional
        Footnotes.
    source : str, optional
        Source line.
    kind : str, optional
        "table" or "listing".
    indent : sequence of int, optional
        Nesting level (0, 1, 2) of each row label, one per row of ``wide``.

    Returns
    -------
    ReportTable
        The tidy table.

    Raises
    ------
    InputError
        The table number is malformed.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"Dose": ["DL1", "DL2"], "N": ["3", "6"],
    ...                      "DLT": fmt_n_pct([0, 1], [3, 6])})
    >>> t = table_from_wide("14.3.1", "DLTs by dose level", "DLT-evaluable", wide,
    ...                     row_label="Dose")
    >>> t.wide().loc["DL2"].tolist()
    ['6', '1 (16.7%)']
    """
    w = wide.reset_index(drop=True)
    if row_label is None:
        labels = [str(i + 1) for i in range(len(w))]
        value_cols = list(w.columns)
    else:
        labels = w[row_label].astype(str).tolist()
        value_cols = [c for c in w.columns if c != row_label]
        if len(set(labels)) != len(labels):
            # keep every row: disambiguate repeated labels invisibly by position
            seen: dict[str, int] = {}
            out = []
            for lab in labels:
                k = seen.get(lab, 0)
                seen[lab] = k + 1
                out.append(lab if k == 0 else lab + "\u200b" * k)
            labels = out
    n, m = len(w), len(value_cols)
    vals = w[value_cols].astype(object).where(w[value_cols].notna(), "").astype(str).to_numpy()
    cells = pd.DataFrame({
        "row": np.repeat(np.asarray(labels, dtype=object), m),
        "column": np.tile(np.asarray([str(c) for c in value_cols], dtype=object), n),
        "value": vals.reshape(-1) if n and m else np.array([], dtype=object),
    })
    if indent is not None:
        cells["indent"] = np.repeat(np.asarray(indent, dtype=int), m)
    return ReportTable(number, title, population, cells, tuple(footnotes), source, kind,
                       stub=row_label or "")


def fmt_n_pct(n: int | np.ndarray, denom: int | np.ndarray) -> np.ndarray:
    """"n (x.x%)" with one decimal (TLG Catalog AET02); "0" when n is 0.

    Parameters
    ----------
    n : int or numpy.ndarray
        Counts of patients (with the event).
    denom : int or numpy.ndarray
        Denominators (patients in the column), broadcast against ``n``; a denominator of 0
        gives the count alone.

    Returns
    -------
    numpy.ndarray
        Object array of formatted cells, one per count.

    Examples
    --------
    >>> fmt_n_pct([3, 0, 1], 6).tolist()
    ['3 (50.0%)', '0', '1 (16.7%)']
    """
    n_a = np.atleast_1d(np.asarray(n, dtype=int))
    d_a = np.broadcast_to(np.atleast_1d(np.asarray(denom, dtype=float)), n_a.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(d_a > 0, 100.0 * n_a / d_a, np.nan)
    return np.array([
        "0" if k == 0 else (f"{k} ({p:.1f}%)" if p == p else str(k))
        for k, p in zip(n_a.tolist(), pct.tolist(), strict=True)
    ], dtype=object)


def fmt_num(x: float, digits: int = 1) -> str:
    """A number to ``digits`` decimals; missing as "NE" (not estimable).

    Parameters
    ----------
    x : float
        The value; None, NaN or infinite is shown as "NE".
    digits : int, optional
        Decimals (default 1).

    Returns
    -------
    str
        The formatted value.

    Examples
    --------
    >>> fmt_num(0.3578, 3), fmt_num(12.0), fmt_num(float("nan"))
    ('0.358', '12.0', 'NE')
    """
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "NE"
    return f"{x:.{digits}f}"


def fmt_dec(x: float, digits: int) -> str:
    """A number to ``digits`` decimals, thousands separated; "NE" when missing.

    Parameters
    ----------
    x : float
        The value.
    digits : int
        Decimals (from :func:`cartrial.report.labels.decimals`, the declared precision).

    Returns
    -------
    str
        The formatted value.

    Examples
    --------
    >>> fmt_dec(12364.94, 1), fmt_dec(0.5, 2), fmt_dec(float("nan"), 1)
    ('12,364.9', '0.50', 'NE')
    """
    if x is None or x != x or not np.isfinite(x):
        return "NE"
    return f"{x:,.{digits}f}"


def fmt_median_range(median: float, lo: float, hi: float, n: int, code: str) -> str:
    """"median [min-max] (n)" at the declared precision of parameter ``code`` (median one
    decimal more than the individual values, min and max as the values).

    Parameters
    ----------
    median, lo, hi : float
        The statistics.
    n : int
        Number of patients.
    code : str
        A key of :data:`cartrial.report.labels.PRECISION` (or a cytokine code).

    Returns
    -------
    str
        The cell.

    Raises
    ------
    InputError
        ``code`` has no declared precision.

    Examples
    --------
    >>> fmt_median_range(13.25, 6.9, 20.94, 4, "CARTCELL")
    '13.25 [6.9-20.9] (4)'
    """
    from cartrial.report.labels import decimals

    return (f"{fmt_dec(median, decimals(code, 'median'))} [{fmt_dec(lo, decimals(code, 'min'))}"
            f"-{fmt_dec(hi, decimals(code, 'max'))}] ({int(n)})")
