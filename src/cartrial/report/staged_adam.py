"""The ADaM files of ``analyze`` written as soon as the datasets exist (issue #18).

Once the ADaM datasets are built, nothing later changes them, so a small trial's files can be
written by a forked process (:class:`~cartrial.report.background.Background`) while this one
builds the report's tables and figures. A large trial (or a machine without ``fork`` or a
second core) writes them at once, in turn, so the datasets only the files read
(:data:`WRITTEN_ONLY`) can be freed before the tables and figures are built (memory). Either
way the files go into a staging folder and are moved into ``out/adam`` only when the outputs
are written, so a run that stops before then leaves no ADaM file behind (the staging folder is
removed with the run), and a writer's refusal is raised then, as when the files were written
there.
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

#: the datasets no table, figure, listing or analysis-results file reads: once their files are
#: written they can be freed (ADLB: at 10,000 patients its encoded lab records, ~100 MiB; the
#: lab tables are the safety engine's, and ADHTOX holds the cytopenias)
WRITTEN_ONLY = ("ADLB",)


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
        True starts the writing now in a forked process (when the machine can fork onto a
        second core); False writes now, in this process. Either way into a staging folder.
    near : pathlib.Path, optional
        An existing folder to stage in when written in this process (on the output's file
        system, so the files are renamed into place, not copied, and a large trial's files do
        not fill a RAM-backed temporary folder); default, or when missing: the system's.

    Examples
    --------
    >>> import tempfile
    >>> def write(folder): (folder / "adsl.csv").write_text("USUBJID\\n")
    >>> staged = StagedDatasets(lambda d: (d.mkdir(exist_ok=True), write(d)), parallel=True)
    >>> out = Path(tempfile.mkdtemp()) / "adam"
    >>> staged.write(out); sorted(p.name for p in out.iterdir())
    ['adsl.csv']
    """

    def __init__(self, write, *, parallel: bool, near: Path | None = None) -> None:
        self._job: Background | None = None
        self._error: Exception | None = None
        forked = parallel and can_fork()
        here = None if forked or near is None or not near.is_dir() else near
        self._stage = Path(tempfile.mkdtemp(prefix=".cartrial-adam-", dir=here))
        if forked:
            self._job = Background(partial(write, self._stage))
        self._left = weakref.finalize(self, _discard, self._job, self._stage)
        if not forked:
            try:
                write(self._stage)
            except Exception as exc:  # noqa: BLE001 - raised by write(), where the outputs
                self._error = exc     # are written (the report's files first, as before)

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
        self._left.detach()
        try:
            if self._job is not None:
                self._job.wait()
            if self._error is not None:
                raise self._error
            folder.mkdir(parents=True, exist_ok=True)
            for f in sorted(self._stage.iterdir()):
                shutil.move(str(f), str(folder / f.name))
        finally:
            shutil.rmtree(self._stage, ignore_errors=True)


def stage_datasets(ds: dict[str, pd.DataFrame], protocol: Protocol, protocol_hash: str,
                   data_hash: str, run_date: datetime, adam_format: str,
                   near: Path | None = None) -> StagedDatasets:
    """Write the ADaM files of ``ds`` into a staging folder (forked, for a small trial; else
    now, in turn): the datasets of :data:`WRITTEN_ONLY` may be freed once this returns.

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
    near : pathlib.Path, optional
        Where to stage when written in turn (:class:`StagedDatasets`).

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
                                  run_date, adam_format), parallel=small_trial(ds),
                          near=near)


def _write(ds: dict, study: str, protocol_hash: str, data_hash: str, run_date: datetime,
           adam_format: str, folder: Path) -> None:
    write_adam(ds, folder, study=study, version=__version__, protocol_hash=protocol_hash,
               data_hash=data_hash, run_date=run_date, format=adam_format)
