"""User administration by the admin role (issue #15 point 5): list, disable / enable, reset
password, change role; every action audited; the last active admin cannot be locked out; every
other role refused with 403 on every admin page and write."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from cartrial.committee import add_user, open_store, verify_audit
from cartrial.committee.records import authenticate, get_user
from cartrial.committee.users import (
    change_role,
    is_disabled,
    list_users,
    reset_password,
    set_active,
)
from cartrial.committee.web import create_app
from cartrial.data import write_study
from cartrial.errors import InputError
from tests.committee.helpers import hidden
from tests.data.minimal_study import minimal_domains

PW = {"boss": "sturdy-pass-a", "stat": "sturdy-pass-s", "memb": "sturdy-pass-m",
      "view": "sturdy-pass-v", "temp": "sturdy-pass-t"}
ROLE = {"boss": "admin", "stat": "statistician", "memb": "member", "view": "viewer",
        "temp": "viewer"}


def test_rules_at_the_library_level() -> None:
    store = open_store("sqlite://", anchor=None)
    for name in ("boss", "stat"):
        add_user(store, name, PW[name], ROLE[name])
    boss = get_user(store, "boss")
    with pytest.raises(InputError, match="your own account"):
        set_active(store, boss, "boss", False, "testing")
    with pytest.raises(InputError, match="last active administrator"):
        change_role(store, boss, "boss", "viewer")
    with pytest.raises(InputError, match="needs a reason"):
        set_active(store, boss, "stat", False, "  ")
    with pytest.raises(PermissionError):
        set_active(store, get_user(store, "stat"), "boss", False, "coup")
    with pytest.raises(InputError, match="too common"):       # the workspace password policy
        reset_password(store, boss, "stat", "Password1!")
    change_role(store, boss, "stat", "admin")                  # a second admin ...
    set_active(store, get_user(store, "stat"), "boss", False, "left")
    assert is_disabled(store, "boss")
    with pytest.raises(InputError, match="last active administrator"):  # ... is now the last
        change_role(store, get_user(store, "stat"), "stat", "member")
    with pytest.raises(PermissionError):                       # a disabled admin acts no more
        set_active(store, boss, "stat", False, "revenge")
    rows = {u.username: u for u in list_users(store)}
    assert not rows["boss"].active and rows["stat"].active and rows["stat"].role == "admin"
    assert verify_audit(store).ok


@pytest.fixture()
def site(tmp_path):
    write_study(minimal_domains(), tmp_path / "sdtm")
    store = open_store(f"sqlite:///{tmp_path / 'sdtm' / 'committee.sqlite'}")
    for name, role in ROLE.items():
        add_user(store, name, PW[name], role)
    return create_app("ct071", tmp_path / "sdtm", settle_seconds=0), store


def login(app, user: str) -> TestClient:
    c = TestClient(app)
    tok = hidden(c.get("/login").text, "csrf_token")
    r = c.post("/login", data={"username": user, "password": PW[user], "csrf_token": tok},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def post(c: TestClient, path: str, **data: str):
    tok = hidden(c.get("/patients").text, "csrf_token")
    return c.post(path, data={"csrf_token": tok, **data}, follow_redirects=False)


WRITES = [("/admin/users/temp/status", {"active": "0", "reason": "x"}),
          ("/admin/users/temp/password", {"new_password": "another-sturdy-1"}),
          ("/admin/users/temp/role", {"new_role": "admin"})]


def test_every_admin_page_and_write_is_refused_to_other_roles(site) -> None:
    app, store = site
    n = verify_audit(store).entries
    anonymous = TestClient(app)
    for path in ("/admin/users", "/audit", "/audit.csv", "/patients"):
        r = anonymous.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login", path
    for path, data in WRITES:
        assert anonymous.post(path, data=data, follow_redirects=False).status_code == 403
    for user in ("stat", "memb", "view"):
        c = login(app, user)
        assert c.get("/admin/users").status_code == 403
        assert 'href="/admin/users"' not in c.get("/").text
        for path, data in WRITES:
            assert post(c, path, **data).status_code == 403, (user, path)
    assert verify_audit(store).entries == n                      # nothing was written
    assert get_user(store, "temp").role == "viewer" and not is_disabled(store, "temp")


def test_admin_changes_role_resets_password_disables_and_enables(site) -> None:
    app, store = site
    admin = login(app, "boss")
    page = admin.get("/admin/users").text
    assert 'id="users"' in page and "temp" in page and "Change role" in page
    victim = login(app, "temp")
    assert victim.get("/").status_code == 200

    r = post(admin, "/admin/users/temp/role", new_role="member")
    assert r.status_code == 303 and get_user(store, "temp").role == "member"
    r = post(admin, "/admin/users/temp/password", new_password="short")
    assert r.status_code == 400 and "at least 10 characters" in r.text
    r = post(admin, "/admin/users/temp/password", new_password="brand-new-pass-42")
    assert r.status_code == 303
    assert authenticate(store, "temp", "brand-new-pass-42") is not None
    assert authenticate(store, "temp", PW["temp"]) is None
    # the reset ended the user's open session
    assert victim.get("/", follow_redirects=False).headers["location"] == "/login"

    victim = TestClient(app)
    tok = hidden(victim.get("/login").text, "csrf_token")
    assert victim.post("/login", data={"username": "temp", "password": "brand-new-pass-42",
                                       "csrf_token": tok}, follow_redirects=False
                       ).status_code == 303
    r = post(admin, "/admin/users/temp/status", active="0", reason="left the committee")
    assert r.status_code == 303 and is_disabled(store, "temp")
    assert victim.get("/", follow_redirects=False).status_code == 303   # session ended
    tok = hidden(victim.get("/login").text, "csrf_token")
    r = victim.post("/login", data={"username": "temp", "password": "brand-new-pass-42",
                                    "csrf_token": tok})
    assert r.status_code == 403 and "disabled" in r.text
    assert "disabled" in admin.get("/admin/users").text
    r = post(admin, "/admin/users/temp/status", active="1", reason="back")
    assert r.status_code == 303 and not is_disabled(store, "temp")

    actions = [line for line in admin.get("/audit.csv").text.splitlines()
               if ",boss," in line]
    assert [a.split(",")[3] for a in actions] == ["change role", "reset password",
                                                  "disable user", "enable user"]
    assert verify_audit(store).ok


def test_admin_cannot_lock_themselves_out_over_http(site) -> None:
    app, store = site
    admin = login(app, "boss")
    r = post(admin, "/admin/users/boss/status", active="0", reason="oops")
    assert r.status_code == 400 and "your own account" in r.text
    r = post(admin, "/admin/users/boss/role", new_role="viewer")
    assert r.status_code == 400 and "last active administrator" in r.text
    r = post(admin, "/admin/users/nobody/role", new_role="viewer")
    assert r.status_code == 400 and "no user" in r.text
    r = post(admin, "/admin/users/temp/role", new_role="superuser")
    assert r.status_code == 400 and "role must be one of" in r.text
    assert get_user(store, "boss").role == "admin" and not is_disabled(store, "boss")
    r = admin.post("/admin/users/temp/role", data={"new_role": "admin"})  # no CSRF token
    assert r.status_code == 403
