"""Findings results that cannot be used as written: each an error naming the record.

Checked on the records as collected, before standardisation (``load_study``):

- ``RESULT_NOT_NUMBER``     --ORRES of a numeric test (one with a unit or a range in the data
  model) that is neither a number nor a below-quantification value (``<0.5``, ``BLQ``): the
  result would otherwise be dropped from every analysis;
- ``DECIMAL_COMMA``         --ORRES written with a decimal comma (``39,7``): SDTM numeric text
  uses a decimal point (SDTMIG 3.4 section 4.5.1, --ORRES / --STRESC);
- ``RESULT_UNIT_SWAPPED``   --ORRES holds a unit and --ORRESU a number;
- ``STRESN_MISMATCH``       --STRESN (in --STRESU) disagrees with --ORRES (in --ORRESU) by more
  than ``RELATIVE_TOLERANCE`` once both are in the test's standard unit;
- ``STRESC_MISMATCH``       numeric --STRESC differs from --STRESN, or a coded result's --STRESC
  is not its --ORRES (upper case, blanks removed).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cartrial.data.spec import DataModel
from cartrial.data.text import spread, upper_stripped
from cartrial.data.unit_groups import unit_groups
from cartrial.data.units import convert
from cartrial.data.validate_codes import among, column_codes
from cartrial.errors import Finding

BLQ_PREFIXES = ("<", "BLQ", "BLOQ", "BQL")
# a collected value and its standardisation agree within this fraction (rounding of the
# standard value to fewer digits than the conversion gives, e.g. creatinine 1.13 mg/dL =
# 99.9 umol/L reported as 100)
RELATIVE_TOLERANCE = 0.02
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")


def _finding(name: str, df: pd.DataFrame, i: int, var: str, value: object, rule_id: str,
             text: str) -> Finding:
    usub = df["USUBJID"].iloc[i] if "USUBJID" in df else None
    seq = df[f"{name}SEQ"].iloc[i] if f"{name}SEQ" in df else None
    plain = [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v
             for v in (usub, seq, value)]
    return Finding(name, plain[0], plain[1], var, plain[2], f"[{rule_id}] {text}",
                   rule_id=rule_id)


def _numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """(codes, numbers per distinct value, distinct values stripped)."""
    # a loaded column's codes are the reader's (column_codes inside load_study's memo)
    codes, uniq = column_codes(s if isinstance(s.dtype, pd.StringDtype) else s.astype("string"))
    text = pd.Series(uniq, dtype="string").str.strip()
    num = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return codes, num, text


def result_findings(name: str, df: pd.DataFrame, model: DataModel) -> list[Finding]:
    """Errors for findings results that would be lost or misread (module docstring).

    Parameters
    ----------
    name : str
        Domain (VS, LB, FA, QS, PC, IS, TR).
    df : pandas.DataFrame
        The domain's typed records, before ``standardize_results``.
    model : DataModel
        Test codes with units, ranges and coded values.

    Returns
    -------
    list of Finding
        In record order per rule.

    Examples
    --------
    >>> from cartrial.data import data_model
    >>> vs = pd.DataFrame({"USUBJID": ["S1"], "VSSEQ": [3.0], "VSTESTCD": ["TEMP"],
    ...                    "VSORRES": ["39,7"], "VSORRESU": ["C"]})
    >>> [str(f) for f in result_findings("VS", vs, data_model())]  # doctest: +ELLIPSIS
    ["ERROR VS USUBJID=S1 VSSEQ=3.0 VSORRES='39,7': [DECIMAL_COMMA] ..."]
    """
    tests = model.tests.get(name)
    tcd, orres, orresu = f"{name}TESTCD", f"{name}ORRES", f"{name}ORRESU"
    if not tests or tcd not in df or orres not in df or df.empty:
        return []
    out: list[Finding] = []
    # asked of the test codes' distinct values (the column's codes, remembered inside
    # load_study: read by standardisation too), not of each record's text (issue #18)
    numeric = among(df[tcd], [c for c, t in tests.items() if not t.is_coded])
    codes, num, text = _numbers(df[orres])
    onum = spread(num, codes, np.nan)
    upper = text.str.upper()
    blq = spread(upper.str.startswith(BLQ_PREFIXES).fillna(False).to_numpy(bool), codes, False)
    comma = spread(text.str.match(_DECIMAL_COMMA).fillna(False).to_numpy(bool), codes, False)
    units = {u for t in tests.values() for u in (*t.accept, t.unit or "")
             if u} | {u for t in tests.values() for v in t.accept_by_spec.values() for u in v}
    is_unit = spread(text.isin(units).fillna(False).to_numpy(bool), codes, False)
    if orresu in df:  # --ORRESU holding a number (per distinct text, as --ORRES)
        ucodes, unum, _ = _numbers(df[orresu])
        unit_num = spread(~np.isnan(unum), ucodes, False)
    else:
        unit_num = np.zeros(len(df), bool)
    bad = numeric & (codes >= 0) & np.isnan(onum) & ~blq
    # the records' text only where one is reported (a whole large LB's otherwise)
    raw = df[orres].to_numpy(dtype=object, na_value=None) if bad.any() else None
    for i in np.flatnonzero(bad):
        t = df[tcd].iloc[i]
        if comma[i]:
            out.append(_finding(name, df, i, orres, raw[i], "DECIMAL_COMMA",
                                f"{t} result written with a decimal comma; SDTM numeric results "
                                f"use a decimal point ({raw[i].strip().replace(',', '.')})"))
        elif is_unit[i] and unit_num[i]:
            out.append(_finding(name, df, i, orres, raw[i], "RESULT_UNIT_SWAPPED",
                                f"{t} result holds a unit and {orresu} a number "
                                f"({df[orresu].iloc[i]!r}): result and unit swapped"))
        else:
            out.append(_finding(name, df, i, orres, raw[i], "RESULT_NOT_NUMBER",
                                f"{t} is a numeric test: the result is not a number (nor a "
                                "below-quantification value such as '<0.5'); it would be lost"))
    out += _standard_findings(name, df, tests, onum, numeric)
    return out


def _standard_findings(name: str, df: pd.DataFrame, tests: dict, onum: np.ndarray,
                       numeric: np.ndarray) -> list[Finding]:
    """STRESN against ORRES (in the standard unit) and STRESC against STRESN / ORRES."""
    tcd, orres, orresu, stresc, stresn, stresu = (
        f"{name}{s}" for s in ("TESTCD", "ORRES", "ORRESU", "STRESC", "STRESN", "STRESU"))
    out: list[Finding] = []
    sn = (df[stresn].to_numpy(dtype=float, na_value=np.nan) if stresn in df
          else np.full(len(df), np.nan))
    if stresn in df:
        both = np.flatnonzero(numeric & ~np.isnan(onum) & ~np.isnan(sn))
        # by (test, specimen, units), sorted by their values, each group's records in order
        # (pandas' groupby of the four columns filled with "": issue #18, from their codes)
        group, keys = unit_groups(name, df)
        order = np.argsort(group[both], kind="stable")
        at, starts = np.unique(group[both][order], return_index=True)
        ends = np.append(starts[1:], len(order))[:len(starts)]
        for g, lo, hi in sorted(zip(at, starts, ends, strict=True), key=lambda x: keys[x[0]]):
            t, s, ou, su = keys[g]
            ts = tests[t]
            std = ts.standard_unit(s or None)
            pos = both[order[lo:hi]]
            a = onum[pos] if std is None else convert(onum[pos], t, ou or std, std)
            b = sn[pos] if std is None else convert(sn[pos], t, su or std, std)
            if a is None or b is None:
                continue  # the unit findings of standardisation say it
            with np.errstate(invalid="ignore", divide="ignore"):
                off = np.abs(a - b) > RELATIVE_TOLERANCE * np.maximum(np.abs(a), np.abs(b))
            for k in np.flatnonzero(off):
                i = pos[k]
                out.append(_finding(
                    name, df, i, stresn, sn[i], "STRESN_MISMATCH",
                    f"{t} standard result {sn[i]:g} {su or std or ''} disagrees with the "
                    f"collected {df[orres].iloc[i]} {ou or ''} (= {a[k]:.6g} {std or ''})"
                    .replace("  ", " ")))
    if stresc not in df:
        return out
    codes, cnum, ctext = _numbers(df[stresc])
    cn = spread(cnum, codes, np.nan)
    with np.errstate(invalid="ignore"):
        off = ~np.isnan(cn) & ~np.isnan(sn) & (np.abs(cn - sn) > 1e-9 * np.maximum(1, np.abs(sn)))
    for i in np.flatnonzero(off):
        out.append(_finding(name, df, i, stresc, df[stresc].iloc[i], "STRESC_MISMATCH",
                            f"{stresc} {df[stresc].iloc[i]} differs from {stresn} {sn[i]:g}"))
    coded = among(df[tcd], [c for c, t in tests.items() if t.is_coded])
    ores = upper_stripped(df[orres])
    sc = df[stresc].astype("string")
    diff = (coded & ores.notna().to_numpy(bool) & sc.notna().to_numpy(bool)
            & (ores != sc).fillna(False).to_numpy(bool))
    for i in np.flatnonzero(diff):
        out.append(_finding(name, df, i, stresc, sc.iloc[i], "STRESC_MISMATCH",
                            f"{stresc} {sc.iloc[i]!r} is not the collected result "
                            f"{df[orres].iloc[i]!r}"))
    return out
