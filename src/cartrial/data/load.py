"""Read a folder of SDTM datasets (CSV or SAS XPT) into typed, unit-standardised tables.

Nothing is coerced silently: a value that cannot be read as its type, or a result whose unit
cannot be converted, stays missing in the typed column and is reported as a :class:`Finding`
(``Study.load_findings``), which ``validate_study`` includes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from cartrial.data.spec import DataModel, data_model, is_numeric_var
from cartrial.data.units import convert
from cartrial.errors import Finding, InputError

SUFFIXES = {".csv": "csv", ".xpt": "xpt"}
BLQ_PREFIXES = ("<", "BLQ", "BLOQ", "BQL")


@dataclass
class Study:
    """A trial's SDTM domains, one typed DataFrame each (upper-case domain names)."""

    domains: dict[str, pd.DataFrame]
    path: Path | None = None
    format: str = "csv"
    load_findings: list[Finding] = field(default_factory=list)
    file_hashes: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        try:
            return self.domains[name]
        except KeyError:
            raise InputError(
                f"domain {name} is not in the study ({', '.join(self.domains)})"
            ) from None

    def __contains__(self, name: str) -> bool:
        return name in self.domains

    def get(self, name: str) -> pd.DataFrame | None:
        return self.domains.get(name)

    @property
    def data_hash(self) -> str:
        """SHA-256 over the input files' hashes (provenance for reports and committee records)."""
        h = hashlib.sha256()
        for name in sorted(self.file_hashes):
            h.update(f"{name}:{self.file_hashes[name]}\n".encode())
        return h.hexdigest()


def _read_file(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".csv":
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8")
    else:
        df, _meta = pyreadstat.read_xport(str(path))
        df = df.astype(object)
    # SAS and CSV blanks are missing values (admiral's convert_blanks_to_na idiom).
    df = df.map(lambda v: pd.NA if (isinstance(v, str) and v.strip() == "") else v)
    df.columns = [str(c).upper() for c in df.columns]
    return df


def _type_columns(name: str, df: pd.DataFrame, findings: list[Finding]) -> pd.DataFrame:
    seq_var = f"{name}SEQ"
    seqs = df[seq_var] if seq_var in df else pd.Series(pd.NA, index=df.index)
    usub = df["USUBJID"] if "USUBJID" in df else pd.Series(pd.NA, index=df.index)
    out = {}
    for col in df.columns:
        raw = df[col]
        if is_numeric_var(name, col):
            num = pd.to_numeric(raw, errors="coerce")
            bad = raw.notna() & num.isna()
            for i in np.flatnonzero(bad.to_numpy()):
                findings.append(
                    Finding(
                        name,
                        _s(usub.iloc[i]),
                        _s(seqs.iloc[i]),
                        col,
                        raw.iloc[i],
                        "value is not a number",
                    )
                )
            out[col] = num.astype(float)
        else:
            out[col] = raw.map(
                lambda v: (
                    v
                    if v is pd.NA or v is None or isinstance(v, str)
                    else (f"{v:g}" if isinstance(v, float) else str(v))
                )
            ).astype("string")
    return pd.DataFrame(out, index=df.index)


def _s(v: object) -> object:
    if v is pd.NA or v is None:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    return v


def standardize_results(
    name: str, df: pd.DataFrame, model: DataModel, findings: list[Finding]
) -> pd.DataFrame:
    """Fill --STRESC / --STRESN / --STRESU in the standard unit of each test (vectorised by unit).

    Kept as given: a --STRESN already in the standard unit. Converted: --STRESN given in another
    --STRESU, or --ORRES in --ORRESU when --STRESN is empty. Below-quantification text (``<0.5``,
    ``BLQ``) keeps --STRESN missing and --STRESC as collected. An unconvertible unit is a finding.
    """
    tests = model.tests.get(name)
    testcd, orres = f"{name}TESTCD", f"{name}ORRES"
    if not tests or testcd not in df or orres not in df:
        return df
    df = df.copy()
    orresu, stresc, stresn, stresu = (
        f"{name}{s}" for s in ("ORRESU", "STRESC", "STRESN", "STRESU")
    )
    spec_col = f"{name}SPEC"
    for col in (orresu, stresc, stresu):
        if col not in df:
            df[col] = pd.Series(pd.NA, index=df.index, dtype="string")
    if stresn not in df:
        df[stresn] = np.nan
    spec = df[spec_col] if spec_col in df else pd.Series(pd.NA, index=df.index, dtype="string")
    seqs = df.get(f"{name}SEQ", pd.Series(np.nan, index=df.index))
    text = df[orres].astype("string").str.strip()
    df[stresc] = df[stresc].fillna(
        text.str.upper().where(df[testcd].map(lambda c: c in tests and tests[c].is_coded), text)
    )
    orres_num = pd.to_numeric(text, errors="coerce")
    blq = text.str.upper().str.startswith(BLQ_PREFIXES, na=False)
    keys = pd.DataFrame(
        {
            "t": df[testcd],
            "s": spec.fillna(""),
            "ou": df[orresu].fillna(""),
            "su": df[stresu].fillna(""),
        }
    )
    for (t, s, ou, su), idx in keys.groupby(["t", "s", "ou", "su"], sort=True).groups.items():
        ts = tests.get(t)
        if ts is None or ts.is_coded:
            continue
        std = ts.standard_unit(s or None)
        rows = df.index.isin(idx)
        if std is None:  # unitless score or count (ICE items, vasopressor count)
            need = rows & df[stresn].isna() & orres_num.notna()
            df.loc[need, stresn] = orres_num[need]
            continue
        have_std = rows & df[stresn].notna()
        if su and su != std and have_std.any():
            conv = convert(df.loc[have_std, stresn].to_numpy(), t, su, std)
            if conv is None:
                _unit_findings(findings, name, df, have_std, stresu, su, t, std, seqs)
                df.loc[have_std, stresn] = np.nan
            else:
                df.loc[have_std, stresn] = conv
        need = rows & df[stresn].isna() & orres_num.notna()
        if need.any():
            if not ou:
                _unit_findings(findings, name, df, need, orresu, None, t, std, seqs)
                continue
            if ou not in ts.accepted_units(s or None) and ou != std:
                _unit_findings(findings, name, df, need, orresu, ou, t, std, seqs)
                continue
            conv = convert(orres_num[need].to_numpy(), t, ou, std)
            if conv is None:
                _unit_findings(findings, name, df, need, orresu, ou, t, std, seqs)
                continue
            df.loc[need, stresn] = conv
            # Reference ranges travel with the unit (LB only).
            for lo_o, lo_s in (("LBORNRLO", "LBSTNRLO"), ("LBORNRHI", "LBSTNRHI")):
                if name == "LB" and lo_o in df:
                    if lo_s not in df:
                        df[lo_s] = np.nan
                    # in-memory frames may hold the range as text ('' when absent)
                    lo_num = pd.to_numeric(df[lo_o], errors="coerce")
                    fill = need & df[lo_s].isna() & lo_num.notna()
                    if fill.any():
                        df.loc[fill, lo_s] = convert(lo_num[fill].to_numpy(), t, ou, std)
        df.loc[rows & df[stresn].notna(), stresu] = std
        df.loc[rows & blq & df[stresu].isna(), stresu] = std
    numeric_std = df[stresn].notna()
    fmt = df.loc[numeric_std, stresn].map(lambda v: f"{v:.10g}")
    df.loc[numeric_std & df[stresc].isna(), stresc] = fmt
    df[stresu] = df[stresu].astype("string")
    df[stresc] = df[stresc].astype("string")
    return df


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
            )
        )


