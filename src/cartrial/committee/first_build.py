"""``cartrial serve``'s start-up decisions computed in a forked process (issue #18: first page
sooner).

The first overview waits for the decisions (each escalation patient's DLT status at the cut-off,
the design's recommendation and the escalation history it stands on): most of the start-up's
processor time. The web stack (FastAPI, SQLAlchemy, Jinja2, uvicorn), the committee database and
the validation of the data take about as long again and do not depend on them. So, on a machine
with two or more cores, ``cartrial serve`` first reads the protocol and the data folder, then
forks: the child computes the decisions on the study it inherited (nothing is loaded twice or
sent to it) with the function the server would use
(:func:`cartrial.committee.workspace.decisions`) and sends them back through a pipe, while the
server validates the study (bad data still stop the server), imports the web stack, opens the
database and starts answering. The two run side by side on two cores; the work is the same.

When the committee's database already holds DLT adjudications, every page shows the decisions
with them applied: the same child, once it has computed the decisions, computes the decisions
with them applied (:func:`adjudicated_at_start`). Done there, after the decisions, they take a
fraction of the decisions' work: the escalation history they stand on does not depend on the
adjudications and is read from the child's cache of it
(:func:`cartrial.committee.adjudication_rows.decide_adjudicated`), where a child of their own
would derive it again beside the first on the same two cores. A SQLite database's adjudications
are read before the fork (:func:`cartrial.committee.adjudication_rows.read_sqlite`: the
standard library, only read, milliseconds), so the child imports no database layer; another
database's the child reads after the decisions. The server takes the child's adjudicated
decisions only when it read the very same adjudications through its record.

Without ``fork`` or with one core, or when a child fails or dies, the server computes the
decisions itself as before (an error of the engines is raised there as it always was). The pages
are the same bytes either way.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cartrial._fork import can_fork
from cartrial.committee.adjudication_rows import (
    adjudication_table,
    decide_adjudicated,
    read_sqlite,
    sqlite_file,
)
from cartrial.committee.forked_job import ForkedJob

if TYPE_CHECKING:
    from cartrial.committee.snapshot import Signature
    from cartrial.data.load import Study
    from cartrial.protocol import Protocol

#: the start-ups of this process (``cartrial serve`` has one)
_STARTED: list[FirstDecisions] = []


class FirstDecisions:
    """A data folder as read at start-up, and its decisions being computed in a forked child.

    Start one with :meth:`start`; the server validates :attr:`study` and takes the decisions
    with :meth:`take`. When the committee's database already holds DLT adjudications, the child
    then computes the decisions with them applied (what every page shows), taken by
    :func:`adjudicated_at_start`.

    Parameters
    ----------
    source : tuple
        ``(protocol reference, data folder)`` as given to :meth:`start`.
    signature : tuple
        The folder's files (:func:`cartrial.committee.snapshot.data_signature`) taken before
        they were read.
    protocol : Protocol
        The protocol as read.
    study : Study
        The folder's study as read (not validated yet).
    job : ForkedJob, optional
        The child computing the decisions and, when the database may hold adjudications, the
        decisions with them applied (None: no child; :meth:`take` returns None).

    Examples
    --------
    >>> job = FirstDecisions.start("ct071", "trial/sdtm")  # doctest: +SKIP
    >>> cut, decision, paths = job.take(job.study, job.protocol)  # doctest: +SKIP
    """

    def __init__(self, source: tuple[str, Path], signature: Signature, protocol: Protocol,
                 study: Study, job: ForkedJob | None = None) -> None:
        self._source = source
        self.signature, self.protocol, self.study = signature, protocol, study
        self._job = job
        self._lock = threading.Lock()
        self._result: tuple[str, Any] | None = None  # the child's, read once
        self._handed = {"decisions": False, "adjudicated": False}  # each handed out once
        self.pid = job.pid if job is not None else None
        self.why = "" if job is not None else "no child"  # why its decisions were not taken

    @classmethod
    def start(cls, protocol_ref: str, data_dir: str | Path,
              db_url: str | None = None) -> FirstDecisions | None:
        """Read the protocol and the folder, then fork a child computing the decisions (and
        then, when the database holds adjudications, the decisions with those applied).

        Call it before any thread is started (a forked child has only the thread that forked).

        Parameters
        ----------
        protocol_ref : str
            Bundled protocol name or YAML path.
        data_dir : str or Path
            The trial's SDTM folder.
        db_url : str, optional
            The committee database (default: :func:`database_url`'s).

        Returns
        -------
        FirstDecisions or None
            None when the protocol or the folder cannot be read (the server reads them again
            and says why); without a child where one cannot run beside the server
            (:func:`can_fork`).
        """
        from cartrial.committee.snapshot import data_signature
        from cartrial.data import load_study
        from cartrial.protocol import load_protocol

        source = (str(protocol_ref), Path(data_dir))
        try:
            signature = data_signature(Path(data_dir))
            protocol, study = load_protocol(protocol_ref), load_study(data_dir)
        except Exception:  # noqa: BLE001 - the server reads them again and raises as before
            return None
        if not can_fork():
            return cls(source, signature, protocol, study)
        url = database_url(data_dir, db_url)
        # a SQLite file's adjudications read now (milliseconds; None: the child reads them)
        job = ForkedJob.start(partial(_computed, protocol, study, url, read_sqlite(url)))
        first = cls(source, signature, protocol, study, job)
        _STARTED.append(first)
        atexit.register(first.stop)  # a server that stops early (bad data) ends its child
        return first

    def read_from(self, protocol_ref: str, data_dir: str | Path) -> bool:
        """Whether this is what :meth:`start` read from ``protocol_ref`` and ``data_dir``.

        Parameters
        ----------
        protocol_ref : str
            Bundled protocol name or YAML path, as given to :meth:`start`.
        data_dir : str or Path
            The folder, as given to :meth:`start`.

        Returns
        -------
        bool
        """
        return (str(protocol_ref), Path(data_dir)) == self._source

    def take(self, study: Study, protocol: Protocol) -> tuple[Any, Any, Any] | None:
        """Wait for the child; its decisions when ``study`` and ``protocol`` are what it had.

        Parameters
        ----------
        study : Study
            The study the server shows (:attr:`study` once validated).
        protocol : Protocol
            The protocol the server uses (:attr:`protocol`).

        Returns
        -------
        tuple or None
            ``(cut-off, StudyDecision, dose-transition paths)`` as
            :func:`cartrial.committee.workspace.decisions` returns them; None (and :attr:`why`
            set) when there is no child, it failed, it was given other data, or its decisions
            were taken before: the caller computes them itself.
        """
        # what the decisions are unpickled into, imported while the child still computes
        import cartrial.conduct.from_study  # noqa: F401
        import cartrial.design.paths  # noqa: F401

        if study is not self.study or protocol is not self.protocol:
            self.why = "made on other data"
            return None
        if self._job is None:
            return None
        status, value = self._taken("decisions")
        if status != "ok":
            self.why = str(value) if status == "error" else "taken before"
            return None
        return value[0]

    def take_adjudicated(self, domains: dict, as_of: date, rows: tuple) -> Any:
        """The child's decisions with the adjudications applied, when it computed them
        on ``domains`` (the very study read at start-up), at ``as_of`` and with ``rows``.

        Parameters
        ----------
        domains : dict
            The workspace's domains (``Workspace.study_domains``).
        as_of : datetime.date
            Its data cut-off.
        rows : tuple
            The adjudications as the server read them (``USUBJID, DLT, RATIONALE, ADJ_DATE``
            per row, oldest first).

        Returns
        -------
        StudyDecision or None
            None when there is no such child, it failed, or it read other adjudications.
        """
        if self._job is None or domains is not self.study.domains:
            return None
        status, value = self._taken("adjudicated")
        if status != "ok" or value[1] is None or value[1][:2] != (as_of, rows):
            return None
        return value[1][2]

    def _taken(self, part: str) -> tuple[str, Any]:
        """The child's ``(status, (decisions, adjudicated))``, read once (waiting for it) and
        each ``part`` handed out once (``("taken", "")`` after)."""
        with self._lock:
            if self._result is None:
                self._result = self._job.take()
            if self._handed[part]:
                return "taken", ""
            self._handed[part] = True
            return self._result

    def stop(self) -> None:
        """End the child if still computing (the server is stopping) and collect it.

        Returns
        -------
        None
        """
        if self._job is not None:
            self._job.stop()


def database_url(data_dir: str | Path, db_url: str | None = None) -> str:
    """The committee database's SQLAlchemy URL: ``db_url``, else ``committee.sqlite`` in the
    data folder (``cartrial serve --db``'s default).

    Parameters
    ----------
    data_dir : str or Path
        The trial's SDTM folder.
    db_url : str, optional
        As given with ``--db``.

    Returns
    -------
    str

    Examples
    --------
    >>> database_url("trial", "sqlite://")
    'sqlite://'
    """
    return db_url or f"sqlite:///{(Path(data_dir) / 'committee.sqlite').resolve()}"


def adjudicated_at_start(domains: dict, as_of: date, rows: tuple) -> Any:
    """The decisions with the committee's adjudications applied, as computed at start-up by
    ``cartrial serve``'s child on these ``domains``, ``as_of`` and ``rows`` (see
    :meth:`FirstDecisions.take_adjudicated`); None when none was (compute them).

    Parameters
    ----------
    domains : dict
        The workspace's domains.
    as_of : datetime.date
        Its data cut-off.
    rows : tuple
        The adjudications as read from the database, oldest first.

    Returns
    -------
    StudyDecision or None

    Examples
    --------
    >>> adjudicated_at_start({}, date(2024, 1, 1), ()) is None
    True
    """
    for first in _STARTED:
        if first.study.domains is domains:
            return first.take_adjudicated(domains, as_of, rows)
    return None


@contextmanager
def ended_on_error(first: FirstDecisions | None) -> Iterator[None]:
    """End ``first``'s child when the block raises (the server does not start: bad data).

    Parameters
    ----------
    first : FirstDecisions or None
        What :meth:`FirstDecisions.start` returned.

    Yields
    ------
    None

    Examples
    --------
    >>> with ended_on_error(None):
    ...     pass
    """
    try:
        yield
    except BaseException:
        if first is not None:
            first.stop()
        raise


def _computed(protocol: Protocol, study: Study, url: str,
              rows: tuple | None) -> tuple:
    """What the child computes: ``(decisions, adjudicated)``, the first as
    :func:`cartrial.committee.workspace.decisions` returns them, the second as
    :func:`_applied` (``rows``: the adjudications read before the fork; None: read here from
    ``url`` when the database may hold any). ``adjudicated`` is None without adjudications or
    when they cannot be applied (the server then computes them and says why, as without a
    child)."""
    from cartrial.committee.workspace import decisions

    first = decisions(study, protocol)
    try:
        if rows is None:
            rows = _read(url) if _may_hold(url) else ()
        return first, _applied(protocol, study, first[0], rows)
    except Exception:  # noqa: BLE001 - the server computes them itself and raises there
        return first, None


def _may_hold(url: str) -> bool:
    """Whether the database may hold adjudications: a SQLite file that does not exist yet
    holds none (and is not created here: the server creates it)."""
    if not url.startswith("sqlite"):
        return True
    path = sqlite_file(url)
    return path is not None and Path(path).is_file()


def _applied(protocol: Protocol, study: Study, cut: date, rows: tuple) -> tuple | None:
    """``(cut-off, adjudication rows, decisions with them applied)`` at the decisions' cut-off
    ``cut``, as :func:`cartrial.committee.adjudication.adjudicated` would compute them; None
    without adjudications."""
    if not rows:
        return None
    return cut, rows, decide_adjudicated(study, protocol, cut, adjudication_table(rows))


def _read(url: str) -> tuple:
    """The adjudications the database holds, as the server's record reads them (SQLAlchemy:
    a database other than a SQLite file, or one ``sqlite3`` could not read); nothing is
    written."""
    from sqlalchemy import create_engine, inspect, select
    from sqlalchemy.orm import Session

    from cartrial.committee.adjudication import adjudication_rows
    from cartrial.committee.store import DltAdjudication

    engine = create_engine(url)
    try:
        if not inspect(engine).has_table(DltAdjudication.__tablename__):
            return ()
        with Session(engine) as s:
            found = list(s.execute(select(DltAdjudication).order_by(DltAdjudication.id))
                         .scalars())
    finally:
        engine.dispose()
    return tuple(map(tuple, adjudication_rows(found).itertuples(index=False)))
