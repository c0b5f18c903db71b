"""Run by tests/committee/test_first_build.py in a fresh interpreter (as ``cartrial serve`` forks:
before any thread is started): the workspace's pages with the decisions computed in the forked
child, and without it, on the same data folder; prints one JSON line.

    python -m tests.committee.first_build_probe SDTM_DIR {taken|killed}

``killed``: the child is ended before the server takes its decisions (the server computes them).
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import tempfile

from cartrial.committee.first_build import FirstDecisions

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


def main() -> None:
    sdtm, scenario = sys.argv[1], sys.argv[2]
    first = FirstDecisions.start("ct071", sdtm)  # before anything else, as cartrial serve does
    forked = first is not None and first.pid is not None
    if scenario == "killed" and forked:
        os.kill(first.pid, signal.SIGKILL)
    from cartrial.committee import add_user, open_store
    from cartrial.committee.web import create_app

    apps = {}
    for name, job in (("with child", first), ("without", None)):
        url = f"sqlite:///{tempfile.mkdtemp()}/committee.sqlite"
        add_user(open_store(url), "chair", "password-c", "member")
        apps[name] = create_app("ct071", sdtm, url, settle_seconds=0, first=job)
    pages = {name: _pages(app) for name, app in apps.items()}
    collected = True  # the child was waited for (no zombie left behind)
    if forked:
        try:
            os.waitpid(first.pid, os.WNOHANG)
            collected = False
        except ChildProcessError:
            pass
    print(json.dumps({"forked": forked, "why": first.why, "pages": pages,
                      "collected": collected}))


if __name__ == "__main__":
    main()
