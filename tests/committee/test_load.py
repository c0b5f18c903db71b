"""The workspace under concurrent load and a kill mid-write (short runs; the 60-second run
with 50 readers and 5 writers is the benchmark in BENCHMARKS.md)."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import httpx
import pytest

from cartrial.committee import add_user, open_store, verify_audit
from cartrial.data import write_study
from tests.committee.loadtest import recorded_tags, run_load
from tests.data.minimal_study import minimal_domains


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(data, port):
    proc = subprocess.Popen(
        [sys.executable, "-m", "cartrial", "serve", "--protocol", "ct071", "--data", str(data),
         "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "CARTRIAL_SECRET": "test-secret"})
    for _ in range(600):
        if proc.poll() is not None:
            break
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(proc.stderr.read().decode())


@pytest.fixture()
def trial(tmp_path):
    write_study(minimal_domains(), tmp_path / "sdtm")
    store = open_store(f"sqlite:///{tmp_path / 'sdtm' / 'committee.sqlite'}")
    add_user(store, "reader", "password-r", "viewer")
    add_user(store, "writer", "password-w", "member")
    return tmp_path / "sdtm", store


def test_concurrent_readers_and_writers_lose_nothing(trial) -> None:
    data, store = trial
    port = _port()
    proc = _start(data, port)
    try:
        res = run_load(f"http://127.0.0.1:{port}", reader=("reader", "password-r"),
                       writer=("writer", "password-w"), readers=6, writers=2, seconds=3)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert res.errors == []
    assert res.reads > 0 and len(res.confirmed_tags) > 0
    tags = recorded_tags(store, "load")
    assert Counter(tags) == Counter(res.confirmed_tags)   # none lost, none duplicated
    assert verify_audit(store).ok


def test_server_killed_mid_write_restarts_intact(trial) -> None:
    data, store = trial
    port = _port()
    proc = _start(data, port)
    import threading

    out = {}
    th = threading.Thread(target=lambda: out.setdefault("res", run_load(
        f"http://127.0.0.1:{port}", reader=("reader", "password-r"),
        writer=("writer", "password-w"), readers=0, writers=3, seconds=20, tag="kill")))
    th.start()
    t0 = time.monotonic()
    while len(recorded_tags(store, "kill")) < 3 and time.monotonic() - t0 < 300:
        time.sleep(0.05)                                  # writes are under way
    proc.send_signal(signal.SIGKILL)                      # no clean shutdown, mid-write
    proc.wait(timeout=30)
    th.join(timeout=60)
    db = data / "committee.sqlite"
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    proc = _start(data, port)
    try:
        store2 = open_store(f"sqlite:///{db}")
        rep = verify_audit(store2)
        assert rep.ok, rep.problems
        tags = Counter(recorded_tags(store2, "kill"))
        confirmed = Counter(out["res"].confirmed_tags)
        assert all(tags[t] == 1 for t in confirmed)           # every confirmed write is there
        assert all(v == 1 for v in tags.values())             # nothing duplicated
        assert set(tags) <= set(out["res"].attempted_tags)    # nothing invented
    finally:
        proc.terminate()
        proc.wait(timeout=30)
