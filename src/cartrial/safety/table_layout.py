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
    ids = subjects["USUBJID"].astype(str)
    if pd.Index(ids).is_unique:  # one record per subject: nothing to drop, nothing to refuse
        return pd.DataFrame({"USUBJID": ids, "DOSE_LEVEL": subjects["DOSE_LEVEL"].astype(str)})
    s = subjects[["USUBJID", "DOSE_LEVEL"]].astype(str).drop_duplicates()
    fail(s, s["USUBJID"].duplicated().to_numpy(), domain="DM", variable="DOSE_LEVEL",
         rule="a subject belongs to one dose level")
    return s


def table_columns(subjects: pd.DataFrame) -> tuple[list[str], pd.Series]:
    """The columns (dose levels in order, then Overall) and their denominators."""
    order = sorted(subjects["DOSE_LEVEL"].unique().tolist())
    n = np.bincount(pd.Index(order).get_indexer(subjects["DOSE_LEVEL"]), minlength=len(order))
    return [*order, OVERALL], pd.Series(np.append(n, len(subjects)).astype(np.int64),
                                        index=pd.Index([*order, OVERALL], name="DOSE_LEVEL"))


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
    if rows is None:
        rows = [(r, 0) for r in pd.unique(flags["ROW"])]
    names = [r for r, _ in rows]
    k = len(cols)
    n = _cell_counts(flags, subj, names, cols).ravel()
    d = np.tile(denom.to_numpy(), len(names))
    pct, val = _fmt_n_pct(n, d)
    level, order = dict(rows), {r: i for i, (r, _) in enumerate(rows)}
    return pd.DataFrame({
        "TABLE": table, "ROW": pd.Index(names).repeat(k), "ROW_LEVEL": np.repeat(
            np.array([level[r] for r in names], dtype=int), k),
        "ROW_ORDER": np.repeat(np.array([order[r] for r in names], dtype=int), k),
        "COLUMN": np.tile(np.array(cols, dtype=object), len(names)), "STATISTIC": statistic,
        "N": n, "DENOM": d, "PCT": pct, "VALUE": val})  # in the order of COLUMNS


def _column_of(ids: pd.Series, subj: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """The column index (into ``cols``, Overall excluded) of each subject id; -1 for an id
    that is not one of the table's subjects."""
    dose = np.append(pd.Index(cols).get_indexer(subj["DOSE_LEVEL"]), -1)
    return dose[pd.Index(subj["USUBJID"]).get_indexer(ids)]


def _cell_counts(flags: pd.DataFrame, subj: pd.DataFrame, names: list,
                 cols: list[str]) -> np.ndarray:
    """Subjects per ROW (``names``) x column (``cols``, Overall last): each distinct
    (USUBJID, ROW) of ``flags`` once, the table's subjects only; a ROW not in ``names`` (or
    missing) is not counted."""
    uniq = pd.Index(pd.unique(pd.Series(names, dtype=object)))
    present = flags["ROW"].notna().to_numpy()
    r = np.where(present, uniq.get_indexer(flags["ROW"]), -1)
    who = pd.Index(subj["USUBJID"]).get_indexer(flags["USUBJID"].astype(str))
    keep = (r >= 0) & (who >= 0)
    pair = np.unique(r[keep].astype(np.int64) * len(subj) + who[keep])  # distinct pairs
    dose = pd.Index(cols).get_indexer(subj["DOSE_LEVEL"])
    k = len(cols)
    counts = np.bincount(pair // len(subj) * k + dose[pair % len(subj)] if len(pair) else
                         np.zeros(0, dtype=np.int64), minlength=len(uniq) * k)
    counts = counts.reshape(len(uniq), k)
    counts[:, -1] = counts[:, :-1].sum(axis=1)  # a subject is at one dose level
    return counts[uniq.get_indexer(names)].astype(np.int64)


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
    n, med, lo, hi = _column_stats(values, subj, cols)
    fmt = f"{{:.{digits}f}}"
    val = [f"{fmt.format(m)} ({fmt.format(a)}-{fmt.format(b)})" if c == c and c > 0 else "-"
           for c, m, a, b in zip(n.tolist(), med.tolist(), lo.tolist(), hi.tolist(), strict=True)]
    return pd.DataFrame({"TABLE": table, "ROW": row, "ROW_LEVEL": 1, "ROW_ORDER": order,
                         "COLUMN": cols, "STATISTIC": "median (min-max)", "N": med,
                         "DENOM": np.where(n == n, n, 0) if n.dtype.kind == "f" else n,
                         "PCT": np.nan, "VALUE": val})  # in the order of COLUMNS


def _column_stats(values: pd.DataFrame, subj: pd.DataFrame, cols: list[str]) -> tuple:
    """n, median, min and max of the non-missing VALUEs per column of ``cols`` (arrays; n is
    float with NaN where a column has none, else int): numpy over numbers, pandas' groupby for
    any other type."""
    if values["VALUE"].dtype.kind not in "iuf":
        v = values[["USUBJID", "VALUE"]].astype({"USUBJID": str})
        g = by_column(v[v["VALUE"].notna()], subj).groupby("COLUMN")["VALUE"]
        st = pd.DataFrame({"n": g.size(), "med": g.median(), "lo": g.min(),
                           "hi": g.max()}).reindex(cols)
        return tuple(st[k].to_numpy() for k in ("n", "med", "lo", "hi"))
    x = values["VALUE"].to_numpy(dtype=float)
    c = _column_of(values["USUBJID"].astype(str), subj, cols)
    keep = (c >= 0) & ~np.isnan(x)
    x, c = x[keep], c[keep]
    parts = [x[c == j] for j in range(len(cols) - 1)] + [x]
    n = np.array([len(p) for p in parts], dtype=np.int64)
    stat = np.array([(np.median(p), p.min(), p.max()) if len(p) else (np.nan,) * 3
                     for p in parts], dtype=float).reshape(len(cols), 3)
    return (n if n.all() else np.where(n > 0, n, np.nan)), stat[:, 0], stat[:, 1], stat[:, 2]
