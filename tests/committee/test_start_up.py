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
