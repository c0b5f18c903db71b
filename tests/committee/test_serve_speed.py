"""What makes the workspace's pages cheap and its first page early (issue #18), as facts rather
than timings: the committee record is read once per state of its audit chain (and again as soon
as anything is written, from this process or another); the overview of the decisions is rendered
before the safety analysis begins; the complete overview is rendered in the background once the
analysis ends; and the heavy modules the first page does not need are not imported before it.

These are regression tests of the serving machinery: what the pages show is checked against
outside references in test_meeting.py and test_web.py (R BOIN get.boundary, the minimal study's
hand-worked events); no test here times anything or sleeps (events, with generous limits).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest
from fastapi.testclient import TestClient

from cartrial.committee import add_user, open_store
from cartrial.committee.first_build import can_fork
from cartrial.committee.snapshot import SnapshotWatcher
from cartrial.committee.users import set_active
from cartrial.committee.web import create_app
from tests.committee.helpers import hidden
from tests.committee.test_meeting import trial  # noqa: F401 - the minimal study, built once

LIMIT = 600.0  # generous: events that are set within seconds on any machine


def _login(app, user: str = "view", pw: str = "password-v") -> TestClient:
    c = TestClient(app)
    tok = hidden(c.get("/login").text, "csrf_token")
    assert c.post("/login", data={"username": user, "password": pw, "csrf_token": tok},
                  follow_redirects=False).status_code == 303
    return c


def test_the_record_is_read_once_per_state_of_its_audit_chain(
        trial, tmp_path, monkeypatch):  # noqa: F811 - the fixture imported above
    sdtm, ws = trial
    monkeypatch.setattr("cartrial.committee.snapshot.build_workspace", lambda *a, **k: ws)
    from cartrial.committee import record_view

    reads: list[int] = []
    real = record_view._read
    monkeypatch.setattr(record_view, "_read", lambda store, head: reads.append(head)
                        or real(store, head))
    db = tmp_path / "committee.sqlite"
    store = open_store(f"sqlite:///{db}")
    boss = add_user(store, "boss", "password-b", "admin")
    add_user(store, "view", "password-v", "viewer")
    app = create_app("ct071", sdtm, f"sqlite:///{db}", settle_seconds=0)
    c = _login(app)
    before, head = len(reads), reads[-1]     # the login read the record
    pages = [c.get(p) for p in ("/", "/history", "/", "/patients", "/")]
    assert [p.status_code for p in pages] == [200] * 5
    assert len(reads) - before <= 1          # five pages, the record read at most once
    # another handle on the same database (as `cartrial users ...` beside the server)
    set_active(open_store(f"sqlite:///{db}"), boss, "view", False, "left the committee")
    r = c.get("/", follow_redirects=False)    # seen at once: the disabled reader is logged out
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert reads[-1] > head                   # read again at the chain's new head


def test_the_overview_is_prepared_before_the_safety_analysis_begins(
        trial, tmp_path):  # noqa: F811 - the fixture imported above
    sdtm, _ = trial
    seen: list[tuple[bool, str]] = []

    def prepare(ws) -> None:  # noqa: ANN001
        seen.append(ws.analysis.poll())      # the analysis has not ended: it has not begun
        raise RuntimeError("a failed preparation must not stop the analysis")

    watcher = SnapshotWatcher("ct071", sdtm, 0.0, prepare=prepare)
    watcher.load_now()
    snap = watcher.status(whole=True)         # waits for the decisions and the analysis
    assert seen == [(False, "")]
    assert snap.ws is not None and snap.ws.analysed and snap.state == "current"


def test_the_complete_overview_is_rendered_before_a_reader_asks(
        trial, tmp_path, monkeypatch):  # noqa: F811 - the fixture imported above
    sdtm, ws = trial
    from cartrial.committee import overview, web

    monkeypatch.setattr("cartrial.committee.snapshot.build_workspace", lambda *a, **k: ws)
    monkeypatch.setattr(overview, "_PARTS", overview.PageCache())  # the module's ws is shared
    renders: list[object] = []
    real_new = overview.new_since
    monkeypatch.setattr(overview, "new_since",
                        lambda w, since: renders.append(w) or real_new(w, since))
    warmed = threading.Event()
    real_warm = web.warm_up

    def warm(*a) -> None:  # noqa: ANN002
        try:
            real_warm(*a)
        finally:
            warmed.set()

    monkeypatch.setattr(web, "warm_up", warm)
    db = tmp_path / "committee.sqlite"
    add_user(open_store(f"sqlite:///{db}"), "view", "password-v", "viewer")
    app = create_app("ct071", sdtm, f"sqlite:///{db}", settle_seconds=0)
    assert warmed.wait(LIMIT)
    assert renders == [ws]                    # rendered once, by the warm-up
    page = _login(app).get("/")
    assert page.status_code == 200 and 'class="pending"' not in page.text
    assert renders == [ws]                    # the reader's page found it rendered


_PROBE = """
import json, sys, tempfile, threading
import cartrial.cli.main, cartrial.cli.committee
job = None
if sys.argv[2] == "fork":  # as `cartrial serve` does: the decisions computed in a forked child
    from cartrial.committee.first_build import FirstDecisions
    job = FirstDecisions.start("ct071", sys.argv[1])
