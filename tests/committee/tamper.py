"""Editing a committee database behind the application's back (for the tampering tests)."""

from __future__ import annotations

import sqlite3


def tamper(path, *statements) -> None:  # noqa: ANN001
    """Drop the append-only triggers and run ``statements`` on the SQLite file at ``path``."""
    con = sqlite3.connect(path)
    for t in ("decisions", "audit"):
        con.execute(f"DROP TRIGGER IF EXISTS {t}_no_update")
        con.execute(f"DROP TRIGGER IF EXISTS {t}_no_delete")
    for q in statements:
        con.execute(q)
    con.commit()
    con.close()
