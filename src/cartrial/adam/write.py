"""Write ADaM datasets as CSV and SAS XPORT v5 with labels, plus the define-like HTML.

The CSV text conventions are those of :mod:`cartrial.data.write` (integers without ".0", floats
to 10 significant digits, dates as YYYY-MM-DD, missing as empty), implemented column-wise here
because the analysis datasets are large (ADLB: millions of rows for a large trial) and a
per-value Python call dominates the run time. In XPT, dates are SAS numeric dates with format
DATE9. (ADaMIG: *DT variables are numeric dates); the v5 limits (names <= 8, labels <= 40
ASCII, text <= 200 bytes) are checked and refused, never truncated.

A dataset too large to hold whole comes as a :class:`cartrial.adam.batched.BatchedDataset`;
:func:`write_adam` writes it one batch at a time with the bytes of the concatenated frame (one
pass for CSV, metadata and XPT checks, then the XPT from batches spilled to a temporary
directory, since the XPT header needs the text widths of all rows).
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from cartrial.adam.batched import BatchedDataset
from cartrial.adam.define_view import define_view_html
from cartrial.adam.define_xml import add_params, define_xml
from cartrial.adam.metadata import DATASETS, DatasetProfile, define_html, variable_label
from cartrial.data.dataset_json import write_dataset_json
from cartrial.data.text import factorize_text
from cartrial.data.write import xpt_v5_name_problems
from cartrial.data.xport import XportV5Writer, text_width, write_xport_v5
from cartrial.errors import InputError


def _numbers_as_text(s: pd.Series) -> np.ndarray:
    """Same text as ``cartrial.data.write._fmt_number``, vectorised."""
    v = s.to_numpy(dtype=float)
    out = np.full(len(v), "", dtype=object)
    ok = np.isfinite(v)
    whole = ok & (np.abs(v) < 1e15) & (v == np.round(v))
    out[whole] = v[whole].astype(np.int64).astype(str)
    frac = ok & ~whole
    if frac.any():  # formatted once per distinct value (results repeat across records)
        codes, uniq = pd.factorize(v[frac])
        out[frac] = np.char.mod("%.10g", uniq).astype(object)[codes]
    inf = np.isinf(v)
    if inf.any():
        out[inf] = np.where(v[inf] > 0, "inf", "-inf")
    return out


def _text(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.map({True: "Y", False: ""}).astype(object)
    if pd.api.types.is_datetime64_any_dtype(s):
        codes, uniq = pd.factorize(s)  # few distinct dates: format each once
        text = np.append(pd.DatetimeIndex(uniq).strftime("%Y-%m-%d").to_numpy(dtype=object), "")
        return pd.Series(text[codes], index=s.index, dtype=object)
    return s.astype(object).where(s.notna(), "").astype(str)


# what Python's csv module quotes with lineterminator "\n" (a lone "\r" is not quoted)
_NEEDS_QUOTES = r'[,"\n]'


def _csv_quoted(values: np.ndarray) -> np.ndarray:
    """csv.QUOTE_MINIMAL quoting (as pandas' to_csv), decided once per distinct value."""
    codes, uniq = factorize_text(values)
    u = pd.Series(uniq, dtype=object)
    need = u.str.contains(_NEEDS_QUOTES, regex=True).to_numpy(dtype=bool)
    if not need.any():
        return values
    u[need] = '"' + u[need].str.replace('"', '""', regex=False) + '"'
    return u.to_numpy(dtype=object)[codes]


def adam_csv_text(df: pd.DataFrame) -> str:
    """Deterministic CSV text of an analysis dataset (conventions of the module docstring).

    Same text as pandas' ``to_csv`` (QUOTE_MINIMAL, "\\n"), joined in C by ``str.join`` over
    the column arrays, which is 3x faster for a dataset of millions of rows.

    Parameters
    ----------
    df : pandas.DataFrame
        An analysis dataset; dates are written ``YYYY-MM-DD``, missing values empty.

    Returns
    -------
    str
        The CSV text (byte-identical for the same data).

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": ["S1", "S2"], "AVAL": [1.0, 2.5],
    ...                    "ADT": pd.to_datetime(["2024-03-10", None])})
    >>> adam_csv_text(df)
    'USUBJID,AVAL,ADT\\nS1,1,2024-03-10\\nS2,2.5,\\n'
    """
    cols = []
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            cols.append(_numbers_as_text(s))
        else:
            cols.append(_text(s).to_numpy(dtype=object))
    if len(cols) < 2:  # the csv module quotes a lone empty field: keep its exact rules
        return pd.DataFrame(dict(zip(df.columns, cols, strict=True)), index=df.index).to_csv(
            index=False, lineterminator="\n")
    cols = [_csv_quoted(v) for v in cols]
    header = ",".join(_csv_quoted(np.asarray([str(c) for c in df.columns], dtype=object)))
    body = "\n".join(map(",".join, zip(*cols, strict=True)))
    return f"{header}\n{body}\n" if len(df) else f"{header}\n"


def _csv_chunks(df: pd.DataFrame, chunk_rows: int = 100_000, header: bool = True
                ) -> Iterator[str]:
    """:func:`adam_csv_text` of ``df`` in row chunks (with the header line only when asked)."""
    for i, start in enumerate(range(0, max(len(df), 1), chunk_rows)):
        text = adam_csv_text(df.iloc[start:start + chunk_rows])
        yield text if header and i == 0 else text.split("\n", 1)[1]


def write_adam_csv(df: pd.DataFrame, path: Path, chunk_rows: int = 100_000) -> None:
    """:func:`adam_csv_text` written in row chunks (a large dataset is never one string)."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.writelines(_csv_chunks(df, chunk_rows))


_XPT_KIND = {"num": "num", "date": "date", "bool": "text", "text": "text"}
_XPT_MISSING = {"num": (np.nan, np.float64), "date": (np.datetime64("NaT", "ns"), "M8[ns]"),
                "text": ("", object)}  # an all-missing column of another dtype, as its kind


class _XptColumns:
    """A dataset's columns as XPORT v5 takes them, from the whole frame or batch by batch
    (:meth:`convert`): numbers as float, dates as they are (format DATE9.), the rest as the CSV
    text. The v5 problems are gathered over all rows and raised together by :meth:`check`:
    names and labels, values over 200 bytes (counted), dates with a time of day (counted, the
    first named) or a time zone. ``widths``: the XPT width of each text column so far."""

    def __init__(self, name: str, columns: list[str], labels: Mapping[str, str]) -> None:
        self.name = name
        self.labels = [labels[c] for c in columns]
        self._name_problems = xpt_v5_name_problems(name, columns, self.labels)
        self._columns = columns
        self._over: dict[str, int] = {}
        self._timed: dict[str, tuple[int, object]] = {}  # column -> (count, first)
        self._zoned: dict[str, object] = {}  # column -> dtype
        self.widths: dict[str, int] = {}

    def convert(self, df: pd.DataFrame) -> pd.DataFrame:
        out = {}
        for c in df.columns:
            s = df[c]
            if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
                out[c] = s.astype(float)
            elif pd.api.types.is_datetime64_any_dtype(s):
                self._date_problems(c, s)
                out[c] = s
            else:
                out[c] = txt = _text(s)
                codes, uniq = pd.factorize(txt)  # lengths once per distinct value
                nbytes = pd.Series(uniq, dtype=object).str.encode("utf-8").str.len().to_numpy()
                if (nbytes > 200).any():
                    self._over[c] = (self._over.get(c, 0)
                                     + int(np.count_nonzero(nbytes[codes] > 200)))
                self.widths[c] = max(self.widths.get(c, 1),
                                     text_width(pd.Series(uniq, dtype=object)))
        return pd.DataFrame(out, index=df.index)

    def _date_problems(self, c: str, s: pd.Series) -> None:
        """Why a datetime64 column cannot be an XPT date column, counted with earlier rows."""
        if not isinstance(s.dtype, np.dtype):
            self._zoned[c] = s.dtype
            return
        has_time = s.notna() & (s != s.dt.normalize())
        if has_time.any():
            count, first = self._timed.get(c, (0, s[has_time].iloc[0]))
            self._timed[c] = (count + int(has_time.sum()), first)

    def check(self, kinds: Mapping[str, str] | None = None) -> None:
        """InputError listing every problem; ``kinds``: the columns' kinds over batches (a time
        zone on a column without values in a batch is no problem when the others have none)."""
        problems = list(self._name_problems)
        for c in self._columns:
            if c in self._zoned and (kinds is None or kinds[c].startswith("date (")):
                problems.append(f"{c}: dates with a time zone ({self._zoned[c]}) cannot be "
                                "SAS dates")
            elif c in self._timed:
                count, first = self._timed[c]
                problems.append(f"{c}: {count} date(s) with a time of day (first {first}); "
                                "SAS DATE9. holds whole days")
            if self._over.get(c):
                problems.append(f"{c}: {self._over[c]} value(s) over 200 bytes (XPT v5)")
        if problems:
            raise InputError(f"{self.name}: cannot be written as XPT v5: " + "; ".join(problems))


def _dataset_label(name: str) -> str:
    return DATASETS.get(name, (name, ""))[0][:40]


def write_adam_xpt(df: pd.DataFrame, path: Path, name: str, label: str,
                   labels: Mapping[str, str], created: datetime | None = None) -> None:
    """One dataset as XPORT v5; every limit problem is collected and raised together.

    Dates (``datetime64`` columns: ADT, ASTDT, AENDT, TRTSDT, APHDT, DTHDT, LSTALVDT, ...) are
    written as SAS numeric dates (days since 1960-01-01, missing = '.') with format ``DATE9.``:
    in ADaMIG's timing variables (ADSL trial dates, BDS/OCCDS analysis dates) a ``*DT`` variable
    is a numeric date with a date format, not text (pyreadstat ``write_xport``:
    ``variable_format={"TRTSDT": "DATE9."}``). A date with a time of day or a time zone is
    refused. The CSV files keep ISO 8601 text (YYYY-MM-DD, :func:`adam_csv_text`). Text and
    numbers are written as in the CSV conventions of the module docstring.

    ``created`` is the header timestamp (the Unix epoch when None, so files are reproducible).
    Written by :func:`cartrial.data.xport.write_xport_v5` (same bytes as pyreadstat, vectorised;
    a date column has the bytes pyreadstat writes for it as ``datetime.date`` objects).
    """
    cols = _XptColumns(name, list(df.columns), labels)
    out = cols.convert(df)
    cols.check()
    dates = [c for c in out.columns if pd.api.types.is_datetime64_any_dtype(out[c])]
    write_xport_v5(out, path, table_name=name, file_label=label[:40], column_labels=cols.labels,
                   created=created, variable_format=dict.fromkeys(dates, "DATE9."))


def _write_batched(name: str, data: BatchedDataset, out: Path, created: datetime
                   ) -> DatasetProfile:
    """A :class:`BatchedDataset` as CSV and XPT holding one batch at a time; returns its
    metadata for define.html. One pass over the batches writes the CSV, gathers the metadata,
    the XPT problems and text widths, and spills each batch's XPT columns (pickle) to a
    temporary directory in ``out``; the XPT is then written from the spilled batches. The
    directory (where the CSV is written until the pass has ended) is removed at the end, also
    after an error."""
    profile = DatasetProfile(name)
    with tempfile.TemporaryDirectory(dir=out, prefix=f".{name.lower()}-") as tmp:
        spill, csv = Path(tmp), Path(tmp) / "csv"
        parts: list[tuple[Path, dict[str, str]]] = []  # spilled batch, its columns' XPT kinds
        xpt: _XptColumns | None = None
        with open(csv, "w", encoding="utf-8", newline="") as f:
            for i, batch in enumerate(data.batches()):
                kinds = profile.add(batch)
                if xpt is None:
                    xpt = _XptColumns(name, profile.columns,
                                      {c: variable_label(c) for c in profile.columns})
                f.writelines(_csv_chunks(batch, header=i == 0))
                parts.append((spill / f"{i}.pkl", _xpt_kinds(kinds)))
                with open(parts[-1][0], "wb") as p:
                    pickle.dump(xpt.convert(batch), p, protocol=pickle.HIGHEST_PROTOCOL)
                del batch
        if xpt is None:
            raise InputError(f"{name}: a BatchedDataset needs at least one batch")
        resolved = profile.kinds.resolved()
        profile.check_rows(data)
        os.replace(csv, out / f"{name.lower()}.csv")
        xpt.check(resolved)
        _write_spilled(name, out / f"{name.lower()}.xpt", parts, _xpt_kinds(resolved), xpt,
                       created)
    return profile


def _xpt_kinds(kinds: Mapping[str, str]) -> dict[str, str]:
    return {c: _XPT_KIND.get(k, "date") for c, k in kinds.items()}


def _write_spilled(name: str, path: Path, parts: list[tuple[Path, dict[str, str]]],
                   kinds: dict[str, str], xpt: _XptColumns, created: datetime) -> None:
    """The XPT from the spilled batches, read back one at a time; a column all missing in a
    batch with another dtype than the column's is written as missing values of its kind."""
    cols = list(kinds)
    with XportV5Writer(path, table_name=name, file_label=_dataset_label(name), columns=cols,
                       column_labels=xpt.labels, kinds=list(kinds.values()),
                       text_widths={c: xpt.widths.get(c, 1) for c in cols},
                       variable_format={c: "DATE9." for c in cols if kinds[c] == "date"},
                       created=created) as w:
        for spilled, part_kinds in parts:
            with open(spilled, "rb") as p:
                part = pickle.load(p)
            spilled.unlink()
            for c in cols:
                if part_kinds[c] != kinds[c]:
                    part[c] = np.full(len(part), *_XPT_MISSING[kinds[c]])
            w.write(part)
            del part


