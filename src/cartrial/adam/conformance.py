"""ADaM structural conformance checks on written analysis datasets (issue #22 point 3).

CDISC's open-source rules engine (CORE) takes its rules and controlled terminology from the CDISC
Library, which needs an account key and a network connection; this module checks offline the
structure that the ADaM documents and the FDA fix, on the files as a reviewer receives them (SAS
XPORT v5, or CDISC Dataset-JSON v1.1):

========  ==========================================================================================
rule id   what is checked, and where it is written
========  ==========================================================================================
AD-NAME   dataset and variable names: at most 8 characters, upper-case letters, digits and
          underscores, starting with a letter; dataset names start with ``AD`` (SAS Institute,
          TS-140, record layout of a SAS XPORT v5 file; CDISC ADaM Model v2.1, section 2.3)
AD-LABEL  every dataset and variable has a label of at most 40 characters (TS-140)
AD-LEN    character values at most 200 bytes (TS-140), and each character variable's length set
          to its longest actual value (FDA, Study Data Technical Conformance Guide, section on
          variable lengths: "the allotted length for each column containing character data
          should be set to the maximum length of the variable used")
AD-REQ    the variables required for the dataset's class: ADSL (ADaMIG v1.3, section 3.1, Core
          "Req": STUDYID, USUBJID, SUBJID, SITEID, AGE, AGEU, SEX, RACE, ARM, ACTARM, TRT01P);
          BDS (ADaMIG v1.3, section 3.2: STUDYID, USUBJID, PARAM, PARAMCD, and AVAL or AVALC);
          time-to-event BDS (ADaM BDS for Time-to-Event Analyses v1.0: also CNSR and STARTDT);
          OCCDS adverse events (ADaM OCCDS v1.0, section 3: STUDYID, USUBJID, AETERM, AEDECOD,
          AEBODSYS)
AD-ADSL   ADSL has one record per subject (ADaMIG v1.3, section 3.1)
AD-SUBJ   every USUBJID of a dataset is in ADSL (ADaMIG v1.3, section 1.3: ADSL is the source
          of subject-level variables; a subject in no ADSL record cannot be traced)
AD-PARAM  PARAMCD at most 8 characters and a valid SAS name; PARAM and PARAMCD one-to-one
          (ADaMIG v1.3, section 3.2.3)
AD-DATE   ``*DT`` variables numeric with a date format, ``*DTM`` numeric with a date-time format
          (ADaMIG v1.3, section 3.1.2 / 3.2.4: dates are numeric in ADaM)
========  ==========================================================================================

What cannot be checked here and is said so: controlled terminology (needs the CDISC Library),
the ADaM Validation Checks that compare ADaM with SDTM values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cartrial.data.report_frame import COLUMNS
from cartrial.errors import InputError

NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,7}$")
REQUIRED = {
    "ADSL": ("STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "AGEU", "SEX", "RACE", "ARM",
             "ACTARM", "TRT01P"),
    "BDS": ("STUDYID", "USUBJID", "PARAM", "PARAMCD"),
    "TTE": ("STUDYID", "USUBJID", "PARAM", "PARAMCD", "AVAL", "CNSR", "STARTDT"),
    "OCCDS": ("STUDYID", "USUBJID", "AETERM", "AEDECOD", "AEBODSYS"),
}
DATE_FORMATS = ("DATE", "YYMMDD", "E8601DA", "MMDDYY", "DDMMYY")
DATETIME_FORMATS = ("DATETIME", "E8601DT")


@dataclass(frozen=True)
class AdamFile:
    """One analysis dataset as written: values and the metadata the file carries."""

    name: str
    label: str
    data: pd.DataFrame
    labels: dict[str, str]
    lengths: dict[str, int]      # character variables: declared length in bytes
    formats: dict[str, str]      # numeric variables: display format ('' when none)


def dataset_class(ds: AdamFile) -> str:
    """ADSL, OCCDS (adverse events), TTE (time-to-event BDS) or BDS, from the variables."""
    cols = set(ds.data.columns)
    if ds.name == "ADSL":
        return "ADSL"
    if "AEDECOD" in cols or "AETERM" in cols:
        return "OCCDS"
    if "CNSR" in cols:
        return "TTE"
    return "BDS"


def read_adam_folder(folder: str | Path) -> list[AdamFile]:
    """Every ``*.xpt`` (SAS XPORT v5) or, failing those, ``*.json`` (Dataset-JSON) in a folder.

    Raises
    ------
    InputError
        A folder that does not exist or holds no XPT or Dataset-JSON file.
    """
    import pyreadstat

    from cartrial.data.dataset_json import read_dataset_json

    p = Path(folder)
    if not p.is_dir():
        raise InputError(f"{p}: not a folder of ADaM datasets")
    out: list[AdamFile] = []
    for f in sorted(p.glob("*.xpt")):
        df, meta = pyreadstat.read_xport(str(f))
        text = [c for c in df.columns if meta.readstat_variable_types[c] == "string"]
        out.append(AdamFile(
            (meta.table_name or f.stem).upper(), meta.file_label or "", df,
            dict(zip(meta.column_names, meta.column_labels, strict=True)),
            {c: int(meta.variable_storage_width[c]) for c in text},
            {c: (meta.original_variable_types.get(c) or "").upper() for c in df.columns
             if c not in text}))
    if not out:
        for f in sorted(p.glob("*.json")):
            df, meta = read_dataset_json(f)
            cols = {c["name"]: c for c in meta.columns}
            out.append(AdamFile(
                meta.name.upper(), meta.label, df,
                {n: c.get("label", "") for n, c in cols.items()},
                {n: int(c.get("length") or 0) for n, c in cols.items()
                 if c.get("dataType") == "string"},
                {n: (c.get("displayFormat") or "").upper() for n, c in cols.items()
                 if c.get("dataType") != "string"}))
    if not out:
        raise InputError(f"{p}: no ADaM dataset (*.xpt or Dataset-JSON *.json) in the folder")
    return out


def _f(ds: str, rule_id: str, variable: str | None, value: object, rule: str,
       usubjid: object = None, seq: object = None, severity: str = "error") -> dict:
    return dict(severity=severity, rule_id=rule_id, domain=ds, usubjid=usubjid, seq=seq,
                variable=variable, value=value, rule=rule)


def _names_labels(ds: AdamFile) -> list[dict]:
    out = []
    if not NAME.match(ds.name) or not ds.name.startswith("AD"):
        out.append(_f(ds.name, "AD-NAME", None, ds.name, "dataset name must be at most 8 "
                      "characters A-Z, 0-9, _ and start with AD"))
    if not ds.label or len(ds.label) > 40:
        out.append(_f(ds.name, "AD-LABEL", None, ds.label, "dataset label must be 1-40 "
                      "characters"))
    for c in ds.data.columns:
        if not NAME.match(c):
            out.append(_f(ds.name, "AD-NAME", c, c, "variable name must be at most 8 "
                          "characters A-Z, 0-9, _ starting with a letter"))
        lab = ds.labels.get(c, "")
        if not lab or len(lab) > 40:
            out.append(_f(ds.name, "AD-LABEL", c, lab, "variable label must be 1-40 characters"))
    return out


def _lengths(ds: AdamFile) -> list[dict]:
    out = []
    for c, declared in ds.lengths.items():
        s = ds.data[c].dropna().astype(str)
        longest = int(s.map(lambda v: len(v.encode("utf-8"))).max()) if len(s) else 0
        if longest > 200:
            i = int(np.argmax(s.map(len).to_numpy()))
            out.append(_f(ds.name, "AD-LEN", c, s.iloc[i][:60] + "...", "character value over "
                          "200 bytes", *_who(ds, s.index[i])))
        if declared != max(longest, 1):
            out.append(_f(ds.name, "AD-LEN", c, f"length {declared}, longest value "
                          f"{longest}", "character length must equal the longest actual value "
                          "(FDA Study Data Technical Conformance Guide)"))
    return out


def _who(ds: AdamFile, idx) -> tuple[object, object]:
    row = ds.data.loc[idx]
    return row.get("USUBJID"), row.get("ASEQ")


def _required(ds: AdamFile, kind: str) -> list[dict]:
    cols = set(ds.data.columns)
    out = [_f(ds.name, "AD-REQ", v, None, f"variable required in an {kind} dataset is missing")
           for v in REQUIRED[kind] if v not in cols]
    if kind in ("BDS", "TTE") and not cols & {"AVAL", "AVALC"}:
        out.append(_f(ds.name, "AD-REQ", "AVAL", None, "a BDS dataset needs AVAL or AVALC"))
    return out


def _params(ds: AdamFile) -> list[dict]:
    if not {"PARAM", "PARAMCD"} <= set(ds.data.columns):
        return []
    out = []
    pairs = ds.data[["PARAMCD", "PARAM"]].drop_duplicates()
    for code in pairs["PARAMCD"].unique():
        if not NAME.match(str(code)):
            out.append(_f(ds.name, "AD-PARAM", "PARAMCD", code, "PARAMCD must be at most 8 "
                          "characters A-Z, 0-9, _ starting with a letter"))
    for col, other in (("PARAMCD", "PARAM"), ("PARAM", "PARAMCD")):
        n = pairs.groupby(col)[other].nunique()
        for key in n[n > 1].index:
            out.append(_f(ds.name, "AD-PARAM", col, key, f"one {col} must map to one {other}: "
                          f"{sorted(pairs.loc[pairs[col] == key, other].astype(str))}"))
    return out


def _dates(ds: AdamFile) -> list[dict]:
    out = []
    for c in ds.data.columns:
        if c.endswith("DTM"):
            want, kinds = "date-time", DATETIME_FORMATS
        elif c.endswith("DT"):
            want, kinds = "date", DATE_FORMATS
        else:
            continue
        fmt = ds.formats.get(c)
        if fmt is None or not fmt.startswith(kinds):
            out.append(_f(ds.name, "AD-DATE", c, fmt if fmt is not None else "character",
                          f"{c} must be numeric with a {want} format"))
    return out


def _subjects(files: list[AdamFile]) -> list[dict]:
    adsl = next((f for f in files if f.name == "ADSL"), None)
    if adsl is None:
        return [_f("ADSL", "AD-REQ", None, None, "no ADSL dataset among the ADaM files")]
    out = []
    dup = adsl.data["USUBJID"].duplicated(keep=False) if "USUBJID" in adsl.data else None
    if dup is not None and dup.any():
        for u in adsl.data.loc[dup, "USUBJID"].unique():
            out.append(_f("ADSL", "AD-ADSL", "USUBJID", u, "ADSL has one record per subject",
                          usubjid=u))
    known = set(adsl.data.get("USUBJID", pd.Series(dtype=object)))
    for f in files:
        if f.name == "ADSL" or "USUBJID" not in f.data:
            continue
        extra = sorted(set(f.data["USUBJID"].dropna()) - known)
        out += [_f(f.name, "AD-SUBJ", "USUBJID", u, "subject not in ADSL", usubjid=u)
                for u in extra]
    return out


def check_conformance(folder: str | Path) -> pd.DataFrame:
    """Structural findings for the ADaM datasets in a folder (see the module's rule table).

    Parameters
    ----------
    folder : str or pathlib.Path
        Folder with the ADaM datasets as ``*.xpt`` (SAS XPORT v5) or Dataset-JSON ``*.json``
        (e.g. ``OUT/adam`` of ``cartrial analyze``).

    Returns
    -------
    pandas.DataFrame
        One row per finding with the columns of the validation report (``severity``,
        ``rule_id``, ``domain`` = dataset, ``usubjid``, ``seq`` = ASEQ, ``variable``, ``value``,
        ``rule``); empty when the datasets conform.

    Raises
    ------
    InputError
        The folder does not exist or holds no dataset.

    Examples
    --------
    >>> check_conformance("build/demo/adam").empty  # doctest: +SKIP
    True
    """
    return check_files(read_adam_folder(folder))


def check_files(files: list[AdamFile]) -> pd.DataFrame:
    """The checks of :func:`check_conformance` on datasets already read (see ``AdamFile``).

    Examples
    --------
    >>> adsl = pd.DataFrame({"STUDYID": ["CT071"], "USUBJID": ["CT071-001"]})
    >>> f = AdamFile("ADSL", "Subject-Level Analysis Dataset", adsl,
    ...              {"STUDYID": "Study Identifier", "USUBJID": "Unique Subject Identifier"},
    ...              {"STUDYID": 5, "USUBJID": 9}, {})
    >>> sorted(check_files([f])["variable"])[:3]
    ['ACTARM', 'AGE', 'AGEU']
    """
    rows: list[dict] = []
    for ds in files:
        kind = dataset_class(ds)
        rows += _names_labels(ds) + _lengths(ds) + _required(ds, kind) + _params(ds)
        rows += _dates(ds)
    rows += _subjects(files)
    return pd.DataFrame(rows, columns=COLUMNS)
