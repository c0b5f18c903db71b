"""User administration by the admin role: list, disable / enable, reset password, change role.

Every action is one write transaction that appends to the audit chain:

- a role change or a password reset edits the ``users`` row and audits the whole new row (so
  :func:`cartrial.committee.audit.verify_audit` still finds every row equal to its latest
  audited content; the audit page shows what changed by comparing it with the row's previous
  audited content);
- disabling and enabling are audit events on the user (table ``user_status``, like the login
  locks of :mod:`cartrial.committee.lockout`): the latest one decides, so no column is added to
  an existing database and the history of who disabled whom, when and why is the chain itself.

An administrator cannot lock the workspace out of administration: the last active admin cannot
be disabled nor given another role, and nobody disables their own account. A new password
follows the workspace's password policy (:func:`cartrial.committee.records.check_password`,
NIST SP 800-63B (2017) section 5.1.1.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cartrial.committee.lockout import is_locked
from cartrial.committee.records import hash_password, write_transaction
from cartrial.committee.store import ROLES, AuditEntry, Store, User, append_audit
from cartrial.errors import InputError

ADMIN = "admin"
STATUS_TABLE = "user_status"
DISABLE, ENABLE = "disable user", "enable user"


@dataclass(frozen=True)
class UserRow:
    """One user as the administration page lists it."""

    username: str
    full_name: str
    role: str
    created_at: datetime
    active: bool
    locked: bool


def _disabled_ids(s: Session) -> set[int]:
    """Ids of users whose latest status event is a disable."""
    latest: dict[int, str] = {}
    for row_id, action in s.execute(select(AuditEntry.row_id, AuditEntry.action).where(
            AuditEntry.table_name == STATUS_TABLE).order_by(AuditEntry.seq)):
        latest[int(row_id)] = action
    return {i for i, a in latest.items() if a == DISABLE}


def is_disabled(store: Store, username: str) -> bool:
    """True when an administrator disabled this user (and did not enable it again).

    Parameters
    ----------
    store : Store
    username : str

    Returns
    -------
    bool
        False for an unknown user name too.

    Examples
    --------
    >>> from cartrial.committee import open_store
    >>> is_disabled(open_store("sqlite://"), "nobody")
    False
    """
    with Session(store.engine) as s:
        uid = s.execute(select(User.id).where(User.username == username)).scalar()
        return uid is not None and uid in _disabled_ids(s)


def list_users(store: Store) -> list[UserRow]:
    """Every user, by name, with role, whether active and whether locked after failed logins.

    Parameters
    ----------
    store : Store

    Returns
    -------
    list of UserRow

    Examples
    --------
    >>> from cartrial.committee import open_store
    >>> list_users(open_store("sqlite://"))
    []
    """
    with Session(store.engine) as s:
        off = _disabled_ids(s)
        users = list(s.execute(select(User).order_by(User.username)).scalars())
        rows = [(u.username, u.full_name, u.role, u.created_at, u.id not in off)
                for u in users]
    return [UserRow(n, f, r, c, a, is_locked(store, n)) for n, f, r, c, a in rows]


def _target(s: Session, actor: User, username: str) -> User:
    """The user an admin acts on (PermissionError when the actor is not an active admin)."""
    me = s.execute(select(User).where(User.username == actor.username)).scalar()
    if me is None or me.role != ADMIN or me.id in _disabled_ids(s):
        raise PermissionError(f"user {actor.username!r} is not an active administrator")
    u = s.execute(select(User).where(User.username == username)).scalar()
    if u is None:
        raise InputError(f"no user {username!r}")
    return u


def _last_admin(s: Session, u: User) -> bool:
    """True when ``u`` is the only active admin."""
    off = _disabled_ids(s)
    admins = s.execute(select(User.id).where(User.role == ADMIN)).scalars()
    return u.role == ADMIN and u.id not in off and [i for i in admins if i not in off] == [u.id]


def set_active(store: Store, actor: User, username: str, active: bool, reason: str) -> None:
    """Disable or enable a user, recording who, when, why and the state before and after.

    Parameters
    ----------
    store : Store
    actor : User
        An active administrator.
    username : str
    active : bool
        False disables, True enables.
    reason : str
        Why (required, recorded).

    Returns
    -------
    None

    Raises
    ------
    PermissionError
        The actor is not an active administrator.
    InputError
        No reason, unknown user, already in that state, disabling oneself or the last active
        administrator.

    Examples
    --------
    >>> set_active(store, admin, "bob", False, "left the committee")  # doctest: +SKIP
    """
    if not reason.strip():
        raise InputError("disabling or enabling a user needs a reason (it is recorded)")

    def op(s: Session) -> None:
        u = _target(s, actor, username)
        now_active = u.id not in _disabled_ids(s)
        if now_active == active:
            raise InputError(f"user {username!r} is already {'active' if active else 'disabled'}")
        if not active and u.username == actor.username:
            raise InputError("you cannot disable your own account")
        if not active and _last_admin(s, u):
            raise InputError(f"{username!r} is the last active administrator and cannot be "
                             "disabled")
        before, after = ("disabled", "active") if active else ("active", "disabled")
        append_audit(s, actor=actor.username, action=ENABLE if active else DISABLE,
                     table=STATUS_TABLE, row_id=int(u.id), key=store.key,
                     payload={"username": username, "before": before, "after": after,
                              "reason": reason.strip()})

    write_transaction(store, op)


def change_role(store: Store, actor: User, username: str, role: str) -> None:
    """Give a user another role (audited: the row before and after).

    Parameters
    ----------
    store : Store
    actor : User
        An active administrator.
    username : str
    role : str
        One of :data:`cartrial.committee.store.ROLES`.

    Returns
    -------
    None

    Raises
    ------
    PermissionError
        The actor is not an active administrator.
    InputError
        Unknown role or user, the same role, or demoting the last active administrator.

    Examples
    --------
    >>> change_role(store, admin, "bob", "viewer")  # doctest: +SKIP
    """
    if role not in ROLES:
        raise InputError(f"role must be one of {list(ROLES)}, got {role!r}")

    def op(s: Session) -> None:
        u = _target(s, actor, username)
        if u.role == role:
            raise InputError(f"user {username!r} already has the role {role}")
        if _last_admin(s, u):
            raise InputError(f"{username!r} is the last active administrator and keeps the "
                             "admin role")
        u.role = role
        s.flush()
        append_audit(s, actor=actor.username, action="change role", obj=u, key=store.key)

    write_transaction(store, op)


def reset_password(store: Store, actor: User, username: str, password: str) -> None:
    """Set a new password for a user (the workspace's password policy; audited).

    Parameters
    ----------
    store : Store
    actor : User
        An active administrator.
    username : str
    password : str
        The new password (checked by :func:`cartrial.committee.records.check_password`).

    Returns
    -------
    None

    Raises
    ------
    PermissionError
        The actor is not an active administrator.
    InputError
        Unknown user, or a password the policy refuses.

    Examples
    --------
    >>> reset_password(store, admin, "bob", "correct horse battery")  # doctest: +SKIP
    """
    pw = hash_password(password, username)

    def op(s: Session) -> None:
        u = _target(s, actor, username)
        u.password_hash = pw
        s.flush()
        append_audit(s, actor=actor.username, action="reset password", obj=u, key=store.key)

    write_transaction(store, op)