def load_study(path: str | Path) -> Study:
    """Read every ``<domain>.csv`` or ``<domain>.xpt`` in ``path`` into a :class:`Study`.

    Character variables stay text (blanks become missing); numeric variables (--SEQ, --STRESN,
    --DOSE, AGE, ...) are parsed; findings results are standardised (``standardize_results``).
    Files for domains outside the data model are kept, typed as text, and noted as warnings.
    """
    root = Path(path)
    if not root.is_dir():
        raise InputError(f"study folder not found: {root}")
    files = sorted(p for p in root.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
    if not files:
        raise InputError(f"no .csv or .xpt datasets in {root}")
    model = data_model()
    findings: list[Finding] = []
    domains: dict[str, pd.DataFrame] = {}
    hashes: dict[str, str] = {}
    formats = set()
    for f in files:
        name = f.stem.upper()
        if name in domains:
            findings.append(
                Finding(
                    name,
                    None,
                    None,
                    None,
                    f.name,
                    "domain given twice (both .csv and .xpt); the first read is used",
                )
            )
            continue
        formats.add(SUFFIXES[f.suffix.lower()])
        hashes[f.name] = hashlib.sha256(f.read_bytes()).hexdigest()
        try:
            raw = _read_file(f)
        except Exception as exc:  # a file that cannot be parsed is bad input, not a crash
            raise InputError(f"{f}: cannot be read ({type(exc).__name__}: {exc})") from None
        if name not in model.domains:
            findings.append(
                Finding(
                    name,
                    None,
                    None,
                    None,
                    f.name,
                    "domain is not in cartrial's data model; kept unread",
                    severity="warning",
                )
            )
        typed = _type_columns(name, raw, findings)
        domains[name] = standardize_results(name, typed, model, findings)
    fmt = formats.pop() if len(formats) == 1 else "mixed"
    return Study(domains=domains, path=root, format=fmt, load_findings=findings, file_hashes=hashes)
