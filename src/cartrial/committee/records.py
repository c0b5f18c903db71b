"""Users and decisions: the operations the workspace and the CLI perform on the store."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import date
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from cartrial import __version__
from cartrial.committee.passwords import (  # noqa: F401  (importable from here, as before)
    _HASHER,
    MAX_PASSWORD,
    MIN_PASSWORD,
    check_password,
    common_passwords,
    hash_password,
)
from cartrial.committee.store import (
    ROLES,
    DecisionRecord,
    DesignException,
    Store,
    User,
    _now,
    append_audit,
)
from cartrial.errors import InputError

_WRITE_LOCK = threading.Lock()
CAN_DECIDE = ("statistician", "member")


def write_transaction(store: Store, fn: Any, attempts: int = 50) -> Any:
    """Run one write transaction ``fn(session)``, serialised, then move the anchor to the new
    head; retry when another writer holds the lock."""
    engine = store.engine
    for i in range(attempts):
        try:
            with _WRITE_LOCK:  # one writer per process; the database serialises processes
                with Session(engine, expire_on_commit=False) as s, s.begin():
                    if engine.dialect.name == "postgresql":
                        s.execute(text("LOCK TABLE audit IN EXCLUSIVE MODE"))
                    out = fn(s)
                store.write_anchor()
                return out
        except (IntegrityError, OperationalError) as exc:
            if "UNIQUE" not in str(exc).upper() and "LOCKED" not in str(exc).upper() and (
                    "DUPLICATE" not in str(exc).upper()):
                raise
            time.sleep(0.01 * (i + 1))
    raise InputError("the database stayed busy; the record was not written")


def add_user(store: Store, username: str, password: str, role: str, *, full_name: str = "",
             actor: str = "cli") -> User:
    """Create a user with a role (statistician, member, viewer); password hashed with argon2id.

    Parameters
    ----------
    store : Store
        The committee database (:func:`cartrial.committee.open_store`).
    username : str
        Letters, digits, "." or "_"; unique.
    password : str
        Checked by :func:`check_password`, stored only as its argon2id hash.
    role : str
        One of ``ROLES``.
    full_name : str
        The printed name used in signatures and minutes.
    actor : str
        Who creates the user (written to the audit trail).

    Returns
    -------
    User
        The new user.

    Raises
    ------
    InputError
        Unknown role, a malformed or existing user name, or a password breaking a rule.

    Examples
    --------
    >>> import tempfile
    >>> from cartrial.committee import open_store
    >>> store = open_store(f"sqlite:///{tempfile.mkdtemp()}/committee.sqlite")
    >>> add_user(store, "alice", "Violet-Harbour-2026", "member", full_name="Alice Smith").role
    'member'
    """
    if role not in ROLES:
        raise InputError(f"role must be one of {list(ROLES)}, got {role!r}")
    if not username or not username.replace("_", "").replace(".", "").isalnum():
        raise InputError(f"username must be letters, digits, '.' or '_', got {username!r}")
    pw = hash_password(password, username)

    def op(s: Session) -> User:
        if s.execute(select(User).where(User.username == username)).scalar() is not None:
            raise InputError(f"user {username!r} exists already")
        u = User(username=username, full_name=full_name, role=role, password_hash=pw,
                 created_at=_now())
        s.add(u)
        s.flush()
        append_audit(s, actor=actor, action="create user", obj=u, key=store.key)
        return u

    return write_transaction(store, op)


def authenticate(store: Store, username: str, password: str) -> User | None:
    """The user when the password matches its argon2 hash, else None (constant-time verify).

    Parameters
    ----------
    store : Store
        The committee database.
    username, password : str
        What was typed at login.

    Returns
    -------
    User or None
        None for an unknown user or a wrong password (the same work is done either way).

    Examples
    --------
    >>> import tempfile
    >>> from cartrial.committee import open_store
    >>> store = open_store(f"sqlite:///{tempfile.mkdtemp()}/committee.sqlite")
    >>> _ = add_user(store, "alice", "Violet-Harbour-2026", "member")
    >>> authenticate(store, "alice", "Violet-Harbour-2026").username
    'alice'
    >>> authenticate(store, "alice", "wrong password") is None
    True
    """
    with Session(store.engine, expire_on_commit=False) as s:  # no connection held while
        u = s.execute(select(User).where(User.username == username)).scalar()  # hashing
    if u is None:
        _verify(_DUMMY, password)  # same work whether or not the user exists
        return None
    return u if _verify(u.password_hash, password) else None


_DUMMY = _HASHER.hash("not-a-real-password")
#: argon2id takes a core and 64 MiB per verification: at most one per core at a time (fifty
#: members logging in at once queue here instead of holding fifty hashes' memory)
_VERIFYING = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))


def _verify(password_hash: str, password: str) -> bool:
    with _VERIFYING:
        try:
            return bool(_HASHER.verify(password_hash, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def record_decision(
    store: Store,
    *,
    user: User,
    meeting_date: date,
    attendees: list[str],
    accepted: bool,
    action: str,
    next_dose: str | None,
    rationale: str,
    recommendation: dict[str, Any],
    as_of: date | None,
    data_hash: str,
    protocol_id: str,
    protocol_version: str,
    protocol_hash: str,
    corrects_id: int | None = None,
    exceptions: tuple[tuple[str, str], ...] = (),
) -> DecisionRecord:
    """Append a committee decision (accept the design's recommendation or override it).

    Rules: only statisticians and committee members record; at least one attendee; a rationale
    is required when overriding the recommendation or correcting an earlier record; a
    correction references an existing record. ``exceptions``: the design rules this decision
    overrides, as ``(rule, detail)`` (see :func:`cartrial.committee.meeting.design_objections`);
    they need an override with a rationale and are stored and audited with the decision.

    Parameters
    ----------
    store : Store
        The open record.
    user : User
        Who records it (role statistician or member).
    meeting_date, as_of : datetime.date
        The meeting; the data cut-off of the data shown (None: not stated).
    attendees : list of str
        Names of those present (blank entries dropped; at least one).
    accepted, action, next_dose, rationale : bool, str, str or None, str
        The design's recommendation accepted (else overridden), the action and dose decided, why.
    recommendation : dict
        The design's recommendation as shown (stored as JSON).
    data_hash, protocol_id, protocol_version, protocol_hash : str
        Provenance of the data and the protocol the committee saw.
    corrects_id : int, optional
        The record this one corrects.
    exceptions : tuple of (str, str)
        Design rules overridden, as (rule, detail).

    Returns
    -------
    DecisionRecord
        The stored record; its audit entries are appended in the same transaction.

    Raises
    ------
    PermissionError
        The user's role may not record decisions.
    cartrial.errors.InputError
        No attendee; no rationale where one is needed; a rule exception recorded as accepted;
        ``corrects_id`` unknown.

    Examples
    --------
    >>> from cartrial.committee import add_user, open_store
    >>> st = open_store("sqlite://", anchor=None)
    >>> ada = add_user(st, "ada", "Violet-Harbour-2026", "statistician")
    >>> rec = record_decision(st, user=ada, meeting_date=date(2025, 3, 4), attendees=["Ada"],
    ...     accepted=True, action="escalate", next_dose="DL2", rationale="", recommendation={},
    ...     as_of=None, data_hash="d", protocol_id="CT071", protocol_version="1",
    ...     protocol_hash="p")
    >>> rec.id, rec.recorded_by, rec.next_dose
    (1, 'ada', 'DL2')
    >>> record_decision(st, user=ada, meeting_date=date(2025, 3, 4), attendees=["Ada"],
    ...     accepted=False, action="stay", next_dose="DL1", rationale=" ", recommendation={},
    ...     as_of=None, data_hash="d", protocol_id="CT071", protocol_version="1",
    ...     protocol_hash="p")
    Traceback (most recent call last):
    ...
    cartrial.errors.InputError: a rationale is required when overriding the recommendation ...
    """
    if user.role not in CAN_DECIDE:
        raise PermissionError(f"user {user.username!r} ({user.role}) may not record decisions")
    attendees = [a.strip() for a in attendees if a.strip()]
    if not attendees:
        raise InputError("a decision needs at least one attendee")
    if exceptions and accepted:
        raise InputError("a decision against the design's rules must be recorded as an "
                         "override with a rationale")
    if (not accepted or corrects_id is not None) and not rationale.strip():
        raise InputError("a rationale is required when overriding the recommendation "
                         "or correcting a record")

    def op(s: Session) -> DecisionRecord:
        if corrects_id is not None and s.get(DecisionRecord, corrects_id) is None:
            raise InputError(f"decision {corrects_id} to correct does not exist")
        rec = DecisionRecord(
            created_at=_now(), meeting_date=meeting_date, recorded_by=user.username,
            attendees=json.dumps(attendees), accepted=bool(accepted), action=action,
            next_dose=next_dose, rationale=rationale.strip(),
            recommendation=json.dumps(recommendation, sort_keys=True, default=str),
            as_of=as_of, data_hash=data_hash, protocol_id=protocol_id,
            protocol_version=protocol_version, protocol_hash=protocol_hash,
            cartrial_version=__version__, corrects_id=corrects_id)
        s.add(rec)
        s.flush()
        append_audit(s, actor=user.username, action="record decision", obj=rec,
                     key=store.key)
        for rule, detail in exceptions:
            exc = DesignException(decision_id=rec.id, rule=rule, detail=detail)
            s.add(exc)
            s.flush()
            append_audit(s, actor=user.username, action="override design rule", obj=exc,
                         key=store.key)
        return rec

    return write_transaction(store, op)


def list_decisions(store: Store) -> list[DecisionRecord]:
    """Every decision, oldest first (corrections included; see ``corrects_id``).

    Parameters
    ----------
    store : Store
        The committee database.

    Returns
    -------
    list of DecisionRecord
        In recording order.

    Examples
    --------
    >>> import tempfile
    >>> from cartrial.committee import open_store
    >>> store = open_store(f"sqlite:///{tempfile.mkdtemp()}/committee.sqlite")
    >>> list_decisions(store)
    []
    """
    with Session(store.engine, expire_on_commit=False) as s:
        return list(s.execute(select(DecisionRecord).order_by(DecisionRecord.id)).scalars())


def list_exceptions(store: Store) -> dict[int, list[DesignException]]:
    """The design rules each decision overrode, by decision id."""
    with Session(store.engine, expire_on_commit=False) as s:
        out: dict[int, list[DesignException]] = {}
        for e in s.execute(select(DesignException).order_by(DesignException.id)).scalars():
            out.setdefault(e.decision_id, []).append(e)
        return out


def list_users(store: Store) -> list[User]:
    """Every user of the workspace, by user name."""
    with Session(store.engine, expire_on_commit=False) as s:
        return list(s.execute(select(User).order_by(User.username)).scalars())


def get_user(store: Store, username: str) -> User | None:
    """The user of that name, or None.

    Parameters
    ----------
    store : Store
        The committee database.
    username : str
        The login name.

    Returns
    -------
    User or None

    Examples
    --------
    >>> import tempfile
    >>> from cartrial.committee import open_store
    >>> store = open_store(f"sqlite:///{tempfile.mkdtemp()}/committee.sqlite")
    >>> get_user(store, "nobody") is None
    True
    """
    with Session(store.engine, expire_on_commit=False) as s:
        return s.execute(select(User).where(User.username == username)).scalar()
