"""A bounded load driver for the workspace: readers and decision writers on loopback.

Test harness, not part of the package (issue #19): it lives with the tests and is imported by
the benchmark (``benchmarks/bench_committee.py``) and the tests. Every request is
counted; every write carries a unique tag so lost or duplicated records can be found in the
database afterwards. Loopback addresses only; the run stops by itself after ``seconds``.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlparse

import httpx

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_DATA_HASH = re.compile(r'name="data_hash" value="([^"]+)"')
_FORM = re.compile(r'name="form_token" value="([^"]+)"')


@dataclass
class LoadResult:
    """Counts of a run: requests by kind, error responses, and the tags of confirmed writes."""

    reads: int = 0
    writes: int = 0
    errors: list[str] = field(default_factory=list)
    confirmed_tags: list[str] = field(default_factory=list)
    attempted_tags: list[str] = field(default_factory=list)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def _check_loopback(base: str) -> None:
    host = urlparse(base).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        raise ValueError(f"load tests target loopback only, not {host!r}")


def _session(base: str, user: str, password: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=300.0, follow_redirects=False)  # a loaded machine
    tok = _TOKEN.search(c.get("/login").text).group(1)
    r = c.post("/login", data={"username": user, "password": password, "csrf_token": tok})
    if r.status_code != 303:
        raise RuntimeError(f"login of {user} failed: {r.status_code}")
    return c


def run_load(base: str, *, reader: tuple[str, str], writer: tuple[str, str], readers: int = 50,
             writers: int = 5, seconds: float = 60.0, tag: str = "load") -> LoadResult:
    """``readers`` clients GET the overview and ``writers`` record decisions for ``seconds``."""
    _check_loopback(base)
    res = LoadResult()
    # Log everyone in and warm the workspace first; the clock starts when all are ready.
    warm = _session(base, *reader)
    try:
        warm.get("/")
    finally:
        warm.close()
    deadline: list[float] = [0.0, 0.0]

    def start_clock() -> None:  # runs once, before any thread passes the barrier
        deadline[1] = time.monotonic()
        deadline[0] = deadline[1] + seconds

    ready = threading.Barrier(readers + writers + 1, action=start_clock)

    def login(kind: str, i: int, cred: tuple[str, str]) -> httpx.Client | None:
        try:
            c = _session(base, *cred)
        except Exception as exc:  # noqa: BLE001 - counted, never swallowed
            with res.lock:
                res.errors.append(f"{kind} {i} login: {exc}")
            c = None
        ready.wait()
        return c

    def read_loop(i: int) -> None:
        c = login("reader", i, reader)
        if c is None:
            return
        stop = deadline[0]
        try:
            while time.monotonic() < stop:
                try:
                    r = c.get("/" if i % 2 else "/history")
                    ok = r.status_code == 200
                except httpx.HTTPError as exc:
                    ok, r = False, exc
                with res.lock:
                    res.reads += 1
                    if not ok:
                        res.errors.append(f"reader {i}: {getattr(r, 'status_code', r)}")
                if isinstance(r, httpx.TransportError):
                    break  # the server is gone: stop rather than spin
        finally:
            c.close()

    user = writer[0]
    today = datetime.now(UTC).date().isoformat()  # a meeting date the form accepts

    def write_loop(i: int) -> None:
        c = login("writer", i, writer)
        if c is None:
            return
        stop = deadline[0]
        n = 0
        try:
            while time.monotonic() < stop:
                t = f"{tag}-{i}-{n}"
                n += 1
                try:
                    form = c.get("/decide").text
                    tok = _TOKEN.search(form).group(1)
                    seen = _DATA_HASH.search(form).group(1)
                    once = _FORM.search(form).group(1)
                    with res.lock:
                        res.attempted_tags.append(t)
                    r = c.post("/decide", data={"csrf_token": tok, "form_token": once,
                                                "choice": "accept",
                                                "data_hash": seen, "attendees": user,
                                                "rationale": t, "meeting_date": today})
                    ok = r.status_code == 303
                except httpx.HTTPError as exc:
                    ok, r = False, exc
                with res.lock:
                    res.writes += 1
                    if ok:
                        res.confirmed_tags.append(t)
                    else:
                        res.errors.append(f"writer {i}: {getattr(r, 'status_code', r)}")
                if isinstance(r, httpx.TransportError):
                    break  # the server is gone: stop rather than spin
        finally:
            c.close()

    threads = [threading.Thread(target=read_loop, args=(i,)) for i in range(readers)]
    threads += [threading.Thread(target=write_loop, args=(i,)) for i in range(writers)]
    for th in threads:
        th.start()
    ready.wait()
    for th in threads:
        th.join(timeout=seconds + 300)
    res.seconds = time.monotonic() - deadline[1]
    return res


def recorded_tags(store, tag: str) -> list[str]:  # noqa: ANN001
    """Tags of the decisions in the database (from their rationale), in record order."""
    from cartrial.committee.records import list_decisions

    return [d.rationale for d in list_decisions(store) if d.rationale.startswith(f"{tag}-")]
