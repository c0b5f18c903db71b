"""Haematotoxicity tables by dose level: ICAHT grades (early, late) and CAR-HEMATOTOX risk.

Tidy frames in the layout of :mod:`cartrial.safety.tables` (TABLE, ROW, ROW_LEVEL, ROW_ORDER,
COLUMN, STATISTIC, N, DENOM, PCT, VALUE); denominators are the subjects of each dose level.
"""

from __future__ import annotations

import pandas as pd

from cartrial.safety._frames import require_columns
from cartrial.safety.tables import count_rows, summary_rows

ICAHT_TABLE = "ICAHT (EHA/EBMT 2023)"
HEMATOTOX_TABLE = "CAR-HEMATOTOX baseline risk"


def _grade_rows(icaht: pd.DataFrame, column: str, label: str) -> tuple[list, list]:
    g = icaht[column]
    parts = [icaht[g >= 1].assign(ROW=f"{label}: any grade")]
    parts += [icaht[g == k].assign(ROW=f"{label}: grade {k}") for k in range(1, 5)]
    parts += [icaht[g >= 3].assign(ROW=f"{label}: grade >= 3")]
    rows = [(f"{label}: any grade", 0)] + [(f"{label}: grade {k}", 1) for k in range(1, 5)]
    rows += [(f"{label}: grade >= 3", 1)]
    return parts, rows


