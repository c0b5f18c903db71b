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

Without ``fork`` or with one core, or when the child fails or dies, the server computes the
decisions itself as before (an error of the engines is raised there as it always was). The pages
are the same bytes either way.
"""

from __future__ import annotations

import atexit
import os
import pickle
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cartrial._fork import can_fork

if TYPE_CHECKING:
    from cartrial.committee.snapshot import Signature
    from cartrial.data.load import Study
    from cartrial.protocol import Protocol


class FirstDecisions:
    """A data folder as read at start-up, and its decisions being computed in a forked child.

    Start one with :meth:`start`; the server validates :attr:`study` and takes the decisions
    with :meth:`take`.

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
    pid : int, optional
        The child's process id (None: no child; :meth:`take` returns None).
    fd : int, optional
        The reading end of the pipe the child writes its result into.

    Examples
    --------
    >>> job = FirstDecisions.start("ct071", "trial/sdtm")  # doctest: +SKIP
    >>> cut, decision, paths = job.take(job.study, job.protocol)  # doctest: +SKIP
    """

    def __init__(self, source: tuple[str, Path], signature: Signature, protocol: Protocol,
                 study: Study, pid: int | None = None, fd: int | None = None) -> None:
        self._source = source
        self.signature, self.protocol, self.study = signature, protocol, study
        self.pid, self._fd = pid, fd
        self._lock = threading.Lock()
        self._claimed = self._reaped = pid is None
        self.why = "" if pid is not None else "no child"  # why its decisions were not taken

    @classmethod
    def start(cls, protocol_ref: str, data_dir: str | Path) -> FirstDecisions | None:
        """Read the protocol and the folder, then fork a child computing the decisions.

        Call it before any thread is started (a forked child has only the thread that forked).

        Parameters
        ----------
        protocol_ref : str
            Bundled protocol name or YAML path.
        data_dir : str or Path
            The trial's SDTM folder.

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
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read)
            _child(write, protocol, study)
        os.close(write)
        job = cls(source, signature, protocol, study, pid, read)
        atexit.register(job.stop)  # a server that stops early (bad data) ends its child
        return job

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

        with self._lock:
            if study is not self.study or protocol is not self.protocol:
                self.why = "made on other data"
                return None
            if self._claimed:  # no child, or taken before
                self.why = self.why or "taken before"
                return None
            self._claimed = True
        try:  # waits without the lock: stop() may end the child meanwhile
            with os.fdopen(self._fd, "rb") as f:
                status, value = pickle.load(f)
        except Exception as exc:  # noqa: BLE001 - died, killed, or a result that does not load
            status, value = "error", f"no result from the child: {exc!r}"
        finally:
            self._reap()
        if status != "ok":
            self.why = str(value)
            return None
        return value

    def stop(self) -> None:
        """End the child if it is still computing (the server is stopping) and collect it.

        Returns
        -------
        None
        """
        with self._lock:
            if self._reaped:
                return
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if self._claimed:  # the reader gets the end of the pipe and collects it
                return
            self._claimed = True
            os.close(self._fd)
        self._reap()

    def _reap(self) -> None:
        with self._lock:
            if self._reaped:
                return
            self._reaped = True
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:  # collected already
            pass


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


def _child(fd: int, protocol: Protocol, study: Study) -> None:
    """The forked child: compute, write ``(status, value)`` into ``fd`` and leave at once
    (without the interpreter's exit work: nothing of the server's is flushed or closed twice)."""
    code = 0
    try:
        try:
            from cartrial.committee.workspace import decisions

            out: tuple[str, object] = ("ok", decisions(study, protocol))
        except BaseException as exc:  # noqa: BLE001 - the server computes them itself
            out = ("error", f"{type(exc).__name__}: {exc}")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(out, f, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:  # noqa: BLE001 - the server reads no result and computes itself
        code = 1
    finally:
        os._exit(code)
