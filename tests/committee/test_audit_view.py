"""Audit trail page and CSV export (issue #15 point 5): who, what, when, before / after and the
chain's verification, for the statistician and admin roles only."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from cartrial.committee import add_user, open_store
from cartrial.committee.audit_view import CSV_COLUMNS, audit_csv, audit_lines
from cartrial.committee.records import get_user
from cartrial.committee.users import change_role, reset_password, set_active
from cartrial.committee.web import create_app
from cartrial.data import write_study
from tests.committee.helpers import hidden, tamper
from tests.data.minimal_study import minimal_domains

PW = {"boss": "sturdy-pass-a", "stat": "sturdy-pass-s", "memb": "sturdy-pass-m",
      "view": "sturdy-pass-v", "eve": "sturdy-pass-e"}
ROLE = {"boss": "admin", "stat": "statistician", "memb": "member", "view": "viewer",
        "eve": "viewer"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("audit")
    write_study(minimal_domains(), root / "sdtm")
    db = root / "sdtm" / "committee.sqlite"
    store = open_store(f"sqlite:///{db}")
    for name, role in ROLE.items():
        add_user(store, name, PW[name], role)
    boss = get_user(store, "boss")
    change_role(store, boss, "view", "member")
    reset_password(store, boss, "view", "fresh-sturdy-pass")
    set_active(store, boss, "memb", False, "left the committee")
    return create_app("ct071", root / "sdtm", settle_seconds=0), store, db


def login(app, user: str) -> TestClient:
    c = TestClient(app)
    tok = hidden(c.get("/login").text, "csrf_token")
    pw = "fresh-sturdy-pass" if user == "view" else PW[user]
    assert c.post("/login", data={"username": user, "password": pw, "csrf_token": tok},
                  follow_redirects=False).status_code == 303
    return c


def test_csv_has_who_what_when_before_after_and_the_chain_status(site) -> None:
    app, store, _ = site
    text = audit_csv(store)
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[-1] == ["# chain: verified (8 entries)"]
    body = [dict(zip(CSV_COLUMNS, r, strict=True)) for r in rows[1:-1]]
    assert [r["action"] for r in body] == ["create user"] * 5 + [
        "change role", "reset password", "disable user"]
    role = body[5]
    assert (role["actor"], role["table"], role["before"], role["after"]) == (
        "boss", "users", "role: viewer", "role: member")
    pw = body[6]
    assert pw["before"] == "password_hash: (changed)" and pw["after"] == pw["before"]
    off = body[7]
    assert off["before"] == "active" and off["after"].startswith("disabled (")
    assert "reason: left the committee" in off["after"]
    assert all(r["verification"] == "ok" for r in body)
    assert all(len(r["timestamp_utc"]) == 19 and len(r["hash"]) == 64 for r in body)
    assert "argon2" not in text                              # no password hash ever shown


@pytest.mark.parametrize("user", ["stat", "boss"])
def test_statistician_and_admin_read_the_page_and_download_the_csv(site, user) -> None:
    app, store, _ = site
    c = login(app, user)
    page = c.get("/audit")
    assert page.status_code == 200
    assert 'id="chain-status"' in page.text and "verified (" in page.text
    assert "left the committee" in page.text and "role: member" in page.text
    assert 'href="/audit"' in c.get("/").text                  # in the navigation
    r = c.get("/audit.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.text.splitlines()[0] == ",".join(CSV_COLUMNS)


@pytest.mark.parametrize("user", ["view", "eve"])
def test_members_and_viewers_are_refused(site, user) -> None:
    app, store, _ = site
    # "view" was made a member by the admin in the fixture; "eve" is a viewer
    assert get_user(store, user).role == {"view": "member", "eve": "viewer"}[user]
    c = login(app, user)
    assert c.get("/audit").status_code == 403
    assert c.get("/audit.csv").status_code == 403
    assert 'href="/audit"' not in c.get("/").text


def test_a_tampered_entry_is_named_on_its_row(tmp_path) -> None:
    db = tmp_path / "c.sqlite"
    store = open_store(f"sqlite:///{db}")
    add_user(store, "boss", PW["boss"], "admin")
    add_user(store, "stat", PW["stat"], "statistician")
    tamper(db, "UPDATE audit SET actor = 'mallory' WHERE seq = 2")
    lines, report = audit_lines(store)
    assert not report.ok
    assert lines[0].verification == "ok"
    assert "audit entry 2: content does not match" in lines[1].verification
    assert audit_csv(store).splitlines()[-1].startswith("# chain: NOT verified: ")
