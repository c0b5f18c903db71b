"""`cartrial serve` as a committee meets: time to the first page, and page times under readers.

Issue #18 goal: first page <= 3 s after start; p95 page time <= 150 ms with 50 concurrent
readers on the example, <= 500 ms on a 1,000-patient trial. This starts the real server
(``python -m cartrial serve``) on a trial's SDTM folder, measures

1. *first page*: from starting the process to the first logged-in overview page (``/``) returned
   (server start-up, data load and validation, the overview's analysis), and to the first
   *complete* overview (the first one may say that "new since the last meeting" is still being
   computed while the safety analysis runs);
2. *page times*: ``--readers`` logged-in clients, each on its own thread, request the overview,
   the patient list, one patient's page and the decision history in turn for ``--seconds``;
   every response's wall time is recorded and p50 / p95 / max are printed per page and overall.
   The readers start once the overview is complete (the workspace wholly built), so that these
   times are those of a built workspace, not of its start-up. All readers open the overview at
   the same instant (the *opening round*: 50 requests queued at once); p95 is printed with it
   and without it (each reader's pages after its first);
3. *server CPU*: up to the complete overview, the server process's CPU seconds and those of
   the child it forks to compute the decisions (user + system, from ``/proc``); and while the
   readers ran, per response: what a page costs the server, which does not depend on the load
   other processes put on the machine as wall times do.
   ``--think S``: each reader reads a page for an exponentially distributed time of mean S
   seconds (seeded per reader) before the next, as committee members do; ``--think 0`` is a
   stress test in which every reader requests back to back (then the page time is mostly the
   queue of 50 requests in front of one server process).

Only loopback addresses; every response must be 200 (errors are counted and printed). Timing is a
benchmark, never a test assertion (CONTRIBUTING.md). Usage::

    .venv/bin/cartrial example ct071 --out /tmp/ex            # or --patients 1000
    .venv/bin/python benchmarks/bench_serve_latency.py --data /tmp/ex/sdtm --protocol ct071
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from cartrial.committee import add_user, open_store

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_PATIENT = re.compile(r'href="/patients/([^"]+)"')


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _login(base: str, user: str, password: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=600.0, follow_redirects=False)
    tok = _TOKEN.search(c.get("/login").text).group(1)
    r = c.post("/login", data={"username": user, "password": password, "csrf_token": tok})
    if r.status_code != 303:
        raise RuntimeError(f"login failed: {r.status_code}")
    return c


def _first_page(base: str, proc: subprocess.Popen,
                t0: float) -> tuple[float, float, float]:
    """Seconds to the login page answering, to the first overview page and to the first
    complete one (no part marked as being computed)."""
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/login", timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.02)
    up = time.perf_counter() - t0
    c = _login(base, "reader", "password-r")
    r = c.get("/")
    first = time.perf_counter() - t0
    while r.status_code == 200 and 'class="pending"' in r.text:
        time.sleep(0.02)
        r = c.get("/")
    complete = time.perf_counter() - t0
    c.close()
    if r.status_code != 200:
        raise RuntimeError(f"overview answered {r.status_code}")
    return up, first, complete


def _cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU seconds of a process so far (Linux ``/proc``; NaN elsewhere); with
    ``children``, those of its children it has collected (``cartrial serve``'s forked child)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    at = 13 if children else 11
    return (int(fields[at]) + int(fields[at + 1])) / os.sysconf("SC_CLK_TCK")


def _read(base: str, pages: list[str], seconds: float, start: threading.Barrier,
          times: dict[str, list[float]], errors: list[str], lock: threading.Lock,
          think: float, seed: int, later: list[float]) -> None:
    try:
        c = _login(base, "reader", "password-r")
    except (RuntimeError, httpx.HTTPError) as exc:  # counted; the others still start
        with lock:
            errors.append(f"login: {exc}")
        start.wait()
        return
    rng = np.random.default_rng(seed)
    start.wait()
    end = time.perf_counter() + seconds
    i = 0
    try:
        while time.perf_counter() < end:
            page = pages[i % len(pages)]
            i += 1
            t = time.perf_counter()
            r = c.get(page)
            dt = time.perf_counter() - t
            with lock:
                if r.status_code == 200:
                    times.setdefault(page.split("/")[1] or "overview", []).append(dt)
                    if i > 1:  # after this reader's first page (the opening round)
                        later.append(dt)
                else:
                    errors.append(f"{page}: {r.status_code}")
            if think > 0:
                time.sleep(min(rng.exponential(think), max(end - time.perf_counter(), 0.0)))
    finally:
        c.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="the trial's SDTM folder")
    ap.add_argument("--protocol", required=True, help="bundled protocol name or YAML path")
    ap.add_argument("--readers", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--think", type=float, default=0.0,
                    help="mean seconds a reader reads a page before the next (0: back to back)")
    a = ap.parse_args()
    db = Path(tempfile.mkdtemp()) / "committee.sqlite"
    store = open_store(f"sqlite:///{db}")
    add_user(store, "reader", "password-r", "viewer")
    port = _port()
    base = f"http://127.0.0.1:{port}"
    server_log = open(db.with_name("server.log"), "w+")  # noqa: SIM115 - read after the run
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "cartrial", "serve", "--data", a.data,
                             "--protocol", a.protocol, "--db", f"sqlite:///{db}", "--port",
                             str(port), "--settle", "0"], stdout=subprocess.DEVNULL,
                            stderr=server_log, env={**os.environ, "CARTRIAL_SECRET": "bench"})
    try:
        up, first, complete = _first_page(base, proc, t0)
        start_cpu = (_cpu_seconds(proc.pid), _cpu_seconds(proc.pid, children=True))
        c = _login(base, "reader", "password-r")
        ids = _PATIENT.findall(c.get("/patients").text)
        c.close()
        pages = ["/", "/patients", f"/patients/{ids[len(ids) // 2]}" if ids else "/", "/history"]
        times: dict[str, list[float]] = {}
        errors: list[str] = []
        lock = threading.Lock()
        later: list[float] = []
        start = threading.Barrier(a.readers + 1)
        threads = [threading.Thread(target=_read, args=(base, pages, a.seconds, start, times,
                                                        errors, lock, a.think, i, later))
                   for i in range(a.readers)]
        for th in threads:
            th.start()
        start.wait()
        cpu0 = _cpu_seconds(proc.pid)
        for th in threads:
            th.join()
        cpu = _cpu_seconds(proc.pid) - cpu0
    finally:
        proc.terminate()
        proc.wait()
    print(f"data {a.data}: server answering after {up:.2f} s; first overview page after "
          f"{first:.2f} s; complete overview after {complete:.2f} s")
    print(f"  server CPU to the complete overview: {start_cpu[0]:.2f} s, its forked child's "
          f"{start_cpu[1]:.2f} s")
    every = np.concatenate([np.asarray(v) for v in times.values()]) if times else np.array([])
    for name, v in [*sorted(times.items()), ("all pages", every)]:
        v = np.asarray(v) * 1000
        print(f"  {name:<10} n={len(v):>6}  p50 {np.percentile(v, 50):7.1f} ms  "
              f"p95 {np.percentile(v, 95):7.1f} ms  max {v.max():7.1f} ms")
    if later:
        v = np.asarray(later) * 1000
        print(f"  {'after the opening round':<10} n={len(v):>6}  p50 {np.percentile(v, 50):7.1f} "
              f"ms  p95 {np.percentile(v, 95):7.1f} ms  max {v.max():7.1f} ms")
    print(f"  server CPU while the readers ran: {cpu:.2f} s, {cpu / max(len(every), 1) * 1000:.1f} "
          "ms per response")
    print(f"  {a.readers} readers (mean think {a.think:g} s) for {a.seconds:g} s; "
          f"{len(errors)} error responses"
          + (f" (first: {errors[0]})" if errors else ""))
    if errors:  # what the server said about them
        server_log.seek(0)
        print("  server's stderr (last 30 lines):\n" + "".join(server_log.readlines()[-30:]))


if __name__ == "__main__":
    main()
