"""Results in each test's standard unit: --STRESN / --STRESU / --STRESC (and LB's standard
reference ranges) filled from --ORRES / --ORRESU, vectorised by test, specimen and unit (CDISC
SDTMIG v3.4 section 4.5.1, original and standardised results). Unconvertible units are
findings (``UNIT_UNCONVERTIBLE``), never dropped; below-quantification text (``<0.5``, ``BLQ``)
keeps --STRESN missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.results import BLQ_PREFIXES
from cartrial.data.spec import DataModel
from cartrial.data.text import spread
from cartrial.data.units import convert
from cartrial.errors import Finding

STANDARDIZE_CHUNK_ROWS = 1 << 19

# pandas' "string" dtype with Python storage: what every engine's tests use. Files are parsed by
# Arrow (multithreaded C++) and each distinct value becomes one shared Python object, so a
# column costs a pointer per row; Arrow-backed storage would be re-boxed on every to_numpy().
TEXT = pd.StringDtype("python")


def _distinct(s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(codes, distinct values) with missing as code -1: work once per distinct value."""
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    return codes, pd.Series(uniq, dtype=s.dtype if s.dtype == TEXT else None)


def _s(v: object) -> object:
    if v is pd.NA or v is None:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    return v


def standardize_results(
    name: str, df: pd.DataFrame, model: DataModel, findings: list[Finding], *, copy: bool = True,
    chunk_rows: int = STANDARDIZE_CHUNK_ROWS,
) -> pd.DataFrame:
    """Fill --STRESC / --STRESN / --STRESU in the standard unit of each test (vectorised by unit).

    Kept as given: a --STRESN already in the standard unit. Converted: --STRESN given in another
    --STRESU, or --ORRES in --ORRESU when --STRESN is empty. Below-quantification text (``<0.5``,
    ``BLQ``) keeps --STRESN missing and --STRESC as collected. An unconvertible unit is a finding.

    Each record is standardised on its own, so rows are taken ``chunk_rows`` at a time (the
    working arrays of a large LB are never whole-study sized); findings come in the same order
    as in one pass: by test, specimen and units, then by the variable reported, then by row.

    Parameters
    ----------
    name : str
        Findings domain code (``"LB"``, ``"VS"``, ...); a domain without test codes is returned.
    df : pandas.DataFrame
        The domain with --TESTCD, --ORRES, --ORRESU (and --SPEC where units depend on it).
    model : DataModel
        The data model giving each test's standard and accepted units.
    findings : list of Finding
        Appended to: one ERROR per record whose unit cannot be converted.
    copy : bool
        Work on a copy (False: fill ``df`` in place).
    chunk_rows : int
        Rows standardised at a time (memory bound only; results do not depend on it).

    Returns
    -------
    pandas.DataFrame
        The domain with --STRESC, --STRESN and --STRESU filled.

    References
    ----------
    CDISC SDTM Implementation Guide v3.4, 2021 (findings: --STRESC, --STRESN, --STRESU);
    Young DS, Ann Intern Med 1987;106:114-29 (SI conversion factors).

    Examples
    --------
    >>> from cartrial.data.spec import data_model
    >>> lb = pd.DataFrame({"USUBJID": ["S1", "S1"], "LBSEQ": [1, 2], "LBTESTCD": "CREAT",
    ...                    "LBORRES": ["1.0", "<0.5"], "LBORRESU": "mg/dL", "LBSPEC": "SERUM"})
    >>> found = []
    >>> standardize_results("LB", lb, data_model(), found)[["LBSTRESC", "LBSTRESN", "LBSTRESU"]]
      LBSTRESC  LBSTRESN LBSTRESU
    0      1.0     88.42   umol/L
    1     <0.5       NaN   umol/L
    >>> _ = standardize_results("LB", lb.assign(LBORRESU="furlong"), data_model(), found)
    >>> print(found[0])
    ERROR LB USUBJID=S1 LBSEQ=1 LBORRESU='furlong': unit cannot be converted to the standard ...
    """
    tests = model.tests.get(name)
    testcd, orres = f"{name}TESTCD", f"{name}ORRES"
    if not tests or testcd not in df or orres not in df:
        return df
    if copy:  # load_study passes its own frame (copy=False): a large LB is not held twice
        df = df.copy()
    orresu, stresc, stresn, stresu = (
        f"{name}{s}" for s in ("ORRESU", "STRESC", "STRESN", "STRESU")
    )
    for col in (orresu, stresc, stresu):
        if col not in df:
            df[col] = pd.Series(pd.NA, index=df.index, dtype=TEXT)
    if stresn not in df:
        df[stresn] = np.nan
    ranges = [(lo_o, lo_s) for lo_o, lo_s in (("LBORNRLO", "LBSTNRLO"), ("LBORNRHI", "LBSTNRHI"))
              if name == "LB" and lo_o in df]
    keyed: list[tuple[tuple, Finding]] = []
    parts: dict[str, list[np.ndarray]] = {c: [] for c in (stresn, stresu, stresc,
                                                          *(lo_s for _o, lo_s in ranges))}
    for start in range(0, max(len(df), 1), chunk_rows):
        out = _standardize_part(name, df.iloc[start:start + chunk_rows], tests, ranges, keyed)
        for c, v in out.items():
            parts[c].append(v)
    keyed.sort(key=lambda kf: kf[0])  # stable: rows keep their order within a key
    findings.extend(f for _k, f in keyed)
    for c, pieces in parts.items():
        v = np.concatenate(pieces)
        df[c] = pd.Series(v, index=df.index, dtype=TEXT) if v.dtype == object else v
    return df


