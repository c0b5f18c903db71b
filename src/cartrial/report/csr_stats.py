"""Labelled summary statistics of the CSR tables: a continuous variable as n, mean (SD),
median (Q1, Q3) and min–max; a category as n (%); rows of a ReportTable by column group.

Quartiles are R's default ``quantile(type = 7)`` (linear interpolation between order statistics;
Hyndman RJ, Fan Y, Am Stat 1996;50:361-5, definition 7); the standard deviation has n - 1 in the
denominator.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from cartrial.report.table import fmt_n_pct

EN_DASH = "\u2013"
OVERALL = "Overall"  # the total column of every report table
STAT_LABELS = ("n", "Mean (SD)", "Median (Q1, Q3)", f"Min{EN_DASH}max")


def rounded(x: float, digits: int) -> str:
    """``x`` to ``digits`` decimals, halves rounded away from zero (as SAS ROUND and CSR
    conventions; Python's own formatting rounds halves to even: 3.25 -> 3.2).

    Examples
    --------
    >>> rounded(3.25, 1), rounded(-0.125, 2), rounded(7.0, 0)
    ('3.3', '-0.13', '7')
    """
    q = Decimal(1).scaleb(-digits)
    return str(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP))


def continuous(values: Sequence[float] | pd.Series, digits: int = 1) -> list[str]:
    """n, mean (SD), median (Q1, Q3) and min–max of the non-missing values, as text.

    Parameters
    ----------
    values : sequence of float
        The values (NaN = missing, not counted in n).
    digits : int
        Decimals of the mean, median and quartiles (one more than the data's precision); the
        SD gets one more, min and max one fewer (the data's own precision), the usual CSR
        shell convention.

    Returns
    -------
    list of str
        Four cells in the order of ``STAT_LABELS`` (empty strings but n = 0 when no value).

    Examples
    --------
    >>> continuous([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    ['10', '5.5 (3.03)', '5.5 (3.3, 7.8)', '1–10']
    """
    v = pd.to_numeric(pd.Series(values, dtype=float), errors="coerce").dropna().to_numpy()
    if len(v) == 0:
        return ["0", "", "", ""]
    d = digits
    sd = rounded(np.std(v, ddof=1), d + 1) if len(v) > 1 else "NE"
    q1, med, q3 = np.percentile(v, [25, 50, 75])  # linear: R quantile type 7
    return [str(len(v)), f"{rounded(v.mean(), d)} ({sd})",
            f"{rounded(med, d)} ({rounded(q1, d)}, {rounded(q3, d)})",
            f"{rounded(v.min(), max(d - 1, 0))}{EN_DASH}{rounded(v.max(), max(d - 1, 0))}"]


def flag(frame: pd.DataFrame, col: str) -> np.ndarray:
    """``frame[col] == "Y"`` as a boolean array (all False when the column is absent)."""
    return (frame[col] == "Y").to_numpy() if col in frame else np.zeros(len(frame), bool)


def level_groups(frame: pd.DataFrame, levels: Sequence[str], dose: pd.Series
                 ) -> dict[str, np.ndarray]:
    """Column header -> patients of ``frame``: each dose level present in ``dose`` (in
    protocol order) as "DL1 (N=4)", then "Overall (N=...)"."""
    d = dose.fillna("").astype(str).to_numpy()
    groups = {f"{lv} (N={int((d == lv).sum())})": d == lv for lv in levels if (d == lv).any()}
    groups[f"{OVERALL} (N={len(frame)})"] = np.ones(len(frame), bool)
    return groups


class CellRows:
    """Collects (row, column, value, indent) cells of a table over column groups.

    ``groups`` maps a column header to the boolean mask of its patients in ``frame``.
    """

    def __init__(self, frame: pd.DataFrame, groups: dict[str, np.ndarray]) -> None:
        self.frame = frame
        self.groups = groups
        self.cells: list[tuple[str, str, str, int]] = []

    def header(self, label: str) -> None:
        """A row label without values (a block title)."""
        for c in self.groups:
            self.cells.append((label, c, "", 0))

    def count(self, label: str, mask: np.ndarray, indent: int = 0,
              denom: np.ndarray | None = None) -> None:
        """n (%) of the column's patients (or of ``denom`` within the column) in ``mask``."""
        for c, sel in self.groups.items():
            base = sel if denom is None else sel & denom
            self.cells.append((label, c, str(fmt_n_pct(int((mask & sel).sum()),
                                                       int(base.sum()))[0]), indent))

    def number(self, label: str, mask: np.ndarray, indent: int = 0) -> None:
        """n only."""
        for c, sel in self.groups.items():
            self.cells.append((label, c, str(int((mask & sel).sum())), indent))

    def summary(self, label: str, values: pd.Series, digits: int = 1,
                mask: np.ndarray | None = None) -> None:
        """A block: ``label`` then n, mean (SD), median (Q1, Q3), min–max (indented)."""
        self.header(label)
        per = {c: continuous(values[sel if mask is None else sel & mask], digits)
               for c, sel in self.groups.items()}
        for i, stat in enumerate(STAT_LABELS):
            for c in self.groups:
                self.cells.append((f"{label}: {stat}", c, per[c][i], 1))

    def categories(self, label: str, values: pd.Series, order: Sequence[tuple[str, str]],
                   missing: str = "Missing", mask: np.ndarray | None = None) -> None:
        """A block: ``label`` then n (%) per (code, shown label); uncoded values as missing."""
        self.header(label)
        v = values.astype(object).where(values.notna(), "").astype(str).to_numpy()
        m = np.ones(len(v), bool) if mask is None else mask
        for code, shown in order:
            self.count(f"{label}: {shown}", (v == code) & m, 1, denom=m)
        rest = ~np.isin(v, [c for c, _ in order]) & m
        if rest.any():
            self.count(f"{label}: {missing}", rest, 1, denom=m)

    def frame_cells(self) -> pd.DataFrame:
        """The tidy cells (row, column, value, indent); an indented row shows its label without
        the block prefix ("Age: n" -> "n" under "Age")."""
        df = pd.DataFrame(self.cells, columns=["row", "column", "value", "indent"])
        df = df.drop_duplicates(["row", "column"]).reset_index(drop=True)
        shown: dict[str, str] = {}
        seen: dict[str, int] = {}
        for r, ind in dict.fromkeys(zip(df["row"], df["indent"], strict=True)):
            s = r.split(": ", 1)[1] if ind and ": " in r else r
            k = seen.get(s, 0)
            seen[s] = k + 1
            shown[r] = s + "\u200b" * k  # invisible: keeps repeated labels distinct rows
        df["row"] = df["row"].map(shown)
        return df
