"""Text as it should have been written, and a warning wherever it was not.

A value that differs from its controlled term only by blanks or case would silently fail to
match (a trailing blank in ``AEDECOD`` and the CRS event is no longer CRS). At load:

- ``TEXT_PADDED``  leading or trailing blanks are removed (the value as read is the warning's
  value);
- ``TERM_CASE``    a controlled term (``model.yaml`` terms, test codes) or a dictionary term
  (``AEDECOD``, ``AEBODSYS``, ``CMDECOD``, ``MHDECOD``) written in another case is set to the
  term's spelling: the controlled term, or for dictionary terms the study's most frequent
  spelling of it (ties: the first in sort order);
- units written with the micro sign (``µ``, U+00B5, or Greek mu, U+03BC) are read as ``u``
  (``cells/µL`` = ``cells/uL``, the spelling of the unit tables), without a finding.

Warnings name domain, USUBJID, --SEQ, variable and the value as read; at most
``MAX_PER_VARIABLE`` records per domain and variable, then one warning with the count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.spec import DataModel
from cartrial.data.validate_codes import column_codes
from cartrial.errors import Finding

MAX_PER_VARIABLE = 50
MICRO = ("\u00b5", "\u03bc")
UNIT_SUFFIXES = ("ORRESU", "STRESU", "DOSU")
DICTIONARY = {"AE": ("AEDECOD", "AEBODSYS"), "CM": ("CMDECOD",), "MH": ("MHDECOD",)}


def record_warnings(name: str, df: pd.DataFrame, mask: np.ndarray, var: str, values,
                    rule_id: str, text: str, findings: list[Finding]) -> None:
    """Warnings for the masked records (at most ``MAX_PER_VARIABLE``, then a count).

    Parameters
    ----------
    name : str
        Domain.
    df : pandas.DataFrame
        The domain's records (USUBJID and --SEQ are read from it when present).
    mask : numpy.ndarray of bool
        Records concerned.
    var : str
        Variable.
    values : array-like
        Per-record values to report (same length as ``df``).
    rule_id, text : str
        Rule id and what was done.
    findings : list of Finding
        Appended to.

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": ["S1"], "AESEQ": [1.0], "AEDECOD": ["Rash"]})
    >>> out = []
    >>> record_warnings("AE", df, np.array([True]), "AEDECOD", ["Rash "], "TEXT_PADDED", "x", out)
    >>> str(out[0])
    "WARNING AE USUBJID=S1 AESEQ=1.0 AEDECOD='Rash ': [TEXT_PADDED] x"
    """
    rows = np.flatnonzero(mask)
    if not len(rows):
        return
    usub = df["USUBJID"] if "USUBJID" in df else pd.Series(pd.NA, index=df.index)
    seq = df[f"{name}SEQ"] if f"{name}SEQ" in df else pd.Series(pd.NA, index=df.index)
    vals = np.asarray(values, dtype=object)
    for i in rows[:MAX_PER_VARIABLE]:
        findings.append(Finding(name, _plain(usub.iloc[i]), _plain(seq.iloc[i]), var, vals[i],
                                f"[{rule_id}] {text}", severity="warning", rule_id=rule_id))
    if len(rows) > MAX_PER_VARIABLE:
        findings.append(Finding(name, None, None, var, None,
                                f"[{rule_id}] {text}: {len(rows) - MAX_PER_VARIABLE} more "
                                "record(s) like these", severity="warning", rule_id=rule_id))


def _plain(v: object) -> object:
    return None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v


def normalise_text(name: str, df: pd.DataFrame, padded: dict, model: DataModel,
                   findings: list[Finding]) -> None:
    """Warn about blanks already stripped at read, read micro signs as ``u`` and set the case
    of controlled and dictionary terms, in place.

    Parameters
    ----------
    name : str
        Domain.
    df : pandas.DataFrame
        The domain's typed records (changed in place).
    padded : dict
        Column -> (rows that held blanks, values as read), from the reader.
    model : DataModel
        The data model (controlled terms, test codes).
    findings : list of Finding
        Warnings are appended.

    Examples
    --------
    >>> from cartrial.data import data_model
    >>> df = pd.DataFrame({"USUBJID": ["S1"], "SEX": ["f"]}, dtype="string")
    >>> out = []
    >>> normalise_text("DM", df, {}, data_model(), out)
    >>> df["SEX"].iloc[0], out[0].rule
    ('F', "[TERM_CASE] SEX written 'f': read as the term 'F'")
    """
    for var, (rows, raw) in sorted(padded.items()):
        if var in df:
            record_warnings(name, df, rows, var, raw, "TEXT_PADDED",
                            "leading/trailing blanks removed", findings)
    for var in df.columns:
        if var.endswith(UNIT_SUFFIXES) or var == "AGEU":
            _micro(df, var)
    spec = model.domains.get(name)
    terms = dict(spec.terms) if spec is not None else {}
    if name in model.tests:
        terms[f"{name}TESTCD"] = tuple(model.tests[name])
    if name == "MH" and spec is not None and spec.population_terms:
        terms["MHDECOD"] = tuple(spec.population_terms)
    for var, allowed in terms.items():
        if var in df:
            _case(name, df, var, {t.upper(): t for t in allowed if t}, findings)
    for var in DICTIONARY.get(name, ()):
        if var in df:
            _case(name, df, var, _spellings(df[var], terms.get(var, ())), findings)


def _micro(df: pd.DataFrame, var: str) -> None:
    codes, uniq = column_codes(df[var])  # the reader's codes inside load_study
    if not any(isinstance(u, str) and any(m in u for m in MICRO) for u in uniq):
        return
    fixed = np.asarray([u.replace(MICRO[0], "u").replace(MICRO[1], "u") for u in uniq]
                       + [None], dtype=object)
    df[var] = pd.array(fixed[codes], dtype=df[var].dtype)


def _spellings(s: pd.Series, known: tuple[str, ...]) -> dict[str, str]:
    """Upper case -> the spelling to use: a known term, else the most frequent spelling."""
    counts = s.value_counts(dropna=True)
    out = {t.upper(): t for t in known}
    order = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    for value, _n in order:
        out.setdefault(str(value).upper(), str(value))
    return out


def _case(name: str, df: pd.DataFrame, var: str, canon: dict[str, str],
          findings: list[Finding]) -> None:
    codes, uniq = column_codes(df[var])  # the reader's codes inside load_study
    fix = {i: canon[str(u).upper()] for i, u in enumerate(uniq)
           if str(u).upper() in canon and canon[str(u).upper()] != u}
    if not fix:
        return
    as_read = df[var].copy()
    table = np.asarray([*uniq, None], dtype=object)
    for i, term in fix.items():
        table[i] = term
    df[var] = pd.array(table[codes], dtype=df[var].dtype)
    for i in sorted(fix, key=lambda k: str(uniq[k])):
        record_warnings(name, df, codes == i, var, as_read,
                        "TERM_CASE", f"{var} written {uniq[i]!r}: read as the term {fix[i]!r}",
                        findings)
