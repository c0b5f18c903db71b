"""Decision tables as data (BOIN, mTPI-2, i3+3, 3+3; brockk/escalation #6).

For each number of patients n at the current dose: escalate if DLTs <= e, de-escalate if >= d,
eliminate if >= u -- the BOIN-style table -- plus the full (n, y) grid of letters (E, S, D and
DU = de-escalate and eliminate). The text writers return strings; the CLI writes the files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from cartrial.design.boin import Boin
from cartrial.design.boundaries import elimination_count
from cartrial.design.interval import I3plus3, Mtpi2
from cartrial.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

TableDesignName = Literal["boin", "3+3", "i3+3", "mtpi2"]
TABLE_DESIGN_NAMES: tuple[str, ...] = ("boin", "3+3", "i3+3", "mtpi2")


# summary columns and the row labels of the published layout
SUMMARY_ROWS: dict[str, str] = {
    "escalate_if_le": "Escalate if # of DLT <=",
    "deescalate_if_ge": "De-escalate if # of DLT >=",
    "eliminate_if_ge": "Eliminate if # of DLT >=",
    "stop_if_ge": "Stop the trial if # of DLT >= (lowest dose, extrasafe)",
}


@dataclass(frozen=True)
class DecisionTable:
    """A decision table as plain rows; the data frames are built on first use.

    ``summary_rows``: one dict per n (keys n, escalate_if_le, deescalate_if_ge, eliminate_if_ge
    and, with extrasafe, stop_if_ge; ``None`` = never). ``grid_rows``: one dict per (n, y) with
    ``decision`` in E / S / D / DU. ``method`` names the rule and its parameters. ``summary``
    and ``grid`` are the same rows as pandas frames (nullable Int64 summary columns); the text
    writers and the CLI use the rows, so printing a table does not import pandas.

    Attributes
    ----------
    design : str
        "boin", "3+3", "i3+3" or "mtpi2".
    target : float
        Target DLT probability.
    cohort_size : int
        Patients per cohort; the table has one row per multiple of it.
    summary_rows, grid_rows : tuple of dict
        The rows described above.
    method : str
        The rule and its parameters, with its citation.

    Examples
    --------
    >>> t = decision_table("boin", 0.3, max_n=6)
    >>> t.summary_rows[0]
    {'n': 3, 'escalate_if_le': 0, 'deescalate_if_ge': 2, 'eliminate_if_ge': 3}
    """

    design: str
    target: float
    cohort_size: int
    summary_rows: tuple[dict[str, Any], ...]
    grid_rows: tuple[dict[str, Any], ...]
    method: str

    @property
    def summary_columns(self) -> list[str]:
        """``n`` and the decision columns present, in the published order."""
        return ["n", *[c for c in SUMMARY_ROWS if c in self.summary_rows[0]]]

    @cached_property
    def summary(self) -> pd.DataFrame:
        """The summary rows as a frame (nullable Int64 decision columns, missing = never)."""
        import pandas as pd  # on first use: printing a table needs no pandas

        df = pd.DataFrame(list(self.summary_rows), columns=self.summary_columns)
        for c in self.summary_columns[1:]:
            df[c] = pd.array(df[c].tolist(), dtype="Int64")
        return df

    @cached_property
    def grid(self) -> pd.DataFrame:
        """The (n, y) grid as a frame: columns n, y, decision."""
        import pandas as pd

        return pd.DataFrame(list(self.grid_rows), columns=["n", "y", "decision"])


def decision_table(
    design: TableDesignName = "boin",
    target: float = 0.3,
    *,
    cohort_size: int = 3,
    max_n: int = 30,
    cutoff: float = 0.95,
    phi1: float | None = None,
    phi2: float | None = None,
    epsilon_low: float = 0.05,
    epsilon_high: float = 0.05,
    extrasafe: bool = False,
    offset: float = 0.05,
) -> DecisionTable:
    """Decision table of a table-driven design for n = cohort_size, 2 x cohort_size, ... <= max_n.

    BOIN: Liu & Yuan boundaries with the de-escalation count capped at the elimination count;
    i3+3 / mTPI-2: the letters of Guo 2017 / Liu 2020; elimination (BOIN) for all three. 3+3:
    the rule of Storer 1989 at n = 3 and 6 (``cohort_size`` must be 3; ``max_n`` is ignored).
    ``extrasafe`` adds ``stop_if_ge``: with n patients at the lowest dose, stop the trial when
    P(p > target) > cutoff - offset (BOIN ``get.boundary(extrasafe = TRUE)$stop_boundary``).

    Parameters
    ----------
    design : {"boin", "3+3", "i3+3", "mtpi2"}, default "boin"
        The table-driven design.
    target : float, default 0.3
        Target DLT probability.
    cohort_size : int, default 3
        Patients per cohort.
    max_n : int, default 30
        Largest number of patients at a dose in the table.
    cutoff : float, default 0.95
        Elimination when P(p > target | data) > cutoff (Beta(1, 1) prior).
    phi1, phi2 : float, optional
        BOIN sub-therapeutic / overly toxic DLT probabilities (default 0.6 / 1.4 x target).
    epsilon_low, epsilon_high : float, default 0.05
        i3+3 / mTPI-2 equivalence interval [target - epsilon_low, target + epsilon_high].
    extrasafe, offset : bool, float
        Add the lowest-dose stopping row with ``cutoff - offset``.

    Returns
    -------
    DecisionTable
        The summary (one row per n) and the (n, y) letter grid.

    Raises
    ------
    InputError
        When the design is unknown or a parameter is out of range.

    References
    ----------
    Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials. J R Stat Soc
    Ser C 2015;64:507-523.

    Examples
    --------
    The BOIN table for target 0.3 (Liu & Yuan 2015): escalate at 0/3 and 1/6, de-escalate at
    2/3 and 3/6, eliminate at 3/3 and 4/6:

    >>> t = decision_table("boin", 0.3, max_n=6)
    >>> [(r["n"], r["escalate_if_le"], r["deescalate_if_ge"], r["eliminate_if_ge"])
    ...  for r in t.summary_rows]
    [(3, 0, 2, 3), (6, 1, 3, 4)]
    """
    if design not in TABLE_DESIGN_NAMES:
        raise InputError(
            f"decision_table: design must be one of {TABLE_DESIGN_NAMES}, got {design!r}"
        )
    if cohort_size < 1 or max_n < cohort_size:
        raise InputError(
            f"decision_table: need 1 <= cohort_size ({cohort_size}) <= max_n ({max_n})"
        )
    if design == "3+3":
        if extrasafe:
            raise InputError("decision_table: extrasafe is an option of boin, i3+3 and mtpi2")
        return _three_plus_three_table(cohort_size, target)
    if extrasafe and not 0 < offset < cutoff - 0.5:
        raise InputError(f"decision_table: offset must be in (0, cutoff - 0.5), got {offset!r}")
    d, method = _rule(design, target, cutoff, phi1, phi2, epsilon_low, epsilon_high)
    rows, grid = _rows(d, target, cohort_size, max_n, cutoff, offset if extrasafe else None)
    if extrasafe:
        method += (
            f"; extrasafe: stop the trial when P(p1 > target) > {cutoff - offset:g} at the "
            "lowest dose (n >= 3)"
        )
    return DecisionTable(design, target, cohort_size, tuple(rows), tuple(grid), method)


def _rule(design: str, target: float, cutoff: float, phi1: float | None, phi2: float | None,
          epsilon_low: float, epsilon_high: float) -> tuple[Any, str]:
    """(the design object whose ``letter(n, y)`` gives the decisions, the method sentence)."""
    if design == "boin":
        d = Boin(n_doses=2, target=target, cutoff=cutoff, phi1=phi1, phi2=phi2)
        b = d.boundaries
        method = (
            f"BOIN (Liu S, Yuan Y, J R Stat Soc C 2015;64:507-23), target {target}, "
            f"phi1 {b.phi1:.4g}, phi2 {b.phi2:.4g}, "
            f"λe {b.lambda_e:.4f}, λd {b.lambda_d:.4f}, elimination "
            f"P(p > target) > {cutoff} at n >= 3"
        )
    elif design == "i3+3":
        d = I3plus3(
            n_doses=2,
            target=target,
            cutoff=cutoff,
            epsilon_low=epsilon_low,
            epsilon_high=epsilon_high,
        )
        method = (
            f"i3+3 (Liu M, Wang SJ, Ji Y, J Biopharm Stat 2020;30:294-304), target {target}, "
            f"EI [{d.ei[0]:.4g}, "
            f"{d.ei[1]:.4g}], elimination P(p > target) > {cutoff} at n >= 3"
        )
    else:
        d = Mtpi2(
            n_doses=2,
            target=target,
            cutoff=cutoff,
            epsilon_low=epsilon_low,
            epsilon_high=epsilon_high,
        )
        method = (
            f"mTPI-2 (Guo W et al., Contemp Clin Trials 2017;58:23-33), target {target}, "
            f"EI [{d.ei[0]:.4g}, "
            f"{d.ei[1]:.4g}], elimination P(p > target) > {cutoff} at n >= 3"
        )
    return d, method


def _rows(d: Any, target: float, cohort_size: int, max_n: int, cutoff: float,
          offset: float | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(summary rows, (n, y) grid rows) for n = cohort_size, 2 x cohort_size, ... <= max_n;
    ``offset`` (extrasafe) adds ``stop_if_ge``."""
    rows, grid = [], []
    for n in range(cohort_size, max_n + 1, cohort_size):
        u = elimination_count(n, target, cutoff)
        letters = [d.letter(n, y) for y in range(n + 1)]
        for y, let in enumerate(letters):
            grid.append({"n": n, "y": y, "decision": "DU" if u is not None and y >= u else let})
        esc = [y for y, let in enumerate(letters) if let == "E"]
        des = [y for y, let in enumerate(letters) if let == "D"]
        if u is not None:
            des.append(u)
        rows.append(
            {
                "n": n,
                "escalate_if_le": max(esc) if esc else None,
                "deescalate_if_ge": min(des) if des else None,
                "eliminate_if_ge": u,
            }
        )
        if offset is not None:
            rows[-1]["stop_if_ge"] = elimination_count(n, target, cutoff - offset)
    return rows, grid


