"""The files of ``cartrial analyze``: ADaM datasets, the HTML report, the table, listing and
figure files, and the analysis-results files beside every table.

Two groups of writers that share nothing but the data, run side by side where there are cores
for them (:class:`cartrial.report.background.Background`, issue #18): the ADaM datasets and
the analysis-results files in a forked process, the HTML report and the table and figure files
in this one, the figure files (rendered now: :mod:`cartrial.report.figure_files`) in a second
forked process. Every file has the bytes it has when written one after another. A trial of more
than :data:`PARALLEL_MAX_SUBJECTS` subjects writes its ADaM files in this process (its memory,
not its time, is the limit there); its figure files were rendered while the sections were
built (:class:`cartrial.report.figure_files.EagerFigures`) and its analysis-results files, the
longest of its writers, are written by a forked process and this one from both ends of the
list of tables (:class:`cartrial.report.ars_shared.SharedResults`), one group's analysis data
at a time in each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

import pandas as pd

from cartrial._memory import release_freed_memory
from cartrial.protocol.model import Protocol
from cartrial.report.ars_shared import SharedResults
from cartrial.report.background import Background
from cartrial.report.document import Provenance, Section, write_document
from cartrial.report.figure_files import ForkedFigures, file_bytes
from cartrial.report.render import RunningHeader, table_text_lines, table_to_docx, table_to_rtf
from cartrial.report.staged_adam import StagedDatasets, stage_datasets
from cartrial.report.table import ReportTable

PARALLEL_MAX_SUBJECTS = 500  # ADSL records up to which the writers run side by side (a
# 1,000-patient trial keeps the sequential writing whose peak memory was measured)


@dataclass(frozen=True)
class Written:
    """What the files record besides the results: the report's path, its provenance, the
    protocol and data hashes, the run date, the data cut-off, the sections left out and the
    ADaM format beside the CSV ("xpt" or "dataset-json").

    Examples
    --------
    >>> from datetime import datetime
    >>> Written(Path("o/report.html"), None, "p", "d", datetime(2026, 1, 1), "", [],
    ...         "xpt").adam_format
    'xpt'
    """

    report: Path
    provenance: Provenance
    protocol_hash: str
    data_hash: str
    run_date: datetime
    cutoff: str
    omitted: list[str]
    adam_format: str


def write_outputs(secs: list[Section], figures: dict, ds: dict[str, pd.DataFrame], out: Path,
                  protocol: Protocol, w: Written,
                  datasets: StagedDatasets | None = None) -> tuple[list[str], list[str]]:
    """Write every file of the analysis under ``out``.

    Parameters
    ----------
    secs : list of Section
        The report's sections (:func:`cartrial.report.pipeline.build_sections`).
    figures : dict
        Figure file name -> (PNG bytes, SVG bytes).
    ds : dict of str to pandas.DataFrame
        The ADaM datasets (a large one may be a ``BatchedDataset``).
    out : pathlib.Path
        Output folder: ``adam/``, ``tables/``, ``figures/`` and the report are written there.
    protocol : Protocol
        The protocol (study id, title, dose counting, event baskets).
    w : Written
        Provenance, hashes, run date, cut-off, omitted sections, ADaM format.
    datasets : StagedDatasets, optional
        The ADaM files already being written (:func:`stage_datasets`); default: written here.

    Returns
    -------
    tuple of (list of str, list of str)
        Captions of the tables and listings written, and of the figures.

    Raises
    ------
    InputError
        A writer refuses the data (an ADaM variable without a label, a value too long for
        SAS XPORT, ...): the error of the writer, raised here whichever process ran it.

    Examples
    --------
    Needs a whole analysis, so not run here:

    >>> write_outputs(secs, figures, ds, Path("out"), protocol, written)  # doctest: +SKIP
    """
    for d in ("tables", "figures"):
        (out / d).mkdir(parents=True, exist_ok=True)
    parallel = small_trial(ds)
    if datasets is None:
        datasets = stage_datasets(ds, protocol, w.protocol_hash, w.data_hash, w.run_date,
                                  w.adam_format, near=out)
    if isinstance(figures, ForkedFigures):  # the figure files, longest of the writers, first
        figures.start()
    tables = [it for s in secs for it in s.items if isinstance(it, ReportTable)]
    # one forked process for the tables' analysis-results files: beside the figure files'
    # process and this one, a second would only share the two cores at the cost of its own
    # fork and cold caches (issue #18). A large trial's, the longest of its writers, are
    # shared: this process takes groups of tables from the other end once its files are
    # written (at 10,000 patients the tree's memory stays below 950 MiB: BENCHMARKS.md)
    results = SharedResults(tables, ds, out / "tables",
                            count_dose_as=protocol.conduct.count_dose_as,
                            baskets=protocol.safety.baskets, share=not parallel)
    # figures already rendering in their own process are collected here (only this process
    # can wait for it)
    drawn = Background(partial(_figure_files, figures, out / "figures"),
                       parallel=parallel and not isinstance(figures, ForkedFigures))
    write_document(w.report, f"{protocol.study_id}: clinical study report tables, figures and "
                   "listings", protocol.title.strip(), secs, w.provenance, omitted=w.omitted)
    # the pieces rendered are freed but their pages held: handed back before the table files
    # are written (at 10,000 patients the writing's peak 26 MiB lower; issue #18)
    release_freed_memory()
    names = _write_items(secs, out, w.run_date,
                         RunningHeader(protocol.study_id, w.cutoff, w.run_date))
    datasets.write(out / "adam")
    results.finish()
    drawn.wait()
    return names


def small_trial(ds: dict) -> bool:
    """Whether the writers run side by side and the figure files are rendered when written
    (at most :data:`PARALLEL_MAX_SUBJECTS` ADSL records); a larger trial's figure files are
    rendered as each figure is made (:class:`cartrial.report.figure_files.EagerFigures`).

    Parameters
    ----------
    ds : dict of str to pandas.DataFrame
        The ADaM datasets.

    Returns
    -------
    bool

    Examples
    --------
    >>> small_trial({"ADSL": pd.DataFrame({"USUBJID": ["1", "2"]})}), small_trial({})
    (True, False)
    """
    return "ADSL" in ds and len(ds["ADSL"]) <= PARALLEL_MAX_SUBJECTS


def _figure_files(figures: dict, fdir: Path) -> None:
    for name, item in figures.items():
        png, svg = file_bytes(item)
        (fdir / f"{name}.svg").write_bytes(svg)
        (fdir / f"{name}.png").write_bytes(png)


def _write_items(secs: list[Section], out: Path, run_date: datetime,
                 header: RunningHeader) -> tuple[list[str], list[str]]:
    """Text, DOCX and RTF per table (text and CSV per listing); the patient-flow SVG."""
    tdir, fdir = out / "tables", out / "figures"
    tables, figs = [], []
    for s in secs:
        for it in s.items:
            if isinstance(it, ReportTable):
                base = tdir / f"{it.kind}_{it.number.replace('.', '_')}"
                with base.with_suffix(".txt").open("w", encoding="utf-8") as f:
                    f.writelines(table_text_lines(it))  # a long listing never held whole
                if it.kind == "table":
                    table_to_docx(it, base.with_suffix(".docx"), run_date=run_date,
                                  header=header)
                    table_to_rtf(it, base.with_suffix(".rtf"), header=header)
                else:  # listings can be long: CSV next to the text rendering
                    it.wide().to_csv(base.with_suffix(".csv"), lineterminator="\n")
                tables.append(it.caption)
            else:
                figs.append(it.caption)
                if it.file is not None:  # drawn as SVG text (the patient flow)
                    (fdir / f"{it.file[0]}.svg").write_text(it.file[1], encoding="utf-8")
    return tables, figs
