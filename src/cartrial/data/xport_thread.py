"""A file whose bytes are written by a second thread, in the order given (issue #18).

Why: writing a large trial's ADaM files (at 10,000 patients ~2.4 GB of XPT and CSV) is a few
seconds of system time in ``write(2)``, which releases the GIL; handed to a thread, it runs on
the second core while this one encodes the next records. The thread only writes (and, when
asked, leaves out a padding byte, in numpy, also without the GIL): the bytes and their order
are those of writing them in turn, so the file is byte-identical. What waits in the queue is
bounded (``depth`` pieces), so the memory added is at most that many pieces; buffers filled
again and again take turns (:class:`Turns`), each filled once the thread has written it.

An error in the thread (a full disk, say) is raised to the caller, the same exception with its
message, at its next :meth:`ThreadedFile.write`, :meth:`~ThreadedFile.wait` or
:meth:`~ThreadedFile.close`; the thread then discards what it is given, so the caller never
waits for it forever. :meth:`~ThreadedFile.close` and :meth:`~ThreadedFile.abort` join the
thread, so none is left behind.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import BinaryIO

import numpy as np

#: pieces waiting for the thread at most: with the one being written, at most three pieces
#: (a chunk of XPT records is at most 16 MiB, of padded CSV records 8 MiB) are held beyond the
#: caller's
DEPTH = 2

_STOP = object()


class ThreadedFile:
    """A binary file opened for writing whose :meth:`write` calls are done by a thread.

    Parameters
    ----------
    path : str or pathlib.Path
        The file, created or truncated (opened here, in the caller's thread, so an error in
        opening it is raised here).
    depth : int
        Pieces that may wait for the thread; :meth:`write` blocks while as many wait.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "f.bin"
    >>> with ThreadedFile(path) as f:
    ...     f.write(b"abc")
    ...     f.write(memoryview(b"def"))
    1
    2
    >>> path.read_bytes()
    b'abcdef'
    """

    def __init__(self, path: str | Path, depth: int = DEPTH) -> None:
        self._file = open(path, "wb")  # noqa: SIM115 - closed by the thread's end
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, depth))
        self._done = threading.Condition()
        self._written = 0  # pieces written (or discarded after an error)
        self._error: BaseException | None = None
        self._sent = 0
        self._thread: threading.Thread | None = threading.Thread(
            target=self._run, name=f"write {Path(path).name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while (item := self._queue.get()) is not _STOP:
                piece, drop = item
                if self._error is None:
                    try:
                        if drop is not None:  # (numpy: without the GIL)
                            raw = np.frombuffer(piece, dtype=np.uint8)
                            piece = raw[raw != drop]
                        self._file.write(piece)
                    except BaseException as exc:  # noqa: BLE001 - raised in the caller
                        self._error = exc
                del item, piece  # (a buffer the caller may fill again once counted written)
                with self._done:
                    self._written += 1
                    self._done.notify_all()
        finally:
            try:
                self._file.close()
            except BaseException as exc:  # noqa: BLE001 - raised in the caller
                if self._error is None:
                    self._error = exc
            with self._done:
                self._written = -1  # ended: nothing is waited for any more
                self._done.notify_all()

    def _raise(self) -> None:
        if self._error is not None:
            self.abort()
            raise self._error

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` or :meth:`abort` has ended the thread."""
        return self._thread is None

    def write(self, data: bytes | bytearray | memoryview | np.ndarray,
              drop: int | None = None) -> int:
        """Hand ``data`` to the thread (not copied: a buffer must not change until
        :meth:`wait` for the returned number has returned); the error of an earlier write, if
        any, is raised instead. ``drop``: a byte value the thread leaves out of ``data``
        (the padding of records built at a fixed width), so the second core removes it.

        Returns
        -------
        int
            The number of this piece (1, 2, ...), for :meth:`wait`.
        """
        self._raise()
        if self._thread is None:
            raise ValueError("write to a closed ThreadedFile")
        self._queue.put((data, drop))
        self._sent += 1
        return self._sent

    def wait(self, piece: int) -> None:
        """Return once piece number ``piece`` (and every one before it) is written; raise the
        thread's error, if any."""
        with self._done:
            self._done.wait_for(lambda: self._written < 0 or self._written >= piece
                                or self._error is not None)
        self._raise()

    def close(self) -> None:
        """Write what waits, close the file and end the thread; raise the thread's error, if
        any (again: nothing)."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._thread.join()
        self._thread = None
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        """End the thread without writing what still waits, and close the file (its content is
        then incomplete: the caller removes it). Again: nothing."""
        if self._thread is None:
            return
        if self._error is None:
            self._error = _Aborted()  # the thread discards what waits
        self._queue.put(_STOP)
        self._thread.join()
        self._thread = None
        if isinstance(self._error, _Aborted):
            self._error = None

    def __enter__(self) -> ThreadedFile:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class Turns:
    """Buffers taking turns to be filled and written: with a :class:`ThreadedFile` one is
    filled while the others wait or are written, each filled again only once the thread has
    written it; with a file written in turn, one buffer (kept: a new buffer of megabytes for
    every chunk is faulted in, page by page, each time).

    Parameters
    ----------
    file : ThreadedFile or binary file
        Where the buffers are written (:meth:`sent` is given what its ``write`` returned).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "f.bin"
    >>> with ThreadedFile(path) as f:
    ...     turns = Turns(f)
    ...     for i in range(4):
    ...         buf = turns.next(np.dtype(np.uint8), 3)
    ...         buf[:] = i
    ...         turns.sent(f.write(buf))
    >>> path.read_bytes()
    b'\\x00\\x00\\x00\\x01\\x01\\x01\\x02\\x02\\x02\\x03\\x03\\x03'
    """

    def __init__(self, file: ThreadedFile | BinaryIO) -> None:
        self._file = file
        threaded = isinstance(file, ThreadedFile)
        self._buffers: list[np.ndarray | None] = [None, None] if threaded else [None]
        self._pieces = [0] * len(self._buffers)  # the piece each buffer was last sent as
        self._turn = 0

    def next(self, dtype: np.dtype, rows: int) -> np.ndarray:
        """The next buffer in turn, of at least ``rows`` items of ``dtype``, once written."""
        self._turn = (self._turn + 1) % len(self._buffers)
        if isinstance(self._file, ThreadedFile):
            self._file.wait(self._pieces[self._turn])
        buf = self._buffers[self._turn]
        if buf is None or buf.dtype != dtype or len(buf) < rows:
            buf = self._buffers[self._turn] = np.empty(rows, dtype=dtype)
        return buf

    def sent(self, piece: int) -> None:
        """The buffer last given by :meth:`next` was handed to the file as piece ``piece``."""
        self._pieces[self._turn] = piece

    def clear(self) -> None:
        """Let the buffers go (the file written or given up)."""
        self._buffers = [None] * len(self._buffers)


class _Aborted(Exception):
    """Set as the thread's error by :meth:`ThreadedFile.abort`: what waits is discarded."""
