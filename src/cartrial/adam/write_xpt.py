"""ADaM datasets as SAS XPORT v5 with their labels.

Dates are SAS numeric dates with format DATE9. (ADaMIG: *DT variables are numeric dates); the v5
limits (names <= 8, labels <= 40 ASCII, text <= 200 bytes) are checked and refused, never
truncated; text and numbers are written as in the CSV files (:mod:`cartrial.adam.write_csv`).
A :class:`cartrial.adam.batched.BatchedDataset` too large to hold whole is written one batch at a
time (:func:`write_batched`): one pass writes the CSV, gathers the metadata and XPT checks, and
writes the XPT records with the text widths known so far (:class:`_XptStream`); the XPT header
needs the text widths of all rows, so the rare stretch of rows written narrower is padded at the
end.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from cartrial.adam.batched import BatchedDataset, column_kind
from cartrial.adam.column_profile import distinct
from cartrial.adam.define_params import add_params_coded
from cartrial.adam.metadata import DATASETS, DatasetProfile, variable_label
from cartrial.adam.write_csv import Coded, as_text, coded_text, write_csv
from cartrial.data.write import xpt_v5_name_problems
from cartrial.data.xport import XportV5Writer, text_width, times_of_day
from cartrial.data.xport_thread import ThreadedFile
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
        self._zoned_values: set[str] = set()  # ... with values in a batch: refused for good
        self.widths: dict[str, int] = {}

    def convert(self, df: pd.DataFrame, coded: Coded | None = None
                ) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        """The XPT columns of ``df`` and the distinct values of the text and number columns
        given in ``coded`` (:func:`cartrial.adam.write_csv.coded_text`), which come back as
        their codes (for :meth:`cartrial.data.xport.XportV5Writer.write`: each distinct value
        encoded once); other text columns as text, other numbers as floats."""
        out, values_of = {}, {}
        for c in df.columns:
            s = df[c]
            if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
                out[c] = s.astype(float)
                if coded is not None and c in coded:
                    out[c], values_of[c] = _number_codes(out[c].to_numpy(), coded[c][0])
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
            if s.notna().any():
                self._zoned_values.add(c)
            return
        has_time = times_of_day(s)
        if has_time.any():
            count, first = self._timed.get(c, (0, s.iloc[int(np.argmax(has_time))]))
            self._timed[c] = (count + int(np.count_nonzero(has_time)), first)

    def refused(self) -> bool:
        """Whether :meth:`check` will refuse the dataset, whatever the batches still to come
        (a time zone on a column without values may yet be no problem)."""
        return bool(self._name_problems or self._over or self._timed or self._zoned_values)

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


def _number_codes(x: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A number column's codes (those of its CSV text: equal numbers, one code; NaN -1) and
    the distinct number of each code, taken from the rows (equal numbers differ at most in the
    sign of a zero, which an IBM double does not keep)."""
    values = np.full(int(codes.max()) + 1 if len(codes) else 0, np.nan)
    ok = codes >= 0
    values[codes[ok]] = x[ok]
    return codes, values


def dataset_label(name: str) -> str:
    return DATASETS.get(name, (name, ""))[0][:40]


