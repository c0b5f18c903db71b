"""The results of the steps that the forked process reading the study computes after it
(:func:`cartrial.report.study_read.read_ahead`'s ``then``), handed over in the run's order.

A thread of this process receives what the reader sends as it comes (:class:`_Received`);
:class:`Ahead` hands each step's result over once, and computes here, from this process's
study, a step the reader could not finish or send; :class:`Pending` is one step waited for as a
:class:`~cartrial.report.background.Background` is.
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from cartrial.data import Study
from cartrial.report.background import Background

Step = tuple[str, Callable[[Study], Any]]  # a name and what it computes from the study


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
    (:func:`~cartrial.report.study_read.read_ahead`), each taken once, in the order sent; a
    step not computed there is computed here, from this process's study, when taken.

    Parameters
    ----------
    study : Study
        This process's study (the steps computed here read it).
    then : sequence of (str, callable)
        The steps, as given to :func:`~cartrial.report.study_read.read_ahead`.
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
            The name of a step given to :func:`~cartrial.report.study_read.read_ahead`.

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
