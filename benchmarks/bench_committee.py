"""Committee workspace under load: 50 readers + 5 decision writers for 60 s on loopback, then a
server killed mid-write and restarted. Prints requests/s, latency-free counts, lost/duplicated
records and the audit verification.

    .venv/bin/python benchmarks/bench_committee.py [--seconds 60] [--readers 50] [--writers 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from cartrial.committee import add_user, open_store, verify_audit
from cartrial.data import write_study

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.committee.loadtest import recorded_tags, run_load  # noqa: E402
from tests.data.minimal_study import minimal_domains  # noqa: E402


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(data: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "cartrial", "serve", "--data", str(data),
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            env={**os.environ, "CARTRIAL_SECRET": "bench"})
    for _ in range(1200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--readers", type=int, default=50)
    ap.add_argument("--writers", type=int, default=5)
    a = ap.parse_args()
    root = Path(tempfile.mkdtemp())
    write_study(minimal_domains(), root / "sdtm")
    store = open_store(f"sqlite:///{root / 'sdtm' / 'committee.sqlite'}")
    add_user(store, "reader", "password-r", "viewer")
    add_user(store, "writer", "password-w", "member")
    port = _port()
    proc = _start(root / "sdtm", port)
    try:
        res = run_load(f"http://127.0.0.1:{port}", reader=("reader", "password-r"),
                       writer=("writer", "password-w"), readers=a.readers, writers=a.writers,
                       seconds=a.seconds)
    finally:
        proc.terminate()
        proc.wait()
    tags = Counter(recorded_tags(store, "load"))
    lost = sum(1 for t in res.confirmed_tags if tags[t] == 0)
    dup = sum(1 for v in tags.values() if v > 1)
    print(f"load: {a.readers} readers + {a.writers} writers for {res.seconds:.1f} s: "
          f"{res.reads} reads ({res.reads / res.seconds:.1f}/s), {res.writes} writes "
          f"({res.writes / res.seconds:.1f}/s), {len(res.errors)} error responses, "
          f"{lost} lost, {dup} duplicated, audit ok={verify_audit(store).ok}")

    proc = _start(root / "sdtm", port)
    import threading

    out: dict = {}
    th = threading.Thread(target=lambda: out.setdefault("r", run_load(
        f"http://127.0.0.1:{port}", reader=("reader", "password-r"),
        writer=("writer", "password-w"), readers=0, writers=a.writers, seconds=30, tag="kill")))
    th.start()
    while len(recorded_tags(store, "kill")) < 20:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    th.join()
    store2 = open_store(f"sqlite:///{root / 'sdtm' / 'committee.sqlite'}")
    rep = verify_audit(store2)
    tags = Counter(recorded_tags(store2, "kill"))
    lost = sum(1 for t in out["r"].confirmed_tags if tags[t] == 0)
    print(f"kill -9 mid-write: {sum(tags.values())} decisions on disk, "
          f"{len(out['r'].confirmed_tags)} confirmed, {lost} confirmed but lost, "
          f"chain verifies after restart: {rep.ok} ({rep.entries} entries)")


if __name__ == "__main__":
    main()
