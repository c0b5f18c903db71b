"""Structural validation rules of a study: domains and variables present, identifiers filled,
DOMAIN as named, keys unique, controlled terms, ISO 8601 dates (rule ids ``DOMAIN_MISSING``,
``VAR_MISSING``, ``VAR_EMPTY``, ``TERM_UNKNOWN``, ``KEY_DUPLICATE``, ``DATE_INVALID``; see
:mod:`cartrial.data.validate` for the whole list and docs/data-model.md for each domain's
variables, keys and terms; CDISC SDTMIG v3.4 sections 4.1 and 4.4 for identifiers and dates).
"""

from __future__ import annotations

import pandas as pd

from cartrial.data.dates import dtc_valid
from cartrial.data.load import Study
from cartrial.data.report_frame import finding_frame as _frame
from cartrial.data.spec import DataModel, DomainSpec
from cartrial.data.validate_codes import by_value, column_codes, key_duplicated, present


def structure_findings(study: Study, model: DataModel) -> list[pd.DataFrame]:
    """Findings frames of the structural rules for every domain of ``study``.

    Parameters
    ----------
    study : Study
        The loaded study (an unread file is reported at load, not as a missing domain).
    model : DataModel
        The data model (``cartrial.data.spec.data_model()``).

    Returns
    -------
    list of pandas.DataFrame
        One frame per rule and variable checked, in the columns of
        ``cartrial.data.report_frame.COLUMNS`` (empty frames where nothing was found).

    Examples
    --------
    >>> from cartrial.data import load_study                      # doctest: +SKIP
    >>> structure_findings(load_study("sdtm"), data_model())      # doctest: +SKIP
    """
    out = [
        _frame(name, None, None, None, None, "DOMAIN_MISSING",
               f"required domain {name} ({model.domains[name].label}) is missing")
        for name in model.required_domains
        if name not in study and name not in study.unread  # an unread file is reported
    ]
    for name, df in study.domains.items():
        spec = model.domains.get(name)
        if spec is not None:
            out += _domain(name, df, spec)
    return out


def _domain(name: str, df: pd.DataFrame, spec: DomainSpec) -> list[pd.DataFrame]:
    """The structural findings of one domain."""
    out = [
        _frame(name, None, None, var, None, "VAR_MISSING",
               f"required variable {var} ({spec.required[var]}) is missing")
        for var in spec.required
        if var not in df.columns
    ]
    ident = ["STUDYID", "USUBJID", f"{name}SEQ", f"{name}TESTCD", f"{name}TRT", f"{name}DECOD"]
    out += [_frame(name, df, ~present(df[var]), var, df[var], "VAR_EMPTY",
                   f"{var} must not be empty")
            for var in ident if var in df.columns and var in spec.required]
    if "DOMAIN" in df.columns:
        bad = by_value(df["DOMAIN"], [u != name for u in column_codes(df["DOMAIN"])[1]])
        out.append(_frame(name, df, bad, "DOMAIN", df["DOMAIN"], "TERM_UNKNOWN",
                          f"DOMAIN must be {name!r}"))
    key = [k for k in spec.key if k in df.columns]
    if len(key) == len(spec.key):
        dup = key_duplicated(df, key)
        out.append(_frame(name, df, dup, key[-1], df[key[-1]], "KEY_DUPLICATE",
                          f"duplicate key ({', '.join(key)})"))
    for var, terms in spec.terms.items():
        if var in df.columns:
            allowed = set(terms) | {""}
            bad = by_value(df[var], [u not in allowed for u in column_codes(df[var])[1]])
            out.append(_frame(name, df, bad, var, df[var], "TERM_UNKNOWN",
                              f"{var} not in controlled terms {sorted(t for t in terms if t)}"))
    for var in (c for c in df.columns if c.endswith("DTC")):
        out.append(_frame(name, df, ~dtc_valid(df[var]), var, df[var], "DATE_INVALID",
                          "not an ISO 8601 date/time, or an impossible date"))
    return out
