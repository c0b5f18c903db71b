"""Validation of a study against the data model and the protocol: every problem in one pass.

Each finding names domain, USUBJID, --SEQ, variable, value and rule. Rules (ids are stable and
documented in docs/data-model.md):

- ``DOMAIN_MISSING``      a required domain is absent
- ``VAR_MISSING``         a required variable is absent from a domain
- ``VAR_EMPTY``           an identifier or topic variable is empty in a record
- ``NOT_NUMBER``          a numeric variable holds text
- ``DATE_INVALID``        a --DTC value is not ISO 8601 or names an impossible date/time
- ``TESTCD_UNKNOWN``      a test code outside the data model
- ``UNIT_UNCONVERTIBLE``  a unit that cannot be converted to the test's standard unit
- ``TERM_UNKNOWN``        a coded value outside its controlled terms
- ``OUT_OF_RANGE``        a result outside its physical range (standard unit)
- ``KEY_DUPLICATE``       two records share a key (USUBJID, --SEQ)
- ``SUBJECT_NOT_IN_DM``   records for a subject absent from DM (once per domain and subject)
- ``INFUSION_BEFORE_APHERESIS``  CAR-T infusion dated before leukapheresis
- ``DOSE_NOT_IN_PROTOCOL``  an infused dose that is not a protocol dose level
- ``RFSTDTC_MISMATCH``    DM.RFSTDTC differs from the first CAR-T infusion date
- ``AFTER_DEATH``         a record dated after the subject's death
- ``POPULATION_UNKNOWN``  no or an unknown primary diagnosis (MH) for a subject

Completeness (``cartrial.data.completeness`` at load, ``cartrial.data.expected``): ``FILE_EMPTY``,
``FILE_ENCODING``, ``FILE_TRUNCATED``, ``FILE_UNREADABLE``, ``DOMAIN_TWICE``, ``DOMAIN_EMPTY``,
``RECORDS_EXPECTED``. Values (``cartrial.data.results`` at load, ``cartrial.data.consistency``):
``RESULT_NOT_NUMBER``, ``DECIMAL_COMMA``, ``RESULT_UNIT_SWAPPED``, ``STRESN_MISMATCH``,
``STRESC_MISMATCH``, ``AGE_IMPLAUSIBLE``, ``DEATH_DATE_MISSING``, ``DEATH_FLAG_MISSING``,
``DATE_FUTURE``, ``ICE_TOTAL_MISMATCH``; warnings ``TEXT_PADDED`` and ``TERM_CASE``
(``cartrial.data.normalise``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

import numpy as np
import pandas as pd

from cartrial.data.compact import CompactFrame
from cartrial.data.consistency import consistency_findings
from cartrial.data.dates import date_of, parse_dtc_memo
from cartrial.data.expected import expected_records
from cartrial.data.load import Study
from cartrial.data.report_frame import COLUMNS
from cartrial.data.report_frame import finding_frame as _frame
from cartrial.data.spec import DataModel, data_model
from cartrial.data.validate_codes import (
    by_value,
    codes_memo,
    column_codes,
    map_by_value,
)
from cartrial.data.validate_design import design_findings
from cartrial.data.validate_held import Records
from cartrial.data.validate_structure import structure_findings
from cartrial.errors import Finding
from cartrial.protocol import Protocol

IP_CAT = "INVESTIGATIONAL PRODUCT"
DEATH_CHECKED = {
    "AE": "AESTDTC",
    "LB": "LBDTC",
    "VS": "VSDTC",
    "FA": "FADTC",
    "QS": "QSDTC",
    "PC": "PCDTC",
    "IS": "ISDTC",
    "EX": "EXSTDTC",
    "PR": "PRSTDTC",
    "CM": "CMSTDTC",
}


@dataclass(frozen=True)
class ValidationReport:
    """All findings of one validation pass, as a data frame (columns ``COLUMNS``).

    Attributes
    ----------
    findings : pandas.DataFrame
        One row per finding: severity (``"error"``/``"warning"``), rule_id, domain, usubjid,
        seq (--SEQ), variable, value, rule; ``n_errors``, ``n_warnings`` and ``ok`` count them.

    Examples
    --------
    >>> row = ["error", "FILE_EMPTY", "LB", None, None, None, None, "file is empty"]
    >>> report = ValidationReport(pd.DataFrame([row], columns=COLUMNS))
    >>> report.n_errors, report.ok, str(report.as_findings()[0])
    (1, False, 'ERROR LB: file is empty')
    """

    findings: pd.DataFrame

    @property
    def n_errors(self) -> int:
        return int((self.findings["severity"] == "error").sum())

    @property
    def n_warnings(self) -> int:
        return int((self.findings["severity"] == "warning").sum())

    @property
    def ok(self) -> bool:
        return self.n_errors == 0

    def as_findings(self) -> list[Finding]:
        return [
            Finding(r.domain, r.usubjid, r.seq, r.variable, r.value, r.rule, r.severity,
                    rule_id=r.rule_id)
            for r in self.findings.itertuples(index=False)
        ]


def _load_findings(study: Study) -> list[pd.DataFrame]:
    out = []
    for f in study.load_findings:
        rid = f.rule_id or "LOAD"  # the id is data on the finding, never parsed from its text
        rule = f.rule.removeprefix(f"[{rid}] ")
        out.append(
            pd.DataFrame(
                [[f.severity, rid, f.domain, f.usubjid, f.seq, f.variable, f.value, rule]],
                columns=COLUMNS,
            )
        )
    return out


def _tests(study: Study, model: DataModel) -> list[pd.DataFrame]:
    out = []
    for name, tests in model.tests.items():
        tcd = f"{name}TESTCD"
        if name not in study or tcd not in study.variables(name):
            continue
        # an encoded domain is asked its codes; only the records at fault are decoded
        rec = Records(study, name)
        known = rec.by_value(tcd, lambda u, t=tests: u in t)
        out.append(rec.found(rec.present(tcd) & ~known, tcd, "TESTCD_UNKNOWN",
                             f"test code not in the data model for {name}"))
        # the test codes factorised once: each test's rows are one comparison of integers
        codes, uniq = rec.codes(tcd)
        where = {u: i for i, u in enumerate(uniq)}
        for code, ts in tests.items():
            rows = codes == where[code] if code in where else None
            if rows is None or not rows.any():
                continue
            out += _test_rows(name, rec, code, ts, rows)
    return out


def _test_rows(name: str, rec: Records, code: str, ts, rows: np.ndarray
               ) -> list[pd.DataFrame]:
    """A coded result outside its terms, or a number outside its physical range, for the
    records of one test (``rows``)."""
    stresc, stresn = f"{name}STRESC", f"{name}STRESN"
    if ts.is_coded and stresc in rec:
        values = set(ts.values)
        bad = rows & rec.by_value(stresc, lambda u: u not in values)
        shown = f"{name}ORRES" if f"{name}ORRES" in rec else stresc  # ORRES may be absent
        return [rec.found(bad, shown, "TERM_UNKNOWN", f"{code} result not in {list(ts.values)}")]
    if ts.range is None or stresn not in rec:
        return []
    lo, hi = ts.range

    def outside(v: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            bad = (v < lo) | (v > hi)
            return bad | (~np.isnan(v) & (v != np.round(v))) if ts.integer else bad

    unit = ts.standard_unit() or ""
    return [rec.found(rows & rec.numbers(stresn, outside), stresn, "OUT_OF_RANGE",
                      f"{code} outside its physical range [{lo:g}, {hi:g}] {unit}".rstrip()
                      + (" (integer)" if ts.integer else ""))]


def _subjects(study: Study) -> list[pd.DataFrame]:
    dm = study.get("DM")
    if dm is None or "USUBJID" not in dm:
        return []
    known = set(dm["USUBJID"].dropna())
    out = []
    for name in study.domains:
        if name == "DM" or "USUBJID" not in study.variables(name):
            continue
        df = study.domains.narrow(name, ["USUBJID"])
        subj = column_codes(df["USUBJID"])[1]
        if not by_value(df["USUBJID"], [u not in known for u in subj]).any():
            continue  # the usual case, decided once per subject
        absent = df["USUBJID"].notna() & ~df["USUBJID"].isin(known)
        first = absent & ~df["USUBJID"].where(absent).duplicated(keep="first")
        counts = df.loc[absent, "USUBJID"].value_counts()
        fr = _frame(
            name, df, first, "USUBJID", df["USUBJID"], "SUBJECT_NOT_IN_DM", "subject absent from DM"
        )
        if len(fr):
            fr["rule"] = [
                f"subject absent from DM ({counts[u]} record(s) in {name})" for u in fr["usubjid"]
            ]
        out.append(fr)
    return out


def _first_date(df: pd.DataFrame | None, mask: pd.Series | None, var: str) -> pd.Series:
    if df is None or var not in df:
        return pd.Series(dtype="datetime64[ns]")
    sub = df if mask is None else df.loc[mask.fillna(False)]
    d = date_of(sub[var])
    return d.groupby(sub["USUBJID"]).min()


def _conduct(study: Study, protocol: Protocol) -> list[pd.DataFrame]:
    out = []
    ex, pr, dm = study.get("EX"), study.get("PR"), study.get("DM")
    if ex is None or not {"EXCAT", "EXSTDTC", "USUBJID"} <= set(ex.columns):
        return out
    ip = (ex["EXCAT"] == IP_CAT).fillna(False)
    if "EXDOSE" in ex:
        idx = ex["EXDOSE"].map(lambda d: protocol.dose_index(d) if pd.notna(d) else None)
        bad = ip & ex["EXDOSE"].notna() & idx.isna()
        doses = ", ".join(f"{d.dose:g}" for d in protocol.dose_levels)
        out.append(
            _frame(
                "EX",
                ex,
                bad,
                "EXDOSE",
                ex["EXDOSE"],
                "DOSE_NOT_IN_PROTOCOL",
                f"dose is not a dose level of protocol {protocol.study_id} ({doses})",
            )
        )
    inf_date = date_of(ex["EXSTDTC"]).where(ip)
    if pr is not None and {"PRTRT", "PRSTDTC"} <= set(pr.columns):
        aph = _first_date(pr, pr["PRTRT"] == "LEUKAPHERESIS", "PRSTDTC")
        aph_for = ex["USUBJID"].map(aph)
        bad = ip & inf_date.notna() & aph_for.notna() & (inf_date < aph_for)
        out.append(
            _frame(
                "EX",
                ex,
                bad,
                "EXSTDTC",
                ex["EXSTDTC"],
                "INFUSION_BEFORE_APHERESIS",
                "CAR-T infusion dated before leukapheresis (PR.PRSTDTC)",
            )
        )
    if dm is not None and "RFSTDTC" in dm:
        first_inf = inf_date.groupby(ex["USUBJID"]).min()
        rf = date_of(dm["RFSTDTC"])
        fi = dm["USUBJID"].map(first_inf)
        bad = (rf.notna() | fi.notna()) & ~(rf == fi)
        out.append(
            _frame(
                "DM",
                dm,
                bad,
                "RFSTDTC",
                dm["RFSTDTC"],
                "RFSTDTC_MISMATCH",
                "RFSTDTC must equal the date of the first CAR-T infusion in EX",
            )
        )
    return out


def _death(study: Study) -> list[pd.DataFrame]:
    dm = study.get("DM")
    if dm is None or "DTHDTC" not in dm:
        return []
    dth = date_of(dm["DTHDTC"])
    death = pd.Series(dth.to_numpy(), index=dm["USUBJID"]).dropna()
    death = death[~death.index.duplicated()]
    out = []
    for name, var in DEATH_CHECKED.items():
        if name not in study or var not in study.variables(name):
            continue
        df = study.domains.narrow(name, [var])
        d = date_of(df[var])
        limit = pd.Series(map_by_value(df["USUBJID"], death), index=df.index)
        bad = d.notna() & limit.notna() & (d > limit)
        out.append(
            _frame(
                name,
                df,
                bad,
                var,
                df[var],
                "AFTER_DEATH",
                "record dated after the subject's death (DM.DTHDTC)",
            )
        )
    return out


def _population(study: Study, protocol: Protocol, model: DataModel) -> list[pd.DataFrame]:
    dm, mh = study.get("DM"), study.get("MH")
    if dm is None or mh is None or not {"MHCAT", "MHDECOD"} <= set(mh.columns):
        return []
    mapping = model.domains["MH"].population_terms
    codes = {p.code for p in protocol.populations}
    prim = mh[(mh["MHCAT"] == "PRIMARY DIAGNOSIS").fillna(False)]
    bad_term = ~prim["MHDECOD"].map(lambda t: mapping.get(t) in codes if pd.notna(t) else False)
    out = [
        _frame(
            "MH",
            prim,
            bad_term,
            "MHDECOD",
            prim["MHDECOD"],
            "POPULATION_UNKNOWN",
            f"primary diagnosis must map to a protocol population {sorted(codes)} via {mapping}",
        )
    ]
    missing = ~dm["USUBJID"].isin(set(prim["USUBJID"]))
    out.append(
        _frame(
            "DM",
            dm,
            missing,
            "USUBJID",
            dm["USUBJID"],
            "POPULATION_UNKNOWN",
            "subject has no PRIMARY DIAGNOSIS record in MH",
        )
    )
    return out


def validate_study(study: Study, protocol: Protocol, *,
                   as_of: date | datetime | None = None) -> ValidationReport:
    """Check a study against cartrial's data model and the protocol; report every problem.

    Parameters
    ----------
    study : Study
        The loaded study (its load findings are included).
    protocol : Protocol
        The protocol (dose levels, populations).
    as_of : date or datetime, optional
        Data cut-off or transfer date: records dated later are errors (``DATE_FUTURE``).
        Default: the newest modification time of the study's files.

    Returns
    -------
    ValidationReport
        Every finding, errors and warnings, sorted by severity, domain, subject and rule.

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> validate_study(Study(domains={}), load_protocol("ct071")).n_errors  # 13 domains missing
    13
    """
    model = data_model()
    # rules across records and domains read only domains with USUBJID (its absence is VAR_MISSING)
    keyed = replace(study, domains=study.domains.only(  # as held: nothing decoded here
        n for n in study.domains if "USUBJID" in study.variables(n)))
    # an encoded domain's USUBJID and --SEQ (read by every rule naming a record) decoded once
    # for the whole validation: held here, the rules' frames share them (Domains.narrow)
    ids = [keyed.domains.narrow(n, []) for n in keyed.domains
           if isinstance(keyed.domains.held(n), CompactFrame)]
    # each --DTC column parsed once, each text column factorised once, for every rule reading it
    with parse_dtc_memo(), codes_memo():
        parts = (
            _load_findings(study)
            + structure_findings(study, model)
            + _tests(study, model)
            + _subjects(keyed)
            + _conduct(keyed, protocol)
            + _death(keyed)
            + _population(keyed, protocol, model)
            + [expected_records(keyed)]
            + consistency_findings(keyed, as_of)
            + design_findings(keyed, protocol)
        )
    del ids
    parts = [p.astype(object) for p in parts if len(p)]  # all-missing columns stay object
    findings = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)
    findings = findings.sort_values(
        ["severity", "domain", "usubjid", "rule_id"], kind="stable", key=lambda s: s.astype(str)
    ).reset_index(drop=True)
    return ValidationReport(findings[COLUMNS])
