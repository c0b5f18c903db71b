"""Server-side sessions of the workspace: revoked at logout, expired when idle, single-use forms.

The signed session cookie only carries a random session id; whether that id still logs someone
in is decided here, on the server. So a cookie copied before logout, or kept past the idle
timeout, logs nobody in (OWASP Session Management Cheat Sheet, 2023: "Session Expiration",
"Manual Session Expiration"). Sessions live in this process's memory: a restart logs everyone
out. Each decision form carries a single-use token, so a form submitted twice (double click,
browser resubmission, replay) is recorded once.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

IDLE_SECONDS = 30 * 60
MAX_SECONDS = 8 * 3600
MAX_OPEN_FORMS = 20


@dataclass
class _Session:
    username: str
    created: float
    seen: float
    forms: list[str] = field(default_factory=list)


class SessionRegistry:
    """Live sessions by id, with an idle timeout and an absolute lifetime.

    Parameters
    ----------
    idle_seconds : float
        A session unused for this long is ended (default 30 minutes).
    max_seconds : float
        A session older than this is ended however active (default 8 hours).
    clock : callable
        Seconds from a monotonic clock (``time.monotonic``; tests pass their own).

    Examples
    --------
    >>> t = [0.0]
    >>> reg = SessionRegistry(idle_seconds=60, clock=lambda: t[0])
    >>> sid = reg.start("ann")
    >>> reg.user(sid)
    'ann'
    >>> t[0] = 61.0
    >>> reg.user(sid) is None
    True
    """

    def __init__(self, idle_seconds: float = IDLE_SECONDS, max_seconds: float = MAX_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_seconds = float(idle_seconds)
        self.max_seconds = float(max_seconds)
        self.clock = clock
        self._live: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def start(self, username: str) -> str:
        """A new session id for ``username`` (a fresh id at every login)."""
        sid = secrets.token_urlsafe(32)
        now = self.clock()
        with self._lock:
            self._expire(now)
            self._live[sid] = _Session(username, now, now)
        return sid

    def user(self, sid: str | None) -> str | None:
        """The user logged in by ``sid``, or None (unknown, ended, idle or too old); a valid
        session's idle clock restarts."""
        if not sid:
            return None
        now = self.clock()
        with self._lock:
            s = self._live.get(sid)
            if s is None:
                return None
            if now - s.seen > self.idle_seconds or now - s.created > self.max_seconds:
                del self._live[sid]
                return None
            s.seen = now
            return s.username

    def end(self, sid: str | None) -> None:
        """End a session (logout): its cookie no longer logs anyone in."""
        with self._lock:
            self._live.pop(sid or "", None)

    def end_user(self, username: str) -> int:
        """End every session of ``username`` (e.g. when the account is locked)."""
        with self._lock:
            ids = [k for k, s in self._live.items() if s.username == username]
            for k in ids:
                del self._live[k]
        return len(ids)

    def issue_form(self, sid: str) -> str:
        """A single-use token for one decision form of this session."""
        tok = secrets.token_urlsafe(24)
        with self._lock:
            s = self._live.get(sid)
            if s is not None:
                s.forms = [*s.forms[-(MAX_OPEN_FORMS - 1):], tok]
        return tok

    def use_form(self, sid: str, token: str) -> bool:
        """True the first time ``token`` is presented by its session, False ever after."""
        with self._lock:
            s = self._live.get(sid)
            if s is None or not token or token not in s.forms:
                return False
            s.forms.remove(token)
            return True

    def _expire(self, now: float) -> None:
        dead = [k for k, s in self._live.items()
                if now - s.seen > self.idle_seconds or now - s.created > self.max_seconds]
        for k in dead:
            del self._live[k]