def _three_plus_three_table(cohort_size: int, target: float) -> DecisionTable:
    if cohort_size != 3:
        raise InputError(f"3+3 treats cohorts of 3, but cohort_size was {cohort_size!r}")
    rows = [
        {"n": 3, "escalate_if_le": 0, "deescalate_if_ge": 2, "eliminate_if_ge": 2},
        {"n": 6, "escalate_if_le": 1, "deescalate_if_ge": 2, "eliminate_if_ge": 2},
    ]
    grid = [{"n": 3, "y": y, "decision": ["E", "S", "DU", "DU"][y]} for y in range(4)]
    grid += [{"n": 6, "y": y, "decision": "E" if y <= 1 else "DU"} for y in range(7)]
    method = (
        "3+3 (Storer BE, Biometrics 1989;45:925-37): 0/3 escalate, 1/3 treat 3 more (stay), 1/6 "
        "escalate, >= 2 DLTs the dose exceeds the MTD (de-escalate, dose and above closed)"
    )
    return DecisionTable("3+3", target, 3, tuple(rows), tuple(grid), method)


def _cell(v: int | None) -> str:
    return "" if v is None else str(int(v))


# ---------------------------------------------------------------- text writers (no I/O)
def decision_table_csv(table: DecisionTable) -> str:
    """Tidy CSV of the summary (one row per n; empty cell = never).

    Parameters
    ----------
    table : DecisionTable
        From :func:`decision_table`.

    Returns
    -------
    str
        CSV text with a header row and one line per n.

    Examples
    --------
    >>> print(decision_table_csv(decision_table("boin", 0.3, max_n=6)))
    n,escalate_if_le,deescalate_if_ge,eliminate_if_ge
    3,0,2,3
    6,1,3,4
    <BLANKLINE>
    """
    cols = table.summary_columns
    lines = [",".join(cols)]
    lines += [",".join(_cell(r.get(c)) for c in cols) for r in table.summary_rows]
    return "\n".join(lines) + "\n"


