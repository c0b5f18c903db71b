"""Grade >= 3 cytopenias after infusion and their recovery, and the protocol's
hypogammaglobulinaemia flag: per-patient derivations from the CTCAE lab grades
(:mod:`cartrial.safety.ctcae`) and their summary table (:mod:`cartrial.safety.tables` layout).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.safety._frames import as_float, require_columns
from cartrial.safety.ctcae import DOMAIN, lab_grades_long
from cartrial.safety.table_layout import count_rows, summary_rows

CYTOPENIA_TERMS = ("Neutrophil count decreased", "Platelet count decreased", "Anemia",
                   "Thrombocytopenia")   # CTCAE v6.0 name of platelet count decreased


def cytopenia_recovery(graded: pd.DataFrame, *, terms: tuple[str, ...] = CYTOPENIA_TERMS,
                       min_grade: int = 3, prolonged_day: float = 28.0,
                       long: pd.DataFrame | None = None) -> pd.DataFrame:
    """Grade >= 3 cytopenias after infusion and their recovery, per USUBJID x term.

    Assumption of the synthetic example's protocol (prolonged cytopenia: grade >= 3 persisting
    beyond day 28). Grades are carried forward to the next assessment: RECOVERY_DAY is the first
    assessment graded < ``min_grade`` after the last one graded >= ``min_grade`` (NaN if not
    recovered); PROLONGED is True when the last assessment on or before ``prolonged_day`` is still
    graded >= ``min_grade`` (NaN when there is no post-infusion assessment up to that day).

    Parameters
    ----------
    graded : pandas.DataFrame
        :func:`cartrial.safety.grade_labs` output (USUBJID, DAY from infusion, ATOXDSCL/H and
        ATOXGRL/H).
    terms : tuple of str
        CTCAE terms followed (neutropenia, thrombocytopenia, anaemia; v5.0 and v6.0 names).
    min_grade : int
        Severe from this grade on (3).
    prolonged_day : float
        Day from infusion after which a severe cytopenia still present is prolonged.
    long : pandas.DataFrame, optional
        ``lab_grades_long(graded)`` when the caller has it already (not changed here).

    Returns
    -------
    pandas.DataFrame
        One row per USUBJID x TERM with a severe grade after infusion: FIRST_DAY, WORST_GRADE,
        LAST_SEVERE_DAY, RECOVERED, RECOVERY_DAY, PROLONGED (nullable boolean),
        LAST_ASSESSMENT_DAY.

    References
    ----------
    NCI CTCAE v5.0 (2017), "Investigations": neutrophil count decreased grade 3 < 1.0, grade 4
    < 0.5 x 10^9/L; platelet count decreased grade 3 < 50, grade 4 < 25 x 10^9/L.

    Examples
    --------
    An ANC of 0.3 on day 7 is grade 4, 0.8 on day 14 grade 3 (CTCAE v5.0 thresholds above),
    1.6 on day 21 (LLN 2.0) grade 1: recovered on day 21, not prolonged at day 28.

    >>> from cartrial.safety import grade_labs
    >>> labs = pd.DataFrame({"USUBJID": "P1", "PARAMCD": "ANC", "DAY": [-5.0, 7.0, 14.0, 21.0],
    ...                      "AVAL": [2.5, 0.3, 0.8, 1.6], "LLN": 2.0, "ULN": 7.5})
    >>> r = cytopenia_recovery(grade_labs(labs))
    >>> r[["TERM", "FIRST_DAY", "WORST_GRADE", "RECOVERY_DAY", "PROLONGED"]]
                             TERM  FIRST_DAY  WORST_GRADE  RECOVERY_DAY  PROLONGED
    0  Neutrophil count decreased        7.0          4.0          21.0      False
    """
    long = lab_grades_long(graded) if long is None else long
    long = long[long["TERM"].isin(terms) & (long["DAY"] > 0) & long["GRADE"].notna()]
    cols = ["USUBJID", "TERM", "FIRST_DAY", "WORST_GRADE", "LAST_SEVERE_DAY", "RECOVERED",
            "RECOVERY_DAY", "PROLONGED", "LAST_ASSESSMENT_DAY"]
    if long.empty:
        return pd.DataFrame(columns=cols)
    sev = long["GRADE"] >= min_grade
    long = long.assign(_sev_day=np.where(sev, long["DAY"], np.nan))
    grp = long.groupby(["USUBJID", "TERM"])
    first = grp["_sev_day"].min()
    last_sev = grp["_sev_day"].max()
    worst = grp["GRADE"].max()
    last_day = grp["DAY"].max()
    rec_day = _first_after(long, grp, last_sev)
    on_before = long["DAY"].to_numpy() <= prolonged_day
    lastpre = long[on_before].groupby(["USUBJID", "TERM"])["GRADE"].last()
    out = pd.DataFrame({"FIRST_DAY": first, "WORST_GRADE": worst, "LAST_SEVERE_DAY": last_sev,
                        "RECOVERY_DAY": rec_day, "LAST_ASSESSMENT_DAY": last_day})
    # the columns added to the kept rows by assign, not set on a slice of the frame (pandas'
    # SettingWithCopyWarning whenever the whole frame is still alive)
    out = out[out["FIRST_DAY"].notna()]
    lp = lastpre.reindex(out.index)
    out = out.assign(RECOVERED=out["RECOVERY_DAY"].notna(), PROLONGED=pd.array(
        np.where(lp.isna(), pd.NA, lp >= min_grade), dtype="boolean"))
    return out.reset_index()[cols]


def _first_after(long: pd.DataFrame, grp, last_sev: pd.Series) -> pd.Series:  # noqa: ANN001
    """Per USUBJID x TERM group of ``long`` (``grp``), the first DAY after its last severe day
    (NaN: none). Each record's group's last severe day is taken by ``transform`` and the
    records' days grouped by group number (``grp`` numbers its groups in the order of its
    results), where keys without a missing value allow it; else by the records' keys as a
    MultiIndex (a batch of a large trial: ~7 ms each time)."""
    day = long["DAY"].to_numpy()
    if long["USUBJID"].notna().all() and long["TERM"].notna().all():
        ls = grp["_sev_day"].transform("max").to_numpy()
        after = pd.Series(np.where(day > ls, day, np.nan))
        return after.groupby(grp.ngroup().to_numpy()).min().set_axis(last_sev.index)
    key = pd.MultiIndex.from_frame(long[["USUBJID", "TERM"]])
    ls = last_sev.reindex(key).to_numpy()
    return pd.Series(np.where(day > ls, day, np.nan), index=key).groupby(level=[0, 1]).min()


#: the test code :func:`hypogammaglobulinemia` reads by default (IgG)
IGG_PARAMCD = "IGG"


def hypogammaglobulinemia(labs: pd.DataFrame, *, threshold_g_per_l: float = 4.0,
                          paramcd: str = IGG_PARAMCD) -> pd.DataFrame:
    """Protocol-defined hypogammaglobulinaemia flag (no CTCAE v5.0 lab term):
    per post-infusion IgG record, HYPOGAM = AVAL < threshold (default 4 g/L = 400 mg/dL).
    Use polyclonal (uninvolved) IgG in IgG myeloma.

    Parameters
    ----------
    labs : pandas.DataFrame
        Laboratory records (USUBJID, PARAMCD, DAY, AVAL in g/L).
    threshold_g_per_l : float
        IgG below this is flagged (protocol ``safety.hypogammaglobulinemia_igg_g_per_l``).
    paramcd : str
        The IgG test code (case-insensitive).

    Returns
    -------
    pandas.DataFrame
        The IgG records with HYPOGAM (True / False, NA when AVAL is missing) and
        HYPOGAM_THRESHOLD.

    Raises
    ------
    cartrial.errors.InputError
        A required column is missing, or an AVAL is not a number (the record named).

    References
    ----------
    NCI CTCAE v5.0 (2017) has no laboratory term for low IgG, hence a protocol threshold;
    4 g/L = 400 mg/dL (1 g/L = 100 mg/dL).

    Examples
    --------
    >>> labs = pd.DataFrame({"USUBJID": "P1", "PARAMCD": ["IGG", "IGG", "HGB"],
    ...                      "DAY": [30.0, 90.0, 30.0], "AVAL": [5.2, 3.1, 95.0]})
    >>> hypogammaglobulinemia(labs)[["DAY", "AVAL", "HYPOGAM"]]
        DAY  AVAL  HYPOGAM
    0  30.0   5.2    False
    1  90.0   3.1     True
    """
    require_columns(labs, ["USUBJID", "PARAMCD", "DAY", "AVAL"], where="hypogammaglobulinemia")
    # the test code compared once per distinct code (a large trial has millions of records)
    codes, uniq = pd.factorize(labs["PARAMCD"].astype(str))
    hit = pd.Series(uniq, dtype=object).str.upper().to_numpy() == paramcd.upper()
    df = labs[hit[codes] if len(uniq) else np.zeros(len(labs), dtype=bool)].copy()
    aval = as_float(df, "AVAL", domain=DOMAIN)
    df["HYPOGAM"] = np.where(np.isnan(aval), pd.NA, aval < threshold_g_per_l)
    df["HYPOGAM_THRESHOLD"] = threshold_g_per_l
    return df.reset_index(drop=True)


def cytopenia_table(recovery: pd.DataFrame, subjects: pd.DataFrame, *,
                    prolonged_day: int = 28) -> pd.DataFrame:
    """Grade >= 3 cytopenias (CTCAE v5.0) and their recovery, from
    :func:`cartrial.safety.cytopenia_recovery`.

    Parameters
    ----------
    recovery : pandas.DataFrame
        :func:`cytopenia_recovery` output (USUBJID, TERM, FIRST_DAY, RECOVERED, RECOVERY_DAY,
        PROLONGED); an optional DAYS_TO_RECOVERY (as ADHTOX xxxRCDY holds it) is summarised
        instead of RECOVERY_DAY - FIRST_DAY.
    subjects : pandas.DataFrame
        The subjects of the table (USUBJID, DOSE_LEVEL): the columns and denominators.
    prolonged_day : int
        The day named in the "beyond day" rows.

    Returns
    -------
    pandas.DataFrame
        A table in the layout of :mod:`cartrial.safety.tables`: per term, patients with grade
        >= 3, recovered to grade <= 2, grade >= 3 beyond ``prolonged_day`` (n (%)), then the
        days from first severe grade to recovery (median (min-max)).

    Raises
    ------
    cartrial.errors.InputError
        A required column is missing.

    References
    ----------
    NCI CTCAE v5.0 (2017), "Investigations" (the grades counted).

    Examples
    --------
    >>> rec = pd.DataFrame({"USUBJID": ["P1", "P2"], "TERM": "Neutrophil count decreased",
    ...                     "FIRST_DAY": [7.0, 3.0], "RECOVERED": [True, False],
    ...                     "RECOVERY_DAY": [21.0, None], "PROLONGED": [False, True]})
    >>> subjects = pd.DataFrame({"USUBJID": ["P1", "P2", "P3"], "DOSE_LEVEL": "DL1"})
    >>> t = cytopenia_table(rec, subjects)
    >>> for row, value in t[t["COLUMN"] == "Overall"][["ROW", "VALUE"]].to_numpy():
    ...     print(f"{row}: {value}")
    Neutrophil count decreased: grade >= 3: 2 (66.7%)
    Neutrophil count decreased: recovered to grade <= 2: 1 (33.3%)
    Neutrophil count decreased: grade >= 3 beyond day 28: 1 (33.3%)
    Neutrophil count decreased: days to recovery: 14.0 (14.0-14.0)
    """
    require_columns(recovery, ["USUBJID", "TERM", "FIRST_DAY", "RECOVERED", "RECOVERY_DAY",
                               "PROLONGED"], where="cytopenia_table")
    r = recovery.copy()
    parts, rows = [], []
    for term in sorted(r["TERM"].unique()):
        t = r[r["TERM"] == term]
        rows += [(f"{term}: grade >= 3", 0), (f"{term}: recovered to grade <= 2", 1),
                 (f"{term}: grade >= 3 beyond day {prolonged_day}", 1)]
        parts += [t.assign(ROW=f"{term}: grade >= 3"),
                  t[t["RECOVERED"].astype(bool)].assign(ROW=f"{term}: recovered to grade <= 2"),
                  t[t["PROLONGED"].fillna(False).astype(bool)].assign(
                      ROW=f"{term}: grade >= 3 beyond day {prolonged_day}")]
    flags = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["USUBJID", "ROW"])
    out = [count_rows(flags, subjects, table="Grade >= 3 cytopenias", rows=rows)]
    for i, term in enumerate(sorted(r["TERM"].unique())):
        t = r[r["TERM"] == term]
        days = t["DAYS_TO_RECOVERY"] if "DAYS_TO_RECOVERY" in t else (
            t["RECOVERY_DAY"] - t["FIRST_DAY"])
        v = pd.DataFrame({"USUBJID": t["USUBJID"], "VALUE": days})
        out.append(summary_rows(v, subjects, table="Grade >= 3 cytopenias",
                                row=f"{term}: days to recovery", order=len(rows) + i))
    return pd.concat(out, ignore_index=True)
