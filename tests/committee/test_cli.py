"""`cartrial users add` and `cartrial audit verify` (exit 2 after tampering)."""

from __future__ import annotations

import sqlite3

from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.committee import open_store

runner = CliRunner()


def test_users_add_and_audit_verify_detects_edit(tmp_path) -> None:
    db = tmp_path / "c.sqlite"
    url = f"sqlite:///{db}"
    r = runner.invoke(app, ["users", "add", "ann", "--role", "member", "--password-stdin",
                            "--db", url], input="sturdy-pass-123\n")
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["users", "add", "bob", "--role", "boss", "--password-stdin",
                            "--db", url], input="sturdy-pass-123\n")
    assert r.exit_code == 2 and "role must be one of" in r.output
    r = runner.invoke(app, ["audit", "verify", "--db", url])
    assert r.exit_code == 0 and "1 entries verified" in r.stdout
    con = sqlite3.connect(db)
    con.execute("UPDATE users SET role = 'statistician'")
    con.commit()
    con.close()
    r = runner.invoke(app, ["audit", "verify", "--db", url, "--json"])
    assert r.exit_code == 2 and '"ok": false' in r.stdout
    assert open_store(url).read_anchor()["seq"] == 1
