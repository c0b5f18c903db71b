"""Values that are readable but cannot be true: checks across a subject's records.

- ``AGE_IMPLAUSIBLE``       DM.AGE (in years) outside the physical range ``AGE_RANGE``;
- ``DEATH_DATE_MISSING``    DM.DTHFL = "Y" without DM.DTHDTC, or a DS DEATH record for a
  subject whose DM has no death;
- ``DEATH_FLAG_MISSING``    DM.DTHDTC given while DM.DTHFL is not "Y" (SDTMIG 3.4 DM: DTHFL is
  "Y" when the subject died, DTHDTC its date);
- ``DATE_FUTURE``           a --DTC after the transfer: the newest modification time of the
  files read, or the date the caller gives (``as_of``: a data cut-off or transfer date);
- ``ICE_TOTAL_MISMATCH``    a stored ICE total (QSTESTCD ICE06) that is not the sum of the five
  collected items of the same assessment (ICE01-ICE05: orientation 4, naming 3, following
  commands 1, writing 1, attention 1 point; Lee DW et al., Biol Blood Marrow Transplant
  2019;25:625-638, Table 5).
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

from cartrial.data.dates import dtc_after
from cartrial.data.load import Study
from cartrial.data.report_frame import COLUMNS, finding_frame
from cartrial.data.validate_codes import column_codes

AGE_RANGE = (0, 120)  # years; the oldest verified human age is 122
ICE_ITEMS = ("ICE01", "ICE02", "ICE03", "ICE04", "ICE05")
ICE_TOTAL = "ICE06"


def consistency_findings(study: Study, as_of: date | datetime | None = None
                         ) -> list[pd.DataFrame]:
    """Every consistency finding of the study (rules in the module docstring).

    Parameters
    ----------
    study : Study
        The loaded study.
    as_of : date or datetime, optional
        No record may be dated after this (a data cut-off or the transfer date). Default: the
        newest modification time of the files read (``Study.mtime``); no check when neither
        is known (a study built in memory).

    Returns
    -------
    list of pandas.DataFrame
        Finding frames (``cartrial.data.report_frame.COLUMNS``).

    References
    ----------
    Lee DW et al. ASTCT consensus grading for cytokine release syndrome and neurologic
    toxicity associated with immune effector cells. Biol Blood Marrow Transplant
    2019;25:625-638 (Table 5, ICE score).

    Examples
    --------
    >>> dm = pd.DataFrame({"USUBJID": ["S1"], "AGE": [-61.0]})
    >>> consistency_findings(Study(domains={"DM": dm}))[0]["rule_id"].tolist()
    ['AGE_IMPLAUSIBLE']
    """
    out = _dm(study)
    limit = pd.Timestamp(as_of) if as_of is not None else (
        pd.Timestamp(datetime.fromtimestamp(study.mtime)) if study.mtime is not None else None)
    if limit is not None:
        out += _future(study, limit)
    qs = study.domains.narrow("QS", ["QSTESTCD", "QSDTC", "QSSTRESN", "QSORRES"])
    if qs is not None:
        out.append(_ice(qs))
    return out


def _dm(study: Study) -> list[pd.DataFrame]:
    dm = study.get("DM")
    if dm is None or "USUBJID" not in dm:
        return []
    out = []
    if "AGE" in dm:
        age = pd.to_numeric(dm["AGE"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        lo, hi = AGE_RANGE
        with np.errstate(invalid="ignore"):
            bad = (age < lo) | (age > hi)
        out.append(finding_frame("DM", dm, bad, "AGE", dm["AGE"], "AGE_IMPLAUSIBLE",
                          f"age outside the physical range [{lo}, {hi}] years"))
    flag = (dm["DTHFL"].astype("string").fillna("") == "Y").to_numpy(bool) if "DTHFL" in dm \
        else np.zeros(len(dm), bool)
    dated = dm["DTHDTC"].notna().to_numpy(bool) if "DTHDTC" in dm else np.zeros(len(dm), bool)
    out.append(finding_frame("DM", dm, flag & ~dated, "DTHDTC",
                      pd.Series(None, index=dm.index, dtype=object), "DEATH_DATE_MISSING",
                      "DTHFL is 'Y' but the date of death (DTHDTC) is missing"))
    if "DTHDTC" in dm:
        out.append(finding_frame("DM", dm, dated & ~flag, "DTHFL",
                          dm["DTHFL"] if "DTHFL" in dm else pd.Series(None, index=dm.index),
                          "DEATH_FLAG_MISSING",
                          "a date of death (DTHDTC) is given but DTHFL is not 'Y'"))
    ds = study.get("DS")
    if ds is not None and {"USUBJID", "DSDECOD"} <= set(ds.columns):
        dead = set(dm.loc[flag | dated, "USUBJID"].dropna())
        death = (ds["DSDECOD"] == "DEATH").fillna(False).to_numpy(bool)
        bad = death & ~ds["USUBJID"].isin(dead).to_numpy(bool)
        out.append(finding_frame("DS", ds, bad, "DSDECOD", ds["DSDECOD"], "DEATH_DATE_MISSING",
                          "DS records a death but DM has neither DTHFL nor DTHDTC"))
    return out


def _future(study: Study, limit: pd.Timestamp) -> list[pd.DataFrame]:
    out = []
    for name in study.domains:
        for var in (c for c in study.variables(name) if c.endswith("DTC")):
            df = study.domains.narrow(name, [var])  # an encoded domain: this variable
            # a partial date (2032-06, 2223) is after the limit when its earliest day is
            bad = dtc_after(df[var], limit)
            out.append(finding_frame(name, df, bad, var, df[var], "DATE_FUTURE",
                              f"date after the transfer / data cut-off "
                              f"({limit.strftime('%Y-%m-%d %H:%M')})"))
    return out


def _ice(qs: pd.DataFrame) -> pd.DataFrame:
    """ICE_TOTAL_MISMATCH: per assessment (USUBJID, QSDTC, both filled), the first filled
    QSSTRESN of each item and of the total (what a pivot table of the records with
    ``aggfunc="first"`` holds), from the columns' codes (issue #18: no pivot of QS's text)."""
    need = {"USUBJID", "QSTESTCD", "QSDTC"}
    if not need <= set(qs.columns) or "QSSTRESN" not in qs:
        return pd.DataFrame(columns=COLUMNS)
    t_codes, t_values = column_codes(qs["QSTESTCD"])
    at = {u: i for i, u in enumerate(t_values)}
    tests = [*ICE_ITEMS, ICE_TOTAL]
    if any(t not in at for t in tests):
        return pd.DataFrame(columns=COLUMNS)
    item = np.full(len(t_values) + 1, -1)  # per test code: its place in ``tests`` (-1: none)
    item[[at[t] for t in tests]] = np.arange(len(tests))
    item = item[t_codes]
    subject, dtc = column_codes(qs["USUBJID"])[0], column_codes(qs["QSDTC"])
    key = subject.astype(np.int64) * (len(dtc[1]) + 1) + dtc[0]  # -1 codes: never used
    v = qs["QSSTRESN"].to_numpy(dtype=float)
    rows = np.flatnonzero((item >= 0) & (subject >= 0) & (dtc[0] >= 0) & ~np.isnan(v))
    kid, keys = pd.factorize(key[rows])
    _u, first = np.unique(kid.astype(np.int64) * len(tests) + item[rows], return_index=True)
    wide = np.full((len(keys), len(tests)), np.nan)
    wide[kid[first], item[rows[first]]] = v[rows[first]]
    sums = wide[:, :-1].sum(axis=1)
    bad_key = ~np.isnan(wide).any(axis=1) & (sums != wide[:, -1])
    if not bad_key.any():
        return pd.DataFrame(columns=COLUMNS)
    tot = np.flatnonzero(item == len(tests) - 1)
    filled = (subject[tot] >= 0) & (dtc[0][tot] >= 0)
    found = np.where(filled, pd.Index(keys).get_indexer(key[tot]), -1)
    mask = (found >= 0) & bad_key[np.maximum(found, 0)]
    records = qs.iloc[tot]
    return finding_frame("QS", records, mask, "QSORRES", records["QSORRES"],
                         "ICE_TOTAL_MISMATCH",
                         [f"ICE total is not the sum of the collected items ICE01-ICE05 ({e:g})"
                          for e in sums[found[mask]]])
