"""Files written by a second thread (cartrial.data.xport_thread.ThreadedFile) and the XPORT
writer with ``threaded=True``: the same bytes in the same order, the thread's error raised to
the caller with its message, and no thread left behind, on success or on error."""

from __future__ import annotations

import errno
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cartrial.data.xport as xport
import cartrial.data.xport_thread as xport_thread
from cartrial.data.xport import XportV5Writer, text_width
from cartrial.data.xport_thread import ThreadedFile


def _writers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("write ")]


class _SlowFile:
    """A file whose writes take a while (the caller runs ahead of the thread) or fail at the
    ``fail_at``-th write with a full disk."""

    def __init__(self, real, delay: float = 0.0, fail_at: int | None = None) -> None:
        self.real, self.delay, self.fail_at, self.calls = real, delay, fail_at, 0

    def write(self, data) -> int:
        self.calls += 1
        if self.fail_at is not None and self.calls >= self.fail_at:
            raise OSError(errno.ENOSPC, "No space left on device (test)")
        time.sleep(self.delay)
        return self.real.write(data)

    def close(self) -> None:
        self.real.close()


@pytest.fixture
def slow_open(monkeypatch):
    """``open`` in xport_thread returning a _SlowFile with the given settings."""
    def patch(delay: float = 0.0, fail_at: int | None = None) -> None:
        monkeypatch.setattr(xport_thread, "open",
                            lambda path, mode: _SlowFile(open(path, mode), delay, fail_at),
                            raising=False)
    return patch


def test_pieces_are_written_in_order_and_no_thread_is_left(tmp_path: Path, slow_open) -> None:
    slow_open(delay=0.002)
    pieces = [bytes([i % 251]) * (i % 13 + 1) for i in range(200)]
    with ThreadedFile(tmp_path / "f", depth=2) as f:
        numbers = [f.write(p) for p in pieces]
    assert numbers == list(range(1, 201))
    assert (tmp_path / "f").read_bytes() == b"".join(pieces)
    assert f.closed and not _writers()


def test_wait_returns_once_the_piece_is_written(tmp_path: Path, slow_open) -> None:
    """A buffer may be filled again once wait() for its piece has returned."""
    slow_open(delay=0.01)
    buf = bytearray(b"a" * 10)
    with ThreadedFile(tmp_path / "f") as f:
        n = f.write(buf)
        f.wait(n)
        buf[:] = b"b" * 10  # written already: the file keeps the a's
        f.write(bytes(buf))
    assert (tmp_path / "f").read_bytes() == b"a" * 10 + b"b" * 10


def test_an_error_in_the_thread_is_raised_with_its_message(tmp_path: Path, slow_open) -> None:
    slow_open(fail_at=3)
    f = ThreadedFile(tmp_path / "f", depth=1)
    with pytest.raises(OSError, match="No space left on device \\(test\\)"):
        for _ in range(100):  # never blocks for good: the thread discards after its error
            f.write(b"x" * 100)
        f.close()
    assert f.closed and not _writers()
    with pytest.raises(OSError, match="No space left"):  # raised again, not swallowed
        f.wait(1)


def test_an_error_is_raised_by_close_and_wait(tmp_path: Path, slow_open) -> None:
    slow_open(fail_at=1)
    f = ThreadedFile(tmp_path / "f")
    n = f.write(b"x")
    with pytest.raises(OSError, match="No space left"):
        f.wait(n)
    assert not _writers()
    slow_open(fail_at=1)
    with pytest.raises(OSError, match="No space left"):
        with ThreadedFile(tmp_path / "g") as g:
            g.write(b"y")
    assert g.closed and not _writers()


def test_the_callers_error_ends_the_thread(tmp_path: Path, slow_open) -> None:
    slow_open(delay=0.01)
    with pytest.raises(ValueError, match="the caller's"):
        with ThreadedFile(tmp_path / "f") as f:
            f.write(b"x" * 10)
            raise ValueError("the caller's")
    assert f.closed and not _writers()
    with pytest.raises(ValueError, match="closed"):
        f.write(b"z")


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({"ID": [f"S{i % 41}" + "é" * (i % 3) for i in range(n)],
                         "A": rng.normal(size=n), "B": np.where(np.arange(n) % 5, 2.5, np.nan),
                         "ADT": pd.to_datetime(rng.integers(18_000, 20_000, n), unit="D")})


def _xpt(df: pd.DataFrame, path: Path, threaded: bool, parts: list[int]) -> bytes:
    kinds = ["text", "num", "num", "date"]
    with XportV5Writer(path, table_name="ADLB", file_label="Lab", columns=list(df.columns),
                       column_labels=[f"L{c}" for c in df.columns], kinds=kinds,
                       text_widths={"ID": text_width(df["ID"])}, chunk_rows=64,
                       variable_format={"ADT": "DATE9."}, threaded=threaded) as w:
        for a, b in zip([0, *parts], [*parts, len(df)], strict=True):
            w.write(df.iloc[a:b])
    return path.read_bytes()


def test_threaded_xpt_has_the_bytes_of_the_unthreaded(tmp_path: Path, monkeypatch,
                                                       slow_open) -> None:
    """Regression test (the writer against itself): the record buffers take turns, each
    filled again only once the thread has written it; a slow file and buffers of a few
    records (many chunks) would show a buffer overwritten too soon."""
    df = _frame(1_000)
    monkeypatch.setattr(xport, "BUFFER_BYTES", 9 * (5 + 8 + 8 + 8))  # nine records a chunk
    plain = _xpt(df, tmp_path / "plain.xpt", False, [100, 100, 555])
    slow_open(delay=0.001)
    assert _xpt(df, tmp_path / "threaded.xpt", True, [100, 100, 555]) == plain
    assert not _writers()


def test_threaded_xpt_removed_on_the_threads_error(tmp_path: Path, slow_open) -> None:
    slow_open(fail_at=2)  # the header is written, the first records are not
    with pytest.raises(OSError, match="No space left"):
        _xpt(_frame(500), tmp_path / "x.xpt", True, [])
    assert not (tmp_path / "x.xpt").exists() and not _writers()


def test_a_dropped_byte_is_left_out_by_the_thread(tmp_path: Path) -> None:
    padded = np.frombuffer(b"ab\xff\xffc\xff\n", dtype=np.uint8)
    with ThreadedFile(tmp_path / "f") as f:
        f.write(padded, drop=0xFF)
        f.write(b"\xff as it is")
    assert (tmp_path / "f").read_bytes() == b"abc\n\xff as it is"


def test_turns_fill_a_buffer_again_only_once_written(tmp_path: Path, slow_open) -> None:
    """Regression test (against the bytes written in turn): with a slow file, a buffer filled
    again before the thread had written it would change the file."""
    from cartrial.data.xport_thread import Turns

    slow_open(delay=0.003)
    with ThreadedFile(tmp_path / "f") as f:
        turns = Turns(f)
        for i in range(30):
            buf = turns.next(np.dtype(np.uint8), 1000)
            buf[:] = i
            turns.sent(f.write(buf))
    assert (tmp_path / "f").read_bytes() == b"".join(bytes([i]) * 1000 for i in range(30))
    with open(tmp_path / "g", "wb") as g:  # a file written in turn: one buffer, kept
        turns = Turns(g)
        first = turns.next(np.dtype(np.uint8), 10)
        turns.sent(g.write(first))
        assert turns.next(np.dtype(np.uint8), 5) is first
