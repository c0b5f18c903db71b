"""Run by tests/committee/test_first_build.py in a fresh interpreter (as ``cartrial serve`` forks:
before any thread is started): the workspace's pages with the decisions computed in the forked
child, and without it, on the same data folder; prints one JSON line.

    python -m tests.committee.first_build_probe SDTM_DIR {taken|killed|adjudicated}

``killed``: the child is ended before the server takes its decisions (the server computes them).
``adjudicated``: the committee's database holds two DLT adjudications before the server starts
(the child computes the decisions with them applied too); the server without children reads a
copy of that database.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import signal
import sys
import tempfile

from cartrial.committee.first_build import FirstDecisions


def _folder() -> str:
    """A temporary folder removed when this probe exits (mkdtemp alone left them behind)."""
    folder = tempfile.mkdtemp(prefix="cartrial-probe-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


PAGES = ("/", "/patients", "/history", "/decide", "/minutes.html")
MASK = re.compile(r'(name="(?:csrf_token|form_token)" value=")[^"]+"|(Audit chain: \d+ entries, '
                  r'head )[0-9a-f]+')


def _pages(app) -> dict[str, str]:  # noqa: ANN001
    from fastapi.testclient import TestClient

    c = TestClient(app)
    tok = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    assert c.post("/login", data={"username": "chair", "password": "password-c",
                                  "csrf_token": tok}, follow_redirects=False).status_code == 303
    app.state.watcher.status(whole=True)  # the complete pages
    ids = re.findall(r'href="/patients/([^"]+)"', c.get("/patients").text)
    out = {}
    for p in (*PAGES, *(f"/patients/{i}" for i in ids)):
        r = c.get(p)
        out[p] = f"{r.status_code}\n" + MASK.sub(lambda m: m.group(1) or m.group(2), r.text)
    return out


def _adjudicated_db(sdtm: str) -> tuple[str, str]:
    """Two databases holding the same user and the same two adjudications (one confirming,
    one overriding the engine's call), recorded on a workspace built without threads."""
    from cartrial.committee import add_user, open_store
    from cartrial.committee.adjudication import record_adjudication
    from cartrial.committee.workspace import build_workspace

    folder = _folder()
    url = f"sqlite:///{folder}/committee.sqlite"
    store = open_store(url)
    chair = add_user(store, "chair", "password-c", "member")
    ws = build_workspace("ct071", sdtm)
    p = ws.decision.patients
    for u, call in zip(p["USUBJID"].astype(str).iloc[:2], ("no", "yes"), strict=True):
        record_adjudication(store, chair, ws, u, call, f"probe: {call}")
    store.engine.dispose()
    other = _folder()
    for f in os.listdir(folder):
        shutil.copy(os.path.join(folder, f), other)
    return url, f"sqlite:///{other}/committee.sqlite"


def main() -> None:
    sdtm, scenario = sys.argv[1], sys.argv[2]
    urls = _adjudicated_db(sdtm) if scenario == "adjudicated" else None
    # before anything else (but the database above), as cartrial serve does
    first = FirstDecisions.start("ct071", sdtm, urls[0] if urls else None)
    forked = first is not None and first.pid is not None
    if scenario == "killed" and forked:
        os.kill(first.pid, signal.SIGKILL)
    from cartrial.committee import add_user, adjudication, open_store
    from cartrial.committee.web import create_app

    computed = {"n": 0}  # decisions with adjudications the server computed itself
    own = adjudication.decide_adjudicated

    def counted(*args, **kw):  # noqa: ANN002, ANN003, ANN202
        computed["n"] += 1
        return own(*args, **kw)

    adjudication.decide_adjudicated = counted
    pages, server_computed = {}, {}
    for i, (name, job) in enumerate((("with child", first), ("without", None))):
        if urls:
            url = urls[i]
        else:
            url = f"sqlite:///{_folder()}/committee.sqlite"
            add_user(open_store(url), "chair", "password-c", "member")
        computed["n"] = 0
        pages[name] = _pages(create_app("ct071", sdtm, url, settle_seconds=0, first=job))
        server_computed[name] = computed["n"]
    collected = True  # the child was waited for (no zombie left behind)
    if forked:
        try:
            os.waitpid(first.pid, os.WNOHANG)
            collected = False
        except ChildProcessError:
            pass
    print(json.dumps({"forked": forked, "why": first.why, "pages": pages,
                      "collected": collected, "server computed": server_computed}))


if __name__ == "__main__":
    main()
