"""The committee workspace over HTTP: login everywhere, roles, CSRF, decisions, minutes."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from cartrial.committee import add_user, list_decisions, open_store, verify_audit
from cartrial.committee.web import create_app
from cartrial.data import write_study
from tests.data.minimal_study import minimal_domains


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    write_study(minimal_domains(), root / "sdtm")
    store = open_store(f"sqlite:///{root / 'sdtm' / 'committee.sqlite'}")
    add_user(store, "stat", "password-s", "statistician")
    add_user(store, "view", "password-v", "viewer")
    app = create_app("ct071", root / "sdtm", settle_seconds=0)
    return app, store


def _token(html: str) -> str:
    return _hidden(html, "csrf_token")


def _hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]+)"', html).group(1)


def _signed(form: str) -> dict[str, str]:
    """The hidden fields of a decision form: CSRF token, single-use form token, data hash."""
    return {k: _hidden(form, k) for k in ("csrf_token", "form_token", "data_hash")}


def _login(client: TestClient, user: str, pw: str) -> None:
    tok = _token(client.get("/login").text)
    r = client.post("/login", data={"username": user, "password": pw, "csrf_token": tok},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


@pytest.mark.parametrize("path", ["/", "/history", "/decide", "/minutes.html", "/minutes.pdf",
                                  "/patients/CT071-001-001"])
def test_nothing_served_without_login(site, path) -> None:
    client = TestClient(site[0])
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_wrong_password_and_missing_csrf_refused(site) -> None:
    client = TestClient(site[0])
    tok = _token(client.get("/login").text)
    r = client.post("/login", data={"username": "stat", "password": "nope", "csrf_token": tok})
    assert "wrong password" in r.text
    r = client.post("/login", data={"username": "stat", "password": "password-s"})
    assert r.status_code == 403


def test_statistician_reads_overview_records_decision_sees_history(site) -> None:
    app, store = site
    client = TestClient(app)
    _login(client, "stat", "password-s")
    page = client.get("/").text
    assert 'id="doses"' in page and "Recommendation:" in page and 'id="paths"' in page
    assert client.get("/patients/CT071-001-001").status_code == 200
    n0 = len(list_decisions(store))
    form = client.get("/decide").text
    r = client.post("/decide", data={**_signed(form), "choice": "accept",
                                     "attendees": ["stat", "view"], "meeting_date": "2024-09-02"},
                    follow_redirects=False)
    assert r.status_code == 303
    decisions = list_decisions(store)
    assert len(decisions) == n0 + 1
    d = decisions[-1]
    assert d.accepted and d.recorded_by == "stat" and len(d.data_hash) == 64
    assert d.protocol_id == "CT071" and d.as_of is not None
    assert "stat, view" in client.get("/history").text
    # an override without rationale is refused, with the reason shown
    form = client.get("/decide").text
    r = client.post("/decide", data={**_signed(form), "choice": "override",
                                     "action": "stay", "next_dose": "DL1", "rationale": "",
                                     "attendees": "stat", "meeting_date": "2024-09-02"})
    assert "rationale is required" in r.text
    assert len(list_decisions(store)) == n0 + 1
    assert verify_audit(store).ok
    # what the committee saw is reproduced by `decide --as-of` on the recorded cut-off
    import json

    from cartrial.conduct import decide_study
    from cartrial.data import load_study
    from cartrial.protocol import load_protocol

    replay = decide_study(load_study(app.state.data_dir), load_protocol("ct071"), d.as_of)
    seen = json.loads(d.recommendation)
    assert replay.data_hash == d.data_hash
    assert replay.recommendation.decision.action == seen["action"]
    assert replay.recommendation.decision.reason == seen["reason"]
    assert "Audit chain" in client.get("/minutes.html").text
    assert client.get("/minutes.pdf").content.startswith(b"%PDF")


def test_viewer_cannot_record(site) -> None:
    app, store = site
    client = TestClient(app)
    _login(client, "view", "password-v")
    assert client.get("/").status_code == 200
    assert client.get("/decide").status_code == 403
    n0 = len(list_decisions(store))
    tok = _token(client.get("/").text)
    r = client.post("/decide", data={"csrf_token": tok, "choice": "accept", "attendees": "v",
                                     "meeting_date": "2024-09-02"})
    assert r.status_code == 403
    assert len(list_decisions(store)) == n0


def test_post_with_a_token_from_another_session_is_refused(site) -> None:
    app, store = site
    a, b = TestClient(app), TestClient(app)
    _login(a, "stat", "password-s")
    _login(b, "stat", "password-s")
    foreign = _token(a.get("/decide").text)
    r = b.post("/decide", data={"csrf_token": foreign, "choice": "accept", "attendees": "x",
                                "meeting_date": "2024-09-02"})
    assert r.status_code == 403


@pytest.fixture()
def live(tmp_path):
    write_study(minimal_domains(), tmp_path / "sdtm")
    store = open_store(f"sqlite:///{tmp_path / 'sdtm' / 'committee.sqlite'}")
    add_user(store, "stat", "password-s", "statistician")
    client = TestClient(create_app("ct071", tmp_path / "sdtm", settle_seconds=0))
    _login(client, "stat", "password-s")
    return client, store, tmp_path / "sdtm"


def _new_transfer(sdtm) -> None:
    """A new data transfer: one more (minor) adverse event for the first patient."""
    import pandas as pd

    domains = minimal_domains()
    ae = domains["AE"]
    extra = ae.iloc[[0]].assign(AESEQ=ae["AESEQ"].max() + 1, AETERM="Headache",
                                AEDECOD="Headache", AETOXGR="1")
    domains["AE"] = pd.concat([ae, extra], ignore_index=True)
    write_study({"AE": domains["AE"]}, sdtm)


def test_a_new_data_transfer_is_picked_up_without_restart(live) -> None:
    client, store, sdtm = live
    before = _hidden(client.get("/decide").text, "data_hash")
    _new_transfer(sdtm)
    after = _hidden(client.get("/decide").text, "data_hash")
    assert len(after) == 64 and after != before
    assert after[:16] in client.get("/").text or after[:16] in client.get("/decide").text


def test_a_form_opened_before_new_data_is_refused_not_recorded(live) -> None:
    client, store, sdtm = live
    form = client.get("/decide").text
    _new_transfer(sdtm)
    data = {**_signed(form), "choice": "accept", "attendees": "stat",
            "meeting_date": "2024-09-02"}
    r = client.post("/decide", data=data, follow_redirects=False)
    assert r.status_code == 409 and "trial data changed since this form was opened" in r.text
    assert list_decisions(store) == []
    # the re-rendered form shows the new recommendation (new data hash, new form token)
    fresh = _signed(r.text)
    r = client.post("/decide", data={**data, **fresh}, follow_redirects=False)
    assert r.status_code == 303
    assert list_decisions(store)[-1].data_hash == fresh["data_hash"]


def test_unreadable_new_files_keep_the_last_snapshot_and_say_so(live) -> None:
    client, store, sdtm = live
    good = _hidden(client.get("/decide").text, "data_hash")
    with open(sdtm / "dm.csv", "a", encoding="utf-8") as f:  # a transfer still being written
        f.write("CT071,DM,half-a-row\n")
    page = client.get("/").text
    assert 'id="reload-error"' in page and good[:16] in page
    form = client.get("/decide").text
    assert 'id="no-form"' in form and 'name="form_token"' not in form  # no form on bad data
    write_study({"DM": minimal_domains()["DM"]}, sdtm)  # the transfer completes
    assert 'id="reload-error"' not in client.get("/").text
    assert _hidden(client.get("/decide").text, "data_hash") == good
