"""Committee records: roles, rules of a decision, append-only storage, tamper-evident chain."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from cartrial.committee import (
    DecisionRecord,
    add_user,
    anchor_chain,
    authenticate,
    list_decisions,
    open_store,
    record_decision,
    verify_audit,
)
from cartrial.errors import InputError
from tests.committee.helpers import tamper as _tamper


@pytest.fixture()
def db(tmp_path):
    path = tmp_path / "committee.sqlite"
    return path, open_store(f"sqlite:///{path}")


def _decide(engine, user, **kw):
    args = dict(user=user, meeting_date=date(2024, 4, 1), attendees=["ann", "bob"],
                accepted=True, action="escalate", next_dose="DL2", rationale="",
                recommendation={"action": "escalate", "next_dose": "DL2"}, as_of=date(2024, 4, 1),
                data_hash="a" * 64, protocol_id="CT071", protocol_version="1.0",
                protocol_hash="b" * 64)
    args.update(kw)
    return record_decision(engine, **args)


def test_password_is_hashed_with_argon2_and_verified(db) -> None:
    _, e = db
    u = add_user(e, "ann", "correct horse", "statistician")
    assert u.password_hash.startswith("$argon2id$") and "correct horse" not in u.password_hash
    assert authenticate(e, "ann", "correct horse").username == "ann"
    assert authenticate(e, "ann", "wrong password") is None
    assert authenticate(e, "nobody", "correct horse") is None


def test_bad_users_refused(db) -> None:
    _, e = db
    with pytest.raises(InputError, match="role must be one of"):
        add_user(e, "ann", "sturdy-pass-1", "chair")
    with pytest.raises(InputError, match="at least 10"):
        add_user(e, "ann", "short", "member")
    add_user(e, "ann", "sturdy-pass-1", "member")
    with pytest.raises(InputError, match="exists already"):
        add_user(e, "ann", "sturdy-pass-2", "member")


def test_viewer_cannot_record(db) -> None:
    _, e = db
    v = add_user(e, "vic", "sturdy-pass-1", "viewer")
    with pytest.raises(PermissionError):
        _decide(e, v)
    assert list_decisions(e) == []


def test_override_needs_rationale_and_correction_references(db) -> None:
    _, e = db
    m = add_user(e, "mo", "sturdy-pass-1", "member")
    with pytest.raises(InputError, match="rationale is required"):
        _decide(e, m, accepted=False, action="stay", next_dose="DL1")
    first = _decide(e, m)
    with pytest.raises(InputError, match="rationale is required"):
        _decide(e, m, corrects_id=first.id)
    with pytest.raises(InputError, match="does not exist"):
        _decide(e, m, corrects_id=99, rationale="typo")
    fix = _decide(e, m, corrects_id=first.id, rationale="attendee list was wrong",
                  attendees=["ann", "bob", "cy"])
    assert fix.corrects_id == first.id
    assert [d.id for d in list_decisions(e)] == [first.id, fix.id]
    assert verify_audit(e).ok


def test_records_are_append_only_in_the_orm_and_the_database(db) -> None:
    path, e = db
    m = add_user(e, "mo", "sturdy-pass-1", "member")
    rec = _decide(e, m)
    with Session(e.engine) as s:
        r = s.get(DecisionRecord, rec.id)
        r.rationale = "changed"
        with pytest.raises(InputError, match="append-only"):
            s.commit()
    con = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE decisions SET next_dose = 'DL1'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM audit")
    con.close()


def test_removing_the_latest_entries_is_caught_by_the_anchor(db) -> None:
    path, e = db
    m = add_user(e, "mo", "sturdy-pass-1", "member")
    _decide(e, m)
    assert e.read_anchor()["seq"] == 2
    _tamper(path, "DELETE FROM decisions WHERE id = 1", "DELETE FROM audit WHERE seq = 2")
    rep = verify_audit(e)
    assert not rep.ok and any("anchor records entry 2" in p for p in rep.problems)


def test_anchor_may_lag_after_a_crash_but_never_lead(db, tmp_path) -> None:
    path, e = db
    m = add_user(e, "mo", "sturdy-pass-1", "member")
    stale = e.anchor.read_text()
    _decide(e, m)
    e.anchor.write_text(stale)          # as if killed between the commit and the anchor write
    rep = verify_audit(e)
    assert rep.ok and "entries after it are not pinned" in rep.warnings[0]
    reopened = open_store(f"sqlite:///{path}")
    verify_audit(reopened)
    assert reopened.read_anchor()["seq"] == 1   # opening and verifying never move the anchor
    anchor_chain(reopened, actor="chair", reason="server crashed after decision 1")
    assert reopened.read_anchor()["seq"] == 3   # the re-anchoring is itself entry 3
    assert verify_audit(reopened).ok and not verify_audit(reopened).warnings


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (["UPDATE decisions SET next_dose = 'DL1' WHERE id = 1"], "differs from its audited"),
        (["UPDATE audit SET payload = replace(payload, 'DL2', 'DL1') WHERE seq = 2"],
         "does not match its hash"),
        (["DELETE FROM audit WHERE seq = 2"], "missing"),
        (["DELETE FROM decisions WHERE id = 2", "DELETE FROM audit WHERE seq = 3"],
         "anchor records entry 3"),
        (["DELETE FROM decisions WHERE id = 1"], "decisions row 1 is audited but missing"),
        (["UPDATE users SET role = 'statistician' WHERE username = 'mo'"],
         "users row 1 differs"),
        (["INSERT INTO decisions SELECT 9, created_at, meeting_date, recorded_by, attendees, "
          "accepted, action, next_dose, rationale, recommendation, as_of, data_hash, "
          "protocol_id, protocol_version, protocol_hash, cartrial_version, corrects_id "
          "FROM decisions WHERE id = 1"], "never audited"),
    ],
)
def test_verify_detects_tampering(db, sql, expected) -> None:
    path, e = db
    m = add_user(e, "mo", "sturdy-pass-1", "member")
    _decide(e, m)
    _decide(e, m, action="stay", next_dose="DL2", accepted=False, rationale="wait for data")
    assert verify_audit(e).ok
    _tamper(path, *sql)
    rep = verify_audit(e)
    assert not rep.ok
    assert any(expected in p for p in rep.problems), rep.problems


@settings(max_examples=10, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from(["escalate", "stay", "de-escalate"])),
                min_size=1, max_size=6))
def test_chain_verifies_after_any_sequence_of_writes(tmp_path_factory, ops) -> None:
    e = open_store(f"sqlite:///{tmp_path_factory.mktemp('c') / 'db.sqlite'}")
    m = add_user(e, "mo", "sturdy-pass-1", "member")
    for accepted, action in ops:
        _decide(e, m, accepted=accepted, action=action, rationale="" if accepted else "because")
    rep = verify_audit(e)
    assert rep.ok and rep.entries == len(ops) + 1
