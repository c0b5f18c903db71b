"""The overview's snapshot-only parts are rendered once per snapshot for every reader
(cartrial.committee.overview), while the committee's records and the reader's own parts stay live.

Regression tests of the memo (what the page shows is checked against outside references in
test_meeting.py and test_web.py: R BOIN get.boundary, the minimal study's hand-worked events).
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from cartrial.committee import add_user, open_store
from cartrial.committee.web import create_app
from tests.committee.helpers import hidden
from tests.committee.test_meeting import trial  # noqa: F401 - the minimal study, built once


@pytest.fixture()
def site(trial, tmp_path, monkeypatch):  # noqa: F811 - the fixture imported above
    sdtm, ws = trial
    monkeypatch.setattr("cartrial.committee.snapshot.build_workspace", lambda *a, **k: ws)
    calls: list[object] = []
    from cartrial.committee import overview

    real = overview.new_since
    monkeypatch.setattr(overview, "_PARTS", overview.PageCache())  # the module's ws is shared
    monkeypatch.setattr(overview, "new_since",
                        lambda w, since: calls.append((w, since)) or real(w, since))
    db = tmp_path / "committee.sqlite"
    store = open_store(f"sqlite:///{db}")
    add_user(store, "stat", "password-s", "statistician")
    add_user(store, "view", "password-v", "viewer")
    return create_app("ct071", sdtm, f"sqlite:///{db}", settle_seconds=0), calls


def _client(app, user: str, pw: str) -> TestClient:
    c = TestClient(app)
    tok = hidden(c.get("/login").text, "csrf_token")
    assert c.post("/login", data={"username": user, "password": pw, "csrf_token": tok},
                  follow_redirects=False).status_code == 303
    return c


def _body(page: str) -> str:
    return page[page.index("<h1>"):page.index('<h2 id="adjudication">')]


def test_readers_share_one_rendering_and_keep_their_own_parts(site) -> None:
    app, calls = site
    stat, view = _client(app, "stat", "password-s"), _client(app, "view", "password-v")
    pages = [c.get("/").text for c in (stat, view, stat, view, view)]
    assert len(calls) == 1                              # one rendering for five pages
    assert len({_body(p) for p in pages}) == 1
    assert 'id="adjudicate-form"' in pages[0] and 'id="adjudicate-form"' not in pages[1]
    assert "stat (statistician)" in pages[0] and "view (viewer)" in pages[1]
    assert hidden(pages[0], "csrf_token") != hidden(pages[1], "csrf_token")
    options = re.findall(r'<option value="(CT071-[^"]+)">', pages[0])
    assert options and all(f'href="/patients/{u}"' in _body(pages[0]) for u in options)


def test_records_stay_live_and_a_new_cutoff_or_adjudication_renders_again(site) -> None:
    app, calls = site
    stat = _client(app, "stat", "password-s")
    first = stat.get("/").text
    tok = hidden(first, "csrf_token")
    assert "No adjudication yet" in first and "0 recorded." in first
    r = stat.post("/adjudicate", data={"csrf_token": tok, "usubjid": "CT071-001-002",
                                       "dlt": "yes", "rationale": "grade 3 rash, related"},
                  follow_redirects=False)
    assert r.status_code == 303
    page = stat.get("/").text                           # adjudicated: a new workspace object
    assert "grade 3 rash, related" in page and "DE-ESCALATE" in _body(page)
    assert len(calls) == 2
    form = stat.get("/decide").text
    r = stat.post("/decide", data={**{k: hidden(form, k) for k in (
        "csrf_token", "form_token", "data_hash")}, "choice": "accept", "attendees": ["stat"],
        "meeting_date": "2024-09-02"}, follow_redirects=False)
    assert r.status_code == 303
    page = stat.get("/").text                           # same snapshot, new previous cut-off
    assert "1 recorded." in page and "of the previous decision" in _body(page)
    assert len(calls) == 3 and calls[-1][1] is not None
    assert stat.get("/").text == page and len(calls) == 3
