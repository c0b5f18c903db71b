"""Test helpers: editing a committee database behind the application's back, a hand-moved
clock, hidden form fields."""

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


class Clock:
    """A monotonic clock that tests move by hand (no sleeps, no wall-clock deadlines)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def hidden(html: str, name: str) -> str:
    """The value of a hidden form field of a page."""
    import re

    return re.search(rf'name="{name}" value="([^"]+)"', html).group(1)
