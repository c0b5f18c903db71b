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
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Callable
from contextvars import ContextVar
from functools import partial, wraps
from pathlib import Path
from typing import TypeVar

from cartrial.data import Study, load_study
from cartrial.errors import InputError
from cartrial.protocol.model import Protocol
from cartrial.report.background import Background

T = TypeVar("T")
_SCOPED: ContextVar[bool] = ContextVar("cartrial_collections_scoped", default=False)
MAX_BYTES = 32 * 2**20  # the data files' total size up to which the study is read beside
# (the 20-patient example: 1.5 MB; the study is pickled back, twice the memory meanwhile)

#: what ``analyze`` imports after reading the study: the engines, the ADaM build, the figures
#: and the writers, in the order the stages need them
LATER = ("cartrial.safety.analysis", "cartrial.safety.sdtm", "cartrial.efficacy.sdtm",
         "cartrial.kinetics.analysis", "cartrial.adam.build", "cartrial.report.recommended_dose",
         "cartrial.report.figure_files", "cartrial.report.outputs")


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
    size = folder_bytes(data_dir)
    job = Background(partial(read_and_validate, data_dir, protocol, validate),
                     parallel=size is not None and size <= MAX_BYTES)
    if not job.forked:
        return job.wait()  # read here, now
    for name in later:
        importlib.import_module(name)
    if _SCOPED.get():  # the modules, here for the run: left out of its garbage collections
        gc.freeze()
    try:
        return job.wait()
    except InputError:  # bad input: the same error a read here raises
        raise
    except Exception:  # noqa: BLE001 - the child failed otherwise (its result did not come
        # back, or a fault): read here, which gives the study or raises the fault itself
        return read_and_validate(data_dir, protocol, validate)


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