def _standardize_part(name: str, df: pd.DataFrame, tests: dict, ranges: list[tuple[str, str]],
                      keyed: list[tuple[tuple, Finding]]) -> dict[str, np.ndarray]:
    """:func:`standardize_results` on some rows: the new --STRESN / --STRESU / --STRESC (and
    LB standard ranges) as arrays; findings appended to ``keyed`` with their sort key."""
    testcd, orres, orresu, stresc, stresn, stresu = (
        f"{name}{s}" for s in ("TESTCD", "ORRES", "ORRESU", "STRESC", "STRESN", "STRESU"))
    spec_col = f"{name}SPEC"
    spec = df[spec_col] if spec_col in df else pd.Series(pd.NA, index=df.index, dtype=TEXT)
    seqs = df.get(f"{name}SEQ", pd.Series(np.nan, index=df.index))
    stresc_in, onum, blq = _original_results(df, testcd, orres, stresc, tests)
    keys = pd.DataFrame(
        {
            "t": df[testcd],
            "s": spec.fillna(""),
            "ou": df[orresu].fillna(""),
            "su": df[stresu].fillna(""),
        }
    )
    # work on numpy arrays and write the columns back once (masked item assignment into
    # pandas' string columns goes element by element)
    sn = pd.to_numeric(df[stresn], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    su_out = df[stresu].to_numpy(dtype=object, na_value=None)
    rng = {lo_s: (pd.to_numeric(df[lo_o], errors="coerce").to_numpy(dtype=float),
                  pd.to_numeric(df[lo_s], errors="coerce").to_numpy(dtype=float)
                  if lo_s in df else np.full(len(df), np.nan))
           for lo_o, lo_s in ranges}  # in-memory frames may hold a range as text

    def report(mask: np.ndarray, var: str, unit: str | None, key: tuple, t: str,
               std: str) -> None:
        got: list[Finding] = []
        _unit_findings(got, name, df, mask, var, unit, t, std, seqs)
        keyed.extend((key, f) for f in got)

    group = keys.groupby(["t", "s", "ou", "su"], sort=True).ngroup().to_numpy()
    firsts = keys.assign(_g=group).drop_duplicates("_g").sort_values("_g")
    del keys
    for t, s, ou, su, g in firsts[firsts["_g"] >= 0].itertuples(index=False):
        ts = tests.get(t)
        if ts is None or ts.is_coded:
            continue
        std = ts.standard_unit(s or None)
        rows = group == g
        if std is None:  # unitless score or count (ICE items, vasopressor count)
            need = rows & np.isnan(sn) & ~np.isnan(onum)
            sn[need] = onum[need]
            continue
        have_std = rows & ~np.isnan(sn)
        if su and su != std and have_std.any():
            conv = convert(sn[have_std], t, su, std)
            if conv is None:
                report(have_std, stresu, su, (t, s, ou, su, 0), t, std)
                sn[have_std] = np.nan
            else:
                sn[have_std] = conv
        need = rows & np.isnan(sn) & ~np.isnan(onum)
        conv = None
        if need.any() and ou and (ou in ts.accepted_units(s or None) or ou == std):
            conv = convert(onum[need], t, ou, std)
        if need.any() and conv is None:
            # only these records fail: the group's other records are standardised as usual
            report(need, orresu, ou or None, (t, s, ou, su, 1), t, std)
        elif need.any():
            sn[need] = conv
            # Reference ranges travel with the unit (LB only).
            for lo_num, lo_std in rng.values():
                fill = need & np.isnan(lo_std) & ~np.isnan(lo_num)
                if fill.any():
                    lo_std[fill] = convert(lo_num[fill], t, ou, std)
        su_out[rows & ~np.isnan(sn)] = std
        su_out[rows & blq & pd.isna(su_out)] = std
    stresc_out = stresc_in.to_numpy(dtype=object, na_value=None)
    fill = ~np.isnan(sn) & pd.isna(stresc_out)
    if fill.any():  # one text object per distinct value
        vcodes, values = pd.factorize(sn[fill])
        stresc_out[fill] = np.char.mod("%.10g", values).astype(object)[vcodes]
    out = {stresn: sn, stresu: su_out, stresc: stresc_out}
    out.update({lo_s: lo_std for lo_s, (_n, lo_std) in rng.items()})
    return out


def _original_results(df: pd.DataFrame, testcd: str, orres: str, stresc: str,
                      tests: dict) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """(--STRESC as given, else --ORRES stripped (upper-cased for coded tests); --ORRES as a
    number; --ORRES below quantification) per row. Results repeat (a lab value, "NEGATIVE",
    "<0.5"): each distinct text is handled once."""
    codes, uniq = _distinct(df[orres].astype(TEXT))
    u_text = uniq.str.strip()
    u_upper = u_text.str.upper()
    text = pd.Series(spread(u_text.to_numpy(dtype=object, na_value=pd.NA), codes, pd.NA),
                     index=df.index, dtype=TEXT)
    upper = pd.Series(spread(u_upper.to_numpy(dtype=object, na_value=pd.NA), codes, pd.NA),
                      index=df.index, dtype=TEXT)
    coded = df[testcd].isin([c for c, t in tests.items() if t.is_coded]).to_numpy(dtype=bool)
    stresc_in = df[stresc].astype(TEXT).fillna(upper.where(coded, text))
    del text, upper
    onum = spread(pd.to_numeric(u_text, errors="coerce").to_numpy(dtype=float, na_value=np.nan),
                  codes, np.nan)
    blq = spread(u_upper.str.startswith(BLQ_PREFIXES, na=False).to_numpy(dtype=bool), codes,
                 False)
    return stresc_in, onum, blq


def _unit_findings(
    findings: list[Finding],
    name: str,
    df: pd.DataFrame,
    mask: pd.Series,
    var: str,
    unit: str | None,
    testcd: str,
    std: str,
    seqs: pd.Series,
) -> None:
    for i in np.flatnonzero(np.asarray(mask)):
        findings.append(
            Finding(
                name,
                _s(df["USUBJID"].iloc[i]) if "USUBJID" in df else None,
                _s(seqs.iloc[i]),
                var,
                unit,
                f"unit cannot be converted to the standard unit {std!r} of {testcd}",
                rule_id="UNIT_UNCONVERTIBLE",
            )
        )
