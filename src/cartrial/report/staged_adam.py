"""The ADaM files of ``analyze`` written as soon as the datasets exist (issue #18).

Once the ADaM datasets are built, nothing later changes them, so a small trial's files can be
written by a forked process (:class:`~cartrial.report.background.Background`) while this one
builds the report's tables and figures. The process writes into a staging folder; the files are
moved into ``out/adam`` only when the outputs are written, so a run that stops before then
leaves no ADaM file behind (the staging folder is removed with the run). A large trial, or a
machine without ``fork`` or a second core, writes them at that point, in turn, as before.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from datetime import datetime
from functools import partial
from pathlib import Path

import pandas as pd

from cartrial import __version__
from cartrial.adam import write_adam
from cartrial.protocol.model import Protocol
from cartrial.report.background import Background, can_fork


def _discard(job: Background | None, stage: Path | None) -> None:
    """A staged writing never collected (the run stopped): wait for it, remove its folder."""
    if job is not None:
        try:
            job.wait()
        except Exception:  # noqa: BLE001 - the run already stopped for its own reason
            pass
    if stage is not None:
        shutil.rmtree(stage, ignore_errors=True)


class StagedDatasets:
    """ADaM files being written (or to be written) by :func:`cartrial.adam.write_adam`.

    Parameters
    ----------
    write : callable
        ``write(folder)`` writes every ADaM file into ``folder``.
    parallel : bool
        True starts the writing now in a forked process, into a staging folder (when the
        machine can fork onto a second core); False writes in :meth:`write`.

    Examples
    --------
    >>> import tempfile
    >>> def write(folder): (folder / "adsl.csv").write_text("USUBJID\\n")
    >>> staged = StagedDatasets(lambda d: (d.mkdir(exist_ok=True), write(d)), parallel=True)
    >>> out = Path(tempfile.mkdtemp()) / "adam"
    >>> staged.write(out); sorted(p.name for p in out.iterdir())
    ['adsl.csv']
    """

    def __init__(self, write, *, parallel: bool) -> None:
        self._write, self._stage, self._job = write, None, None
        if parallel and can_fork():
            self._stage = Path(tempfile.mkdtemp(prefix="cartrial-adam-"))
            self._job = Background(partial(write, self._stage))
        self._left = weakref.finalize(self, _discard, self._job, self._stage)

    def write(self, folder: Path) -> None:
        """The files in ``folder`` (created when missing; files of the same name replaced).

        Parameters
        ----------
        folder : pathlib.Path
            The ADaM folder of the outputs.

        Raises
        ------
        InputError
            The writer refused a dataset (raised here, whichever process wrote).
        """
        if self._job is None:
            self._write(folder)
            return
        self._left.detach()
        try:
            self._job.wait()
            folder.mkdir(parents=True, exist_ok=True)
            for f in sorted(self._stage.iterdir()):
                shutil.move(str(f), str(folder / f.name))
        finally:
            shutil.rmtree(self._stage, ignore_errors=True)


def stage_datasets(ds: dict[str, pd.DataFrame], protocol: Protocol, protocol_hash: str,
                   data_hash: str, run_date: datetime, adam_format: str) -> StagedDatasets:
    """Start writing the ADaM files of ``ds`` (forked, for a small trial).

    Parameters
    ----------
    ds : dict of str to pandas.DataFrame
        The ADaM datasets (a large one may be a ``BatchedDataset``).
    protocol : Protocol
        The protocol (study id).
    protocol_hash, data_hash : str
        SHA-256 provenance of the protocol and the SDTM data.
    run_date : datetime.datetime
        The run's date, stamped in the files.
    adam_format : str
        "xpt" or "dataset-json" beside the CSV.

    Returns
    -------
    StagedDatasets
        Its :meth:`StagedDatasets.write` puts the files into the ADaM folder.

    Examples
    --------
    Needs the ADaM datasets of a whole trial, so not run here:

    >>> stage_datasets(ds, protocol, "p", "d", datetime(2026, 1, 1), "xpt")  # doctest: +SKIP
    """
    from cartrial.report.outputs import small_trial

    return StagedDatasets(partial(_write, ds, protocol.study_id, protocol_hash, data_hash,
                                  run_date, adam_format), parallel=small_trial(ds))


def _write(ds: dict, study: str, protocol_hash: str, data_hash: str, run_date: datetime,
           adam_format: str, folder: Path) -> None:
    write_adam(ds, folder, study=study, version=__version__, protocol_hash=protocol_hash,
               data_hash=data_hash, run_date=run_date, format=adam_format)
