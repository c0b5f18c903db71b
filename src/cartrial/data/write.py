"""Write SDTM (or ADaM) tables as CSV or SAS XPORT version 5 (the submission format).

XPORT files are written by :mod:`cartrial.data.xport` (the bytes pyreadstat's v5 writer gives,
vectorised). Regulatory submissions expect v5, not v8 (FDA Study
Data Technical Conformance Guide), which limits names to 8 characters, labels to 40 ASCII
characters and character values to 200 bytes (SAS XPORT v5,
SAS TS-140). Those limits are checked here, never truncated silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from cartrial import __version__
from cartrial.data.dataset_json import write_dataset_json
from cartrial.data.spec import data_model
from cartrial.data.xport import write_xport_v5
from cartrial.errors import InputError


def ordered_columns(name: str, df: pd.DataFrame) -> list[str]:
    """Model order (required, then optional), then any other columns in their given order."""
    spec = data_model().domains.get(name)
    known = list(spec.variables) if spec else []
    first = [c for c in known if c in df.columns]
    return first + [c for c in df.columns if c not in first]


def _fmt_number(v: float) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.10g}"


def to_csv_text(df: pd.DataFrame) -> str:
    """Deterministic CSV text: integers without '.0', floats to 10 significant digits.

    Parameters
    ----------
    df : pandas.DataFrame
        A dataset; missing values are written empty, dates as ``YYYY-MM-DD``.

    Returns
    -------
    str
        CSV text with a header row and ``\\n`` line ends (byte-identical for the same data).

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": ["S1", "S2"], "AGE": [61.0, None], "X": [1 / 3, 2.0]})
    >>> print(to_csv_text(df), end="")
    USUBJID,AGE,X
    S1,61,0.3333333333
    S2,,2
    """
    out = pd.DataFrame(index=df.index)
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            out[c] = s.map(_fmt_number)
        elif pd.api.types.is_datetime64_any_dtype(s):
            out[c] = s.dt.strftime("%Y-%m-%d").fillna("")
        else:
            out[c] = s.astype(object).where(s.notna(), "").astype(str)
    return out.to_csv(index=False, lineterminator="\n")


def labels_for(name: str, columns: list[str], labels: Mapping[str, str] | None = None) -> list[str]:
    spec = data_model().domains.get(name)
    known = dict(spec.variables) if spec else {}
    known.update(labels or {})
    return [known.get(c, c) for c in columns]


def xpt_v5_name_problems(name: str, columns: list[str], labels: list[str]) -> list[str]:
    """XPT v5 limits on names and labels: dataset and variable names <= 8 characters, labels
    <= 40 ASCII characters (one message per problem; nothing is truncated)."""
    problems = []
    if len(name) > 8:
        problems.append(f"dataset name {name!r} longer than 8 characters")
    for c, lab in zip(columns, labels, strict=True):
        if len(c) > 8:
            problems.append(f"variable name {c!r} longer than 8 characters")
        if len(lab) > 40 or not lab.isascii():
            problems.append(f"label of {c} must be <= 40 ASCII characters: {lab!r}")
    return problems


def write_xpt(df: pd.DataFrame, path: Path, name: str, label: str,
              labels: Mapping[str, str] | None = None, created: datetime | None = None) -> None:
    """One dataset as XPORT v5 with dataset and variable labels; limits checked, not truncated.

    ``created`` is the header timestamp (the Unix epoch when None, so the same data give the
    same bytes). Written by :func:`cartrial.data.xport.write_xport_v5` (pyreadstat's bytes).

    Parameters
    ----------
    df : pandas.DataFrame
        The dataset; booleans are written ``"Y"``/blank, dates as ``YYYY-MM-DD`` text.
    path : pathlib.Path
        File to write.
    name, label : str
        Dataset name (<= 8 characters) and label (cut to 40 characters).
    labels : mapping of str to str, optional
        Variable labels overriding the data model's.
    created : datetime.datetime, optional
        Header timestamp.

    Raises
    ------
    InputError
        When a name is over 8 characters, a label over 40 or a text value over 200 bytes.

    References
    ----------
    SAS Institute, TS-140: The Record Layout of a Data Set in SAS Transport (XPORT) Format.

    Examples
    --------
    >>> import tempfile
    >>> tmp = Path(tempfile.mkdtemp())
    >>> dm = pd.DataFrame({"USUBJID": ["S1"], "AGE": [61]})
    >>> write_xpt(dm, tmp / "dm.xpt", "DM", "Demographics")
    >>> write_xpt(dm.rename(columns={"AGE": "AGE_YEARS"}), tmp / "x.xpt", "DM", "Demographics")
    Traceback (most recent call last):
    ...
    cartrial.errors.InputError: DM: cannot be written as XPT v5: variable name 'AGE_YEARS' ...
    """
    cols = list(df.columns)
    col_labels = labels_for(name, cols, labels)
    problems = xpt_v5_name_problems(name, cols, col_labels)
    out = pd.DataFrame(index=df.index)
    for c in cols:
        s = df[c]
        if pd.api.types.is_bool_dtype(s):
            s = s.map({True: "Y", False: ""})
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = s.dt.strftime("%Y-%m-%d").fillna("")
        elif pd.api.types.is_numeric_dtype(s):
            out[c] = s.astype(float)
        else:
            txt = s.astype(object).where(s.notna(), "").astype(str)
            too_long = txt.str.encode("utf-8").str.len() > 200
            if too_long.any():
                problems.append(f"{c}: {int(too_long.sum())} value(s) over 200 bytes (XPT v5)")
            out[c] = txt
    if problems:
        raise InputError(f"{name}: cannot be written as XPT v5: " + "; ".join(problems))
    write_xport_v5(out, path, table_name=name, file_label=label[:40], column_labels=col_labels,
                   created=created)


def write_study(domains: Mapping[str, pd.DataFrame], out_dir: str | Path,
                format: Literal["csv", "xpt", "dataset-json"] = "csv") -> list[Path]:
    """Write each domain as ``<domain>.csv``, ``<domain>.xpt`` or, for ``"dataset-json"``,
    CDISC Dataset-JSON v1.1 ``<domain>.json`` (lower-case file names).

    Parameters
    ----------
    domains : mapping of str to pandas.DataFrame
        SDTM domain code -> dataset; columns are put in the data model's order.
    out_dir : str or pathlib.Path
        Directory (created when missing).
    format : {"csv", "xpt", "dataset-json"}
        File format.

    Returns
    -------
    list of pathlib.Path
        The files written, in domain order.

    Raises
    ------
    InputError
        On an unknown format, or a dataset XPT v5 cannot hold (see :func:`write_xpt`).

    Examples
    --------
    >>> import tempfile
    >>> dm = pd.DataFrame({"STUDYID": ["CT071"], "USUBJID": ["CT071-001"], "AGE": [61]})
    >>> [p.name for p in write_study({"DM": dm}, tempfile.mkdtemp())]
    ['dm.csv']
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = data_model()
    written = []
    for name in sorted(domains):
        df = domains[name]
        df = df[ordered_columns(name, df)]
        path = out / f"{name.lower()}.{'json' if format == 'dataset-json' else format}"
        if format == "csv":
            path.write_text(to_csv_text(df), encoding="utf-8")
        elif format == "xpt":
            spec = model.domains.get(name)
            write_xpt(df, path, name, spec.label if spec else name)
        elif format == "dataset-json":
            spec = model.domains.get(name)
            write_dataset_json(df, path, name=name, label=spec.label if spec else name,
                               labels=dict(zip(df.columns, labels_for(name, list(df.columns)),
                                               strict=True)),
                               study=_study_id(df), source=("cartrial", __version__))
        else:
            raise InputError(f"format must be 'csv', 'xpt' or 'dataset-json', but was {format!r}")
        written.append(path)
    return written


def _study_id(df: pd.DataFrame) -> str | None:
    ids = df["STUDYID"].dropna().unique() if "STUDYID" in df.columns else []
    return str(ids[0]) if len(ids) == 1 else None
