"""The safety tables' two counting blocks (cartrial.safety.table_layout).

``count_rows`` and ``summary_rows`` count with numpy (issue #18) where they used a merge, a concat
and a groupby per call. The pandas implementation they replace is kept here, verbatim, as the
reference: the tests comparing the two are regression tests (equal frames, dtypes included, on
seeded inputs with the cases the tables meet: repeated flags, subjects outside the table, rows
without counts, missing values, integer values, a dose level without values). The hand-worked
cases check the rule itself (ICH E3 section 12.2.2: number and percentage of patients).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.errors import RecordError
from cartrial.safety.table_layout import COLUMNS, OVERALL, count_rows, summary_rows

# --- the pandas implementation before issue #18 (reference for the regression tests) -------


def _ref_subjects(subjects):
    s = subjects[["USUBJID", "DOSE_LEVEL"]].astype(str).drop_duplicates()
    assert not s["USUBJID"].duplicated().any()
    return s


def _ref_columns(subjects):
    order = sorted(subjects["DOSE_LEVEL"].unique().tolist())
    denom = subjects.groupby("DOSE_LEVEL").size().reindex(order)
    denom[OVERALL] = len(subjects)
    return [*order, OVERALL], denom


def _ref_by_column(flags, subjects):
    m = flags.merge(subjects, on="USUBJID", how="inner")
    return pd.concat([m.assign(COLUMN=m["DOSE_LEVEL"]), m.assign(COLUMN=OVERALL)],
                     ignore_index=True)


def _ref_count_rows(flags, subjects, *, table, rows=None, statistic="n (%)"):
    subj = _ref_subjects(subjects)
    cols, denom = _ref_columns(subj)
    f = flags[["USUBJID", "ROW"]].astype({"USUBJID": str}).drop_duplicates()
    counts = _ref_by_column(f, subj).groupby(["ROW", "COLUMN"]).size()
    if rows is None:
        rows = [(r, 0) for r in pd.unique(f["ROW"])]
    grid = pd.MultiIndex.from_product([[r for r, _ in rows], cols], names=["ROW", "COLUMN"])
    n = counts.reindex(grid, fill_value=0).to_numpy()
    d = denom.reindex(grid.get_level_values("COLUMN")).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(d > 0, 100.0 * n / d, np.nan)
    val = np.array([f"{int(a)} ({p:.1f}%)" if p == p else f"{int(a)}"
                    for a, p in zip(n, pct, strict=True)], dtype=object)
    out = pd.DataFrame({"TABLE": table, "ROW": grid.get_level_values("ROW"),
                        "COLUMN": grid.get_level_values("COLUMN"), "STATISTIC": statistic,
                        "N": n, "DENOM": d, "PCT": pct, "VALUE": val})
    out["ROW_LEVEL"] = out["ROW"].map(dict(rows)).astype(int)
    out["ROW_ORDER"] = out["ROW"].map({r: i for i, (r, _) in enumerate(rows)}).astype(int)
    return out[COLUMNS]


def _ref_summary_rows(values, subjects, *, table, row, order, digits=1):
    subj = _ref_subjects(subjects)
    cols, _ = _ref_columns(subj)
    v = values[["USUBJID", "VALUE"]].astype({"USUBJID": str})
    g = _ref_by_column(v[v["VALUE"].notna()], subj).groupby("COLUMN")["VALUE"]
    stats = pd.DataFrame({"n": g.size(), "med": g.median(), "lo": g.min(), "hi": g.max()})
    stats = stats.reindex(cols)
    fmt = f"{{:.{digits}f}}"
    val = [f"{fmt.format(r.med)} ({fmt.format(r.lo)}-{fmt.format(r.hi)})" if r.n == r.n and r.n > 0
           else "-" for r in stats.itertuples()]
    return pd.DataFrame({"TABLE": table, "ROW": row, "ROW_LEVEL": 1, "ROW_ORDER": order,
                         "COLUMN": cols, "STATISTIC": "median (min-max)",
                         "N": stats["med"].to_numpy(), "DENOM": stats["n"].fillna(0).to_numpy(),
                         "PCT": np.nan, "VALUE": val})[COLUMNS]


# --- seeded inputs ------------------------------------------------------------------------


def _subjects(rng, n, levels):
    return pd.DataFrame({"USUBJID": [f"P{i:03d}" for i in range(n)],
                         "DOSE_LEVEL": rng.choice(levels, size=n)})


def _flags(rng, n_subjects, names, size):
    # ids beyond the table's subjects (P9xx) and repeated (USUBJID, ROW) pairs on purpose
    ids = [f"P{i:03d}" for i in rng.integers(0, n_subjects + 3, size=size)]
    ids = [u if int(u[1:]) < n_subjects else f"P9{u[2:]}" for u in ids]
    return pd.DataFrame({"USUBJID": ids, "ROW": rng.choice(names, size=size)})


CASES = [(seed, n, levels) for seed in range(12) for n, levels in
         ((1, ["DL1"]), (6, ["DL1", "DL2"]), (40, ["1", "2", "3"]), (25, ["DL2", "DL1", "DL3"]))]


def _same(a, b):
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert list(a.dtypes) == list(b.dtypes)


@pytest.mark.parametrize("seed,n,levels", CASES)
def test_count_rows_equals_the_pandas_implementation(seed, n, levels):
    """Regression: the numpy counts equal the merge/groupby counts they replace, cell for cell
    and dtype for dtype (given rows with zero-count and repeated names, and rows as found)."""
    rng = np.random.default_rng(seed)
    subjects = _subjects(rng, n, levels)
    names = ["Any", "Grade 1", "Grade 2", "Grade >= 3"]
    flags = _flags(rng, n, names[:3], int(rng.integers(0, 3 * n + 2)))
    rows = [("Any", 0), ("Grade 1", 1), ("Grade 2", 1), ("Grade >= 3", 1), ("Never", 1)]
    for kw in ({"rows": rows}, {}, {"rows": rows[:2]}, {"rows": [*rows, ("Any", 0)]}):
        _same(count_rows(flags, subjects, table="T", **kw),
              _ref_count_rows(flags, subjects, table="T", **kw))


@pytest.mark.parametrize("seed,n,levels", CASES)
def test_summary_rows_equals_the_pandas_implementation(seed, n, levels):
    """Regression: the numpy median (min-max) per column equals pandas' groupby's, with missing
    values, integer values, repeated subjects, outsiders and a column without values."""
    rng = np.random.default_rng(100 + seed)
    subjects = _subjects(rng, n, levels)
    size = int(rng.integers(0, 2 * n + 2))
    ids = _flags(rng, n, ["x"], size)["USUBJID"]
    floats = rng.gamma(2.0, 5.0, size=size).round(1)
    floats[rng.random(size) < 0.2] = np.nan
    for values in (floats, np.floor(np.nan_to_num(floats)).astype(np.int64),
                   np.full(size, np.nan)):
        v = pd.DataFrame({"USUBJID": ids, "VALUE": values})
        for digits in (0, 1):
            _same(summary_rows(v, subjects, table="T", row="Onset", order=3, digits=digits),
                  _ref_summary_rows(v, subjects, table="T", row="Onset", order=3,
                                    digits=digits))


def test_summary_rows_object_values_take_pandas_path():
    """Regression: object-typed values (e.g. None for an unresolved event) give the frame the
    pandas implementation gives."""
    subjects = pd.DataFrame({"USUBJID": ["P1", "P2"], "DOSE_LEVEL": ["1", "2"]})
    v = pd.DataFrame({"USUBJID": ["P1"], "VALUE": pd.Series([None], dtype=object)})
    _same(summary_rows(v, subjects, table="T", row="R", order=0),
          _ref_summary_rows(v, subjects, table="T", row="R", order=0))


def test_count_rows_by_hand():
    """Two of three patients at DL1 and none of one at DL2 have the event: 2 (66.7%), 0 (0.0%),
    overall 2 of 4 (50.0%); a patient's repeated event counts once (ICH E3, 12.2.2)."""
    subjects = pd.DataFrame({"USUBJID": ["A", "B", "C", "D"],
                             "DOSE_LEVEL": ["DL1", "DL1", "DL1", "DL2"]})
    flags = pd.DataFrame({"USUBJID": ["A", "A", "B", "Z"], "ROW": "Any CRS"})
    t = count_rows(flags, subjects, table="CRS")
    assert t["VALUE"].tolist() == ["2 (66.7%)", "0 (0.0%)", "2 (50.0%)"]
    assert t["DENOM"].tolist() == [3, 1, 4]


def test_summary_rows_by_hand():
    """Onset days 1, 2 and 6 at DL1 (median 2), none at DL2 ("-"), overall the same three."""
    subjects = pd.DataFrame({"USUBJID": ["A", "B", "C", "D"],
                             "DOSE_LEVEL": ["DL1", "DL1", "DL1", "DL2"]})
    v = pd.DataFrame({"USUBJID": ["A", "B", "C", "D"], "VALUE": [1.0, 6.0, 2.0, np.nan]})
    t = summary_rows(v, subjects, table="CRS", row="Onset", order=1, digits=0)
    assert t["VALUE"].tolist() == ["2 (1-6)", "-", "2 (1-6)"]
    assert t["DENOM"].tolist() == [3, 0, 3]


def test_a_subject_at_two_dose_levels_is_refused():
    subjects = pd.DataFrame({"USUBJID": ["A", "A"], "DOSE_LEVEL": ["DL1", "DL2"]})
    with pytest.raises(RecordError, match="one dose level"):
        count_rows(pd.DataFrame({"USUBJID": ["A"], "ROW": "x"}), subjects, table="T")
