"""The layout every safety table shares and its two building blocks: subjects counted per row
and dose-level column (``n (x.x%)``) and a value summarised per column (``median (min-max)``).

Every table has the columns TABLE, ROW, ROW_LEVEL (0 = group, 1 = indented), ROW_ORDER,
COLUMN (a dose level id or ``Overall``), STATISTIC, N (numerator or value), DENOM, PCT and
VALUE. Denominators are the subjects of the column in ``subjects``. Importable from
:mod:`cartrial.safety.tables` as well.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cartrial.safety._frames import fail, require_columns

OVERALL = "Overall"
COLUMNS = ["TABLE", "ROW", "ROW_LEVEL", "ROW_ORDER", "COLUMN", "STATISTIC", "N", "DENOM", "PCT",
           "VALUE"]


def _subjects(subjects: pd.DataFrame) -> pd.DataFrame:
    require_columns(subjects, ["USUBJID", "DOSE_LEVEL"], where="safety tables subjects")
    s = subjects[["USUBJID", "DOSE_LEVEL"]].astype(str).drop_duplicates()
    fail(s, s["USUBJID"].duplicated().to_numpy(), domain="DM", variable="DOSE_LEVEL",
         rule="a subject belongs to one dose level")
    return s


def table_columns(subjects: pd.DataFrame) -> tuple[list[str], pd.Series]:
    """The columns (dose levels in order, then Overall) and their denominators."""
    order = sorted(subjects["DOSE_LEVEL"].unique().tolist())
    denom = subjects.groupby("DOSE_LEVEL").size().reindex(order)
    denom[OVERALL] = len(subjects)
    return [*order, OVERALL], denom


def by_column(flags: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    """Subject-level rows (USUBJID, ROW keys...) -> one copy per dose level and one Overall."""
    m = flags.merge(subjects, on="USUBJID", how="inner")
    return pd.concat([m.assign(COLUMN=m["DOSE_LEVEL"]), m.assign(COLUMN=OVERALL)],
                     ignore_index=True)


def _fmt_n_pct(n: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(d > 0, 100.0 * n / d, np.nan)
    val = np.array([f"{int(a)} ({p:.1f}%)" if p == p else f"{int(a)}" for a, p in zip(n, pct,
                                                                                   strict=True)],
                   dtype=object)
    return pct, val


def count_rows(flags: pd.DataFrame, subjects: pd.DataFrame, *, table: str,
               rows: Sequence[tuple[str, int]] | None = None,
               statistic: str = "n (%)") -> pd.DataFrame:
    """Count subjects per ROW and column: ``flags`` has USUBJID and ROW (one row per subject
    counted in that ROW; duplicates are counted once). ``rows`` fixes order and levels and
    keeps rows with zero counts.

    Parameters
    ----------
    flags : pandas.DataFrame
        USUBJID and ROW, one row per subject counted in a ROW.
    subjects : pandas.DataFrame
        The subjects of the table (USUBJID, DOSE_LEVEL): one column per dose level and
        ``Overall``; its counts are the denominators. Flags of other subjects are not counted.
    table : str
        The TABLE value of every row.
    rows : sequence of (str, int), optional
        (ROW, ROW_LEVEL) in the order shown; default: the ROWs of ``flags`` as they come,
        level 0.
    statistic : str
        The STATISTIC value.

    Returns
    -------
    pandas.DataFrame
        One row per ROW x column with :data:`COLUMNS`; VALUE ``n (x.x%)`` (``n`` alone when
        the denominator is 0).

    Raises
    ------
    cartrial.errors.InputError
        A required column is missing, or a subject is listed at two dose levels.

    References
    ----------
    ICH E3 (1995), section 12.2.2 and 14.3.1: adverse events as the number and percentage of
    patients, by treatment group.

    Examples
    --------
    >>> subjects = pd.DataFrame({"USUBJID": ["P1", "P2", "P3"],
    ...                          "DOSE_LEVEL": ["DL1", "DL1", "DL2"]})
    >>> flags = pd.DataFrame({"USUBJID": ["P1", "P1", "P3"], "ROW": "Any CRS"})
    >>> count_rows(flags, subjects, table="CRS")[["COLUMN", "N", "DENOM", "VALUE"]]
        COLUMN  N  DENOM       VALUE
    0      DL1  1      2   1 (50.0%)
    1      DL2  1      1  1 (100.0%)
    2  Overall  2      3   2 (66.7%)
    """
    subj = _subjects(subjects)
    cols, denom = table_columns(subj)
    f = flags[["USUBJID", "ROW"]].astype({"USUBJID": str}).drop_duplicates()
    long = by_column(f, subj)
    counts = long.groupby(["ROW", "COLUMN"]).size()
    if rows is None:
        rows = [(r, 0) for r in pd.unique(f["ROW"])]
    grid = pd.MultiIndex.from_product([[r for r, _ in rows], cols], names=["ROW", "COLUMN"])
    n = counts.reindex(grid, fill_value=0).to_numpy()
    d = denom.reindex(grid.get_level_values("COLUMN")).to_numpy()
    pct, val = _fmt_n_pct(n, d)
    level = dict(rows)
    order = {r: i for i, (r, _) in enumerate(rows)}
    out = pd.DataFrame({"TABLE": table, "ROW": grid.get_level_values("ROW"),
                        "COLUMN": grid.get_level_values("COLUMN"), "STATISTIC": statistic,
                        "N": n, "DENOM": d, "PCT": pct, "VALUE": val})
    out["ROW_LEVEL"] = out["ROW"].map(level).astype(int)
    out["ROW_ORDER"] = out["ROW"].map(order).astype(int)
    return out[COLUMNS]


def summary_rows(values: pd.DataFrame, subjects: pd.DataFrame, *, table: str, row: str,
                 order: int, digits: int = 1) -> pd.DataFrame:
    """median (min-max) of VALUE per column (``values``: USUBJID, VALUE; NaN ignored).

    Parameters
    ----------
    values : pandas.DataFrame
        USUBJID, VALUE (one value per subject and row, e.g. the onset day of the first CRS).
    subjects : pandas.DataFrame
        USUBJID, DOSE_LEVEL: the table's columns and their subjects.
    table, row : str
        The table's and the row's names (TABLE, ROW).
    order : int
        ROW_ORDER of the row.
    digits : int, default 1
        Decimals shown.

    Returns
    -------
    pandas.DataFrame
        One row per column (dose levels, then Overall) in the tidy layout of
        :mod:`cartrial.safety.tables`: STATISTIC "median (min-max)", N the median, DENOM the
        number of values, VALUE the text ("-" where the column has none).

    Examples
    --------
    >>> subjects = pd.DataFrame({"USUBJID": ["P1", "P2", "P3"],
    ...                          "DOSE_LEVEL": ["DL1", "DL1", "DL2"]})
    >>> onset = pd.DataFrame({"USUBJID": ["P1", "P2"], "VALUE": [1.0, 4.0]})
    >>> summary_rows(onset, subjects, table="CRS", row="Onset", order=1)[["COLUMN", "VALUE"]]
        COLUMN          VALUE
    0      DL1  2.5 (1.0-4.0)
    1      DL2              -
    2  Overall  2.5 (1.0-4.0)
    """
    subj = _subjects(subjects)
    cols, _ = table_columns(subj)
    v = values[["USUBJID", "VALUE"]].astype({"USUBJID": str})
    v = v[v["VALUE"].notna()]
    long = by_column(v, subj)
    g = long.groupby("COLUMN")["VALUE"]
    stats = pd.DataFrame({"n": g.size(), "med": g.median(), "lo": g.min(), "hi": g.max()})
    stats = stats.reindex(cols)
    fmt = f"{{:.{digits}f}}"
    val = [f"{fmt.format(r.med)} ({fmt.format(r.lo)}-{fmt.format(r.hi)})" if r.n == r.n and r.n > 0
           else "-" for r in stats.itertuples()]
    return pd.DataFrame({"TABLE": table, "ROW": row, "ROW_LEVEL": 1, "ROW_ORDER": order,
                         "COLUMN": cols, "STATISTIC": "median (min-max)",
                         "N": stats["med"].to_numpy(), "DENOM": stats["n"].fillna(0).to_numpy(),
                         "PCT": np.nan, "VALUE": val})[COLUMNS]
