"""ADaM datasets as SAS XPORT v5 with their labels.

Dates are SAS numeric dates with format DATE9. (ADaMIG: *DT variables are numeric dates); the v5
limits (names <= 8, labels <= 40 ASCII, text <= 200 bytes) are checked and refused, never
truncated; text and numbers are written as in the CSV files (:mod:`cartrial.adam.write_csv`).
A :class:`cartrial.adam.batched.BatchedDataset` too large to hold whole is written one batch at a
time (:func:`write_batched`): one pass for CSV, metadata and XPT checks, then the XPT from the
batches spilled to a temporary directory, since the XPT header needs the text widths of all rows.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from cartrial.adam.batched import BatchedDataset
from cartrial.adam.column_profile import distinct
from cartrial.adam.define_params import add_params_coded
from cartrial.adam.metadata import DATASETS, DatasetProfile, variable_label
from cartrial.adam.write_csv import Coded, as_text, coded_text, csv_chunks
from cartrial.data.write import xpt_v5_name_problems
from cartrial.data.xport import XportV5Writer, text_width, write_xport_v5
from cartrial.errors import InputError


def dataset_labels(name: str, columns: Iterable[str]) -> dict[str, str]:
    """The label of every variable of dataset ``name``; an :class:`InputError` naming the dataset
    and every variable without one (never a bare ``KeyError``)."""
    labels, missing = {}, []
    for c in columns:
        try:
            labels[c] = variable_label(c)
        except InputError:
            missing.append(c)
    if missing:
        raise InputError(_no_label(name, missing))
    return labels


def _no_label(name: str, missing: list[str]) -> str:
    return (f"{name}: no label for variable(s) {', '.join(missing)}; every variable of an ADaM "
            "dataset needs one (add it to cartrial.adam.metadata.LABELS)")


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
        missing = [c for c in columns if c not in labels]
        if missing:
            raise InputError(_no_label(name, missing))
        self.labels = [labels[c] for c in columns]
        self._name_problems = xpt_v5_name_problems(name, columns, self.labels)
        self._columns = columns
        self._over: dict[str, int] = {}
        self._timed: dict[str, tuple[int, object]] = {}  # column -> (count, first)
        self._zoned: dict[str, object] = {}  # column -> dtype
        self.widths: dict[str, int] = {}

    def convert(self, df: pd.DataFrame, coded: Coded | None = None
                ) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        """The XPT columns of ``df`` and the distinct values of the text columns given in
        ``coded`` (:func:`cartrial.adam.write_csv.coded_text`), which come back as their codes
        (for :meth:`cartrial.data.xport.XportV5Writer.write`); other text columns as text."""
        out, values_of = {}, {}
        for c in df.columns:
            s = df[c]
            if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
                out[c] = s.astype(float)
            elif pd.api.types.is_datetime64_any_dtype(s):
                self._date_problems(c, s)
                out[c] = s
            elif coded is not None and c in coded and "\x00" not in "".join(coded[c][1]):
                # (a NUL: pandas' factorize merges values at it, as the text path below does)
                out[c], values_of[c] = coded[c]
                self._text_problems(c, *coded[c])
            else:
                out[c] = txt = as_text(s)
                self._text_problems(c, *pd.factorize(txt))  # all str: no missing
        return pd.DataFrame(out, index=df.index, copy=False), values_of

    def _text_problems(self, c: str, codes: np.ndarray, values: np.ndarray) -> None:
        """Values over 200 bytes (counted with earlier rows) and the width so far of a text
        column given as codes into its distinct values (each measured once)."""
        nbytes = np.fromiter((len(u.encode("utf-8")) for u in values), dtype=np.int64,
                             count=len(values))
        if (nbytes > 200).any():
            self._over[c] = self._over.get(c, 0) + int(np.count_nonzero(nbytes[codes] > 200))
        self.widths[c] = max(self.widths.get(c, 1),
                             text_width(pd.Series(values, dtype=object)))

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


def dataset_label(name: str) -> str:
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

    Written by :func:`cartrial.data.xport.write_xport_v5` (same bytes as pyreadstat, vectorised;
    a date column has the bytes pyreadstat writes for it as ``datetime.date`` objects).

    Parameters
    ----------
    df : pandas.DataFrame
        The dataset; numbers are written as 8-byte floats, ``datetime64`` columns as dates, the
        rest as text.
    path : pathlib.Path
        The ``.xpt`` file written (not created when a problem is found).
    name : str
        Dataset name (member name, at most 8 characters), e.g. ``"ADSL"``.
    label : str
        Dataset label (first 40 characters kept, as the v5 header holds).
    labels : mapping of str to str
        The label of every column of ``df`` (at most 40 ASCII characters each).
    created : datetime.datetime, optional
        Header timestamp; the Unix epoch when None, so files are reproducible.

    Raises
    ------
    cartrial.errors.InputError
        A column without a label (the dataset and every such variable named), or every v5 limit
        problem found, collected in one message: a name over 8 characters, a label over 40 or not
        ASCII, a text value over 200 bytes (counted per column), a date with a time of day (counted,
        the first named) or with a time zone.

    References
    ----------
    SAS Institute, "The Record Layout of a Data Set in SAS Transport (XPORT) Format", SAS
    Technical Support document TS-140 (the v5 record layout and its limits); US FDA, Study Data
    Technical Conformance Guide (2023), section 3.3.1 (SAS XPORT v5 as the transport format of
    submitted datasets); CDISC ADaMIG v1.3 (2021) section 3.1.4 (``*DT`` variables are numeric
    SAS dates).

    Examples
    --------
    Read back by pyreadstat (ReadStat), an independent reader of the format: the date is a SAS date
    with format DATE9. and the labels are kept.

    >>> import tempfile, pyreadstat
    >>> df = pd.DataFrame({"USUBJID": ["S1", "S2"], "AGE": [61, 70],
    ...                    "TRTSDT": pd.to_datetime(["2024-01-10", None])})
    >>> path = Path(tempfile.mkdtemp()) / "adsl.xpt"
    >>> write_adam_xpt(df, path, "ADSL", "Subject-Level Analysis Dataset",
    ...                {"USUBJID": "Unique Subject Identifier", "AGE": "Age",
    ...                 "TRTSDT": "Date of First Exposure to Treatment"})
    >>> back, meta = pyreadstat.read_xport(path)
    >>> back["TRTSDT"].tolist(), meta.original_variable_types["TRTSDT"]
    ([datetime.date(2024, 1, 10), nan], 'DATE9')
    >>> meta.column_names_to_labels["AGE"], meta.table_name
    ('Age', 'ADSL')
    >>> write_adam_xpt(df, path, "ADSL", "x", {"USUBJID": "Unique Subject Identifier"})
    Traceback (most recent call last):
    ...
    cartrial.errors.InputError: ADSL: no label for variable(s) AGE, TRTSDT; ...
    """
    cols = _XptColumns(name, list(df.columns), labels)
    out, _ = cols.convert(df)
    cols.check()
    dates = [c for c in out.columns if pd.api.types.is_datetime64_any_dtype(out[c])]
    write_xport_v5(out, path, table_name=name, file_label=label[:40], column_labels=cols.labels,
                   created=created, variable_format=dict.fromkeys(dates, "DATE9."))


