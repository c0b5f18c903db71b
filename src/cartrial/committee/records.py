"""Users and decisions: the operations the workspace and the CLI perform on the store."""

from __future__ import annotations

import functools
import json
import threading
import time
from datetime import date
from importlib import resources
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from cartrial import __version__
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
_HASHER = PasswordHasher()  # argon2id with the library's current parameters
CAN_DECIDE = ("statistician", "member")


MIN_PASSWORD = 10
MAX_PASSWORD = 256


@functools.cache
def common_passwords() -> frozenset[str]:
    """The refused passwords shipped with cartrial (``common_passwords.txt``)."""
    text = (resources.files("cartrial.committee") / "common_passwords.txt").read_text("utf-8")
    return frozenset(w.strip().lower() for w in text.splitlines()
                     if w.strip() and not w.startswith("#"))


def check_password(password: str, username: str = "") -> None:
    """Refuse a password that is short, common, repetitive or contains the user name.

    Parameters
    ----------
    password : str
    username : str, optional

    Raises
    ------
    InputError
        Fewer than 10 or more than 256 characters; in the list of common passwords (lower
        case, trailing digits and punctuation removed: ``Password1!`` is ``password``); one
        repeated character; or containing the user name.

    References
    ----------
    NIST SP 800-63B (2017), section 5.1.1.2: at least 8 characters (10 here), at most 64 or
    more, and checked against commonly used, expected or compromised values, repetitive or
    sequential characters and context-specific words such as the user name.

    Examples
    --------
    >>> check_password("Password1!")
    Traceback (most recent call last):
    ...
    cartrial.errors.InputError: password is too common (in cartrial's list of common passwords)
    """
    if len(password) < MIN_PASSWORD:
        raise InputError(f"password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InputError(f"password must have at most {MAX_PASSWORD} characters")
    core = password.lower().rstrip("0123456789!?.,;:-_#*@$%&+=~ ")
    if core in common_passwords() or password.lower() in common_passwords():
        raise InputError("password is too common (in cartrial's list of common passwords)")
    if len(set(password)) < 3:
        raise InputError("password repeats too few characters")
    if username and len(username) >= 3 and username.lower() in password.lower():
        raise InputError("password must not contain the user name")


def hash_password(password: str, username: str = "") -> str:
    """The argon2id hash of a password that passes :func:`check_password`.

    Parameters
    ----------
    password : str
        The new password (length and common-password rules of :func:`check_password`).
    username : str
        The user's name (a password containing it is refused).

    Returns
    -------
    str
        The argon2id hash in PHC string format (salted: two calls differ).

    Raises
    ------
    InputError
        The password breaks a rule (named in the message).

    References
    ----------
    NIST SP 800-63B (2017), section 5.1.1.2 (memorised secret verifiers).

    Examples
    --------
    >>> hash_password("Violet-Harbour-2026").startswith("$argon2id$")
    True
    """
    check_password(password, username)
    return _HASHER.hash(password)


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
    with Session(store.engine, expire_on_commit=False) as s:
        u = s.execute(select(User).where(User.username == username)).scalar()
        if u is None:
            try:  # same work whether or not the user exists
                _HASHER.verify(_DUMMY, password)
            except (VerificationError, InvalidHashError):
                pass
            return None
        try:
            _HASHER.verify(u.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return u


_DUMMY = _HASHER.hash("not-a-real-password")


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
