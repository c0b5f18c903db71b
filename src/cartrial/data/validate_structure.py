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
from cartrial.data.validate_codes import key_duplicated
from cartrial.data.validate_held import Records


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
    for name in study.domains:
        spec = model.domains.get(name)
        if spec is not None:
            out += _domain(name, study, spec)
    return out


def _domain(name: str, study: Study, spec: DomainSpec) -> list[pd.DataFrame]:
    """The structural findings of one domain; each rule reads only its variables (a domain
    held encoded is decoded a few variables at a time: ``Domains.narrow``)."""
    columns = study.variables(name)

    def cols(*variables: str) -> pd.DataFrame:
        return study.domains.narrow(name, variables)

    out = [
        _frame(name, None, None, var, None, "VAR_MISSING",
               f"required variable {var} ({spec.required[var]}) is missing")
        for var in spec.required
        if var not in columns
    ]
    rec = Records(study, name)  # these rules ask an encoded domain's codes: nothing decoded
    ident = ["STUDYID", "USUBJID", f"{name}SEQ", f"{name}TESTCD", f"{name}TRT", f"{name}DECOD"]
    for var in ident:
        if var in columns and var in spec.required:
            out.append(rec.found(~rec.present(var), var, "VAR_EMPTY", f"{var} must not be empty"))
    if "DOMAIN" in columns:
        out.append(rec.found(rec.by_value("DOMAIN", lambda u: u != name), "DOMAIN",
                             "TERM_UNKNOWN", f"DOMAIN must be {name!r}"))
    key = [k for k in spec.key if k in columns]
    if len(key) == len(spec.key):
        df = cols(*key)  # an encoded domain: USUBJID, --SEQ decoded once (validate_study)
        dup = key_duplicated(df, key)
        out.append(_frame(name, df, dup, key[-1], df[key[-1]], "KEY_DUPLICATE",
                          f"duplicate key ({', '.join(key)})"))
    for var, terms in spec.terms.items():
        if var in columns:
            allowed = set(terms) | {""}
            out.append(rec.found(rec.by_value(var, lambda u, a=allowed: u not in a), var,
                                 "TERM_UNKNOWN",
                                 f"{var} not in controlled terms {sorted(t for t in terms if t)}"))
    # the dates are decoded: the rules after these read the same columns (_death, consistency)
    for var in (c for c in columns if c.endswith("DTC")):
        df = cols(var)
        out.append(_frame(name, df, ~dtc_valid(df[var]), var, df[var], "DATE_INVALID",
                          "not an ISO 8601 date/time, or an impossible date"))
    return out
