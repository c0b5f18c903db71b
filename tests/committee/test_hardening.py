"""Web hardening of the workspace (issue #14 point 7): the attacks of the issue, repeated.

Timeouts use a fake monotonic clock (no sleeps, no wall-clock deadlines).
"""

from __future__ import annotations

import stat

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cartrial.cli.main import app as cli
from cartrial.committee import add_user, check_password, list_decisions, open_store, verify_audit
from cartrial.committee.lockout import CLIENT_LIMIT, USER_LIMIT
from cartrial.committee.security import HEADERS
from cartrial.committee.web import create_app
from cartrial.data import write_study
from cartrial.errors import InputError
from tests.committee.helpers import Clock, hidden
from tests.data.minimal_study import minimal_domains

PW = "sturdy-pass-s"


def _login(client: TestClient, user: str = "stat", pw: str = PW):
    tok = hidden(client.get("/login").text, "csrf_token")
    return client.post("/login", data={"username": user, "password": pw, "csrf_token": tok},
                       follow_redirects=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    sdtm = tmp_path_factory.mktemp("hard") / "sdtm"
    write_study(minimal_domains(), sdtm)
    store = open_store(f"sqlite:///{sdtm / 'committee.sqlite'}")
    add_user(store, "stat", PW, "statistician")
    for name in ("lock1", "lock2"):
        add_user(store, name, PW, "member")
    clock = Clock()
    return create_app("ct071", sdtm, settle_seconds=0, idle_seconds=600, clock=clock), store, \
        clock, sdtm


def test_logout_ends_the_session_on_the_server(site) -> None:
    app, *_ = site
    a = TestClient(app)
    assert _login(a).status_code == 303
    stolen = dict(a.cookies)
    a.post("/logout", data={"csrf_token": hidden(a.get("/").text, "csrf_token")})
    b = TestClient(app, cookies=stolen)               # the cookie as it was before logout
    r = b.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_idle_sessions_end(site) -> None:
    app, _, clock, _ = site
    c = TestClient(app)
    _login(c)
    clock.t += 599
    assert c.get("/", follow_redirects=False).status_code == 200  # activity restarts the clock
    clock.t += 599
    assert c.get("/", follow_redirects=False).status_code == 200
    clock.t += 601
    r = c.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_repeated_failures_lock_the_user_until_an_audited_unlock(site) -> None:
    app, store, _, sdtm = site
    c = TestClient(app)
    for _ in range(USER_LIMIT):
        assert _login(c, "lock1", "wrong-guess-123").status_code == 401
    r = _login(c, "lock1", PW)                        # the right password no longer logs in
    assert r.status_code == 403 and "locked" in r.text
    r = CliRunner().invoke(cli, ["users", "unlock", "lock1", "--data", str(sdtm), "--actor",
                                 "chair", "--reason", "identity checked by phone"])
    assert r.exit_code == 0, r.output
    assert _login(c, "lock1", PW).status_code == 303
    import sqlite3

    con = sqlite3.connect(sdtm / "committee.sqlite")
    actions = [a for (a,) in con.execute("SELECT action FROM audit WHERE table_name = "
                                         "'lockouts' ORDER BY seq")]
    con.close()
    assert actions == ["lock user", "unlock user"] and verify_audit(store).ok
    r = CliRunner().invoke(cli, ["users", "unlock", "lock1", "--data", str(sdtm), "--actor",
                                 "chair", "--reason", "again"])
    assert r.exit_code == 2 and "not locked" in r.stderr


def test_a_client_guessing_many_names_is_throttled(tmp_path) -> None:
    write_study(minimal_domains(), tmp_path / "sdtm")
    add_user(open_store(f"sqlite:///{tmp_path / 'sdtm' / 'committee.sqlite'}"), "stat", PW,
             "statistician")
    clock = Clock()
    c = TestClient(create_app("ct071", tmp_path / "sdtm", settle_seconds=0, clock=clock))
    for i in range(CLIENT_LIMIT):
        assert _login(c, f"guess{i}", "wrong-guess-123").status_code == 401
    assert _login(c).status_code == 429              # even the right password, for now
    clock.t += 15 * 60 + 1
    assert _login(c).status_code == 303


@pytest.mark.parametrize("pw", ["password", "Password1!", "qwerty123456", "aaaaaaaaaaaa",
                                "short1!", "my-stat-password-x"])
def test_password_policy(pw) -> None:
    with pytest.raises(InputError):
        check_password(pw, "stat")
    check_password("correct horse battery", "stat")


def test_error_pages_escape_what_they_echo_and_carry_security_headers(site) -> None:
    app, *_ = site
    c = TestClient(app)
    _login(c)
    evil = "<script>alert(1)</script>"
    for path in (f"/patients/{evil}", f"/{evil}", f"/decide?corrects={evil}"):
        r = c.get(path)
        assert r.status_code in (400, 404) and "<script>" not in r.text, path
        for k, v in HEADERS.items():
            assert r.headers[k] == v
    r = c.get("/patients/%3Cscript%3E")
    assert "&lt;script&gt;" in r.text
    for path in ("/login", "/"):
        r = c.get(path)
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"


def test_cookies_are_secure_over_https(site) -> None:
    app, *_ = site
    r = TestClient(app, base_url="https://testserver").get("/login")
    assert "secure" in r.headers["set-cookie"].lower()
    r = TestClient(app).get("/login")
    assert "secure" not in r.headers["set-cookie"].lower()


def test_malformed_form_values_are_4xx_and_a_form_is_recorded_once(site) -> None:
    app, store, _, _ = site
    c = TestClient(app)
    _login(c)
    assert c.get("/decide?corrects=" + "9" * 30).status_code == 400
    form = c.get("/decide").text
    base = {k: hidden(form, k) for k in ("csrf_token", "form_token", "data_hash")} | {
        "choice": "accept", "attendees": "stat", "meeting_date": "2024-09-02"}
    for bad in ({"corrects": "9" * 30}, {"corrects": "-1"}, {"choice": "maybe"},
                {"meeting_date": None}):
        data = {k: v for k, v in (base | bad).items() if v is not None}
        r = c.post("/decide", data=data, follow_redirects=False)
        assert 400 <= r.status_code < 500 and "Traceback" not in r.text, bad
    r = c.post("/decide", data=base | {"meeting_date": "2024-99-99"}, follow_redirects=False)
    assert r.status_code == 400 and "meeting date" in r.text
    form = c.get("/decide").text                      # a fresh form, submitted twice
    data = base | {k: hidden(form, k) for k in ("form_token", "data_hash")}
    n0 = len(list_decisions(store))
    assert c.post("/decide", data=data, follow_redirects=False).status_code == 303
    again = c.post("/decide", data=data, follow_redirects=False)
    assert again.status_code == 409 and "already submitted" in again.text
    assert len(list_decisions(store)) == n0 + 1


def test_database_and_key_files_are_private(site) -> None:
    _, store, _, sdtm = site
    for name in ("committee.sqlite", "committee.sqlite.anchor", "committee.sqlite.secret"):
        assert stat.S_IMODE((sdtm / name).stat().st_mode) == 0o600, name
