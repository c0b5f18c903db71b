"""Safety tables as tidy data frames, ready for a renderer (no formatting engine here).

Every table has the columns TABLE, ROW, ROW_LEVEL (0 = group, 1 = indented), ROW_ORDER,
COLUMN (a dose level id or ``Overall``), STATISTIC, N (numerator or value), DENOM, PCT and
VALUE (the formatted cell, ``n (x.x%)`` or ``median (min-max)``). Denominators are the subjects
of the column in ``subjects`` (the safety population: infused patients with their DOSE_LEVEL)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cartrial.errors import InputError
from cartrial.safety._frames import as_float, require_columns
from cartrial.safety.table_layout import (  # noqa: F401  (importable from here, as before)
    COLUMNS,
    OVERALL,
    by_column,
    count_rows,
    summary_rows,
    table_columns,
)


def _worst_grade_rows(worst: pd.DataFrame, label: str) -> pd.DataFrame:
    g = worst["GRADE"].to_numpy()
    parts = [worst.assign(ROW=f"{label}: any grade")]
    parts += [worst[g == k].assign(ROW=f"{label}: grade {k}") for k in range(1, 6)]
    parts += [worst[g >= 3].assign(ROW=f"{label}: grade >= 3")]
    return pd.concat(parts, ignore_index=True)


def _by_frequency(ae: pd.DataFrame, term: str) -> list[str]:
    """Values of ``term`` by descending number of subjects, ties alphabetically (CSR shell)."""
    n = ae.assign(_T=ae[term].astype(str)).groupby("_T")["USUBJID"].nunique()
    return sorted(n.index, key=lambda t: (-int(n[t]), t))


def _teae_worst(ae: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, int]]]:
    """Worst grade per subject and row (Any TEAE, each SOC, each SOC / PT), and the rows: SOCs
    by descending number of patients, PTs nested under their SOC likewise (ties
    alphabetically), as clinical study report shells order them."""
    require_columns(ae, ["USUBJID", "AEBODSYS", "AEDECOD", "GRADE"], where="teae_table")
    a = ae.copy()
    a["USUBJID"] = a["USUBJID"].astype(str)
    if "TRTEMFL" in a.columns:
        a = a[a["TRTEMFL"].astype(str).str.upper() == "Y"]
    a["GRADE"] = as_float(a, "GRADE", domain="AE", required=True)
    rows: list[tuple[str, int]] = [("Any TEAE", 0)]
    keyed = [a.assign(ROW="Any TEAE")]
    for soc in _by_frequency(a, "AEBODSYS"):
        sa = a[a["AEBODSYS"] == soc]
        rows.append((soc, 0))
        keyed.append(sa.assign(ROW=soc))
        for pt in _by_frequency(sa, "AEDECOD"):
            label = f"{soc} / {pt}"
            rows.append((label, 1))
            keyed.append(sa[sa["AEDECOD"] == pt].assign(ROW=label))
    allk = pd.concat(keyed, ignore_index=True)
    return allk.groupby(["USUBJID", "ROW"], as_index=False)["GRADE"].max(), rows


def teae_table(ae: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    """TEAEs by SOC and PT, by worst grade per subject, per dose level and overall.

    Parameters
    ----------
    ae, subjects : pandas.DataFrame
        AEs: USUBJID, AEBODSYS, AEDECOD, GRADE (numeric 1-5) and optional TRTEMFL ("Y" rows
        are counted when present); the safety population: USUBJID, DOSE_LEVEL.

    Returns
    -------
    pandas.DataFrame
        Tidy table, STATISTIC ``any grade`` and ``grade >= 3``; SOCs, PTs by frequency.

    Examples
    --------
    >>> s = pd.DataFrame({"USUBJID": ["A", "B", "C"], "DOSE_LEVEL": ["DL1", "DL1", "DL2"]})
    >>> ae = pd.DataFrame({"USUBJID": ["A", "C"], "AEBODSYS": "Infections",
    ...                    "AEDECOD": "Pneumonia", "GRADE": [2, 4]})
    >>> teae_table(ae, s).query("COLUMN == 'Overall'").VALUE.tolist()[:2]
    ['2 (66.7%)', '1 (33.3%)']
    """
    worst, rows = _teae_worst(ae)
    any_g = count_rows(worst, subjects, table="TEAE by SOC/PT", rows=rows, statistic="any grade")
    g3 = count_rows(worst[worst["GRADE"] >= 3], subjects, table="TEAE by SOC/PT", rows=rows,
                    statistic="grade >= 3")
    return pd.concat([any_g, g3], ignore_index=True).sort_values(
        ["ROW_ORDER", "STATISTIC", "COLUMN"], kind="stable").reset_index(drop=True)


def teae_grade_table(ae: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    """TEAEs by SOC and PT and worst grade: each subject counted once per row, at the worst
    grade it reached (STATISTIC ``grade 1`` ... ``grade 5``), per dose level and overall.

    Parameters
    ----------
    ae, subjects : pandas.DataFrame
        As :func:`teae_table` (AEs with USUBJID, AEBODSYS, AEDECOD, GRADE; the safety
        population with USUBJID, DOSE_LEVEL).

    Returns
    -------
    pandas.DataFrame
        Tidy table, one STATISTIC per grade; a subject with a grade 2 and a grade 4 pneumonia
        counts once, under grade 4 (ICH E3 section 12.2.2: patients, not events).

    Examples
    --------
    >>> s = pd.DataFrame({"USUBJID": ["A", "B", "C"], "DOSE_LEVEL": ["DL1", "DL1", "DL2"]})
    >>> ae = pd.DataFrame({"USUBJID": ["A", "A", "C"], "AEBODSYS": "Infections",
    ...                    "AEDECOD": "Pneumonia", "GRADE": [2, 4, 4]})
    >>> t = teae_grade_table(ae, s).query("COLUMN == 'Overall' and ROW.str.endswith('Pneumonia')")
    >>> t["STATISTIC"].tolist(), t["VALUE"].tolist()[3]
    (['grade 1', 'grade 2', 'grade 3', 'grade 4', 'grade 5'], '2 (66.7%)')
    """
    worst, rows = _teae_worst(ae)
    parts = [count_rows(worst[worst["GRADE"] == g], subjects, table="TEAE by SOC/PT and grade",
                        rows=rows, statistic=f"grade {g}") for g in range(1, 6)]
    return pd.concat(parts, ignore_index=True).sort_values(
        ["ROW_ORDER", "STATISTIC", "COLUMN"], kind="stable").reset_index(drop=True)


def syndrome_table(episodes: pd.DataFrame, subjects: pd.DataFrame, *, name: str,
                   therapies: Sequence[tuple[str, str]],
                   grades: pd.DataFrame | None = None) -> pd.DataFrame:
    """Incidence by worst grade, onset, duration and management of CRS or ICANS.

    ``episodes``: per-episode frame of :func:`grade_crs` / :func:`grade_icans` (USUBJID,
    MAX_GRADE, ONSET_DAY, DURATION_DAYS and the therapy flag columns); ``therapies`` maps a
    flag column to its row label. ``grades`` (USUBJID, GRADE: the primary grade of each event,
    :func:`cartrial.safety.grade_source.syndrome_events`) gives the incidence rows when
    supplied; otherwise the episodes' derived grades do.

    Parameters
    ----------
    episodes, subjects : pandas.DataFrame
        The episodes as above; the safety population (USUBJID, DOSE_LEVEL).
    name : str
        "CRS" or "ICANS" (row and table names).
    therapies : sequence of (str, str)
        Flag column of ``episodes`` -> row label ("Tocilizumab").
    grades : pandas.DataFrame, optional
        USUBJID, GRADE of each event by the protocol's primary grade source.

    Returns
    -------
    pandas.DataFrame
        Tidy table: any grade, each grade and grade >= 3 (patients by their worst grade),
        onset and duration of the first episode (median (min-max) days), each therapy.

    References
    ----------
    Lee DW et al. ASTCT consensus grading for cytokine release syndrome and neurologic
    toxicity associated with immune effector cells. Biol Blood Marrow Transplant
    2019;25:625-38.

    Examples
    --------
    >>> s = pd.DataFrame({"USUBJID": ["A", "B"], "DOSE_LEVEL": ["DL1", "DL1"]})
    >>> ep = pd.DataFrame({"USUBJID": ["A"], "MAX_GRADE": [2], "ONSET_DAY": [3.0],
    ...                    "DURATION_DAYS": [4.0], "TOCILIZUMAB": [True]})
    >>> t = syndrome_table(ep, s, name="CRS", therapies=[("TOCILIZUMAB", "Tocilizumab")])
    >>> v = t.query("COLUMN == 'Overall'").VALUE.tolist()
    >>> v[0], v[2], v[-3:]  # any grade, grade 2; onset, duration, tocilizumab
    ('1 (50.0%)', '1 (50.0%)', ['3.0 (3.0-3.0)', '4.0 (4.0-4.0)', '1 (50.0%)'])
    """
    require_columns(episodes, ["USUBJID", "MAX_GRADE", "ONSET_DAY", "DURATION_DAYS"],
                    where=f"{name} table")
    ep = episodes.copy()
    ep["USUBJID"] = ep["USUBJID"].astype(str)
    if grades is None:
        grades = ep.rename(columns={"MAX_GRADE": "GRADE"})
    require_columns(grades, ["USUBJID", "GRADE"], where=f"{name} table grades")
    g = grades[grades["GRADE"].astype(float) > 0].astype({"USUBJID": str})
    worst = g.groupby("USUBJID", as_index=False)["GRADE"].max()
    flags = _worst_grade_rows(worst, name)
    rows = [(f"{name}: any grade", 0)] + [(f"{name}: grade {k}", 1) for k in range(1, 6)] + [
        (f"{name}: grade >= 3", 1)]
    t = [count_rows(flags, subjects, table=name, rows=rows)]
    # onset as protocol day (day 0 = infusion day): the whole days since infusion
    first_onset = ep.groupby("USUBJID", as_index=False)["ONSET_DAY"].min().rename(
        columns={"ONSET_DAY": "VALUE"})
    first_onset["VALUE"] = np.floor(first_onset["VALUE"].astype(float))
    t.append(summary_rows(first_onset, subjects, table=name,
                          row="Onset, days from infusion (first episode)", order=len(rows)))
    dur = ep.rename(columns={"DURATION_DAYS": "VALUE"})[["USUBJID", "VALUE"]]
    t.append(summary_rows(dur, subjects, table=name, row="Duration, days (resolved episodes)",
                          order=len(rows) + 1))
    mgmt_rows = []
    for col, label in therapies:
        if col not in ep.columns:
            raise InputError(f"{name} table: therapy column {col!r} missing from episodes")
        mgmt_rows.append(ep[ep[col].astype(bool)].assign(ROW=label)[["USUBJID", "ROW"]])
    if mgmt_rows:
        mg = count_rows(pd.concat(mgmt_rows), subjects, table=name,
                        rows=[(label, 1) for _, label in therapies])
        mg["ROW_ORDER"] += len(rows) + 2
        t.append(mg)
    return pd.concat(t, ignore_index=True)


def crs_table(episodes: pd.DataFrame, subjects: pd.DataFrame,
              grades: pd.DataFrame | None = None) -> pd.DataFrame:
    """CRS (ASTCT 2019) incidence by worst grade, onset, duration, tocilizumab and steroid use.

    Parameters
    ----------
    episodes, subjects, grades : pandas.DataFrame
        ``CrsResult.episodes`` (USUBJID, MAX_GRADE, ONSET_DAY, DURATION_DAYS, TOCILIZUMAB,
        STEROID); the safety population (USUBJID, DOSE_LEVEL); optional USUBJID, GRADE: the
        primary grade of each event (see :func:`syndrome_table`).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> s = pd.DataFrame({"USUBJID": ["A", "B", "C"], "DOSE_LEVEL": ["DL1", "DL1", "DL2"]})
    >>> ep = pd.DataFrame({"USUBJID": ["A", "C"], "MAX_GRADE": [1, 3], "ONSET_DAY": [1.5, 3.2],
    ...     "DURATION_DAYS": [2.0, 6.0], "TOCILIZUMAB": [False, True], "STEROID": False})
    >>> crs_table(ep, s).query("COLUMN == 'Overall'").VALUE.tolist()[:4]
    ['2 (66.7%)', '1 (33.3%)', '0 (0.0%)', '1 (33.3%)']
    """
    return syndrome_table(episodes, subjects, name="CRS",
                          therapies=[("TOCILIZUMAB", "Tocilizumab"),
                                     ("STEROID", "Corticosteroids")], grades=grades)


def icans_table(episodes: pd.DataFrame, subjects: pd.DataFrame,
                grades: pd.DataFrame | None = None) -> pd.DataFrame:
    """ICANS (ASTCT 2019) incidence by grade, onset, duration and steroid use.

    Parameters
    ----------
    episodes, subjects, grades : pandas.DataFrame
        As :func:`crs_table`, with ``IcansResult.episodes`` (therapy flag STEROID).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> s = pd.DataFrame({"USUBJID": ["A", "B", "C"], "DOSE_LEVEL": ["DL1", "DL1", "DL2"]})
    >>> ep = pd.DataFrame({"USUBJID": ["A"], "MAX_GRADE": [2], "ONSET_DAY": [5.0],
    ...                    "DURATION_DAYS": [3.0], "STEROID": [True]})
    >>> icans_table(ep, s).query("COLUMN == 'DL1'").VALUE.tolist()[-3:]
    ['5.0 (5.0-5.0)', '3.0 (3.0-3.0)', '1 (50.0%)']
    """
    return syndrome_table(episodes, subjects, name="ICANS",
                          therapies=[("STEROID", "Corticosteroids")], grades=grades)


def dlt_table(patients: pd.DataFrame, criteria: Mapping[str, str] | None = None
              ) -> pd.DataFrame:
    """DLTs by dose level from :func:`cartrial.safety.adjudicate_dlt` ``patients``: treated,
    DLT-evaluable, with DLT (n / evaluable), pending, and one row per triggering rule.

    Parameters
    ----------
    patients : pandas.DataFrame
        ``DltResult.patients`` (USUBJID, DOSE_LEVEL, DLT, DLT_EVALUABLE, DLT_RULE).
    criteria : mapping of str to str, optional
        Rule id -> the words shown (``DltDefinition.criteria()``); else "DLT rule <id>".

    Returns
    -------
    pandas.DataFrame
        Tidy table; "Patients with DLT" is n/N (%) of the DLT-evaluable patients.

    Examples
    --------
    >>> p = pd.DataFrame({"USUBJID": ["A", "B"], "DOSE_LEVEL": "DL1", "DLT": ["yes", "no"],
    ...                   "DLT_EVALUABLE": True, "DLT_RULE": ["CRS4", None]})
    >>> dlt_table(p, {"CRS4": "Grade 4 CRS"}).query("COLUMN == 'DL1'").VALUE.tolist()
    ['2', '2', '1/2 (50.0%)', '0', '1']
    """
    require_columns(patients, ["USUBJID", "DOSE_LEVEL", "DLT", "DLT_EVALUABLE", "DLT_RULE"],
                    where="dlt_table")
    p = patients.assign(DOSE_LEVEL=patients["DOSE_LEVEL"].astype(str))
    subj = p[["USUBJID", "DOSE_LEVEL"]]
    cols, _ = table_columns(subj.astype(str))
    long = by_column(p.drop(columns="DOSE_LEVEL"), subj.astype(str))
    g = long.groupby("COLUMN")
    treated = g.size().reindex(cols, fill_value=0)
    evaluable = g["DLT_EVALUABLE"].sum().reindex(cols, fill_value=0)
    with_dlt = g["DLT"].apply(lambda s: (s == "yes").sum()).reindex(cols, fill_value=0)
    pending = g["DLT"].apply(lambda s: (s == "pending").sum()).reindex(cols, fill_value=0)
    rules = sorted(long.loc[long["DLT"] == "yes", "DLT_RULE"].dropna().unique())
    recs = []
    for c in cols:
        recs.append(("Treated", 0, c, "n", treated[c], np.nan, np.nan, str(int(treated[c]))))
        recs.append(("DLT-evaluable", 0, c, "n", evaluable[c], np.nan, np.nan,
                     str(int(evaluable[c]))))
        d = evaluable[c]
        pct = 100.0 * with_dlt[c] / d if d else np.nan
        recs.append(("Patients with DLT", 0, c, "n/N (%)", with_dlt[c], d, pct,
                     f"{int(with_dlt[c])}/{int(d)}" + (f" ({pct:.1f}%)" if d else "")))
        recs.append(("DLT pending", 0, c, "n", pending[c], np.nan, np.nan, str(int(pending[c]))))
        sub = long[(long["COLUMN"] == c) & (long["DLT"] == "yes")]
        for rule in rules:
            k = int((sub["DLT_RULE"] == rule).sum())
            label = (criteria or {}).get(rule) or f"DLT rule {rule}"
            recs.append((label, 1, c, "n", k, np.nan, np.nan, str(k)))
    out = pd.DataFrame(recs, columns=["ROW", "ROW_LEVEL", "COLUMN", "STATISTIC", "N", "DENOM",
                                      "PCT", "VALUE"])
    order = {r: i for i, r in enumerate(pd.unique(out["ROW"]))}
    out["ROW_ORDER"] = out["ROW"].map(order)
    out["TABLE"] = "DLT by dose level"
    return out.sort_values(["ROW_ORDER", "COLUMN"], kind="stable")[COLUMNS].reset_index(drop=True)


def deaths_table(deaths: pd.DataFrame, subjects: pd.DataFrame, *,
                 early_days: Sequence[int] = (30, 90)) -> pd.DataFrame:
    """Deaths: all, within ``early_days`` of infusion, and by cause.

    Parameters
    ----------
    deaths, subjects : pandas.DataFrame
        USUBJID, DEATH_DAY (days since infusion), CAUSE (e.g. DSTERM); safety population.
    early_days : sequence of int, default (30, 90)
        Day limits (inclusive) of the "Within k days of infusion" rows.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> s = pd.DataFrame({"USUBJID": ["A", "B", "C"], "DOSE_LEVEL": ["DL1", "DL1", "DL2"]})
    >>> d = pd.DataFrame({"USUBJID": ["C"], "DEATH_DAY": [45.0], "CAUSE": ["Sepsis"]})
    >>> deaths_table(d, s).query("COLUMN == 'Overall'").VALUE.tolist()
    ['1 (33.3%)', '0 (0.0%)', '1 (33.3%)', '1 (33.3%)']
    """
    require_columns(deaths, ["USUBJID", "DEATH_DAY", "CAUSE"], where="deaths_table")
    d = deaths.assign(USUBJID=deaths["USUBJID"].astype(str),
                      CAUSE=deaths["CAUSE"].fillna("UNKNOWN").astype(str))
    d["DEATH_DAY"] = as_float(d, "DEATH_DAY", domain="DS")
    parts = [d.assign(ROW="All deaths")]
    rows = [("All deaths", 0)]
    for k in early_days:
        label = f"Within {k} days of infusion"
        parts.append(d[d["DEATH_DAY"] <= k].assign(ROW=label))
        rows.append((label, 1))
    for cause in sorted(d["CAUSE"].unique()):
        label = f"Cause: {cause}"
        parts.append(d[d["CAUSE"] == cause].assign(ROW=label))
        rows.append((label, 1))
    return count_rows(pd.concat(parts, ignore_index=True), subjects, table="Deaths", rows=rows)


def __getattr__(name: str) -> object:
    """:func:`cytopenia_table` moved to :mod:`cartrial.safety.cytopenia`; its old import path
    from here still works (PEP 562, no import cycle)."""
    if name == "cytopenia_table":
        from cartrial.safety import cytopenia

        return cytopenia.cytopenia_table
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
