"""The per-snapshot page memo computes a page once even when readers arrive together
(issue #18: fifty readers opening a 1,000-patient trial's patient list at the same moment)."""

from __future__ import annotations

import threading

from cartrial.committee.page_cache import PageCache

LIMIT = 120.0  # generous waits on events: no timing assertion


def test_readers_arriving_during_a_computation_wait_for_it() -> None:
    cache, ws = PageCache(), object()
    entered, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        entered.set()
        assert release.wait(LIMIT)
        return "page"

    got: list[str] = []
    first = threading.Thread(target=lambda: got.append(cache.get(ws, "P1", compute)))
    first.start()
    assert entered.wait(LIMIT)                   # the first reader is computing
    others = [threading.Thread(target=lambda: got.append(cache.get(ws, "P1", compute)))
              for _ in range(5)]
    for t in others:
        t.start()
    release.set()
    for t in [first, *others]:
        t.join(LIMIT)
    assert got == ["page"] * 6 and len(calls) == 1


def test_a_failed_computation_leaves_the_next_reader_to_compute() -> None:
    cache, ws = PageCache(), object()

    def fails() -> str:
        raise ValueError("no")

    try:
        cache.get(ws, "P1", fails)
    except ValueError:
        pass
    assert cache.get(ws, "P1", lambda: "page") == "page"


def test_a_new_snapshot_is_computed_again() -> None:
    cache = PageCache()
    assert cache.get(object(), "P1", lambda: "old") == "old"
    assert cache.get(object(), "P1", lambda: "new") == "new"
