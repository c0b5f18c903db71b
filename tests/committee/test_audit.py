"""The audit chain under every kind of tampering (issue #14 point 6).

Each test edits the SQLite file directly, as someone with write access to it (not to the key)
could, and checks what ``verify_audit`` / ``cartrial audit verify`` report.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import stat
from datetime import date, datetime

import pytest
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.committee import (
    add_user,
    anchor_chain,
    load_audit_key,
    new_audit_key,
    open_store,
    record_decision,
    verify_audit,
)
from cartrial.committee.chain import GENESIS, entry_hash
from cartrial.errors import InputError
from tests.committee.helpers import tamper as _sql

runner = CliRunner()
KEY = b"k" * 40


def _decide(store, user, **kw):
    args = dict(user=user, meeting_date=date(2024, 4, 1), attendees=["ann"], accepted=True,
                action="escalate", next_dose="DL2", rationale="",
                recommendation={"action": "escalate", "next_dose": "DL2"},
                as_of=date(2024, 4, 1), data_hash="a" * 64, protocol_id="CT071",
                protocol_version="1.0", protocol_hash="b" * 64)
    return record_decision(store, **(args | kw))


def _chain(tmp_path, key=None):
    path = tmp_path / "committee.sqlite"
    store = open_store(f"sqlite:///{path}", key=key)
    m = add_user(store, "mo", "sturdy-pass-1", "member")
    _decide(store, m)
    _decide(store, m, accepted=False, action="stay", rationale="wait")
    assert verify_audit(store).ok
    return path, store


def _reseal(path, key):
    """Recompute every entry's hash and link with ``key`` (None: plain SHA-256), as a forger
    who knows the format would, and rewrite the anchor to match."""
    _sql(path)  # (re)opening the store re-creates the append-only triggers
    con = sqlite3.connect(path)
    rows = con.execute("SELECT seq, created_at, actor, action, table_name, row_id, payload "
                       "FROM audit ORDER BY seq").fetchall()
    prev = GENESIS
    for seq, created, actor, action, table, row_id, payload in rows:
        h = entry_hash(key, seq=seq, created_at=datetime.fromisoformat(created), actor=actor,
                       action=action, table_name=table, row_id=row_id, payload=payload,
                       prev_hash=prev)
        con.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, h, seq))
        prev = h
    con.commit()
    con.close()
    (path.parent / (path.name + ".anchor")).write_text(
        f'{{"seq": {len(rows)}, "hash": "{prev}"}}')


@pytest.mark.parametrize(("sql", "expected"), [
    ("UPDATE audit SET actor = 'chair' WHERE seq = 2", "entry 2: content does not match"),
    ("UPDATE audit SET created_at = '2024-01-01 09:00:00.000000' WHERE seq = 3",
     "entry 3: content does not match"),
    ("UPDATE audit SET action = 'create user' WHERE seq = 2", "entry 2: content does not match"),
    ("UPDATE audit SET payload = replace(payload, 'DL2', 'DL1') WHERE seq = 2",
     "entry 2: content does not match"),
    ("DELETE FROM audit WHERE seq = 2", "audit entry 2 is missing"),
    ("DELETE FROM decisions WHERE id = 1", "decisions row 1 is audited but missing"),
])
def test_each_column_and_row_is_covered(tmp_path, sql, expected) -> None:
    path, store = _chain(tmp_path)
    _sql(path, sql)
    rep = verify_audit(store)
    assert not rep.ok and any(expected in p for p in rep.problems), rep.problems


def test_truncation_is_caught_by_the_anchor(tmp_path) -> None:
    path, store = _chain(tmp_path)
    _sql(path, "DELETE FROM decisions WHERE id = 2", "DELETE FROM audit WHERE seq = 3")
    rep = verify_audit(store)
    assert not rep.ok and any("anchor records entry 3" in p for p in rep.problems)


def test_deleting_the_anchor_is_an_error_and_verify_never_recreates_it(tmp_path) -> None:
    path, store = _chain(tmp_path)
    _sql(path, "DELETE FROM decisions WHERE id = 2", "DELETE FROM audit WHERE seq = 3")
    store.anchor.unlink()
    url = f"sqlite:///{path}"
    for _ in range(2):
        r = runner.invoke(app, ["audit", "verify", "--db", url])
        assert r.exit_code == 2 and "anchor file" in r.stdout and "missing" in r.stdout
        assert not store.anchor.exists()
    # re-anchoring is explicit, needs a reason and leaves its own trace in the chain
    r = runner.invoke(app, ["audit", "anchor", "--db", url, "--actor", "chair",
                            "--reason", "anchor lost in a restore; chain checked vs minutes"])
    assert r.exit_code == 0, r.output
    rep = verify_audit(open_store(url))
    assert rep.ok and rep.entries == 3
    con = sqlite3.connect(path)
    actor, action, payload = con.execute(
        "SELECT actor, action, payload FROM audit WHERE seq = 3").fetchone()
    con.close()
    assert (actor, action) == ("chair", "re-anchor") and '"previous_anchor":"missing"' in payload


def test_anchor_refuses_a_chain_that_does_not_verify(tmp_path) -> None:
    path, store = _chain(tmp_path)
    _sql(path, "UPDATE audit SET actor = 'x' WHERE seq = 1")
    with pytest.raises(InputError, match="does not verify"):
        anchor_chain(store, actor="chair", reason="try")


def test_a_chain_forged_without_the_key_fails_verification_with_it(tmp_path) -> None:
    path, store = _chain(tmp_path, key=KEY)
    _sql(path, "UPDATE decisions SET next_dose = 'DL3' WHERE id = 1",
         "UPDATE audit SET payload = replace(payload, '\"next_dose\":\"DL2\"', "
         "'\"next_dose\":\"DL3\"') WHERE seq = 2")
    for forger_key in (None, b"g" * 40):
        _reseal(path, forger_key)
        rep = verify_audit(open_store(f"sqlite:///{path}", key=KEY))
        assert not rep.ok
        assert sum("content does not match" in p for p in rep.problems) == 3
    _reseal(path, KEY)  # only the key holder can produce a consistent chain
    assert verify_audit(open_store(f"sqlite:///{path}", key=KEY)).ok


def test_what_is_not_detected_without_a_key(tmp_path) -> None:
    """Documented limit (README): without a key, a forger who rewrites every hash and the
    anchor file consistently is not detected by verification alone."""
    path, store = _chain(tmp_path)
    _sql(path, "UPDATE audit SET actor = 'chair' WHERE seq = 2")
    _reseal(path, None)
    assert verify_audit(store).ok


def test_a_keyed_chain_needs_its_key_and_format_1_is_refused(tmp_path) -> None:
    path, _ = _chain(tmp_path, key=KEY)
    with pytest.raises(InputError, match="sealed with an audit key"):
        open_store(f"sqlite:///{path}")
    other = tmp_path / "old"
    other.mkdir()
    old_path, _ = _chain(other)
    _sql(old_path, "DROP TABLE chain_meta")  # what a database of an earlier cartrial looks like
    with pytest.raises(InputError, match="format 1"):
        open_store(f"sqlite:///{old_path}")
    r = runner.invoke(app, ["audit", "verify", "--db", f"sqlite:///{old_path}"])
    assert r.exit_code == 2 and "format 1" in r.stderr and "Traceback" not in r.output


def test_key_files_must_be_private(tmp_path, monkeypatch) -> None:
    f = tmp_path / "audit.key"
    new_audit_key(f)
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert len(load_audit_key(f)) == 64
    with pytest.raises(InputError, match="exists already"):
        new_audit_key(f)
    f.chmod(0o644)
    with pytest.raises(InputError, match="chmod 600"):
        load_audit_key(f)
    monkeypatch.setenv("CARTRIAL_AUDIT_KEY", "short")
    with pytest.raises(InputError, match="at least 32"):
        load_audit_key()
    monkeypatch.setenv("CARTRIAL_AUDIT_KEY", "x" * 32)
    assert load_audit_key() == b"x" * 32


def test_database_and_anchor_files_are_private(tmp_path) -> None:
    old = os.umask(0o022)
    try:
        path, store = _chain(tmp_path)
    finally:
        os.umask(old)
    for f in (path, store.anchor, path.with_name(path.name + "-wal")):
        if f.exists():
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f


def test_hmac_primitive_matches_rfc_4231_test_case_2() -> None:
    """The HMAC-SHA256 used for keyed chains, checked against RFC 4231 section 4.3."""
    mac = hmac.new(b"Jefe", b"what do ya want for nothing?", hashlib.sha256).hexdigest()
    assert mac == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    e = dict(seq=1, created_at=datetime(2024, 1, 1), actor="a", action="b", table_name="c",
             row_id=1, payload="{}", prev_hash=GENESIS)
    assert entry_hash(KEY, **e) != entry_hash(None, **e) != entry_hash(b"j" * 40, **e)


def test_keygen_and_a_keyed_chain_through_the_cli(tmp_path, monkeypatch) -> None:
    key = tmp_path / "keys" / "audit.key"
    key.parent.mkdir()
    r = runner.invoke(app, ["audit", "keygen", str(key)])
    assert r.exit_code == 0 and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert runner.invoke(app, ["audit", "keygen", str(key)]).exit_code == 2  # never overwritten
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    monkeypatch.setenv("CARTRIAL_AUDIT_KEY_FILE", str(key))
    r = runner.invoke(app, ["users", "add", "ann", "--role", "member", "--password-stdin",
                            "--db", url], input="sturdy-pass-1\n")
    assert r.exit_code == 0, r.output
    assert runner.invoke(app, ["audit", "verify", "--db", url]).exit_code == 0
    monkeypatch.delenv("CARTRIAL_AUDIT_KEY_FILE")
    r = runner.invoke(app, ["audit", "verify", "--db", url])
    assert r.exit_code == 2 and "sealed with an audit key" in r.stderr
    assert runner.invoke(app, ["audit", "verify", "--db", url, "--key-file", str(key)]
                         ).exit_code == 0


def test_an_unopenable_database_is_a_clear_error(tmp_path) -> None:
    bad = tmp_path / "bad.sqlite"
    bad.write_text("not a database, e.g. a file damaged in transfer" * 50)
    r = runner.invoke(app, ["audit", "verify", "--db", f"sqlite:///{bad}"])
    assert r.exit_code == 2 and "cannot open database" in r.stderr, r.output
    with pytest.raises(InputError, match="cannot open database"):
        open_store(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.sqlite'}")
    typo = tmp_path / "comittee.sqlite"     # verifying a mistyped path creates nothing
    r = runner.invoke(app, ["audit", "verify", "--db", f"sqlite:///{typo}"])
    assert r.exit_code == 2 and "no committee database" in r.stderr and not typo.exists()