def write_adam_xpt(df: pd.DataFrame, path: Path, name: str, label: str,
                   labels: Mapping[str, str], created: datetime | None = None,
                   coded: Coded | None = None) -> None:
    """One dataset as XPORT v5; every limit problem is collected and raised together.

    Dates (``datetime64`` columns: ADT, ASTDT, AENDT, TRTSDT, APHDT, DTHDT, LSTALVDT, ...) are
    written as SAS numeric dates (days since 1960-01-01, missing = '.') with format ``DATE9.``:
    in ADaMIG's timing variables (ADSL trial dates, BDS/OCCDS analysis dates) a ``*DT`` variable
    is a numeric date with a date format, not text (pyreadstat ``write_xport``:
    ``variable_format={"TRTSDT": "DATE9."}``). A date with a time of day or a time zone is
    refused. The CSV files keep ISO 8601 text (YYYY-MM-DD, :func:`adam_csv_text`). Text and
    numbers are written as in the CSV conventions of the module docstring.

    Written by :class:`cartrial.data.xport.XportV5Writer` (the bytes of
    :func:`cartrial.data.xport.write_xport_v5`, which are pyreadstat's, vectorised; a date
    column has the bytes pyreadstat writes for it as ``datetime.date`` objects).

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
    coded : dict, optional
        :func:`cartrial.adam.write_csv.coded_text` of some columns, when made already (for
        the CSV: :func:`column_codes`); their text is then encoded once per distinct value,
        with the same bytes.

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
    out, values_of = cols.convert(df, coded)
    cols.check()
    kinds = {c: ("num" if values_of[c].dtype.kind == "f" else "text") if c in values_of
             else _XPT_KIND.get(column_kind(out[c]), "date") for c in out.columns}
    with _xpt_writer(path, name, label, cols, kinds, created) as w:
        w.write(out, coded=values_of)


def _xpt_writer(path: Path, name: str, label: str, xpt: _XptColumns, kinds: dict[str, str],
                created: datetime | None) -> XportV5Writer:
    """The XPT of the columns of ``kinds``, with the text widths ``xpt`` has measured."""
    return XportV5Writer(path, table_name=name, file_label=label[:40], columns=list(kinds),
                         column_labels=xpt.labels, kinds=list(kinds.values()),
                         text_widths={c: xpt.widths.get(c, 1) for c, k in kinds.items()
                                      if k == "text"},
                         variable_format={c: "DATE9." for c, k in kinds.items() if k == "date"},
                         created=created, threaded=True)


def write_batched(name: str, data: BatchedDataset, out: Path, created: datetime,
                  params: dict | None = None) -> DatasetProfile:
    """A :class:`BatchedDataset` as CSV and XPT holding one batch at a time; returns its
    metadata for define.html. One pass over the batches writes the CSV, gathers the metadata
    and the XPT problems, and writes the XPT records (:class:`_XptStream`), both into a
    temporary directory in ``out``, from which the files are moved into ``out`` once the pass
    has ended without a problem. The directory is removed at the end, also after an error. Each
    object column of a batch is factorised once, for all of these and for ``params``: when
    given, what define.xml needs is added to it
    (:func:`cartrial.adam.define_params.add_params_coded`)."""
    profile = DatasetProfile(name)
    with tempfile.TemporaryDirectory(dir=out, prefix=f".{name.lower()}-") as tmp:
        csv = Path(tmp) / "csv"
        xpt: _XptColumns | None = None
        stream: _XptStream | None = None
        try:
            with ThreadedFile(csv) as f:
                for i, batch in enumerate(data.batches()):
                    objects, coded = column_codes(batch)
                    kinds = profile.add(batch, objects)
                    if xpt is None:
                        xpt = _XptColumns(name, profile.columns,
                                          dataset_labels(name, profile.columns))
                        stream = _XptStream(name, Path(tmp), xpt, created)
                    if params is not None:  # the object columns holding str only
                        add_params_coded(params, batch, {c: d for c, d in objects.items()
                                                         if c in coded})
                    del objects
                    write_csv(f, batch, header=i == 0, coded=coded)
                    part, values_of = xpt.convert(batch, coded)
                    del coded, batch
                    stream.add(part, values_of, _xpt_kinds(kinds),
                               _xpt_kinds(profile.kinds.resolved()))
                    del part, values_of
            if xpt is None or stream is None:
                raise InputError(f"{name}: a BatchedDataset needs at least one batch")
            resolved = profile.kinds.resolved()
            profile.check_rows(data)
            os.replace(csv, out / f"{name.lower()}.csv")
            xpt.check(resolved)
            stream.finish(out / f"{name.lower()}.xpt", _xpt_kinds(resolved))
        finally:
            if stream is not None:
                stream.close()
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


class _XptStream:
    """The XPT of a :class:`BatchedDataset` written as its batches are converted
    (:meth:`_XptColumns.convert`), without holding or re-reading them: the records go straight
    into a file in ``folder`` whose header has the columns' kinds and text widths known so far.
    A batch that widens a text column, or that decides a column's kind otherwise than the
    batches before (columns all missing until then), starts a new file (a stretch); at the end
    (:meth:`finish`) the one stretch is the XPT, or the stretches are joined in the final layout
    (:meth:`cartrial.data.xport.XportV5Writer.append_file`). Writing stops once the dataset is
    sure to be refused (:meth:`_XptColumns.refused`): :meth:`_XptColumns.check` raises then.

    Why: the XPT header needs the text widths of all rows; spilling every batch and writing the
    XPT in a second pass read and wrote ADLB's rows twice more (at 10,000 patients, 1.3 GB),
    while its widths are those of its first batch (the same parameters, codes and units in every
    batch of subjects)."""

    def __init__(self, name: str, folder: Path, xpt: _XptColumns, created: datetime) -> None:
        self._name, self._folder, self._xpt, self._created = name, folder, xpt, created
        # each stretch: its file, kinds and text widths, and rows
        self._stretches: list[tuple[Path, dict[str, str], dict[str, int], int]] = []
        self._writer: XportV5Writer | None = None

    def _layout(self, kinds: dict[str, str]) -> dict[str, int]:
        return {c: self._xpt.widths.get(c, 1) for c, k in kinds.items() if k == "text"}

    def _open(self, path: Path, kinds: dict[str, str]) -> XportV5Writer:
        return _xpt_writer(path, self._name, dataset_label(self._name), self._xpt, kinds,
                           self._created)

    def add(self, part: pd.DataFrame, values_of: dict[str, np.ndarray],
            part_kinds: dict[str, str], kinds: dict[str, str]) -> None:
        """The records of ``part``, whose columns have ``part_kinds``, the columns of the
        dataset ``kinds`` so far: a column of another kind (all missing in ``part``, else the
        batch would have been refused) is written as missing values of its kind."""
        if self._xpt.refused():
            self.close()
            return
        widths = self._layout(kinds)
        if self._writer is None or (kinds, widths) != self._stretches[-1][1:3]:
            self.close()
            path = self._folder / f"{len(self._stretches)}.xpt"
            self._writer = self._open(path, kinds)
            self._stretches.append((path, kinds, widths, 0))
        for c, kind in kinds.items():
            if part_kinds[c] != kind or isinstance(part[c].dtype, pd.DatetimeTZDtype):
                part[c] = np.full(len(part), *_XPT_MISSING[kind])  # (time zone: no values)
                values_of.pop(c, None)
        self._writer.write(part, coded=values_of)
        path, kinds, widths, rows = self._stretches[-1]
        self._stretches[-1] = (path, kinds, widths, rows + len(part))

    def close(self) -> None:
        """Close the current stretch's file (again: nothing)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def finish(self, path: Path, kinds: dict[str, str]) -> None:
        """The XPT at ``path``, the dataset's columns of ``kinds`` (those of the last batch)."""
        self.close()
        widths = self._layout(kinds)
        if len(self._stretches) == 1 and self._stretches[0][1:3] == (kinds, widths):
            os.replace(self._stretches[0][0], path)
            return
        with self._open(path, kinds) as w:
            for part, part_kinds, part_widths, rows in self._stretches:
                w.append_file(part, kinds=list(part_kinds.values()), text_widths=part_widths,
                              n_rows=rows)
                part.unlink()