def icaht_table(icaht: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    """Early and late neutropenic ICAHT by grade, biphasic courses, days with ANC <= 0.5 and
    day of recovery, per dose level and overall.

    Parameters
    ----------
    icaht : pandas.DataFrame
        :func:`cartrial.safety.grade_icaht` output.
    subjects : pandas.DataFrame
        USUBJID, DOSE_LEVEL (the safety population: the denominators).

    Returns
    -------
    pandas.DataFrame
        Tidy table rows (see module docstring).

    Raises
    ------
    InputError
        Missing columns.

    References
    ----------
    Rejeski K et al. Blood 2023;142(10):865-877, Table 1.

    Examples
    --------
    >>> from cartrial.safety.icaht import grade_icaht
    >>> labs = pd.DataFrame({"USUBJID": "P1", "PARAMCD": "NEUT", "DAY": [0, 20],
    ...                      "AVAL": [0.4, 1.0]})
    >>> t = icaht_table(grade_icaht(labs), pd.DataFrame({"USUBJID": ["P1"], "DOSE_LEVEL": ["1"]}))
    >>> t[(t.ROW == "Early ICAHT (day 0-30): grade 3") & (t.COLUMN == "1")].VALUE.item()
    '1 (100.0%)'
    """
    require_columns(icaht, ["USUBJID", "EARLY_GRADE", "LATE_GRADE", "EARLY_DAYS_ANC_LE500",
                            "RECOVERY_DAY", "BIPHASIC", "EARLY_COMPLETE"], where="icaht_table")
    early, rows_e = _grade_rows(icaht, "EARLY_GRADE", "Early ICAHT (day 0-30)")
    late, rows_l = _grade_rows(icaht, "LATE_GRADE", "Late ICAHT (after day 30)")
    extra = [("Biphasic course (two or more phases with ANC <= 0.5 x10^9/L)", 0),
             ("Early grade censored or unobserved before day 30 (lower bound)", 0)]
    parts = early + late + [
        icaht[icaht["BIPHASIC"].astype(bool)].assign(ROW=extra[0][0]),
        icaht[~icaht["EARLY_COMPLETE"].astype(bool)].assign(ROW=extra[1][0])]
    flags = pd.concat(parts, ignore_index=True)[["USUBJID", "ROW"]]
    rows = rows_e + rows_l + extra
    out = [count_rows(flags, subjects, table=ICAHT_TABLE, rows=rows)]
    days = icaht.rename(columns={"EARLY_DAYS_ANC_LE500": "VALUE"})
    out.append(summary_rows(days, subjects, table=ICAHT_TABLE, order=len(rows),
                            row="Days with ANC <= 0.5 x10^9/L, day 0-30", digits=0))
    rec = icaht.rename(columns={"RECOVERY_DAY": "VALUE"})
    out.append(summary_rows(rec, subjects, table=ICAHT_TABLE, order=len(rows) + 1,
                            row="Day of neutrophil recovery (ANC > 0.5 x10^9/L, >= 3 days)",
                            digits=0))
    return pd.concat(out, ignore_index=True)


def hematotox_table(scores: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    """CAR-HEMATOTOX risk groups (low 0-1, high >= 2, not evaluable) and score, per dose level.

    Parameters
    ----------
    scores : pandas.DataFrame
        :func:`cartrial.safety.car_hematotox` output.
    subjects : pandas.DataFrame
        USUBJID, DOSE_LEVEL (the denominators).

    Returns
    -------
    pandas.DataFrame
        Tidy table rows (see module docstring).

    Raises
    ------
    InputError
        Missing columns.

    References
    ----------
    Rejeski K et al. Blood 2021;138(24):2499-2513.

    Examples
    --------
    >>> s = pd.DataFrame({"USUBJID": ["P1"], "SCORE": [3.0], "RISK": ["high"]})
    >>> t = hematotox_table(s, pd.DataFrame({"USUBJID": ["P1"], "DOSE_LEVEL": ["1"]}))
    >>> t[(t.ROW == "High risk (score >= 2)") & (t.COLUMN == "1")].VALUE.item()
    '1 (100.0%)'
    """
    require_columns(scores, ["USUBJID", "SCORE", "RISK"], where="hematotox_table")
    labels = {"low": "Low risk (score 0-1)", "high": "High risk (score >= 2)",
              "": "Not evaluable (a baseline factor missing)"}
    flags = scores.assign(ROW=scores["RISK"].map(labels))[["USUBJID", "ROW"]]
    rows = [(v, 0) for v in labels.values()]
    out = [count_rows(flags, subjects, table=HEMATOTOX_TABLE, rows=rows)]
    out.append(summary_rows(scores.rename(columns={"SCORE": "VALUE"}), subjects,
                            table=HEMATOTOX_TABLE, row="CAR-HEMATOTOX score", order=len(rows),
                            digits=0))
    return pd.concat(out, ignore_index=True)


RISK_COLUMNS = {"low": "Low risk (0-1)", "high": "High risk (>= 2)",
                "": "Score not evaluable"}


def icaht_by_risk_table(icaht: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Early and late ICAHT grades by CAR-HEMATOTOX risk group (columns; Overall = every
    subject with an ICAHT grade), the association the score was built to predict.

    Parameters
    ----------
    icaht : pandas.DataFrame
        :func:`cartrial.safety.grade_icaht` output.
    scores : pandas.DataFrame
        :func:`cartrial.safety.car_hematotox` output (USUBJID, RISK).

    Returns
    -------
    pandas.DataFrame
        Tidy table rows (see module docstring); COLUMN = risk group.

    Raises
    ------
    InputError
        Missing columns.

    References
    ----------
    Rejeski K et al. Blood 2021;138:2499-513; Rejeski K et al. Blood 2023;142:865-77.

    Examples
    --------
    >>> from cartrial.safety.icaht import grade_icaht
    >>> labs = pd.DataFrame({"USUBJID": "P1", "PARAMCD": "NEUT", "DAY": [0, 20],
    ...                      "AVAL": [0.4, 1.0]})
    >>> s = pd.DataFrame({"USUBJID": ["P1"], "SCORE": [3.0], "RISK": ["high"]})
    >>> t = icaht_by_risk_table(grade_icaht(labs), s)
    >>> t[(t.ROW == "Early ICAHT (day 0-30): grade >= 3") & (t.COLUMN == "High risk (>= 2)")
    ...   ].VALUE.item()
    '1 (100.0%)'
    """
    require_columns(icaht, ["USUBJID", "EARLY_GRADE", "LATE_GRADE"], where="icaht_by_risk_table")
    require_columns(scores, ["USUBJID", "RISK"], where="icaht_by_risk_table")
    risk = scores.assign(USUBJID=scores["USUBJID"].astype(str)).set_index("USUBJID")["RISK"]
    ids = icaht["USUBJID"].astype(str)
    group = ids.map(risk).fillna("").map(RISK_COLUMNS)
    subjects = pd.DataFrame({"USUBJID": ids, "DOSE_LEVEL": group})
    early, rows_e = _grade_rows(icaht, "EARLY_GRADE", "Early ICAHT (day 0-30)")
    late, rows_l = _grade_rows(icaht, "LATE_GRADE", "Late ICAHT (after day 30)")
    flags = pd.concat(early + late, ignore_index=True)[["USUBJID", "ROW"]]
    out = count_rows(flags, subjects, table="ICAHT by CAR-HEMATOTOX risk", rows=rows_e + rows_l)
    rank = {v: i for i, v in enumerate([*RISK_COLUMNS.values(), "Overall"])}
    key = out["ROW_ORDER"] * 10 + out["COLUMN"].map(rank)   # low, high, not evaluable, Overall
    return out.iloc[key.argsort(kind="stable")].reset_index(drop=True)