def write_adam(datasets: Mapping[str, pd.DataFrame | BatchedDataset], out_dir: str | Path, *,
               study: str, version: str, protocol_hash: str, data_hash: str,
               run_date: datetime, format: str = "xpt") -> list[Path]:
    """``<name>.csv`` and ``<name>.xpt`` (lower-case) per dataset, ``define.html`` and the
    Define-XML 2.1 ``define.xml`` (:func:`cartrial.adam.define_xml.define_xml`).

    A dataset is a frame or a :class:`BatchedDataset` (written holding one batch at a time,
    with the bytes of its concatenated frame). ``format="dataset-json"`` writes CDISC
    Dataset-JSON v1.1 ``<name>.json`` instead of the XPT (:mod:`cartrial.data.dataset_json`,
    created ``run_date``, source system cartrial ``version``).

    Parameters
    ----------
    datasets : mapping of str to DataFrame or BatchedDataset
        ADaM name -> dataset.
    out_dir : str or pathlib.Path
        Directory (created when missing).
    study, version, protocol_hash, data_hash : str
        Study id, cartrial version and SHA-256 provenance of protocol and SDTM data.
    run_date : datetime.datetime
        The run's timestamp (file headers).
    format : {"xpt", "dataset-json"}
        Transport format written next to the CSV files.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> adsl = pd.DataFrame({"STUDYID": ["CT071"], "USUBJID": ["S1"], "AGE": [61]})
    >>> [p.name for p in write_adam({"ADSL": adsl}, tempfile.mkdtemp(), study="CT071",
    ...  version="1", protocol_hash="a", data_hash="b", run_date=datetime(2025, 1, 1))]
    ['adsl.csv', 'adsl.xpt', 'define.html', 'define.xml', 'define-xml.html']
    """
    if format not in ("xpt", "dataset-json"):
        raise InputError(f"format must be 'xpt' or 'dataset-json', but was {format!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    meta: dict[str, pd.DataFrame | DatasetProfile] = {}
    params: dict[str, dict[str, str]] = {}  # of batched datasets, gathered as they are written
    for name, df in datasets.items():
        csv, xpt = out / f"{name.lower()}.csv", out / f"{name.lower()}.xpt"
        if isinstance(df, BatchedDataset):
            df = _recording_params(df, params.setdefault(name, {}))
        if format == "dataset-json":
            meta[name] = _write_json(name, df, out, study, version, run_date)
            written += [csv, out / f"{name.lower()}.json"]
            continue
        if isinstance(df, BatchedDataset):
            meta[name] = _write_batched(name, df, out, run_date)
        else:
            write_adam_csv(df, csv)
            write_adam_xpt(df, xpt, name, _dataset_label(name),
                           {c: variable_label(c) for c in df.columns}, created=run_date)
            meta[name] = df
        written += [csv, xpt]
    d = out / "define.html"
    d.write_text(define_html(meta, study=study, version=version, protocol_hash=protocol_hash,
                             data_hash=data_hash), encoding="utf-8")
    x = out / "define.xml"
    xml = define_xml(datasets, study=study, version=version, created=run_date,
                     file_ext="json" if format == "dataset-json" else "xpt",
                     profiles={n: m for n, m in meta.items() if isinstance(m, DatasetProfile)},
                     params=params)
    x.write_text(xml, encoding="utf-8")
    v = out / "define-xml.html"
    v.write_text(define_view_html(xml), encoding="utf-8")
    written += [d, x, v]
    return written


def _recording_params(data: BatchedDataset, seen: dict[str, str]) -> BatchedDataset:
    """``data`` whose batches add their (PARAMCD, PARAM) pairs to ``seen`` as they pass (so
    define.xml needs no pass of its own over a large dataset)."""
    def make() -> Iterator[pd.DataFrame]:
        for batch in data.batches():
            add_params(seen, batch)
            yield batch
    return BatchedDataset(data.n_rows, make)


def _write_json(name: str, data: pd.DataFrame | BatchedDataset, out: Path, study: str,
                version: str, run_date: datetime) -> pd.DataFrame | DatasetProfile:
    """The CSV and the Dataset-JSON of one dataset; returns its metadata for define.html."""
    if isinstance(data, BatchedDataset):
        profile = DatasetProfile(name)
        with open(out / f"{name.lower()}.csv", "w", encoding="utf-8", newline="") as f:
            for i, batch in enumerate(data.batches()):
                profile.add(batch)
                f.writelines(_csv_chunks(batch, header=i == 0))
        profile.check_rows(data)
        columns, meta = profile.columns, profile
    else:
        write_adam_csv(data, out / f"{name.lower()}.csv")
        columns, meta = list(data.columns), data
    write_dataset_json(data.batches if isinstance(data, BatchedDataset) else data,
                       out / f"{name.lower()}.json", name=name, label=_dataset_label(name),
                       labels={c: variable_label(c) for c in columns}, study=study,
                       created=run_date, source=("cartrial", version),
                       metadata_ref="define.xml")
    return meta