def write_batched(name: str, data: BatchedDataset, out: Path, created: datetime,
                  params: dict | None = None) -> DatasetProfile:
    """A :class:`BatchedDataset` as CSV and XPT holding one batch at a time; returns its
    metadata for define.html. One pass over the batches writes the CSV, gathers the metadata,
    the XPT problems and text widths, and spills each batch's XPT columns (pickle) to a
    temporary directory in ``out``; the XPT is then written from the spilled batches. The
    directory (where the CSV is written until the pass has ended) is removed at the end, also
    after an error. Each object column of a batch is factorised once, for all of these and for
    ``params``: when given, what define.xml needs is added to it
    (:func:`cartrial.adam.define_params.add_params_coded`)."""
    profile = DatasetProfile(name)
    with tempfile.TemporaryDirectory(dir=out, prefix=f".{name.lower()}-") as tmp:
        spill, csv = Path(tmp), Path(tmp) / "csv"
        parts: list[tuple[Path, dict[str, str]]] = []  # spilled batch, its columns' XPT kinds
        xpt: _XptColumns | None = None
        with open(csv, "w", encoding="utf-8", newline="") as f:
            for i, batch in enumerate(data.batches()):
                objects, coded = column_codes(batch)
                kinds = profile.add(batch, objects)
                if xpt is None:
                    xpt = _XptColumns(name, profile.columns,
                                      dataset_labels(name, profile.columns))
                if params is not None:  # the object columns holding str only
                    add_params_coded(params, batch, {c: d for c, d in objects.items()
                                                     if c in coded})
                del objects
                f.writelines(csv_chunks(batch, header=i == 0, coded=coded))
                parts.append((spill / f"{i}.pkl", _xpt_kinds(kinds)))
                with open(parts[-1][0], "wb") as p:  # text as codes: few objects to pickle
                    pickle.dump(xpt.convert(batch, coded), p, protocol=pickle.HIGHEST_PROTOCOL)
                del coded
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


def column_codes(df: pd.DataFrame) -> tuple[Coded, Coded]:
    """Each object column of ``df`` factorised once (:func:`distinct`), and the
    :func:`cartrial.adam.write_csv.coded_text` of the columns it serves, made from those codes:
    what the CSV, the XPT, the define metadata and define.xml's parameters read."""
    objects = {c: distinct(df[c].to_numpy()) for c in df.columns if df[c].dtype == object}
    coded = {c: ct for c in df.columns if (ct := coded_text(df[c], objects.get(c))) is not None}
    return objects, coded


def _xpt_kinds(kinds: Mapping[str, str]) -> dict[str, str]:
    return {c: _XPT_KIND.get(k, "date") for c, k in kinds.items()}


def _write_spilled(name: str, path: Path, parts: list[tuple[Path, dict[str, str]]],
                   kinds: dict[str, str], xpt: _XptColumns, created: datetime) -> None:
    """The XPT from the spilled batches, read back one at a time; a column all missing in a
    batch with another dtype than the column's is written as missing values of its kind."""
    cols = list(kinds)
    with XportV5Writer(path, table_name=name, file_label=dataset_label(name), columns=cols,
                       column_labels=xpt.labels, kinds=list(kinds.values()),
                       text_widths={c: xpt.widths.get(c, 1) for c in cols},
                       variable_format={c: "DATE9." for c in cols if kinds[c] == "date"},
                       created=created) as w:
        for spilled, part_kinds in parts:
            with open(spilled, "rb") as p:
                part, values_of = pickle.load(p)
            spilled.unlink()
            for c in cols:
                if part_kinds[c] != kinds[c]:
                    part[c] = np.full(len(part), *_XPT_MISSING[kinds[c]])
                    values_of.pop(c, None)
            w.write(part, coded=values_of)
            del part
