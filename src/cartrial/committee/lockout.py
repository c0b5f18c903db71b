"""Login throttling: per client address and per user, with an audited lockout and unlock.

- A client address with ``CLIENT_LIMIT`` failed logins within ``WINDOW_SECONDS`` is refused
  (HTTP 429) until the oldest of those failures leaves the window.
- A user name with ``USER_LIMIT`` consecutive failed logins is locked: for an existing user the
  lock is an audit entry ("lock user", kept in the database, so a restart does not lift it) and
  only ``cartrial users unlock`` (audited "unlock user", with actor and reason) lifts it; an
  unknown name is refused the same way for ``WINDOW_SECONDS``, so that locking does not reveal
  which names exist.

NIST SP 800-63B (2017), section 5.2.2 (rate limiting: at most 100 consecutive failures) and the
OWASP Authentication Cheat Sheet ("Account Lockout") give the rule; the limits here are stricter.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from cartrial.committee.store import AuditEntry, Store, User, append_audit
from cartrial.errors import InputError

USER_LIMIT = 5
CLIENT_LIMIT = 20
WINDOW_SECONDS = 15 * 60
LOCK_TABLE = "lockouts"


def is_locked(store: Store, username: str) -> bool:
    """True when the latest lock/unlock audit entry of this user is a lock."""
    with Session(store.engine) as s:
        uid = s.execute(select(User.id).where(User.username == username)).scalar()
        if uid is None:
            return False
        last = s.execute(select(AuditEntry.action).where(
            AuditEntry.table_name == LOCK_TABLE, AuditEntry.row_id == uid)
            .order_by(AuditEntry.seq.desc()).limit(1)).scalar()
    return last == "lock user"


def _lock_event(store: Store, username: str, *, actor: str, action: str,
                payload: dict[str, object]) -> bool:
    from cartrial.committee.records import write_transaction

    def op(s: Session) -> bool:
        uid = s.execute(select(User.id).where(User.username == username)).scalar()
        if uid is None:
            return False
        append_audit(s, actor=actor, action=action, table=LOCK_TABLE, row_id=int(uid),
                     payload={"username": username, **payload}, key=store.key)
        return True

    return write_transaction(store, op)


def unlock_user(store: Store, username: str, *, actor: str, reason: str) -> None:
    """Lift the lock of a user (``cartrial users unlock``), recording who, when and why.

    Raises
    ------
    InputError
        Unknown user, user not locked, or no actor or reason.
    """
    if not actor.strip() or not reason.strip():
        raise InputError("unlocking needs an actor and a reason (both are recorded)")
    if not is_locked(store, username):
        raise InputError(f"user {username!r} does not exist or is not locked")
    _lock_event(store, username, actor=actor.strip(), action="unlock user",
                payload={"reason": reason.strip()})


class LoginThrottle:
    """Counts failed logins per client address and per user name (see module docstring).

    Parameters
    ----------
    store : Store
        Where locks are recorded.
    clock : callable
        Seconds from a monotonic clock (tests pass their own).
    """

    def __init__(self, store: Store, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.clock = clock
        self._by_client: dict[str, deque[float]] = {}
        self._by_user: dict[str, int] = {}
        self._unknown_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def client_blocked(self, client: str) -> bool:
        """True while this address has ``CLIENT_LIMIT`` failures in the window."""
        now = self.clock()
        with self._lock:
            q = self._by_client.get(client)
            while q and now - q[0] > WINDOW_SECONDS:
                q.popleft()
            return bool(q) and len(q) >= CLIENT_LIMIT

    def user_blocked(self, username: str) -> bool:
        """True when the user is locked (recorded) or the unknown name is refused for now."""
        with self._lock:
            until = self._unknown_until.get(username)
            if until is not None and self.clock() < until:
                return True
        return is_locked(self.store, username)

    def failed(self, username: str, client: str) -> bool:
        """Count a failed login; True when it locks the user now."""
        now = self.clock()
        with self._lock:
            self._by_client.setdefault(client, deque()).append(now)
            n = self._by_user.get(username, 0) + 1
            self._by_user[username] = n
            if n < USER_LIMIT:
                return False
            self._by_user.pop(username, None)
        recorded = _lock_event(self.store, username, actor="workspace", action="lock user",
                               payload={"failures": n, "client": client})
        if not recorded:
            with self._lock:
                self._unknown_until[username] = now + WINDOW_SECONDS
        return True

    def succeeded(self, username: str) -> None:
        """A successful login resets the user's count of consecutive failures."""
        with self._lock:
            self._by_user.pop(username, None)
