"""`cartrial serve` answers before the workspace is built (issue #18): the data are loaded and
validated at start-up (bad data still stop the server), the decisions and the safety analysis
are built on a thread, and a page that needs them waits on an event (no sleeps)."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from cartrial.committee import add_user, open_store
from cartrial.committee.start_up import StartUp
from cartrial.committee.web import create_app
from cartrial.errors import InputError
from tests.committee.helpers import hidden
from tests.committee.test_meeting import trial  # noqa: F401 - the minimal study, built once

LIMIT = 120.0  # generous: an event that is set at once on any machine


def _login(app) -> TestClient:
    c = TestClient(app)
    tok = hidden(c.get("/login").text, "csrf_token")
    assert c.post("/login", data={"username": "view", "password": "password-v",
                                  "csrf_token": tok}, follow_redirects=False).status_code == 303
    return c


def _app(sdtm, tmp_path):
    db = tmp_path / "committee.sqlite"
    add_user(open_store(f"sqlite:///{db}"), "view", "password-v", "viewer")
    return create_app("ct071", sdtm, f"sqlite:///{db}", settle_seconds=0)


def test_the_login_page_answers_while_the_workspace_is_being_built(
        trial, tmp_path, monkeypatch):  # noqa: F811 - the fixture imported above
    sdtm, ws = trial
    started, release = threading.Event(), threading.Event()

    def slow_build(*a, **k):
        started.set()
        assert release.wait(LIMIT)
        return ws

    monkeypatch.setattr("cartrial.committee.snapshot.build_workspace", slow_build)
    app = _app(sdtm, tmp_path)            # returns without waiting for the build
    assert started.wait(LIMIT)
    c = _login(app)                        # login page and login answered, build still held
    assert not release.is_set()
    release.set()
    page = c.get("/")                      # the overview waits for the build, then shows it
    assert page.status_code == 200 and ws.protocol.study_id in page.text


def test_a_build_the_engines_refuse_is_said_on_the_pages(
        trial, tmp_path, monkeypatch):  # noqa: F811 - the fixture imported above
    sdtm, _ = trial

    def refused(*a, **k):
        raise InputError("AE USUBJID=S1 AESEQ=1: refused for the test")

    monkeypatch.setattr("cartrial.committee.snapshot.build_workspace", refused)
    c = _login(_app(sdtm, tmp_path))
    page = c.get("/")
    assert page.status_code == 503 and "could not be analysed" in page.text
    assert "refused for the test" in page.text


def test_start_up_result_waits_for_the_build_and_keeps_its_failure():
    gate = threading.Event()
    job = StartUp(lambda: gate.wait(LIMIT) and "workspace")
    gate.set()
    assert job.result(LIMIT) == ("workspace", "")
    assert StartUp(lambda: 1 / 0).result(LIMIT) == (None, "ZeroDivisionError: division by zero")
    held = threading.Event()
    job = StartUp(lambda: held.wait(LIMIT))
    with pytest.raises(InputError, match="not built within"):
        job.result(0)
    held.set()


def _held_analysis(monkeypatch, ws, release: threading.Event, fail: bool = False) -> None:
    """The start-up's safety analysis waits for ``release`` (then gives the prebuilt one, or
    refuses the data); the decisions are built for real."""
    analysis = ws.analysis.result()[0]

    def held(study, proto):
        assert release.wait(LIMIT)
        if fail:
            raise InputError("LB USUBJID=S1 LBSEQ=4: refused for the test")
        return analysis

    monkeypatch.setattr("cartrial.committee.workspace._analyse", held)


def _new_section(page: str) -> str:
    return page[page.index('<h2 id="new-since">'):page.index("<h2>DLT-window calendar</h2>")]


def test_the_overview_answers_before_the_safety_analysis_and_says_what_is_pending(
        trial, tmp_path, monkeypatch):  # noqa: F811 - the fixture imported above
    """Regression test of the staged start-up (issue #18): what the overview shows while the
    analysis runs is the complete page's content except the one section marked pending."""
    sdtm, ws = trial
    release = threading.Event()
    _held_analysis(monkeypatch, ws, release)
    app = _app(sdtm, tmp_path)
    c, other = _login(app), _login(app)
    pending = c.get("/")                   # the analysis is held: the overview answers anyway
    assert pending.status_code == 200 and not release.is_set()
    assert 'id="new" class="pending"' in pending.text and "Being computed" in pending.text
    assert '<table id="new">' not in pending.text and "Nothing new" not in pending.text
    got: dict[str, object] = {}
    reader = threading.Thread(target=lambda: got.update(r=other.get("/patients/CT071-001-001")))
    reader.start()                         # a patient page waits on the analysis' event
    assert "r" not in got
    release.set()
    reader.join(LIMIT)
    assert got["r"].status_code == 200 and "Cytokine release syndrome" in got["r"].text
    whole = c.get("/").text
    assert "Being computed" not in whole and 'class="pending"' not in whole
    assert whole.replace(_new_section(whole), _new_section(pending.text)) == pending.text


def test_an_analysis_the_engines_refuse_after_the_overview_is_said_on_every_page(
        trial, tmp_path, monkeypatch):  # noqa: F811 - the fixture imported above
    sdtm, ws = trial
    release = threading.Event()
    _held_analysis(monkeypatch, ws, release, fail=True)
    c = _login(_app(sdtm, tmp_path))
    assert "Being computed" in c.get("/").text
    release.set()
    patient = c.get("/patients/CT071-001-001")  # waits for the analysis: refused
    assert patient.status_code == 503 and "could not be analysed" in patient.text
    assert "refused for the test" in patient.text
    page = c.get("/")                           # and the overview no longer shows the snapshot
    assert page.status_code == 503 and "refused for the test" in page.text
