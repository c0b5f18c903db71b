"""`cartrial serve` from process start to the first overview page: where the time goes, this tree
against an earlier commit, and whether every page is the same bytes.

    .venv/bin/cartrial example ct071 --out /tmp/ex20
    .venv/bin/python benchmarks/bench_serve_start.py --data /tmp/ex20 --before <commit>
    ... --adjudications 3    # the committee's database holds three DLT adjudications

Each run is a fresh interpreter that runs ``cartrial serve`` itself (``cartrial.cli.main``) with
``uvicorn.run`` replaced by an in-process client (Starlette's TestClient): it logs in, asks for
the overview until it is complete and then for every page. The run records, at each step, the
seconds since the interpreter began the probe (wall) and the server process's CPU seconds
(``time.process_time``, all its threads):

- ``child forked``: the data read, the decisions' child about to be forked;
- ``web stack imported``: ``uvicorn`` imported (in this tree after the data were read and the
  decisions' child forked);
- ``decisions taken``: the server has the child's decisions (or computed them itself);
- ``decisions ready``: the first overview's decisions computed (or received from the child) and
  about to be rendered;
- ``server answering``: ``create_app`` returned (uvicorn would start listening here);
- ``logged in``, ``first overview``: the first ``/`` answered 200 (it may say that "new since the
  last meeting" is still being computed); ``complete overview``.

The forked child's CPU and peak memory (``RUSAGE_CHILDREN`` once the server collected it) are
printed beside the server's. On two free cores the first page comes after about max(server CPU
to the first page, CPU before the fork + the child's CPU); on a loaded machine the two processes
share what the scheduler gives this session, and the wall seconds say little (quote the CPU
seconds).

The sides alternate run by run (``--before``: that revision's ``src`` extracted with ``git
archive`` and put first on ``PYTHONPATH``, same interpreter and libraries). The pages (overview,
patient list, one patient, decision history, decision form, minutes) of every run are compared
with the first run's, form tokens and the audit chain's head masked: ``pages identical`` or the
differing paths.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_startup import ROOT, _extract, _load  # noqa: E402

from cartrial.committee import add_user, open_store  # noqa: E402

_PROBE = r"""
import json, sys, time, importlib.abc, importlib.util
T0, C0 = time.perf_counter(), time.process_time()
marks = []
def mark(name):
    marks.append((name, time.perf_counter() - T0, time.process_time()))
HOOKS = {}
class _After(importlib.abc.MetaPathFinder):
    # patches a module right after it is executed (the serve path imports them lazily)
    def find_spec(self, name, path, target=None):
        if name not in HOOKS:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        real = spec.loader.exec_module
        def exec_module(module, real=real, hook=HOOKS.pop(name)):
            real(module)
            hook(module)
        spec.loader.exec_module = exec_module
        return spec
sys.meta_path.insert(0, _After())
PAGES = {}
def fake_run(app, **kw):
    mark("server answering")
    import re
    from fastapi.testclient import TestClient
    c = TestClient(app)
    tok = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"username": "reader", "password": "password-r",
                               "csrf_token": tok}, follow_redirects=False)
    assert r.status_code == 303, r.status_code
    mark("logged in")
    r = c.get("/")
    assert r.status_code == 200, r.status_code
    mark("first overview")
    app.state.watcher.status(whole=True)
    r = c.get("/")
    assert 'class="pending"' not in r.text
    mark("complete overview")
    ids = re.findall(r'href="/patients/([^"]+)"', c.get("/patients").text)
    for p in ["/", "/patients", f"/patients/{ids[len(ids) // 2]}", "/history", "/decide",
              "/minutes.html"]:
        r = c.get(p)
        PAGES[p] = f"{r.status_code}\n{r.text}"
def on_uvicorn(m):
    mark("web stack imported")
    m.run = fake_run
def on_fork(m):
    real = m.ForkedJob.start.__func__
    def start(cls, fn):
        if not any(n == "child forked" for n, _, _ in marks):
            mark("child forked")
        return real(cls, fn)
    m.ForkedJob.start = classmethod(start)
def on_first(m):
    real = m.FirstDecisions.take
    def take(self, *a, **k):
        out = real(self, *a, **k)
        mark("decisions taken")
        return out
    m.FirstDecisions.take = take
def on_web(m):
    real = m.prepare_overview
    def prepare(*a, **k):
        mark("decisions ready")
        return real(*a, **k)
    m.prepare_overview = prepare
HOOKS.update({"uvicorn": on_uvicorn, "cartrial.committee.web": on_web,
              "cartrial.committee.forked_job": on_fork, "cartrial.committee.first_build": on_first})
import resource
from cartrial.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    assert not exc.code, exc.code
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"start_cpu": C0, "marks": marks, "pages": PAGES,
                  "child_cpu": ru.ru_utime + ru.ru_stime, "child_peak": ru.ru_maxrss,
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

