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
:class:`~cartrial.report.reader_results.Ahead` hands them over in the run's order. A step the
process could not finish or send (any failure but bad input) is computed here when taken, and
gives this process's result or raises its error; a step refused for bad input (``InputError``)
raises that error here, as the step run here raises it.
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing as mp
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from functools import partial, wraps
from pathlib import Path
from typing import TypeVar

from cartrial._gc import imported_uncollected
from cartrial.data import Study, load_study
from cartrial.errors import InputError
from cartrial.protocol.model import Protocol
from cartrial.report.background import Background, _portable
from cartrial.report.reader_results import Ahead, Step, _Received

T = TypeVar("T")
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
    (``("ok", value)``, ``("refused", InputError)`` or ``("failed", None)``) as it is done.

    The pipe is closed however this ends, before Background sends the error that stopped it:
    the parent reads that error only once this pipe has ended, and an error larger than a
    pipe's buffer (a validation report of many findings) would otherwise wait for the parent
    while the parent waited for this pipe, both for ever."""
    try:
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
    finally:
        send.close()


def read_ahead(data_dir: str | Path, protocol: Protocol,
               validate: Callable[[Study, Protocol], int], then: Sequence[Step] = (),
               later: tuple[str, ...] = LATER,
               first: tuple[str, ...] = ()) -> tuple[Study, int, Ahead]:
    """:func:`read_beside_imports`, and the steps ``then`` computed from the study by the same
    forked process after it (when it reads the study), for
    :class:`~cartrial.report.reader_results.Ahead` to hand over.

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
    _import_for_run(later)
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


def _import_for_run(names: Sequence[str]) -> None:
    """Import ``names``; within a run (:func:`collections_scoped`) without garbage collections
    meanwhile and then frozen (:func:`cartrial._gc.imported_uncollected`), so that no
    collection of the run walks what they made."""
    with imported_uncollected(_SCOPED.get()):
        for name in names:
            importlib.import_module(name)


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