import uvicorn  # as `cartrial serve` does before create_app
import cartrial.committee.web as web
first, done = {}, threading.Event()
real = web.prepare_overview
def spy(*a):
    real(*a)  # the first overview, rendered before the safety analysis begins
    first["modules"] = sorted(sys.modules)
    done.set()
web.prepare_overview = spy
tmp = tempfile.TemporaryDirectory()  # removed at exit
web.create_app("ct071", sys.argv[1], f"sqlite:///{tmp.name}/c.sqlite",
               settle_seconds=0, first=job)
assert done.wait(600)
print(json.dumps(first["modules"]))
"""

#: what the first overview does not need (the safety analysis, the report and its figures)
NOT_BEFORE_FIRST_PAGE = ("matplotlib", "statsmodels", "scipy.stats", "scipy.optimize", "dask",
                         "docx", "rtflite", "playwright", "cartrial.report", "cartrial.adam",
                         "cartrial.efficacy", "cartrial.kinetics", "cartrial.safety.analysis")


@pytest.mark.parametrize("decisions", ["thread", "fork"])
def test_the_first_page_imports_no_heavy_module_it_does_not_use(
        trial, decisions):  # noqa: F811 - the fixture imported above
    """With the decisions computed on a thread of the server, or in a forked child
    (:mod:`cartrial.committee.first_build`, as ``cartrial serve`` does): the server process
    imports what unpickles them, not the engines behind them."""
    sdtm, _ = trial
    res = subprocess.run([sys.executable, "-c", _PROBE, str(sdtm), decisions],
                         capture_output=True,
                         text=True, check=False, timeout=LIMIT)
    assert res.returncode == 0, res.stderr
    modules = set(json.loads(res.stdout.strip().splitlines()[-1]))
    assert "cartrial.conduct" in modules      # the probe saw the decisions' own imports
    assert sorted(m for m in NOT_BEFORE_FIRST_PAGE if m in modules) == []
    if decisions == "fork" and can_fork():    # the escalation history was re-derived, the
        assert "cartrial.conduct.history" not in modules    # DLTs adjudicated in the child
        assert "cartrial.safety.dlt_study" not in modules


def test_a_patient_timeline_is_the_same_bytes_in_every_run() -> None:
    """Regression: matplotlib names SVG elements from a random salt unless ``svg.hashsalt`` is
    set; the page of the same patient must not change between renderings or processes."""
    import pandas as pd

    from cartrial.committee.routes_patients import timeline_svg

    detail = {"crs": pd.DataFrame({"DAY": [0, 2, 5], "GRADE": [0, 2, 0]}),
              "icans": pd.DataFrame({"DAY": [0, 3], "GRADE": [0, 1]})}
    first = timeline_svg(detail)
    assert timeline_svg(detail) == first
    code = ("import sys, pandas as pd; from cartrial.committee.routes_patients import "
            "timeline_svg; print(timeline_svg({'crs': pd.DataFrame({'DAY': [0, 2, 5], "
            "'GRADE': [0, 2, 0]}), 'icans': pd.DataFrame({'DAY': [0, 3], 'GRADE': [0, 1]})}))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False, timeout=LIMIT)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == first
