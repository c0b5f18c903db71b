"""The committee record as every page reads it, read once per state of the record.

Each page needs the reader (user and whether disabled), the decisions, the adjudications and,
on the history, the signatures: six SQL queries through the ORM, most of a page's server time
once its snapshot-only parts are rendered (:mod:`cartrial.committee.overview`). The record only
changes by a write transaction, and every write appends an entry to the audit chain
(:mod:`cartrial.committee.store`), so the head of the chain (its highest ``seq``) names the
record's state: one small query per page tells whether the rows read for an earlier page are
still the record, from this process or from another (``cartrial users ...`` beside the server).

A change made behind the application's back without an audit entry (the append-only triggers
dropped, rows edited by hand) is not seen until the next write; such a change breaks the chain
and is named by ``cartrial audit verify`` and the audit page, which always read the database.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy.orm import Session

from cartrial.committee.adjudication import list_adjudications
from cartrial.committee.records import list_decisions, list_users
from cartrial.committee.signature import list_signatures
from cartrial.committee.store import (
    AuditEntry,
    DecisionRecord,
    DltAdjudication,
    Signature,
    Store,
    User,
)
from cartrial.committee.users import _disabled_ids

_HEAD = f"SELECT max(seq) FROM {AuditEntry.__tablename__}"


@dataclass(frozen=True)
class RecordView:
    """The record at one head of the audit chain (read-only: shared by every reader).

    Attributes
    ----------
    head : int
        The audit chain's highest ``seq`` when read (0: empty chain).
    users : dict
        :class:`~cartrial.committee.store.User` by user name.
    disabled : frozenset
        User names an administrator disabled.
    decisions : list
        Every decision, oldest first (:func:`cartrial.committee.records.list_decisions`).
    adjudications : list
        Every DLT adjudication, oldest first.
    signatures : dict
        Signatures by decision id, oldest first.
    """

    head: int
    users: dict[str, User]
    disabled: frozenset[str]
    decisions: list[DecisionRecord]
    adjudications: list[DltAdjudication]
    signatures: dict[int, list[Signature]]

    def active_user(self, username: str | None) -> User | None:
        """The user of that name unless unknown or disabled.

        Parameters
        ----------
        username : str or None
            The session's user name.

        Returns
        -------
        User or None
        """
        u = self.users.get(username) if username else None
        return None if u is None or u.username in self.disabled else u


def audit_head(store: Store) -> int:
    """The highest ``seq`` of the audit chain (0 when empty): one query.

    Parameters
    ----------
    store : Store
        The committee database.

    Returns
    -------
    int
    """
    conn = store.engine.raw_connection()  # a pooled connection; no statement to compile
    try:
        cur = conn.cursor()
        cur.execute(_HEAD)
        (head,) = cur.fetchone()
        cur.close()
    finally:
        conn.close()
    return int(head or 0)


class RecordCache:
    """The latest :class:`RecordView` of a store, read again only when the chain's head moved.

    Parameters
    ----------
    store : Store
        The committee database.

    Examples
    --------
    >>> from cartrial.committee import add_user, open_store
    >>> store = open_store("sqlite://", anchor=None)
    >>> cache = RecordCache(store)
    >>> cache.now().users
    {}
    >>> _ = add_user(store, "ada", "correct horse battery", "member")
    >>> sorted(cache.now().users), cache.now() is cache.now()
    (['ada'], True)
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._view: RecordView | None = None

    def now(self) -> RecordView:
        """The record as it is now (read from the database when its audit head moved).

        Returns
        -------
        RecordView
        """
        head = audit_head(self.store)  # read first: the rows below are at least this new
        view = self._view
        if view is not None and view.head == head:
            return view
        view = _read(self.store, head)
        with self._lock:
            if self._view is None or self._view.head <= head:
                self._view = view
        return view


def _read(store: Store, head: int) -> RecordView:
    users = {u.username: u for u in list_users(store)}
    with Session(store.engine) as s:
        disabled = _disabled_ids(s)
    return RecordView(head, users, frozenset(u.username for u in users.values()
                                             if u.id in disabled),
                      list_decisions(store), list_adjudications(store), list_signatures(store))