#: what differs between two databases (or two sessions) on the same data: the form tokens and
#: the head of the audit chain (its entries carry the time each user was created)
_TOKEN = re.compile(r'(name="(?:csrf_token|form_token)" value=")[^"]+"|(Audit chain: \d+ entries, '
                    r'head )[0-9a-f]+')


def _mib(runs: list[dict], key: str) -> str:
    """Median peak resident set size (``ru_maxrss``: KiB on Linux) in MiB."""
    return f"{statistics.median(r[key] for r in runs) / 1024:.0f} MiB"


def _masked(html: str) -> str:
    return _TOKEN.sub(lambda m: m.group(1) or m.group(2), html)


def _run(src: Path, data: str, protocol: str, db: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src), "CARTRIAL_SECRET": "bench"}
    res = subprocess.run([sys.executable, "-c", _PROBE, "serve", "--data", data, "--protocol",
                          protocol, "--db", db, "--settle", "0"], capture_output=True,
                         text=True, env=env, check=False, timeout=900)
    if res.returncode:
        raise RuntimeError(res.stderr[-3000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def _database(folder: Path, template: Path | None = None) -> str:
    """A committee database in ``folder``: a copy of ``template``'s files (the same bytes run
    after run), else a new one with the reader."""
    if template is not None:
        for f in template.iterdir():
            shutil.copy(f, folder / f.name)
        return f"sqlite:///{folder / 'committee.sqlite'}"
    url = f"sqlite:///{folder / 'committee.sqlite'}"
    add_user(open_store(url), "reader", "password-r", "viewer")
    return url


def _adjudicated(folder: Path, data: str, protocol: str, n: int) -> Path:
    """A database holding the reader and ``n`` DLT adjudications (the first escalation
    patients, the engine's call reversed: the committee's record after a few meetings)."""
    from cartrial.committee.adjudication import record_adjudication
    from cartrial.committee.workspace import build_workspace

    folder.mkdir()
    store = open_store(f"sqlite:///{folder / 'committee.sqlite'}")
    add_user(store, "reader", "password-r", "viewer")
    chair = add_user(store, "chair", "password-c", "member")
    ws = build_workspace(protocol, data)
    p = ws.decision.patients.head(n)
    for u, dlt in zip(p["USUBJID"].astype(str), p["DLT"].astype(str), strict=True):
        record_adjudication(store, chair, ws, u, "no" if dlt == "yes" else "yes",
                            "benchmark: the committee's call")
    store.engine.dispose()
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="the trial's SDTM folder")
    ap.add_argument("--protocol", default="ct071")
    ap.add_argument("--before", help="git revision to compare with (default: this tree only)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--adjudications", type=int, default=0, help="DLT adjudications the "
                    "committee's database holds before the server starts (default: none)")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    try:
        _compare(a, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # the databases and the extracted revision


def _compare(a: argparse.Namespace, tmp: Path) -> None:
    """The runs of both sides in ``tmp``, alternated, and what they show."""
    template = (_adjudicated(tmp / "template", a.data, a.protocol, a.adjudications)
                if a.adjudications else None)
    sides = {"after": ROOT / "src"}
    if a.before:
        (tmp / "before").mkdir()
        sides = {"before": _extract(a.before, tmp / "before"), **sides}
    runs: dict[str, list[dict]] = {s: [] for s in sides}
    print(f"load before: {_load()}")
    for i in range(a.repeats):
        for side, src in sides.items():
            (tmp / f"{side}{i}").mkdir()
            runs[side].append(_run(src, a.data, a.protocol,
                                  _database(tmp / f"{side}{i}", template)))
    print(f"load after: {_load()}")
    ref = next(iter(runs.values()))[0]["pages"]
    for side, rs in runs.items():
        print(f"{side} ({sides[side]}), median of {len(rs)} runs: seconds since the probe "
              f"began (wall) / server CPU (process_time, from interpreter start)")
        at = [{name: (w, c) for name, w, c in r["marks"]} for r in rs]  # threads: any order
        names = set.intersection(*(set(a) for a in at))
        for name in sorted(names, key=lambda n: statistics.median(a[n][0] for a in at)):
            w = statistics.median(a[name][0] for a in at)
            c = statistics.median(a[name][1] for a in at)
            print(f"  {name:<20} wall {w:6.2f} s  CPU {c:6.2f} s")
        print(f"  {'forked child':<20} CPU {statistics.median(r['child_cpu'] for r in rs):.2f} s"
              f"  (interpreter start: {statistics.median(r['start_cpu'] for r in rs):.2f} s)")
        print(f"  peak resident memory: server {_mib(rs, 'peak')}, child {_mib(rs, 'child_peak')}")
        differ = sorted({p for r in rs for p, html in r["pages"].items()
                         if _masked(html) != _masked(ref.get(p, ""))})
        print(f"  pages {'identical' if not differ else 'DIFFER: ' + ', '.join(differ)} "
              f"({len(ref)} pages x {len(rs)} runs against the first run)")


if __name__ == "__main__":
    main()
