"""Results in each test's standard unit: --STRESN / --STRESU / --STRESC (and LB's standard
reference ranges) filled from --ORRES / --ORRESU, vectorised by test, specimen and unit (CDISC
SDTMIG v3.4 section 4.5.1, original and standardised results). Unconvertible units are
findings (``UNIT_UNCONVERTIBLE``), never dropped; below-quantification text (``<0.5``, ``BLQ``)
keeps --STRESN missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartrial.data.results import BLQ_PREFIXES
from cartrial.data.spec import DataModel
from cartrial.data.text import spread
from cartrial.data.unit_groups import unit_groups
from cartrial.data.units import convert
from cartrial.data.validate_codes import column_codes, forget
from cartrial.errors import Finding

STANDARDIZE_CHUNK_ROWS = 1 << 17

# pandas' "string" dtype with Python storage: what every engine's tests use. Files are parsed by
# Arrow (multithreaded C++) and each distinct value becomes one shared Python object, so a
# column costs a pointer per row; Arrow-backed storage would be re-boxed on every to_numpy().
TEXT = pd.StringDtype("python")


def _distinct(s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(codes, distinct values) with missing as code -1: work once per distinct value."""
    codes, uniq = column_codes(s)  # the reader's codes inside load_study
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
    if orresu not in df:
        df[orresu] = pd.Series(pd.NA, index=df.index, dtype=TEXT)
    # the standard results absent from the domain are added when filled, in this order (no
    # all-missing column is held meanwhile: issue #18, 3 x 8 bytes a record of a large LB)
    added = [c for c in (stresc, stresu, stresn) if c not in df]
    ranges = [(lo_o, lo_s) for lo_o, lo_s in (("LBORNRLO", "LBSTNRLO"), ("LBORNRHI", "LBSTNRHI"))
              if name == "LB" and lo_o in df]
    keyed: list[tuple[tuple, Finding]] = []
    # the new columns, filled chunk by chunk (issue #18: no per-chunk pieces joined at the end,
    # which held each column twice at the load's peak)
    filled = {c: np.empty(len(df), dtype=object if c in (stresu, stresc) else float)
              for c in (stresn, stresu, stresc, *(lo_s for _o, lo_s in ranges))}
    # each text column factorised once for the whole domain (inside load_study: the reader's
    # codes), then the rows taken chunk by chunk
    group, groups = unit_groups(name, df)
    results = _original_results(df, testcd, orres, tests)
    for start in range(0, max(len(df), 1), chunk_rows):
        part = slice(start, start + chunk_rows)
        out = _standardize_part(name, df.iloc[part], tests, ranges, keyed,
                                (group[part], groups), results.rows(part))
        for c, v in out.items():
            filled[c][part] = v
    del group, results
    keyed.sort(key=lambda kf: kf[0])  # stable: rows keep their order within a key
    findings.extend(f for _k, f in keyed)
    for c in [*added, *(c for c in filled if c not in added)]:
        v = filled.pop(c)
        if c in df:
            forget(df[c])  # the column replaced is freed now, not when the load's memo ends
        df[c] = pd.Series(_text(v), index=df.index) if v.dtype == object else v
        del v
    return df