def decision_table_json(table: DecisionTable) -> str:
    """JSON with the design, target, method, summary rows and the (n, y) grid.

    Parameters
    ----------
    table : DecisionTable
        From :func:`decision_table`.

    Returns
    -------
    str
        Indented JSON text (keys design, target, cohort_size, method, summary, grid, ...).

    Examples
    --------
    >>> import json
    >>> doc = json.loads(decision_table_json(decision_table("boin", 0.3, max_n=6)))
    >>> doc["design"], doc["summary"][1]["escalate_if_le"]
    ('boin', 1)
    """

    def rows(records: tuple[dict[str, Any], ...], cols: list[str]) -> list[dict]:
        return [
            {k: (None if r.get(k) is None else int(r[k]) if k != "decision" else r[k])
             for k in cols}
            for r in records
        ]

    return (
        json.dumps(
            {
                "design": table.design,
                "target": table.target,
                "cohort_size": table.cohort_size,
                "method": table.method,
                "summary": rows(table.summary_rows, table.summary_columns),
                "grid": rows(table.grid_rows, ["n", "y", "decision"]),
            },
            indent=2,
        )
        + "\n"
    )


def decision_table_markdown(table: DecisionTable, *, grid: bool = True) -> str:
    """The published layout: one column per n; rows escalate / de-escalate / eliminate; with
    ``grid`` also the letter grid (rows = number of DLTs, columns = n), as in mTPI-2 tables.

    Parameters
    ----------
    table : DecisionTable
        From :func:`decision_table`.
    grid : bool, default True
        Also write the E / S / D / DU letter grid.

    Returns
    -------
    str
        Markdown text (a bold title line, then pipe tables).

    Examples
    --------
    >>> md = decision_table_markdown(decision_table("boin", 0.3, max_n=6), grid=False)
    >>> print(md.splitlines()[4])
    | Escalate if # of DLT <= | 0 | 1 |
    """
    s = table.summary_rows
    ns = [int(r["n"]) for r in s]
    head = "| Number of patients treated | " + " | ".join(str(n) for n in ns) + " |"
    sep = "|---|" + "---|" * len(s)
    lines = [f"**{table.design} decision table** ({table.method})", "", head, sep]
    for col in table.summary_columns[1:]:
        cells = (_cell(r.get(col)) or "NA" for r in s)
        lines.append(f"| {SUMMARY_ROWS[col]} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("NA: not applicable (no number of DLTs gives this decision at that n).")
    if grid:
        g = {(int(r["n"]), int(r["y"])): r["decision"] for r in table.grid_rows}
        lines += ["", "| # of DLT \\ patients | " + " | ".join(str(n) for n in ns) + " |", sep]
        for y in range(max(ns) + 1):
            row = [str(g[(n, y)]) if (n, y) in g else "" for n in ns]
            lines.append(f"| {y} | " + " | ".join(row) + " |")
        lines += [
            "",
            "E escalate, S stay, D de-escalate, DU de-escalate and eliminate the dose "
            "and all higher doses.",
        ]
    return "\n".join(lines) + "\n"
