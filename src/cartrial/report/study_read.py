"""The study read and validated by a forked process while ``analyze`` imports the rest of its
modules (issue #18).

Importing the engines, the ADaM build and the report (scipy, matplotlib, jinja2, ...) takes about
as long as reading and validating a small trial, and neither needs the other: for a data folder
of at most :data:`MAX_BYTES` a forked process (:class:`~cartrial.report.background.Background`)
reads and validates the study while this one imports what the later stages use
(:data:`LATER`); the study comes back through a pipe (about 1.3 MB pickled for the 20-patient
example). A validation error is raised here as it would be raised by a read in this process.
Larger folders (the study would be copied through the pipe), machines without ``fork`` or a
second core, and a child that fails for any other reason than bad input (its error is raised by
reading the study again here) read the study in this process, as before.

The modules imported meanwhile are then frozen (``gc.freeze``): they live as long as the
process, and a full garbage collection walks every object it tracks, so each of the run's
few full collections walked them all (0.6 of the main process's 7 s of CPU on the example
under load, 0.2 with them frozen). :func:`collections_scoped` hands them back to the
collector when the run returns (a read outside such a run freezes nothing).

The importing is the longer of the two (about 1 s of CPU against 0.2-0.3 s for reading the
20-patient example), so the forked process goes on, after sending the study, with the first
steps of the run that read only the study (:func:`read_ahead`'s ``then``: in ``analyze`` the
safety and efficacy engines and the escalation history) and sends each result as it is done;
:class:`Ahead` hands them over in the run's order. A step the process could not finish or send
(any failure but bad input) is computed here when taken, and gives this process's result or
raises its error; a step refused for bad input (``InputError``) raises that error here, as
the step run here raises it.
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing as mp
import queue
import threading
import weakref
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from functools import partial, wraps
from pathlib import Path
from typing import Any, TypeVar

from cartrial.data import Study, load_study
from cartrial.errors import InputError
from cartrial.protocol.model import Protocol
from cartrial.report.background import Background, _portable

T = TypeVar("T")
Step = tuple[str, Callable[[Study], Any]]  # a name and what it computes from the study
_SCOPED: ContextVar[bool] = ContextVar("cartrial_collections_scoped", default=False)
MAX_BYTES = 32 * 2**20  # the data files' total size up to which the study is read beside
# (the 20-patient example: 1.5 MB; the study is pickled back, twice the memory meanwhile)

#: what ``analyze`` imports after reading the study: the engines, the ADaM build, the
#: report's sections, figures and writers, in the order the stages need them. Imported here,
#: they are imported once: the processes forked later for 14.5, the figure files and the
#: analysis-results files inherit them (each imported scipy.stats, the PNG writer's image
#: formats or the analysis-results modules for itself before)
LATER = ("cartrial.safety.analysis", "cartrial.safety.sdtm", "cartrial.efficacy.sdtm",
         "cartrial.kinetics.analysis", "cartrial.adam.build", "cartrial.report.recommended_dose",
         "cartrial.report.figure_files", "cartrial.report.outputs", "pyarrow.pandas_compat",
         "cartrial.report.section_build", "cartrial.report.section_items",
         "cartrial.report.kinetics_items", "cartrial.report.csr", "cartrial.report.safety_adam",
         "cartrial.report.listings", "cartrial.report.dose_profile_adam",
         "cartrial.report.ars_metadata", "cartrial.report.ars_specs",
         *(f"PIL.{f}ImagePlugin" for f in ("Bmp", "Gif", "Jpeg", "Ppm")),  # PIL.Image.preinit
         "cartrial.report.efficacy_adam", "cartrial.report.safety_standards",
         "cartrial.report.narratives", "cartrial.report.csr_deaths", "pandas.io.formats.csvs",
         "cartrial.report.render_rtf_cells", "rtflite", "docx", "docx.opc.pkgwriter")


def folder_bytes(data_dir: str | Path) -> int | None:
    """Total size of the files directly in ``data_dir`` (None: not a readable folder).

    Parameters
    ----------
    data_dir : str or pathlib.Path
        The SDTM folder.

    Returns
    -------
    int or None

    Examples
    --------
    >>> folder_bytes("/no/such/folder") is None
    True
    """
    try:
        return sum(p.stat().st_size for p in Path(data_dir).iterdir() if p.is_file())
    except OSError:
        return None


def read_and_validate(data_dir: str | Path, protocol: Protocol,
                      validate: Callable[[Study, Protocol], int]) -> tuple[Study, int]:
    """The study read from ``data_dir`` and ``validate(study, protocol)``.

    Parameters
    ----------
    data_dir : str or pathlib.Path
        The SDTM folder.
    protocol : Protocol
        The protocol the study is validated against.
    validate : callable
        Raises on validation errors; returns the number of warnings.

    Returns
    -------
    tuple of (Study, int)

    Raises
    ------
    InputError
        The folder cannot be read, or the data fail validation (``validate``'s error).

    Examples
    --------
    Needs a study on disk, so not run here:

    >>> read_and_validate("sdtm", protocol, validate)  # doctest: +SKIP
    """
    study = load_study(data_dir)
    return study, validate(study, protocol)


def read_beside_imports(data_dir: str | Path, protocol: Protocol,
                        validate: Callable[[Study, Protocol], int],
                        later: tuple[str, ...] = LATER) -> tuple[Study, int]:
    """:func:`read_and_validate`, in a forked process while this one imports ``later`` (a
    small folder on a machine with a second core), else here.

    Parameters
    ----------
    data_dir, protocol, validate
        As :func:`read_and_validate`.
    later : tuple of str, optional
        Modules imported meanwhile.

    Returns
    -------
    tuple of (Study, int)
        The same study and warning count as :func:`read_and_validate` gives in this process.

    Raises
    ------
    InputError
        As :func:`read_and_validate`, whichever process read the study.

    Examples
    --------
    Needs a study on disk, so not run here:

    >>> study, n_warn = read_beside_imports("sdtm", protocol, validate)  # doctest: +SKIP
    """
    study, n_warn, _ = read_ahead(data_dir, protocol, validate, (), later)
    return study, n_warn


def _read_then(data_dir: str | Path, protocol: Protocol,
               validate: Callable[[Study, Protocol], int], then: Sequence[Step], send) -> None:
    """The forked process: the study and its warning count sent, then each step's result
    (``("ok", value)``, ``("refused", InputError)`` or ``("failed", None)``) as it is done."""
    study, n_warn = read_and_validate(data_dir, protocol, validate)  # an error: Background's
    send.send(("ok", (study, n_warn)))  # (a study that does not pickle is raised there too)
    for _, step in then:
        try:
            out: tuple = ("ok", step(study))
        except InputError as exc:  # bad input: the same refusal the step gives here
            out = ("refused", _portable(exc))
        except Exception:  # noqa: BLE001 - computed again in the parent, which raises it
            out = ("failed", None)
        try:
            send.send(out)  # pickled whole before anything is written
        except Exception:  # noqa: BLE001 - the result does not pickle: computed there
            send.send(("failed", None))
    send.close()


def read_ahead(data_dir: str | Path, protocol: Protocol,
               validate: Callable[[Study, Protocol], int], then: Sequence[Step] = (),
               later: tuple[str, ...] = LATER,
               first: tuple[str, ...] = ()) -> tuple[Study, int, Ahead]:
    """:func:`read_beside_imports`, and the steps ``then`` computed from the study by the same
    forked process after it (when it reads the study), for :class:`Ahead` to hand over.

    Parameters
    ----------
    data_dir, protocol, validate, later
        As :func:`read_beside_imports`.
    then : sequence of (str, callable)
        Named steps, each ``step(study)`` (it reads the study only), in the order the run
        takes them.
    first : tuple of str, optional
        Modules imported before the study is read (those the steps use, when this process
        uses them too: imported once, the forked process inherits them).

    Returns
    -------
    tuple of (Study, int, Ahead)
        The study and warning count (as :func:`read_and_validate` gives them here), and the
        steps' results.

    Raises
    ------
    InputError
        The data fail validation, as in :func:`read_beside_imports`.

    Examples
    --------
    A study on disk is needed (not run here):

    >>> study, n_warn, ahead = read_ahead("sdtm", protocol, validate,
    ...                                   [("rows", lambda s: len(s["DM"]))])  # doctest: +SKIP
    >>> ahead.take("rows") == len(study["DM"])  # doctest: +SKIP
    True
    """
    for name in first:
        importlib.import_module(name)
    size = folder_bytes(data_dir)
    recv, send = mp.Pipe(duplex=False)
    job = Background(partial(_read_then, data_dir, protocol, validate, tuple(then), send),
                     parallel=size is not None and size <= MAX_BYTES)
    send.close()  # this process's end: the child's alone is left, so its exit is seen here
    if not job.forked:  # read here, now
        recv.close()
        job.cancel()
        study, n_warn = read_and_validate(data_dir, protocol, validate)
        return study, n_warn, Ahead(study, then)
    received = _Received(recv, job)
    for name in later:
        importlib.import_module(name)
    if _SCOPED.get():  # the modules, here for the run: left out of its garbage collections
        gc.freeze()
    first = received.next()
    if first is None:  # the child stopped before sending the study: its error
        try:
            received.end()
        except InputError:  # bad input: the same error a read here raises
            raise
        except Exception:  # noqa: BLE001, S110 - the child failed otherwise (its result did
            pass  # not come back, or a fault): read here, which gives the study or the fault
        study, n_warn = read_and_validate(data_dir, protocol, validate)
        return study, n_warn, Ahead(study, then)
    study, n_warn = first[1]
    return study, n_warn, Ahead(study, then, received)


class _Received:
    """What the forked reader sends, received by a thread of this process as it comes, in
    order (``None`` after the last): the reader never waits for this one to read (the
    example's study, 1.3 MB pickled, is twenty times a pipe's buffer, and this process reads
    nothing until its imports are done)."""

    def __init__(self, recv, job: Background) -> None:
        self._recv, self._job, self._queue = recv, job, queue.SimpleQueue()
        self._thread = threading.Thread(target=self._receive, daemon=True,
                                        name="cartrial-read-ahead")
        self._thread.start()

    def _receive(self) -> None:
        try:
            while True:
                self._queue.put(self._recv.recv())
        except Exception:  # noqa: BLE001 - the pipe's end (the process stopped or was ended)
            self._queue.put(None)

    def next(self) -> tuple | None:
        """The next message, waited for (None: no more)."""
        return self._queue.get()

    def end(self, *, cancel: bool = False) -> None:
        """The process waited for (ended first when ``cancel``), the thread joined and the pipe
        closed before this process forks again; the process's own error raised."""
        if cancel:
            self._job.cancel()  # its pipe closes with it: the thread stops
        self._thread.join()
        self._recv.close()
        if not cancel:
            self._job.wait()


def _end(received: _Received | None) -> None:
    """An :class:`Ahead` let go before its last result: its process ended."""
    if received is not None:
        received.end(cancel=True)


class Ahead:
    """The results of the steps computed after the study by the process that read it
    (:func:`read_ahead`), each taken once, in the order sent; a step not computed there is
    computed here, from this process's study, when taken.

    Parameters
    ----------
    study : Study
        This process's study (the steps computed here read it).
    then : sequence of (str, callable)
        The steps, as given to :func:`read_ahead`.
    received : _Received, optional
        What the forked process sends (None: every step computed here).

    Examples
    --------
    >>> from cartrial.data import Study
    >>> ahead = Ahead(Study({}), [("n", lambda s: len(s.domains))])
    >>> "n" in ahead, ahead.forked, ahead.take("n")
    (True, False, 0)
    """

    def __init__(self, study: Study, then: Sequence[Step],
                 received: _Received | None = None) -> None:
        self._study, self._steps = study, dict(then)
        self._order, self._got, self._count = [name for name, _ in then], {}, 0
        self._received = received
        self._left = weakref.finalize(self, _end, received)

    def __contains__(self, name: str) -> bool:
        return name in self._steps

    @property
    def forked(self) -> bool:
        """Whether the steps not yet received are under way in the forked process.

        Examples
        --------
        >>> Ahead(None, []).forked
        False
        """
        return self._received is not None

    def take(self, name: str) -> Any:
        """The result of step ``name`` (its refusal raised here).

        Parameters
        ----------
        name : str
            A step's name.

        Returns
        -------
        object
            What the step returned, in the forked process or here.

        Raises
        ------
        InputError
            The step refused the data (in either process).
        Exception
            A failure of the step computed here.

        Examples
        --------
        >>> Ahead(None, [("two", lambda s: 2)]).take("two")
        2
        """
        while self._received is not None and name not in self._got:
            got = self._received.next()
            if got is None:  # the process stopped: what it did not send is computed here
                self.cancel()
                break
            self._got[self._order[self._count]] = got
            self._count += 1
            if self._count == len(self._order):  # the last result: the process has ended
                self._left.detach()
                self._received.end()
                self._received = None
        status, value = self._got.pop(name, ("failed", None))
        if status == "ok":
            return value
        if status == "refused":
            raise value
        return self._steps[name](self._study)

    def cancel(self) -> None:
        """End the forked process (its results not yet received are computed here if taken).

        Examples
        --------
        >>> ahead = Ahead(None, [("one", lambda s: 1)]); ahead.cancel(); ahead.take("one")
        1
        """
        self._left.detach()
        _end(self._received)
        self._received = None

    def pending(self, name: str) -> Pending:
        """Step ``name`` as a job to wait for later (the form of a
        :class:`~cartrial.report.background.Background`).

        Parameters
        ----------
        name : str
            The name of a step given to :func:`read_ahead`.

        Returns
        -------
        Pending

        Examples
        --------
        >>> Ahead(None, [("one", lambda s: 1)]).pending("one").wait()
        1
        """
        return Pending(self, name)


class Pending:
    """One step of an :class:`Ahead`, waited for as a
    :class:`~cartrial.report.background.Background` is: ``wait``, ``cancel``, ``forked``.

    Parameters
    ----------
    ahead : Ahead
        The steps.
    name : str
        The step's name.

    Examples
    --------
    >>> Pending(Ahead(None, [("one", lambda s: 1)]), "one").forked
    False
    """

    def __init__(self, ahead: Ahead, name: str) -> None:
        self._ahead, self._name = ahead, name
        self.forked = ahead.forked

    def wait(self) -> Any:
        """The step's result (:meth:`Ahead.take`)."""
        return self._ahead.take(self._name)

    def cancel(self) -> None:
        """The step's result not wanted: the forked process ended (:meth:`Ahead.cancel`).

        Returns
        -------
        None
            So that ``job = job.cancel()`` forgets the job, as with a ``Background``.
        """
        self._ahead.cancel()


def collections_scoped(run: Callable[..., T]) -> Callable[..., T]:
    """``run`` with what it freezes (:func:`read_beside_imports`: the modules imported for
    it) handed back to the garbage collector when it returns or raises, unless something was
    frozen before it started (the caller's own ``gc.freeze``, then left as it is).

    Parameters
    ----------
    run : callable
        A whole run (:func:`cartrial.report.pipeline.run_analysis`).

    Returns
    -------
    callable
        ``run`` with the same signature and result.

    References
    ----------
    ``gc.freeze`` and ``gc.unfreeze``, The Python Standard Library, section "gc" (3.11).

    Examples
    --------
    >>> frozen = collections_scoped(lambda: gc.freeze() or gc.get_freeze_count())
    >>> frozen() > 0, gc.get_freeze_count()
    (True, 0)
    """
    @wraps(run)
    def scoped(*args: object, **kwargs: object) -> T:
        before, token = gc.get_freeze_count(), _SCOPED.set(True)
        try:
            return run(*args, **kwargs)
        finally:
            _SCOPED.reset(token)
            if not before:
                gc.unfreeze()

    return scoped