def _text(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``pd.array(values, dtype=TEXT)`` of an object array that is no longer needed: where it
    holds only text and missing values (None, NaN, pd.NA read as missing, as there), the
    array itself becomes the column (no second copy of a large LB's column)."""
    try:
        return pd.arrays.StringArray(values)
    except ValueError:  # something other than text: converted as pd.array converts it
        return pd.array(values, dtype=TEXT)


def _standardize_part(name: str, df: pd.DataFrame, tests: dict, ranges: list[tuple[str, str]],
                      keyed: list[tuple[tuple, Finding]], grouped: tuple[np.ndarray, list],
                      results: list[np.ndarray]) -> dict[str, np.ndarray]:
    """:func:`standardize_results` on some rows: the new --STRESN / --STRESU / --STRESC (and
    LB standard ranges) as arrays; findings appended to ``keyed`` with their sort key.
    ``grouped``: the rows' groups and each group's key; ``results``: the rows' original
    results (:func:`_original_results`)."""
    stresc, stresn, stresu = (f"{name}{s}" for s in ("STRESC", "STRESN", "STRESU"))
    seqs = df.get(f"{name}SEQ", pd.Series(np.nan, index=df.index))
    onum, blq, text, upper, coded = results
    # work on numpy arrays and write the columns back once (masked item assignment into
    # pandas' string columns goes element by element)
    sn = (pd.to_numeric(df[stresn], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
          if stresn in df else np.full(len(df), np.nan))
    su_out = (df[stresu].to_numpy(dtype=object, na_value=None) if stresu in df
              else np.full(len(df), None, dtype=object))
    rng = {lo_s: (pd.to_numeric(df[lo_o], errors="coerce").to_numpy(dtype=float),
                  pd.to_numeric(df[lo_s], errors="coerce").to_numpy(dtype=float)
                  if lo_s in df else np.full(len(df), np.nan))
           for lo_o, lo_s in ranges}  # in-memory frames may hold a range as text

    def report(rows: np.ndarray, var: str, unit: str | None, key: tuple, t: str,
               std: str) -> None:
        got: list[Finding] = []
        mask = np.zeros(len(df), dtype=bool)
        mask[rows] = True
        _unit_findings(got, name, df, mask, var, unit, t, std, seqs)
        keyed.extend((key, f) for f in got)

    group, keys = grouped
    # each group's rows as ascending positions: the work is per row, not per row and group
    order = np.argsort(group, kind="stable")
    present, starts = np.unique(group[order], return_index=True)
    ends = np.append(starts[1:], len(order))[:len(starts)]  # none for no rows
    at = {g: order[lo:hi] for g, lo, hi in zip(present, starts, ends, strict=True) if g >= 0}
    for g in sorted(at, key=lambda g: keys[g]):
        t, s, ou, su = keys[g]
        ts = tests.get(t)
        if ts is None or ts.is_coded:
            continue
        _standardize_group(name, keys[g], ts, at[g], (sn, onum, su_out, blq, rng), report)
    given = (df[stresc].astype(TEXT) if stresc in df
             else pd.Series(pd.NA, index=df.index, dtype=TEXT))
    stresc_in = given.fillna(pd.Series(np.where(coded, upper, text), index=df.index,
                                       dtype=TEXT))
    stresc_out = stresc_in.to_numpy(dtype=object, na_value=None)
    fill = ~np.isnan(sn) & pd.isna(stresc_out)
    if fill.any():  # one text object per distinct value
        vcodes, values = pd.factorize(sn[fill])
        stresc_out[fill] = np.char.mod("%.10g", values).astype(object)[vcodes]
    out = {stresn: sn, stresu: su_out, stresc: stresc_out}
    out.update({lo_s: lo_std for lo_s, (_n, lo_std) in rng.items()})
    return out


def _standardize_group(name: str, key: tuple, ts, rows: np.ndarray,  # noqa: ANN001
                       arrays: tuple, report) -> None:  # noqa: ANN001
    """One group's rows (``rows``: ascending positions; ``key``: test code, specimen,
    original and standard unit) standardised in place in the part's arrays (--STRESN, --ORRES
    as a number, --STRESU, BLQ, reference ranges)."""
    t, s, ou, su = key
    sn, onum, su_out, blq, rng = arrays
    std = ts.standard_unit(s or None)
    if std is None:  # unitless score or count (ICE items, vasopressor count)
        need = rows[np.isnan(sn[rows]) & ~np.isnan(onum[rows])]
        sn[need] = onum[need]
        return
    have_std = rows[~np.isnan(sn[rows])]
    if su and su != std and len(have_std):
        conv = convert(sn[have_std], t, su, std)
        if conv is None:
            report(have_std, f"{name}STRESU", su, (t, s, ou, su, 0), t, std)
            sn[have_std] = np.nan
        else:
            sn[have_std] = conv
    need = rows[np.isnan(sn[rows]) & ~np.isnan(onum[rows])]
    conv = None
    if len(need) and ou and (ou in ts.accepted_units(s or None) or ou == std):
        conv = convert(onum[need], t, ou, std)
    if len(need) and conv is None:
        # only these records fail: the group's other records are standardised as usual
        report(need, f"{name}ORRESU", ou or None, (t, s, ou, su, 1), t, std)
    elif len(need):
        sn[need] = conv
        # Reference ranges travel with the unit (LB only).
        for lo_num, lo_std in rng.values():
            fill = need[np.isnan(lo_std[need]) & ~np.isnan(lo_num[need])]
            if len(fill):
                lo_std[fill] = convert(lo_num[fill], t, ou, std)
    su_out[rows[~np.isnan(sn[rows])]] = std
    blank = rows[blq[rows]]  # the standard unit also where a result is BLQ
    su_out[blank[pd.isna(su_out[blank])]] = std


@dataclass(frozen=True)
class _Results:
    """The original results, per distinct --ORRES text (as a number; below quantification;
    stripped; stripped and upper-cased) and per distinct test code (coded or not), with each
    row's codes: what :meth:`rows` spreads to a chunk's rows (issue #18: whole-domain per-row
    arrays, 26 bytes a record, were held through the standardisation of a large LB)."""

    codes: np.ndarray
    onum: np.ndarray
    blq: np.ndarray
    text: np.ndarray
    upper: np.ndarray
    t_codes: np.ndarray
    coded: np.ndarray

    def rows(self, part: slice) -> list[np.ndarray]:
        """Per row of ``part``: [onum, blq, text, upper, coded] (missing: NaN, False, NA)."""
        codes = self.codes[part]
        return [spread(self.onum, codes, np.nan), spread(self.blq, codes, False),
                spread(self.text, codes, pd.NA), spread(self.upper, codes, pd.NA),
                spread(self.coded, self.t_codes[part], False)]


def _original_results(df: pd.DataFrame, testcd: str, orres: str, tests: dict) -> _Results:
    """The original results of the rows, per distinct value (:class:`_Results`). Results
    repeat (a lab value, "NEGATIVE", "<0.5"): each distinct text is handled once."""
    res = df[orres] if df[orres].dtype == TEXT else df[orres].astype(TEXT)
    codes, uniq = _distinct(res)
    u_text = uniq.str.strip()
    u_upper = u_text.str.upper()
    is_coded = {c for c, t in tests.items() if t.is_coded}
    t_codes, t_values = column_codes(df[testcd])
    return _Results(
        codes=codes,
        onum=pd.to_numeric(u_text, errors="coerce").to_numpy(dtype=float, na_value=np.nan),
        blq=u_upper.str.startswith(BLQ_PREFIXES, na=False).to_numpy(dtype=bool),
        text=u_text.to_numpy(dtype=object, na_value=pd.NA),
        upper=u_upper.to_numpy(dtype=object, na_value=pd.NA),
        t_codes=t_codes,
        coded=np.asarray([v in is_coded for v in t_values], dtype=bool))


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
