"""Write ADaM datasets as CSV and SAS XPORT v5 (or CDISC Dataset-JSON) with labels, plus
define.html and Define-XML 2.1.

The CSV text is :mod:`cartrial.adam.write_csv`, the XPT :mod:`cartrial.adam.write_xpt` (both
names stay importable from here); this module writes a study's datasets and their metadata.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path

import pandas as pd

from cartrial.adam.batched import BatchedDataset
from cartrial.adam.define_params import add_params_coded
from cartrial.adam.define_view import define_view_html
from cartrial.adam.define_xml import add_params, define_xml
from cartrial.adam.metadata import DatasetProfile, define_html
from cartrial.adam.write_csv import adam_csv_text, write_adam_csv, write_csv
from cartrial.adam.write_xpt import (
    column_codes,
    dataset_label,
    dataset_labels,
    write_adam_xpt,
    write_batched,
)
from cartrial.data.dataset_json import write_dataset_json
from cartrial.data.xport_thread import ThreadedFile
from cartrial.errors import InputError

__all__ = ["adam_csv_text", "write_adam", "write_adam_csv", "write_adam_xpt"]


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
    meta: dict[str, DatasetProfile] = {}
    params: dict[str, dict[str, str]] = {}  # define.xml's, gathered as the datasets are written
    for name, df in datasets.items():
        csv, xpt = out / f"{name.lower()}.csv", out / f"{name.lower()}.xpt"
        if isinstance(df, BatchedDataset) and format == "dataset-json":
            df = _recording_params(df, params.setdefault(name, {}))
        if format == "dataset-json":
            meta[name] = _write_json(name, df, out, study, version, run_date)
            written += [csv, out / f"{name.lower()}.json"]
            continue
        if isinstance(df, BatchedDataset):
            meta[name] = write_batched(name, df, out, run_date, params.setdefault(name, {}))
        else:
            objects, coded = column_codes(df)  # each text column factorised once
            with ThreadedFile(csv) as f:
                write_csv(f, df, coded=coded)
            write_adam_xpt(df, xpt, name, dataset_label(name), dataset_labels(name, df.columns),
                           created=run_date, coded=coded)
            meta[name] = DatasetProfile(name)  # one pass for define.html and define.xml
            meta[name].add(df, objects)
            # define.xml's parameters and terms from the same codes (its own pass decoded a
            # held dataset again and asked pandas for each text column's distinct values)
            add_params_coded(params.setdefault(name, {}), df,
                             {c: d for c, d in objects.items() if c in coded})
        written += [csv, xpt]
    d = out / "define.html"
    d.write_text(define_html(meta, study=study, version=version, protocol_hash=protocol_hash,
                             data_hash=data_hash), encoding="utf-8")
    x = out / "define.xml"
    xml = define_xml(datasets, study=study, version=version, created=run_date,
                     file_ext="json" if format == "dataset-json" else "xpt", profiles=meta,
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
                version: str, run_date: datetime) -> DatasetProfile:
    """The CSV and the Dataset-JSON of one dataset; returns its metadata for define.html."""
    if isinstance(data, BatchedDataset):
        profile = DatasetProfile(name)
        with ThreadedFile(out / f"{name.lower()}.csv") as f:
            for i, batch in enumerate(data.batches()):
                profile.add(batch)
                write_csv(f, batch, header=i == 0)
        profile.check_rows(data)
        columns, meta = profile.columns, profile
    else:
        write_adam_csv(data, out / f"{name.lower()}.csv")
        columns, meta = list(data.columns), DatasetProfile.of(data, name)
    write_dataset_json(data.batches if isinstance(data, BatchedDataset) else data,
                       out / f"{name.lower()}.json", name=name, label=dataset_label(name),
                       labels=dataset_labels(name, columns), study=study,
                       created=run_date, source=("cartrial", version),
                       metadata_ref="define.xml")
    return meta
